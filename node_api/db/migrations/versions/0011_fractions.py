"""fractions: the asset-fractions index kept from FractionsFactory and AssetFractions events (issues, assets,
accounts, offers, recoveries), per token address

Revision ID: 0011_fractions
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from node_api.db.models import Uint256

revision = "0011_fractions"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fraction_accounts",
        sa.Column("asset", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("balance", Uint256(), nullable=False),
        sa.Column("subscription", Uint256(), nullable=False),
        sa.Column("subscriber", sa.Boolean(), nullable=False),
        sa.Column("paid_fen", Uint256(), nullable=False),
        sa.Column("refunded_fen", Uint256(), nullable=False),
        sa.Column("claimed_fen", Uint256(), nullable=False),
        sa.Column("correction", Uint256(), nullable=False),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("frozen_shares", Uint256(), nullable=False),
        sa.Column("updated_key", sqlmodel.sql.sqltypes.AutoString(length=27), nullable=False),
        sa.PrimaryKeyConstraint("asset", "address"),
    )
    op.create_table(
        "fraction_assets",
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("issuer", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("asset_ref", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("valuation_feed", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("documents_root", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("kyc_tier", sa.Integer(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("lock_up_until", sa.BigInteger(), nullable=False),
        sa.Column("max_holders", sa.BigInteger(), nullable=False),
        sa.Column("max_per_holder", Uint256(), nullable=False),
        sa.Column("price_fen", Uint256(), nullable=False),
        sa.Column("min_subscription", Uint256(), nullable=False),
        sa.Column("soft_cap", Uint256(), nullable=False),
        sa.Column("hard_cap", Uint256(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("sold", Uint256(), nullable=False),
        sa.Column("subscribers", sa.BigInteger(), nullable=False),
        sa.Column("subscription_escrow_fen", Uint256(), nullable=False),
        sa.Column("proceeds_fen", Uint256(), nullable=False),
        sa.Column("proceeds_owed_fen", Uint256(), nullable=False),
        sa.Column("total_supply", Uint256(), nullable=False),
        sa.Column("holder_count", sa.BigInteger(), nullable=False),
        sa.Column("offer_count", sa.BigInteger(), nullable=False),
        sa.Column("per_share", Uint256(), nullable=False),
        sa.Column("per_share_carry", Uint256(), nullable=False),
        sa.Column("total_paid_in_fen", Uint256(), nullable=False),
        sa.Column("total_claimed_fen", Uint256(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("last_event", sqlmodel.sql.sqltypes.AutoString(length=27), nullable=False),
        sa.PrimaryKeyConstraint("address"),
    )
    with op.batch_alter_table("fraction_assets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fraction_assets_issuer"), ["issuer"], unique=False)

    op.create_table(
        "fraction_issues",
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("issuer", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("asset_ref", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("index", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=27), nullable=False),
        sa.PrimaryKeyConstraint("address"),
    )
    with op.batch_alter_table("fraction_issues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fraction_issues_asset_ref"), ["asset_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_fraction_issues_index"), ["index"], unique=False)
        batch_op.create_index(batch_op.f("ix_fraction_issues_issuer"), ["issuer"], unique=False)

    op.create_table(
        "fraction_offers",
        sa.Column("asset", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("offer_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("seller", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("price_fen", Uint256(), nullable=False),
        sa.Column("offered", Uint256(), nullable=False),
        sa.Column("shares", Uint256(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("paid_fen", Uint256(), nullable=False),
        sa.PrimaryKeyConstraint("asset", "offer_id"),
    )
    op.create_table(
        "fraction_recoveries",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=27), nullable=False),
        sa.Column("asset", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("payer", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("source_ref", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("amount_fen", Uint256(), nullable=False),
        sa.Column("total_paid_in_fen", Uint256(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("fraction_recoveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fraction_recoveries_asset"), ["asset"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fraction_recoveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fraction_recoveries_asset"))

    op.drop_table("fraction_recoveries")
    op.drop_table("fraction_offers")
    with op.batch_alter_table("fraction_issues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fraction_issues_issuer"))
        batch_op.drop_index(batch_op.f("ix_fraction_issues_index"))
        batch_op.drop_index(batch_op.f("ix_fraction_issues_asset_ref"))

    op.drop_table("fraction_issues")
    with op.batch_alter_table("fraction_assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fraction_assets_issuer"))

    op.drop_table("fraction_assets")
    op.drop_table("fraction_accounts")
