"""Request and response models of the case-delegation API (no personal data in any of them)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from node_api.schemas import OperationPublic

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
_U128 = 2**128 - 1


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


class OfferCreate(BaseModel):
    collector: str = Field(pattern=_ADDRESS)
    window_seconds: int = Field(default=86_400, ge=60, le=30 * 86_400)


class ActionCreate(BaseModel):
    action_code: int = Field(ge=0, le=255, description="1 call, 2 letter, 3 visit, 4 agreement, 5 other")
    evidence_digest: str = Field(pattern=_HEX32, description="sha256 of the evidence document")
    evidence_root: str | None = Field(
        default=None, pattern=_HEX32, description="an anchored evidence root holding it (default: anchor it alone)"
    )
    evidence_proof: list[str] = Field(default_factory=list, max_length=64)


class RecoveryCreate(BaseModel):
    amount_fen: int = Field(gt=0, le=_U128)
    evidence_digest: str = Field(pattern=_HEX32)
    evidence_root: str | None = Field(default=None, pattern=_HEX32)
    evidence_proof: list[str] = Field(default_factory=list, max_length=64)


class RecoveryConfirm(BaseModel):
    close_case: bool = Field(default=False, description="close a partly recovered case as recovered_partly")


class RecoveryReject(BaseModel):
    reason_code: int = Field(ge=0, le=255, description="1 not received, 2 amount mismatch, 3 evidence insufficient")


class BudgetTopUp(BaseModel):
    amount_fen: int = Field(gt=0, le=_U128)


class FeesPublic(BaseModel):
    collector: str
    owed_fen: int
    block_number: int
