"""Request and response models of the case-delegation API (no personal data in any of them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from node_api.schemas import OperationPublic, RequestModel

__all__ = [
    "ActionCreate",
    "BatchPublic",
    "BatchPublished",
    "BatchesPublic",
    "BudgetTopUp",
    "CasePublic",
    "CasesPublic",
    "ClaimPublic",
    "FeesPublic",
    "OfferCreate",
    "RecoveryConfirm",
    "RecoveryCreate",
    "RecoveryReject",
]

_ADDRESS = r"^0x[0-9a-fA-F]{40}$"
_HEX32 = r"^0x[0-9a-fA-F]{64}$"
#: amounts are uint128 on chain: below 2**128 (an exclusive power of two: exact in the OpenAPI document)
_U128_LIMIT = 2**128
_DIGEST = "0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


class CasePublic(BaseModel):
    """A case as collectors see it: published terms and indexed state, never the debtor's data."""

    case_id: str
    batch_id: str
    chain_batch_id: int | None = None
    case_ref: str | None = Field(default=None, description="the bank's reference; shown to the bank only")
    debtor_commitment: str
    principal_fen: int
    overdue_fen: int
    overdue_days: int
    region: int
    fee_bps: int
    deadline: int
    status: str = Field(description="open | offered | claimed | recovery_reported | recovered_full | …")
    collector: str | None = None
    recovered_fen: int = 0
    fees_fen: int = 0
    source: str = Field(default="index", description="index (from chain events) or chain (read now)")
    proof: list[str] | None = Field(default=None, description="Merkle proof of the terms (single-case reads)")


class CasesPublic(BaseModel):
    data: list[CasePublic]
    count: int


class BatchPublic(BaseModel):
    id: str
    institution: str
    bank: str
    root: str
    case_count: int
    closes_at: int
    fee_budget_fen: int
    chain_batch_id: int | None = None
    publish_status: str
    remaining_budget_fen: int | None = Field(default=None, description="read from the chain now")
    open_cases: int | None = None
    settled: bool | None = None
    by_status: dict[str, int] = Field(default_factory=dict)


class BatchesPublic(BaseModel):
    data: list[BatchPublic]
    count: int


class BatchPublished(BaseModel):
    batch: BatchPublic
    operations: list[OperationPublic]


class ClaimPublic(BaseModel):
    case_id: str
    operation: OperationPublic


class OfferCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"collector": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "window_seconds": 86_400}]
        }
    )

    collector: str = Field(pattern=_ADDRESS)
    window_seconds: int = Field(default=86_400, ge=60, le=30 * 86_400)


class ActionCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"action_code": 1, "evidence_digest": _DIGEST}]})

    action_code: int = Field(ge=0, le=255, description="1 call, 2 letter, 3 visit, 4 agreement, 5 other")
    evidence_digest: str = Field(pattern=_HEX32, description="sha256 of the evidence document")
    evidence_root: str | None = Field(
        default=None, pattern=_HEX32, description="an anchored evidence root holding it (default: anchor it alone)"
    )
    evidence_proof: list[str] = Field(default_factory=list, max_length=64)


class RecoveryCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount_fen": 1_250_000, "evidence_digest": _DIGEST}]})

    amount_fen: int = Field(gt=0, lt=_U128_LIMIT, description="recovered amount in fen")
    evidence_digest: str = Field(pattern=_HEX32)
    evidence_root: str | None = Field(default=None, pattern=_HEX32)
    evidence_proof: list[str] = Field(default_factory=list, max_length=64)


class RecoveryConfirm(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"close_case": False}]})

    close_case: bool = Field(default=False, description="close a partly recovered case as recovered_partly")


class RecoveryReject(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason_code": 2}]})

    reason_code: int = Field(ge=0, le=255, description="1 not received, 2 amount mismatch, 3 evidence insufficient")


class BudgetTopUp(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount_fen": 500_000}]})

    amount_fen: int = Field(gt=0, lt=_U128_LIMIT, description="fen added to the batch's fee budget")


class FeesPublic(BaseModel):
    collector: str
    owed_fen: int
    block_number: int
