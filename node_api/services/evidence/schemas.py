"""Request and response bodies of the evidence API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel

__all__ = [
    "DIGEST_PATTERN",
    "EvidenceAccepted",
    "EvidencePublic",
    "InstitutionRef",
    "Verification",
    "VerificationBatch",
]

DIGEST_PATTERN = r"^0x[0-9a-fA-F]{64}$"
ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"


class EvidencePublic(BaseModel):
    id: str
    digest: str
    size: int | None
    store: str
    cid: str | None
    status: str
    case_ref: str | None
    filename: str | None
    media_type: str | None
    institution: str
    submitter: str
    parties: list[str]
    batch_id: str | None
    created_at: dt.datetime
    receipt: dict[str, Any] | None = None


class EvidenceAccepted(BaseModel):
    evidence: list[EvidencePublic]
    count: int


class InstitutionRef(BaseModel):
    address: str
    name: str | None
    name_digest: str | None


class Verification(BaseModel):
    result: Literal["verified", "not_anchored", "mismatch"]
    digest: str
    detail: str
    evidence_id: str | None = None
    case_ref: str | None = None
    root: str | None = None
    proof: list[str] | None = None
    leaf_encoding: list[str] | None = None
    contract_address: str | None = None
    chain_id: int | None = None
    tx_hash: str | None = None
    block_number: int | None = None
    block_time: int | None = None
    block_time_iso: str | None = None
    institution: InstitutionRef | None = None
    #: the digest of the evidence the caller named (on ``mismatch``)
    expected_digest: str | None = None
    #: accepted but its batch is not anchored yet
    pending: bool = False


class VerificationBatch(BaseModel):
    results: list[Verification]
    count: int
