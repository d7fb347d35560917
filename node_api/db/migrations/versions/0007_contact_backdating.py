"""contact attempts: the gateway's recorded_at beside the claimed attempted_at, and a backdated flag

Existing rows get ``recorded_at = created_at`` (the time the gateway wrote them) and are flagged
``backdated`` when their ``attempted_at`` lies more than 30 s (the default live tolerance) before that:
before this revision a client-supplied past time was accepted as if the attempt were live.

Revision ID: 0007_contact_backdating
Revises: 0004_case_vault
"""

import datetime as dt

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007_contact_backdating"
down_revision = "0004_case_vault"
branch_labels = None
depends_on = None

#: seconds a past attempted_at may lie before the write and still be the same moment (ConductSettings default)
LIVE_TOLERANCE = dt.timedelta(seconds=30)
_CHUNK = 1_000


def upgrade() -> None:
    with op.batch_alter_table("contact_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("backdated", sa.Boolean(), server_default=sa.false(), nullable=False))
    contacts = sa.table(
        "contact_attempts",
        sa.column("id", sa.BigInteger()),
        sa.column("attempted_at", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("backdated", sa.Boolean()),
    )
    bind = op.get_bind()
    bind.execute(sa.update(contacts).values(recorded_at=contacts.c.created_at))
    late = [
        row.id
        for row in bind.execute(
            sa.select(contacts.c.id, contacts.c.attempted_at, contacts.c.created_at).where(
                contacts.c.attempted_at < contacts.c.created_at
            )
        )
        if _utc(row.created_at) - _utc(row.attempted_at) > LIVE_TOLERANCE
    ]
    for i in range(0, len(late), _CHUNK):
        bind.execute(sa.update(contacts).where(contacts.c.id.in_(late[i : i + _CHUNK])).values(backdated=True))
    with op.batch_alter_table("contact_attempts", schema=None) as batch_op:
        batch_op.alter_column("recorded_at", existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False)


def _utc(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def downgrade() -> None:
    with op.batch_alter_table("contact_attempts", schema=None) as batch_op:
        batch_op.drop_column("backdated")
        batch_op.drop_column("recorded_at")
