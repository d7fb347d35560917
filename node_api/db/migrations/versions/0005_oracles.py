"""oracles: signatures exchanged between oracle operators; guarantee-network analyses

Revision ID: 0005_oracles
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision = "0005_oracles"
down_revision = "0001"
branch_labels = None
depends_on = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "oracle_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", _S(length=66), nullable=False),
        sa.Column("subject_id", _S(length=66), nullable=False),
        sa.Column("round", sa.BigInteger(), nullable=False),
        sa.Column("digest", _S(length=66), nullable=False),
        sa.Column("signer", _S(length=42), nullable=False),
        sa.Column("r", _S(length=66), nullable=False),
        sa.Column("vs", _S(length=66), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("institution", _S(length=64), nullable=False),
        sa.Column("created_at", _T(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest", "signer", name="uq_oracle_signature_digest_signer"),
    )
    with op.batch_alter_table("oracle_signatures", schema=None) as batch_op:
        batch_op.create_index("ix_oracle_signatures_round", ["feed_id", "subject_id", "round"], unique=False)
        batch_op.create_index(batch_op.f("ix_oracle_signatures_digest"), ["digest"], unique=False)

    op.create_table(
        "guarantee_analyses",
        sa.Column("id", _S(length=36), nullable=False),
        sa.Column("institution", _S(length=64), nullable=False),
        sa.Column("created_at", _T(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("guarantee_analyses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guarantee_analyses_institution"), ["institution"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("guarantee_analyses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guarantee_analyses_institution"))
    op.drop_table("guarantee_analyses")
    with op.batch_alter_table("oracle_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oracle_signatures_digest"))
        batch_op.drop_index("ix_oracle_signatures_round")
    op.drop_table("oracle_signatures")
