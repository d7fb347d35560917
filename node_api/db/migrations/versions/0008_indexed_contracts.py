"""indexer: the contracts it follows (``indexed_contracts``), so that the checkpoint no longer names them

Revision ID: 0008_indexed_contracts
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008_indexed_contracts"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indexed_contracts",
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("contract", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("from_block", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("address"),
    )


def downgrade() -> None:
    op.drop_table("indexed_contracts")
