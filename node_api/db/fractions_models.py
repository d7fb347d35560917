"""Tables of the asset-fractions index (migration ``0011_fractions``), kept by the ``FractionsFactory`` and
``AssetFractions`` projections from the contracts' events (``chain.reducers.asset_fractions``); nothing here is
written by a request, so a gateway's index can always be rebuilt from the chain. Every per-token row is keyed
by the token's address (the indexer hands projections the emitting contract's address with each event).

* ``FractionIssue``    — one ``FractionsIssued``: the token, its issuer, asset reference and factory index.
* ``FractionAsset``    — one token's state: terms, offering, supply, recoveries per share, pause, and the key
  of the last event applied (so applying the same events twice changes nothing).
* ``FractionAccount``  — one account in one token: shares, subscription, recoveries claimed and its
  correction (signed), freezes.
* ``FractionOffer``    — one secondary-market offer of one token.
* ``FractionRecovery`` — one ``RecoveryPaid`` in key order.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel

from node_api.db.models import UINT256

__all__ = ["FractionAccount", "FractionAsset", "FractionIssue", "FractionOffer", "FractionRecovery"]


class FractionIssue(SQLModel, table=True):
    __tablename__ = "fraction_issues"

    address: str = Field(primary_key=True, max_length=42)
    issuer: str = Field(max_length=42, index=True)
    asset_ref: str = Field(max_length=66, index=True)
    index: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    block_number: int = Field(sa_column=Column(BigInteger, nullable=False))
    key: str = Field(max_length=27)


class FractionAsset(SQLModel, table=True):
    __tablename__ = "fraction_assets"

    address: str = Field(primary_key=True, max_length=42)
    issuer: str = Field(max_length=42, index=True)
    asset_ref: str = Field(max_length=66)
    valuation_feed: str = Field(max_length=66)
    documents_root: str = Field(max_length=66)
    kyc_tier: int
    regions: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    lock_up_until: int = Field(sa_column=Column(BigInteger, nullable=False))
    max_holders: int = Field(sa_column=Column(BigInteger, nullable=False))
    max_per_holder: int = Field(sa_column=Column(UINT256, nullable=False))
    price_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    min_subscription: int = Field(sa_column=Column(UINT256, nullable=False))
    soft_cap: int = Field(sa_column=Column(UINT256, nullable=False))
    hard_cap: int = Field(sa_column=Column(UINT256, nullable=False))
    deadline: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(max_length=12)
    sold: int = Field(sa_column=Column(UINT256, nullable=False))
    subscribers: int = Field(sa_column=Column(BigInteger, nullable=False))
    subscription_escrow_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    proceeds_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    proceeds_owed_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    total_supply: int = Field(sa_column=Column(UINT256, nullable=False))
    holder_count: int = Field(sa_column=Column(BigInteger, nullable=False))
    offer_count: int = Field(sa_column=Column(BigInteger, nullable=False))
    per_share: int = Field(sa_column=Column(UINT256, nullable=False))
    per_share_carry: int = Field(sa_column=Column(UINT256, nullable=False))
    total_paid_in_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    total_claimed_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    paused: bool = False
    last_event: str = Field(max_length=27)


class FractionAccount(SQLModel, table=True):
    __tablename__ = "fraction_accounts"

    asset: str = Field(primary_key=True, max_length=42)
    address: str = Field(primary_key=True, max_length=42)
    balance: int = Field(sa_column=Column(UINT256, nullable=False))
    subscription: int = Field(sa_column=Column(UINT256, nullable=False))
    subscriber: bool = False
    paid_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    refunded_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    claimed_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    #: magnified entitlement correction: a signed integer (stored exactly, like the amounts)
    correction: int = Field(sa_column=Column(UINT256, nullable=False))
    frozen: bool = False
    frozen_shares: int = Field(sa_column=Column(UINT256, nullable=False))
    updated_key: str = Field(max_length=27)


class FractionOffer(SQLModel, table=True):
    __tablename__ = "fraction_offers"

    asset: str = Field(primary_key=True, max_length=42)
    offer_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    seller: str = Field(max_length=42)
    price_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    offered: int = Field(sa_column=Column(UINT256, nullable=False))
    shares: int = Field(sa_column=Column(UINT256, nullable=False))
    status: str = Field(max_length=12)
    paid_fen: int = Field(sa_column=Column(UINT256, nullable=False))


class FractionRecovery(SQLModel, table=True):
    __tablename__ = "fraction_recoveries"

    key: str = Field(primary_key=True, max_length=27)
    asset: str = Field(max_length=42, index=True)
    block_number: int = Field(sa_column=Column(BigInteger, nullable=False))
    payer: str = Field(max_length=42)
    source_ref: str = Field(max_length=66)
    amount_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    total_paid_in_fen: int = Field(sa_column=Column(UINT256, nullable=False))
