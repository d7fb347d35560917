"""disputes: the disputes index kept from DisputeDesk events (disputes, instalments, evidence, collateral,
cases, payees, totals)

Revision ID: 0012_disputes
Revises: 0001

Like every domain's index (0010_auctions, 0011_fractions), its own branch off 0001: the gateway migrates to
``heads``.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from node_api.db.models import Uint256


revision = "0012_disputes"
down_revision = "0001"
branch_labels = None
depends_on = None

_ADDRESS = sqlmodel.sql.sqltypes.AutoString(length=42)
_WORD = sqlmodel.sql.sqltypes.AutoString(length=66)


def upgrade() -> None:
    op.create_table(
        "disputes",
        sa.Column("dispute_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("case_id", _WORD, nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("ruling", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("opener", _ADDRESS, nullable=False),
        sa.Column("bank", _ADDRESS, nullable=False),
        sa.Column("collector", _ADDRESS, nullable=False),
        sa.Column("mediator", _ADDRESS, nullable=False),
        sa.Column("mediator_by_bank", sa.Boolean(), nullable=False),
        sa.Column("court", _ADDRESS, nullable=False),
        sa.Column("appeal_court", _ADDRESS, nullable=False),
        sa.Column("payee", _ADDRESS, nullable=False),
        sa.Column("claim_amount_fen", Uint256(), nullable=False),
        sa.Column("total_fen", Uint256(), nullable=False),
        sa.Column("paid_fen", Uint256(), nullable=False),
        sa.Column("relief_fen", Uint256(), nullable=False),
        sa.Column("grace", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", sa.BigInteger(), nullable=False),
        sa.Column("opened_block", sa.BigInteger(), nullable=False),
        sa.Column("agreed_at", sa.BigInteger(), nullable=False),
        sa.Column("appeal_deadline", sa.BigInteger(), nullable=False),
        sa.Column("defaulted_index", sa.BigInteger(), nullable=True),
        sa.Column("terms_digest", _WORD, nullable=True),
        sa.Column("commitment_digest", _WORD, nullable=True),
        sa.Column("plan_digest", _WORD, nullable=True),
        sa.Column("failure_digest", _WORD, nullable=True),
        sa.Column("ruling_digest", _WORD, nullable=True),
        sa.Column("appeal_digest", _WORD, nullable=True),
        sa.Column("last_event", sqlmodel.sql.sqltypes.AutoString(length=27), nullable=True),
        sa.PrimaryKeyConstraint("dispute_id"),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disputes_bank"), ["bank"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_mediator"), ["mediator"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_status"), ["status"], unique=False)

    op.create_table(
        "dispute_instalments",
        sa.Column("dispute_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("amount_fen", Uint256(), nullable=False),
        sa.Column("due_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("dispute_id", "index"),
    )
    op.create_table(
        "dispute_evidence",
        sa.Column("dispute_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("party", _ADDRESS, nullable=False),
        sa.Column("root", _WORD, nullable=False),
        sa.PrimaryKeyConstraint("dispute_id", "position"),
    )
    op.create_table(
        "dispute_collateral",
        sa.Column("asset_ref", _WORD, nullable=False),
        sa.Column("case_id", _WORD, nullable=False),
        sa.Column("dispute_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("asset_ref"),
    )
    with op.batch_alter_table("dispute_collateral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispute_collateral_case_id"), ["case_id"], unique=False)

    op.create_table(
        "dispute_cases",
        sa.Column("case_id", _WORD, nullable=False),
        sa.Column("dispute_id", sa.BigInteger(), nullable=False),
        sa.Column("enforceable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "dispute_payees",
        sa.Column("address", _ADDRESS, nullable=False),
        sa.Column("owed_fen", Uint256(), nullable=False),
        sa.PrimaryKeyConstraint("address"),
    )
    op.create_table(
        "dispute_totals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owed_fen", Uint256(), nullable=False),
        sa.Column("appeal_window", sa.BigInteger(), nullable=False),
        sa.Column("mediation_required", sa.Boolean(), nullable=False),
        sa.Column("last_event", sqlmodel.sql.sqltypes.AutoString(length=27), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("dispute_totals")
    op.drop_table("dispute_payees")
    op.drop_table("dispute_cases")
    with op.batch_alter_table("dispute_collateral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispute_collateral_case_id"))

    op.drop_table("dispute_collateral")
    op.drop_table("dispute_evidence")
    op.drop_table("dispute_instalments")
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_status"))
        batch_op.drop_index(batch_op.f("ix_disputes_mediator"))
        batch_op.drop_index(batch_op.f("ix_disputes_case_id"))
        batch_op.drop_index(batch_op.f("ix_disputes_bank"))

    op.drop_table("disputes")
