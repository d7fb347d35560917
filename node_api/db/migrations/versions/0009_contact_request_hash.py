"""contact attempts: the hash of the request an Idempotency-Key stood for

A replayed key is answered with the recorded attempt only when the request is the same (case, channel,
claimed time, note); a different request under the same key is refused with OPS-409. Rows written
before this revision have no hash and are compared by case and channel.

Revision ID: 0009_contact_request_hash
Revises: 0007_contact_backdating
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_contact_request_hash"
down_revision = "0007_contact_backdating"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_attempts", schema=None) as batch_op:
        batch_op.drop_column("request_hash")
