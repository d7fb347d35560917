"""Request and response models of the disputes API (``/disputes``). Money is integer fen; documents are
``0x``-hex 32-byte digests (the documents stay off chain); an instalment's due time is ISO 8601 with a UTC offset
or Unix seconds, and answers give block-time Unix seconds."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from node_api.schemas import RequestModel

__all__ = [
    "AbandonCreate",
    "AgreementCreate",
    "AppealCreate",
    "DisputeCreate",
    "DisputePublic",
    "DisputeSummary",
    "DisputesPublic",
    "EnforcementPublic",
    "EvidenceCreate",
    "EvidencePublic",
    "FailureCreate",
    "InstalmentIn",
    "InstalmentPublic",
    "MediatorAssign",
    "MediatorRatingPublic",
    "MediatorRatingsPublic",
    "PayeeSet",
    "PaymentCreate",
    "RulingCreate",
]

_ADDRESS = r"^0x[0-9a-fA-F]{40}$"
_HEX32 = r"^0x[0-9a-fA-F]{64}$"
#: amounts are uint128 on chain
_U128 = 2**128
_U64 = 2**64
_DIGEST = "0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
_CASE = "0x4f1c2b3a5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708"
_MEDIATOR = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"
_DIGEST_FIELD = Field(pattern=_HEX32, description="a 32-byte digest, 0x-hex (the document stays off chain)")
_MAX_INSTALMENTS = 120

#: ``ruling`` values a court may give (ERC-792 style; which one is allowed depends on the dispute's status)
RulingName = Literal["refused", "confirmed", "for_claimant", "dismissed"]


class DisputeCreate(RequestModel):
    """A dispute opened on a case by its bank or the collector holding it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "case_id": _CASE,
                    "claim_amount_fen": 1_500_000,
                    "evidence_roots": [_DIGEST],
                    "collateral": ["SH-0042"],
                }
            ]
        }
    )

    case_id: str = Field(pattern=_HEX32, description="the CaseDelegation case (0x-hex, 32 bytes)")
    claim_amount_fen: int = Field(gt=0, lt=_U128, description="at most what is still overdue on the case")
    evidence_roots: list[Annotated[str, Field(pattern=_HEX32)]] = Field(
        default_factory=list, max_length=32, description="evidence roots already anchored (POST /evidence)"
    )
    collateral: list[Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9:._/-]*$")]] = (
        Field(
            default_factory=list,
            max_length=16,
            description="asset references pledged for the case, as the auctions name them (on chain "
            "keccak256('asset:' + reference)); they may be auctioned only once the case is enforceable",
        )
    )


class MediatorAssign(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"mediator": _MEDIATOR}]})

    mediator: str = Field(pattern=_ADDRESS, description="an active MEDIATOR who is no party to the case")


class EvidenceCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"root": _DIGEST}]})

    root: str = Field(pattern=_HEX32, description="an evidence root already anchored (POST /evidence)")


class InstalmentIn(RequestModel):
    """One instalment: an amount due by a time (ISO 8601 with a UTC offset, or Unix seconds)."""

    amount_fen: int = Field(gt=0, lt=_U128)
    due_at: Annotated[int, Field(ge=0, lt=_U64)] | Annotated[AwareDatetime, Field(strict=False)] = Field(
        description="the last moment it may be paid without being late: ISO 8601 with an offset, or Unix seconds"
    )

    @field_validator("due_at", mode="before")
    @classmethod
    def _moment(cls, value: Any) -> Any:
        """Unix seconds as a JSON integer, or an ISO 8601 string; never a boolean, a fraction or a numeric string."""
        if isinstance(value, bool):
            raise ValueError("a time is an ISO 8601 string with an offset or Unix seconds, not a boolean")
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError("Unix seconds are a whole number")
            value = int(value)
        if isinstance(value, int) and value < 0:
            raise ValueError("Unix seconds are not negative")
        if isinstance(value, str):
            try:
                dt.datetime.fromisoformat(value)
            except ValueError as exc:
                raise ValueError("not an ISO 8601 date and time") from exc
        return value

    @field_validator("due_at")
    @classmethod
    def _on_chain(cls, value: int | dt.datetime) -> int | dt.datetime:
        """A time the chain can hold (uint64 Unix seconds, not before 1970)."""
        if isinstance(value, dt.datetime) and not 0 <= value.timestamp() < _U64:
            raise ValueError("a due time is not before 1970-01-01T00:00:00Z")
        return value

    def unix(self) -> int:
        """The due time in Unix seconds."""
        moment = self.due_at
        return moment if isinstance(moment, int) else int(moment.timestamp())


class AgreementCreate(RequestModel):
    """The parties' agreement as the mediator records it: the schedule's total plus the relief is the claim."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "terms_digest": _DIGEST,
                    "commitment_digest": _DIGEST,
                    "plan_digest": _DIGEST,
                    "relief_fen": 100_000,
                    "grace_seconds": 604_800,
                    "schedule": [
                        {"amount_fen": 700_000, "due_at": "2027-01-31T18:00:00+08:00"},
                        {"amount_fen": 700_000, "due_at": 1_806_483_600},
                    ],
                }
            ]
        }
    )

    terms_digest: str = Field(pattern=_HEX32, description="the signed mediation agreement (调解协议)")
    commitment_digest: str = Field(pattern=_HEX32, description="the debtor's credit commitment (信用承诺书)")
    plan_digest: str = Field(pattern=_HEX32, description="the restructuring plan card the agreement follows")
    relief_fen: int = Field(default=0, ge=0, lt=_U128, description="interest relief and principal haircut granted")
    grace_seconds: int = Field(default=0, ge=0, lt=_U64, description="how late an instalment may be (at most 90 days)")
    schedule: list[InstalmentIn] = Field(
        min_length=1, max_length=_MAX_INSTALMENTS, description="due times strictly increasing, all in the future"
    )


class FailureCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason_digest": _DIGEST}]})

    reason_digest: str = _DIGEST_FIELD


class RulingCreate(RequestModel):
    """A court's ruling: on an agreement ``confirmed`` (司法确认) or ``refused``; on a failed mediation
    ``for_claimant``, ``dismissed`` or ``refused``. On an appealed dispute a different court's ruling is final."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"ruling": "confirmed", "document_digest": _DIGEST}]})

    ruling: RulingName
    document_digest: str = _DIGEST_FIELD


class AppealCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason_digest": _DIGEST}]})

    reason_digest: str = _DIGEST_FIELD


class AbandonCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason_digest": _DIGEST}]})

    reason_digest: str = _DIGEST_FIELD


class PaymentCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount_fen": 700_000}]})

    amount_fen: int = Field(gt=0, lt=_U128, description="at most what is outstanding on the agreement")


class PayeeSet(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"payee": _MEDIATOR}]})

    payee: str = Field(pattern=_ADDRESS, description="who is owed the instalments (e.g. an AssetFractions token)")


class InstalmentPublic(BaseModel):
    index: int
    amount_fen: int
    due_at: int = Field(description="block-time Unix seconds")
    paid_fen: int = Field(description="how much of this instalment the payments so far cover (oldest first)")
    status: str = Field(description="paid | partly_paid | overdue | upcoming (at chain_time)")


class EvidencePublic(BaseModel):
    party: str
    root: str


class DisputeSummary(BaseModel):
    dispute_id: int
    case_id: str
    status: str = Field(description="open | mediating | agreed | failed | ruled | appealed | final | performing | …")
    ruling: str = Field(description="none | refused | confirmed | for_claimant | dismissed")
    bank: str
    opener: str
    mediator: str | None
    claim_amount_fen: int
    total_fen: int
    paid_fen: int
    opened_at: int
    agreed_at: int | None


class DisputesPublic(BaseModel):
    data: list[DisputeSummary]
    count: int


class DisputePublic(DisputeSummary):
    collector: str | None
    mediator_assigned_by_bank: bool
    court: str | None
    appeal_court: str | None
    payee: str
    relief_fen: int
    outstanding_fen: int = Field(description="schedule total − paid")
    grace_seconds: int
    appeal_deadline: int | None
    defaulted_index: int | None
    terms_digest: str | None
    commitment_digest: str | None
    plan_digest: str | None
    failure_digest: str | None
    ruling_digest: str | None
    appeal_digest: str | None
    schedule: list[InstalmentPublic]
    evidence: list[EvidencePublic]
    collateral: list[str] = Field(description="asset ids (keccak256('asset:' + reference)) registered at opening")
    enforceable: bool = Field(description="a dispute made the case enforceable (from the index)")
    chain_time: int = Field(description="the block time of the newest block the gateway has seen")
    due_now_fen: int = Field(description="instalments due by chain_time not yet covered by payments")
    next_instalment: InstalmentPublic | None = Field(description="the first instalment not paid in full")
    days_overdue: int = Field(description="whole days since the oldest instalment not paid in full fell due")
    in_default: bool = Field(description="an instalment is unpaid beyond the grace period: it may be marked defaulted")


class EnforcementPublic(BaseModel):
    case_id: str
    enforceable: bool = Field(description="read from the chain now: what the JudicialAuction checks at listing")
    dispute_id: int = Field(description="the case's latest dispute (the one that made it enforceable, if it is)")
    dispute_status: str
    ruling: str
    collateral: list[str] = Field(description="asset ids registered as the case's collateral (from the index)")


class MediatorRatingPublic(BaseModel):
    mediator: str
    disputes_taken: int
    agreements: int
    failures: int
    settlement_rate: float | None = Field(description="agreements ÷ (agreements + failures); null before either")
    median_days_to_agreement: float | None = Field(description="median of (agreed at − opened at) in days")
    honoured: int
    defaulted: int
    honoured_rate: float | None = Field(description="honoured ÷ (honoured + defaulted) confirmed agreements")
    open_caseload: int = Field(description="disputes it is mediating now")


class MediatorRatingsPublic(BaseModel):
    """Mediators best first: settlement rate (highest first), then median days to agreement (fewest first),
    then address; a rate or median not known yet sorts last."""

    data: list[MediatorRatingPublic]
    count: int
