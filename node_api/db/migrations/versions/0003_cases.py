"""cases: published case batches, their cases (terms + indexed chain state), claim reservations

Revision ID: 0003_cases
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from node_api.db.models import Uint256

revision = "0003_cases"
down_revision = "0001"
branch_labels = None
depends_on = None

_S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "case_batches",
        sa.Column("id", _S(length=36), nullable=False),
        sa.Column("institution", _S(length=64), nullable=False),
        sa.Column("bank", _S(length=42), nullable=False),
        sa.Column("salt", _S(length=66), nullable=False),
        sa.Column("root", _S(length=66), nullable=False),
        sa.Column("case_count", sa.Integer(), nullable=False),
        sa.Column("closes_at", sa.BigInteger(), nullable=False),
        sa.Column("fee_budget_fen", Uint256(), nullable=False),
        sa.Column("meta_digest", _S(length=66), nullable=False),
        sa.Column("source_format", _S(length=8), nullable=False),
        sa.Column("approve_operation_id", _S(length=36), nullable=False),
        sa.Column("publish_operation_id", _S(length=36), nullable=False),
        sa.Column("chain_batch_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("root"),
    )
    op.create_index("ix_case_batches_institution", "case_batches", ["institution"], unique=False)
    op.create_table(
        "case_entries",
        sa.Column("case_id", _S(length=66), nullable=False),
        sa.Column("batch_id", _S(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("case_ref", _S(length=64), nullable=False),
        sa.Column("debtor_commitment", _S(length=66), nullable=False),
        sa.Column("principal_fen", Uint256(), nullable=False),
        sa.Column("overdue_fen", Uint256(), nullable=False),
        sa.Column("overdue_days", sa.Integer(), nullable=False),
        sa.Column("region", sa.Integer(), nullable=False),
        sa.Column("fee_bps", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("status", _S(length=24), nullable=False),
        sa.Column("collector", _S(length=42), nullable=True),
        sa.Column("recovered_fen", Uint256(), nullable=False),
        sa.Column("fees_fen", Uint256(), nullable=False),
        sa.Column("last_event", _S(length=27), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["case_batches.id"]),
        sa.PrimaryKeyConstraint("case_id"),
        sa.UniqueConstraint("batch_id", "position", name="uq_case_entries_position"),
    )
    op.create_index("ix_case_entries_batch_id", "case_entries", ["batch_id"], unique=False)
    op.create_index("ix_case_entries_collector", "case_entries", ["collector"], unique=False)
    op.create_index("ix_case_entries_status_region", "case_entries", ["status", "region"], unique=False)
    op.create_table(
        "case_claims",
        sa.Column("case_id", _S(length=66), nullable=False),
        sa.Column("institution", _S(length=64), nullable=False),
        sa.Column("collector", _S(length=42), nullable=False),
        sa.Column("operation_id", _S(length=36), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )


def downgrade() -> None:
    op.drop_table("case_claims")
    op.drop_index("ix_case_entries_status_region", table_name="case_entries")
    op.drop_index("ix_case_entries_collector", table_name="case_entries")
    op.drop_index("ix_case_entries_batch_id", table_name="case_entries")
    op.drop_table("case_entries")
    op.drop_index("ix_case_batches_institution", table_name="case_batches")
    op.drop_table("case_batches")
