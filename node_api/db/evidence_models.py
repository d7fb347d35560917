"""SQL tables of the evidence service (content store index, anchoring batches, receipts).

* ``EvidenceItem``  — one submitted document (or bare digest): SHA-256, size, CID, who submitted it, case
  reference and parties; persisted before the ``202``. ``batch_id``/``proof`` are set when its batch closes.
* ``EvidenceBatch`` — one Merkle tree (OpenZeppelin ``StandardMerkleTree`` dump) anchored by one operation.
  A batch, its members' ``batch_id`` and proofs, and its anchor operation are committed in one database
  transaction, so a restart after a crash re-uses them (the operation's idempotency key is the batch id).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from node_api.db.models import utcnow

__all__ = ["EvidenceBatch", "EvidenceItem"]


class EvidenceItem(SQLModel, table=True):
    __tablename__ = "evidence_items"
    __table_args__ = (
        UniqueConstraint("institution", "idempotency_key", name="uq_evidence_idempotency"),
        Index("ix_evidence_items_queue", "status", "institution", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=40)
    institution: str = Field(max_length=64)
    submitter: str = Field(max_length=42)
    #: ``<Idempotency-Key>#<position in the request>``
    idempotency_key: str = Field(max_length=220)
    #: SHA-256 of the bytes, ``0x`` + 64 hex
    digest: str = Field(max_length=66, index=True)
    size: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    #: ``local`` | ``ipfs`` | ``none`` (a bare digest: the submitter keeps the document)
    store: str = Field(default="none", max_length=16)
    cid: str | None = Field(default=None, max_length=128)
    filename: str | None = Field(default=None, max_length=255)
    media_type: str | None = Field(default=None, max_length=127)
    case_ref: str | None = Field(default=None, max_length=200, index=True)
    #: member addresses that are parties to the case (may download the document)
    parties: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: pending | batched | anchored | failed
    status: str = Field(default="pending", max_length=16)
    batch_id: str | None = Field(default=None, max_length=40, index=True)
    proof: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow)


class EvidenceBatch(SQLModel, table=True):
    __tablename__ = "evidence_batches"

    id: str = Field(primary_key=True, max_length=40)
    institution: str = Field(max_length=64, index=True)
    submitter: str = Field(max_length=42)
    root: str = Field(max_length=66, index=True)
    leaf_count: int
    meta_digest: str = Field(max_length=66)
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    #: ``StandardMerkleTree.dump()`` (OpenZeppelin's ``standard-v1`` JSON)
    tree: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    operation_id: str | None = Field(default=None, max_length=36, index=True)
    #: sent | anchored | failed
    status: str = Field(default="sent", max_length=16, index=True)
    tx_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    block_time: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    member_name_digest: str | None = Field(default=None, max_length=66)
    error: str | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)
    anchored_at: dt.datetime | None = None
