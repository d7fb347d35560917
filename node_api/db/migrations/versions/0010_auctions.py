"""auctions: the judicial-auction index kept from JudicialAuction events (lots, bidders, bids, payees, totals)

Revision ID: 0010_auctions
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from node_api.db.models import Uint256


revision = "0010_auctions"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auction_bidders",
        sa.Column("lot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("deposit_fen", Uint256(), nullable=False),
        sa.Column("preemption", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("lot_id", "address"),
    )
    op.create_table(
        "auction_bids",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=27), nullable=False),
        sa.Column("lot_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("amount_fen", Uint256(), nullable=False),
        sa.Column("ends_at", sa.BigInteger(), nullable=False),
        sa.Column("preemption", sa.Boolean(), nullable=False),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("auction_bids", schema=None) as batch_op:
        batch_op.create_index("ix_auction_bids_lot_key", ["lot_id", "key"], unique=False)

    op.create_table(
        "auction_lots",
        sa.Column("lot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("seller", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("court", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("asset_ref", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("origin", sa.BigInteger(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("kyc_tier", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.BigInteger(), nullable=False),
        sa.Column("ends_at", sa.BigInteger(), nullable=False),
        sa.Column("highest_code", sa.BigInteger(), nullable=False),
        sa.Column("highest_bid_fen", Uint256(), nullable=False),
        sa.Column("start_price_fen", Uint256(), nullable=False),
        sa.Column("deposit_fen", Uint256(), nullable=False),
        sa.Column("increment_fen", Uint256(), nullable=False),
        sa.Column("appraisal_fen", Uint256(), nullable=False),
        sa.Column("paid_fen", Uint256(), nullable=False),
        sa.Column("payment_window", sa.BigInteger(), nullable=False),
        sa.Column("payment_deadline", sa.BigInteger(), nullable=False),
        sa.Column("bidder_count", sa.BigInteger(), nullable=False),
        sa.Column("extensions", sa.BigInteger(), nullable=False),
        sa.Column("relisted_as", sa.BigInteger(), nullable=False),
        sa.Column("closed_block", sa.BigInteger(), nullable=False),
        sa.Column("forfeit_to", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("ruling_digest", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("lot_id"),
    )
    with op.batch_alter_table("auction_lots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auction_lots_asset_ref"), ["asset_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_auction_lots_seller"), ["seller"], unique=False)
        batch_op.create_index(batch_op.f("ix_auction_lots_status"), ["status"], unique=False)

    op.create_table(
        "auction_payees",
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("owed_fen", Uint256(), nullable=False),
        sa.PrimaryKeyConstraint("address"),
    )
    op.create_table(
        "auction_totals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deposits_fen", Uint256(), nullable=False),
        sa.Column("paid_fen", Uint256(), nullable=False),
        sa.Column("owed_fen", Uint256(), nullable=False),
        sa.Column("appraisal_max_age", sa.BigInteger(), nullable=False),
        sa.Column("last_event", sqlmodel.sql.sqltypes.AutoString(length=27), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("auction_totals")
    op.drop_table("auction_payees")
    with op.batch_alter_table("auction_lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auction_lots_status"))
        batch_op.drop_index(batch_op.f("ix_auction_lots_seller"))
        batch_op.drop_index(batch_op.f("ix_auction_lots_asset_ref"))

    op.drop_table("auction_lots")
    with op.batch_alter_table("auction_bids", schema=None) as batch_op:
        batch_op.drop_index("ix_auction_bids_lot_key")

    op.drop_table("auction_bids")
    op.drop_table("auction_bidders")
