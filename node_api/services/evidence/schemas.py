"""Request and response bodies of the evidence API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "DIGEST_PATTERN",
    "DigestItem",
    "DigestSubmission",
    "EvidenceAccepted",
    "EvidencePublic",
    "InstitutionRef",
    "Verification",
    "VerificationBatch",
    "VerifyRequest",
]

DIGEST_PATTERN = r"^0x[0-9a-fA-F]{64}$"
ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"


class DigestItem(BaseModel):
    digest: str = Field(pattern=DIGEST_PATTERN, description="SHA-256 of the document, 0x + 64 hex")
    case_ref: str | None = Field(default=None, max_length=200)
    parties: list[str] = Field(default_factory=list, max_length=50)


class DigestSubmission(BaseModel):
    """Digests of documents the submitter keeps itself (nothing is uploaded); at most 1,000 per call."""

    items: list[DigestItem] = Field(min_length=1)


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


class VerifyRequest(BaseModel):
    """One ``digest`` or up to 1,000 ``digests``; name ``evidence_id`` or ``case_ref`` to detect a mismatch."""

    digest: str | None = Field(default=None, pattern=DIGEST_PATTERN)
    digests: list[str] | None = None
    evidence_id: str | None = Field(default=None, max_length=40)
    case_ref: str | None = Field(default=None, max_length=200)


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
