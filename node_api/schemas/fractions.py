"""Request and response models of the asset-fractions API (``/fractions``). Money is integer fen, shares are
whole (0 decimals); times are ISO 8601 with a UTC offset (answers also give Unix seconds where useful)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from node_api.schemas import RequestModel

__all__ = [
    "AccountPublic",
    "AccountsPublic",
    "AssetCreate",
    "AssetPublic",
    "AssetSummary",
    "AssetsPublic",
    "CollectionCreate",
    "ForcedTransferCreate",
    "FreezeCreate",
    "ShareOfferCreate",
    "OfferPublic",
    "OffersPublic",
    "OfferingPublic",
    "PauseCreate",
    "PurchaseCreate",
    "RecoveriesPublic",
    "RecoveryPaymentCreate",
    "ShareClaimCreate",
    "SubscriptionCreate",
    "TermsPublic",
    "TransferCheckPublic",
    "ShareTransferCreate",
    "UnfreezeCreate",
    "AssetValuationPublic",
]

_ADDRESS = r"^0x[0-9a-fA-F]{40}$"
_HEX32 = r"^0x[0-9a-fA-F]{64}$"
_U96 = 2**96
_U32 = 2**32
_DIGEST = "0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
_HOLDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
_OTHER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
_SHARES = Field(gt=0, lt=_U96, description="whole shares")


class AssetCreate(RequestModel):
    """An asset tokenised by a BANK: its terms are checked by the chain before anything is sent."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "asset_ref": "SH-TOWER-01",
                    "valuation_feed": "valuation:commercial",
                    "documents_root": _DIGEST,
                    "name": "SH Tower 01",
                    "symbol": "SHT1",
                    "kyc_tier": 2,
                    "regions": [310000],
                    "lock_up_until": "2027-01-01T00:00:00+08:00",
                    "max_holders": 200,
                    "max_per_holder": 0,
                    "price_fen": 10_000,
                    "min_subscription": 10,
                    "soft_cap": 1_000,
                    "hard_cap": 10_000,
                    "deadline": "2027-01-31T18:00:00+08:00",
                }
            ]
        }
    )

    asset_ref: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9:._/-]*$",
        description="the asset reference (its on-chain id is keccak256('asset:' + reference), the OracleHub "
        "subject); no personal data",
    )
    valuation_feed: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[a-z0-9][a-z0-9:._-]*$",
        description="the OracleHub feed valuing the asset, as named in /oracles (e.g. valuation:commercial)",
    )
    documents_root: str = Field(pattern=_HEX32, description="an evidence root anchored with POST /evidence")
    name: str = Field(min_length=1, max_length=64, description="the token name (no personal data)")
    symbol: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9._-]+$")
    kyc_tier: int = Field(default=0, ge=0, le=255, description="the lowest KYC tier a holder may have")
    regions: list[Annotated[int, Field(gt=0, lt=_U32)]] = Field(
        default_factory=list, max_length=8, description="allowed region codes (310000: all of a province); [] = any"
    )
    lock_up_until: AwareDatetime | None = Field(
        default=None, strict=False, description="no ordinary transfer before this time (omit: none)"
    )
    max_holders: int = Field(default=0, ge=0, lt=_U32, description="0 = no limit")
    max_per_holder: int = Field(default=0, ge=0, lt=_U96, description="0 = no limit")
    price_fen: int = Field(gt=0, lt=_U96, description="offering price per share")
    min_subscription: int = Field(gt=0, lt=_U96, description="fewest shares per subscription")
    soft_cap: int = Field(gt=0, lt=_U96, description="shares needed by the deadline for the offering to succeed")
    hard_cap: int = Field(gt=0, lt=_U96, description="the most shares sold (the total supply)")
    deadline: AwareDatetime = Field(strict=False, description="the end of the subscription period")


class SubscriptionCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"shares": 120}]})

    shares: int = _SHARES


class ShareClaimCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"subscriber": _HOLDER}, {}]})

    subscriber: str | None = Field(default=None, pattern=_ADDRESS, description="default: the caller")


class ShareTransferCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"to": _OTHER, "shares": 5}]})

    to: str = Field(pattern=_ADDRESS)
    shares: int = _SHARES


class ShareOfferCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"shares": 20, "price_fen": 15_000}]})

    shares: int = _SHARES
    price_fen: int = Field(gt=0, lt=_U96, description="price per share")


class PurchaseCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"shares": 15}]})

    shares: int = _SHARES


class RecoveryPaymentCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount_fen": 100_001, "source_ref": "case:SH-0042"}]})

    amount_fen: int = Field(gt=0, lt=2**255)
    source_ref: str = Field(
        min_length=1,
        max_length=200,
        description="what it recovers from ('case:…', 'lot:12', free text): hashed with keccak256 on chain "
        "(a 0x + 64 hex digest is taken as it is)",
    )


class CollectionCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"source": _OTHER}]})

    source: str = Field(pattern=_ADDRESS, description="the system contract that owes the asset (e.g. JudicialAuction)")


class FreezeCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"account": _HOLDER, "order_digest": _DIGEST},
                {"account": _HOLDER, "shares": 10, "order_digest": _DIGEST},
            ]
        }
    )

    account: str = Field(pattern=_ADDRESS)
    shares: int | None = Field(
        default=None, ge=0, lt=_U96, description="omit: freeze the whole account; else the shares frozen (0 lifts)"
    )
    order_digest: str = Field(pattern=_HEX32)


class UnfreezeCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"account": _HOLDER, "order_digest": _DIGEST}]})

    account: str = Field(pattern=_ADDRESS)
    order_digest: str = Field(pattern=_HEX32)


class ForcedTransferCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"from": _HOLDER, "to": _OTHER, "shares": 10, "order_digest": _DIGEST}]},
        populate_by_name=True,
    )

    from_: str = Field(alias="from", pattern=_ADDRESS)
    to: str = Field(pattern=_ADDRESS)
    shares: int = _SHARES
    order_digest: str = Field(pattern=_HEX32)


class PauseCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason_digest": _DIGEST}]})

    reason_digest: str = Field(pattern=_HEX32)


# --- answers ---


class TermsPublic(BaseModel):
    valuation_feed: str = Field(description="the feed id (0x-hex; zero: none)")
    documents_root: str
    kyc_tier: int
    regions: list[int]
    lock_up_until: dt.datetime | None
    lock_up_until_unix: int
    max_holders: int
    max_per_holder: int
    price_fen: int
    min_subscription: int
    soft_cap: int
    hard_cap: int
    deadline: dt.datetime
    deadline_unix: int


class OfferingPublic(BaseModel):
    status: str = Field(description="open | succeeded | failed")
    sold: int
    subscribers: int
    deadline: dt.datetime
    deadline_unix: int


class RecoveriesPublic(BaseModel):
    total_paid_in_fen: int
    total_claimed_fen: int


class AssetValuationPublic(BaseModel):
    value_fen: int
    low_fen: int
    high_fen: int
    reported_at: dt.datetime
    reported_at_unix: int
    feed: str = Field(description="the feed's name when this gateway issued the asset, else its id")
    stale: bool = Field(description="older than max_age seconds (query parameter) in block time")


class AssetSummary(BaseModel):
    address: str
    name: str
    symbol: str
    issuer: str
    asset_ref: str
    index: int
    status: str
    sold: int
    total_supply: int
    holder_count: int
    paused: bool


class AssetsPublic(BaseModel):
    data: list[AssetSummary]
    count: int
    next_cursor: str | None = None


class AssetPublic(BaseModel):
    address: str
    name: str
    symbol: str
    issuer: str
    asset_ref: str
    terms: TermsPublic
    offering: OfferingPublic
    total_supply: int
    holder_count: int
    paused: bool
    offer_count: int
    subscription_escrow_fen: int
    proceeds_owed_fen: int
    recoveries: RecoveriesPublic
    valuation: AssetValuationPublic | None
    nav_per_share_fen: int | None = Field(description="valuation ÷ shares sold (floor), when both exist")
    recovery_yield_bps: int | None = Field(description="total paid in × 10,000 ÷ (price × sold), once shares sold")


class AccountPublic(BaseModel):
    address: str
    balance: int
    frozen_whole: bool
    frozen_shares: int
    subscription: int
    claimable_fen: int
    claimed_fen: int


class AccountsPublic(BaseModel):
    data: list[AccountPublic]
    count: int


class OfferPublic(BaseModel):
    offer_id: int
    seller: str
    shares: int = Field(description="shares still offered")
    price_fen: int
    status: str = Field(description="open | filled | cancelled")


class OffersPublic(BaseModel):
    data: list[OfferPublic]
    count: int


class TransferCheckPublic(BaseModel):
    allowed: bool
    reason: str = Field(description="none, or the first rule broken (lower-case Refusal name, e.g. to_kyc_tier)")
    reason_code: int
