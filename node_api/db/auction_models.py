"""Tables of the judicial-auction index (migration ``0010_auctions``), kept by the ``JudicialAuction``
projection from the contract's events (``chain.reducers.judicial_auction``); nothing here is written by a
request, so a gateway's index can always be rebuilt from the chain.

* ``AuctionLot``     — one lot: status, times, prices, highest bid, escrow, its documents and the bidder
  codes' addresses (shown only to the lot's court).
* ``AuctionBidder``  — one bidder's place in a lot: code, deposit locked, pre-emption holder.
* ``AuctionBid``     — one accepted bid in key order (what the live room replays).
* ``AuctionPayee``   — what each payee may withdraw (proceeds, forfeited deposits).
* ``AuctionTotals``  — one row: the escrow totals and the key of the last event applied.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from node_api.db.models import UINT256

__all__ = ["AuctionBid", "AuctionBidder", "AuctionLot", "AuctionPayee", "AuctionTotals"]


class AuctionLot(SQLModel, table=True):
    __tablename__ = "auction_lots"

    lot_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    status: str = Field(max_length=20, index=True)
    kind: str = Field(max_length=12)
    seller: str = Field(max_length=42, index=True)
    court: str = Field(max_length=42)
    asset_ref: str = Field(max_length=66, index=True)
    origin: int = Field(sa_column=Column(BigInteger, nullable=False))
    round: int
    kyc_tier: int
    failures: int
    starts_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    ends_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    highest_code: int = Field(sa_column=Column(BigInteger, nullable=False))
    highest_bid_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    start_price_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    deposit_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    increment_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    appraisal_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    paid_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    payment_window: int = Field(sa_column=Column(BigInteger, nullable=False))
    payment_deadline: int = Field(sa_column=Column(BigInteger, nullable=False))
    bidder_count: int = Field(sa_column=Column(BigInteger, nullable=False))
    extensions: int = Field(sa_column=Column(BigInteger, nullable=False))
    relisted_as: int = Field(sa_column=Column(BigInteger, nullable=False))
    closed_block: int = Field(sa_column=Column(BigInteger, nullable=False))
    forfeit_to: str = Field(max_length=42)
    ruling_digest: str | None = Field(default=None, max_length=66)
    documents: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: bidder code (as a string key) → address
    codes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AuctionBidder(SQLModel, table=True):
    __tablename__ = "auction_bidders"

    lot_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    address: str = Field(primary_key=True, max_length=42)
    code: int
    deposit_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    preemption: bool = False


class AuctionBid(SQLModel, table=True):
    __tablename__ = "auction_bids"
    __table_args__ = (Index("ix_auction_bids_lot_key", "lot_id", "key"),)

    key: str = Field(primary_key=True, max_length=27)
    lot_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    block_number: int = Field(sa_column=Column(BigInteger, nullable=False))
    code: int
    amount_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    ends_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    preemption: bool = False
    extended: bool = False


class AuctionPayee(SQLModel, table=True):
    __tablename__ = "auction_payees"

    address: str = Field(primary_key=True, max_length=42)
    owed_fen: int = Field(sa_column=Column(UINT256, nullable=False))


class AuctionTotals(SQLModel, table=True):
    __tablename__ = "auction_totals"

    id: int = Field(default=1, primary_key=True)
    deposits_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    paid_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    owed_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    appraisal_max_age: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_event: str = Field(max_length=27)
