"""Request and response models of the judicial-auction API. Amounts are integer fen, times block-time Unix
seconds; bidders appear as bidder codes, and only the lot's court sees the address behind a code."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from node_api.schemas import RequestModel

__all__ = [
    "AppraisalCreate",
    "BidCreate",
    "BidPublic",
    "BidsPublic",
    "ConfirmationCreate",
    "FixedPriceCreate",
    "ListingCreate",
    "LotApprove",
    "LotOrder",
    "LotPublic",
    "LotsPublic",
    "PayeeIn",
    "PreemptionCreate",
    "RelistCreate",
]

_ADDRESS = r"^0x[0-9a-fA-F]{40}$"
_HEX32 = r"^0x[0-9a-fA-F]{64}$"
#: amounts are uint96 on chain
_U96_LIMIT = 2**96
_DAY = 86_400
_DIGEST = "0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
_ASSET = Field(
    min_length=1,
    max_length=128,
    pattern=r"^[A-Za-z0-9][A-Za-z0-9:._/-]*$",
    description="the asset reference (its on-chain id is keccak256('asset:' + reference)); no personal data",
)


class AppraisalCreate(RequestModel):
    """A court's appraisal of an asset (the appraisal report stays off chain; its digest goes on chain)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"asset": "SH-0042", "value_fen": 100_000_000, "document_digest": _DIGEST}]}
    )

    asset: str = _ASSET
    value_fen: int = Field(gt=0, lt=_U96_LIMIT)
    document_digest: str = Field(pattern=_HEX32)


class _Terms(RequestModel):
    start_price_fen: int = Field(gt=0, lt=_U96_LIMIT, description="at least 70 % of the appraisal")
    deposit_fen: int = Field(gt=0, lt=_U96_LIMIT, description="5-20 % of the starting price")
    increment_fen: int = Field(gt=0, lt=_U96_LIMIT)
    announcement_seconds: int = Field(default=0, ge=0, le=365 * _DAY, description="from approval to bidding")
    bidding_window_seconds: int = Field(default=_DAY, ge=1, le=365 * _DAY, description="at least 24 hours")
    payment_window_seconds: int = Field(default=7 * _DAY, ge=1, le=365 * _DAY)


class ListingCreate(_Terms):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "asset": "SH-0042",
                    "documents": [_DIGEST],
                    "appraisal_feed": "valuation:residential",
                    "start_price_fen": 70_000_000,
                    "deposit_fen": 7_000_000,
                    "increment_fen": 500_000,
                    "announcement_seconds": 3600,
                    "bidding_window_seconds": 86_400,
                    "payment_window_seconds": 604_800,
                    "kyc_tier": 2,
                }
            ]
        }
    )

    asset: str = _ASSET
    documents: list[Annotated[str, Field(pattern=_HEX32)]] = Field(
        min_length=1, max_length=32, description="evidence roots already anchored (0x-hex, 32 bytes)"
    )
    appraisal_feed: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[a-z0-9][a-z0-9:._-]*$",
        description="the OracleHub feed valuing the asset (e.g. valuation:residential); omit to use the "
        "appraisal a court entered",
    )
    kyc_tier: int = Field(default=1, ge=0, le=255)


class RelistCreate(_Terms):
    """A failed or defaulted lot relisted within 30 days at a starting price at most 20 % lower."""


class LotApprove(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"forfeit_to": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"}]}
    )

    forfeit_to: str = Field(pattern=_ADDRESS, description="who receives a defaulting winner's deposit")


class LotOrder(RequestModel):
    """A court order about a lot (suspension, cancellation): only its digest goes on chain."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"order_digest": _DIGEST}]})

    order_digest: str = Field(pattern=_HEX32)


class PreemptionCreate(RequestModel):
    holder: str = Field(pattern=_ADDRESS)


class BidCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount_fen": 70_500_000}]})

    amount_fen: int = Field(gt=0, lt=_U96_LIMIT)


class PayeeIn(RequestModel):
    address: str = Field(pattern=_ADDRESS)
    amount_fen: int = Field(gt=0, lt=_U96_LIMIT)


class ConfirmationCreate(RequestModel):
    """The court's confirmation of a sale (成交裁定): the price allocated to payees."""

    payees: list[PayeeIn] = Field(min_length=1, max_length=64)
    ruling_digest: str = Field(pattern=_HEX32)
    transfer_digest: str = Field(pattern=_HEX32)


class FixedPriceCreate(RequestModel):
    price_fen: int = Field(gt=0, lt=_U96_LIMIT)
    period_seconds: int = Field(ge=1, le=365 * _DAY)


class BidPublic(BaseModel):
    key: str = Field(description="the event key (resume cursor)")
    block_number: int
    bidder_code: str
    amount_fen: int
    ends_at: int = Field(description="the lot's end after this bid")
    extended: bool = Field(description="this bid moved the end (a bid in the last 5 minutes)")
    preemption: bool = Field(description="a pre-emption holder matched the highest price")


class BidsPublic(BaseModel):
    data: list[BidPublic]
    count: int
    next_after: str | None = None


class LotPublic(BaseModel):
    lot_id: int
    status: str = Field(description="listed | approved | suspended | cancelled | awaiting_payment | paid | …")
    kind: str = Field(description="auction | fixed_price")
    phase: str = Field(description="for approved lots: announced | bidding | ended (by block time); else the status")
    asset_ref: str
    seller: str
    court: str | None
    origin: int
    round: int
    failures: int
    kyc_tier: int
    appraisal_fen: int
    start_price_fen: int
    deposit_fen: int
    increment_fen: int
    starts_at: int | None
    ends_at: int | None
    payment_deadline: int | None
    highest_bid_fen: int | None
    highest_bidder_code: str | None
    minimum_bid_fen: int
    bidder_count: int
    extensions: int
    relisted_as: int | None
    documents: list[str]
    chain_time: int = Field(description="the block time of the newest block the gateway has seen")
    my_bidder_code: str | None = Field(default=None, description="the caller's own bidder code on this lot")
    my_deposit_fen: int | None = Field(default=None, description="the caller's deposit still locked here")
    bidders: dict[str, str] | None = Field(
        default=None, description="bidder code → address; shown only to the lot's court"
    )


class LotsPublic(BaseModel):
    data: list[LotPublic]
    count: int
