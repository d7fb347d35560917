"""Tables of case delegation (the gateway's side of CaseDelegation): published batches, their cases, claim
reservations and the case index rebuilt from CaseDelegation events.

* ``CaseBatch``      — one published batch: its random salt (case ids derive from it), Merkle root, case
  count, closing time, fee budget, the approve/publish operations and, once mined, the on-chain batch id.
  The tree itself is not stored: it is rebuilt (and cached) from the batch's cases, whose order is kept.
* ``CaseEntry``      — one case's published terms (no personal data: the debtor is the salted commitment;
  the debtor's data is in the PII vault under the same case id) plus its indexed on-chain state.
* ``CaseClaim``      — the gateway's claim reservation: at most one live claim operation per case, so
  concurrent claims through this gateway get an immediate 409 instead of a doomed transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from node_api.db.models import UINT256, utcnow

__all__ = ["CaseBatch", "CaseClaim", "CaseEntry"]


class CaseBatch(SQLModel, table=True):
    __tablename__ = "case_batches"

    #: gateway id (uuid4)
    id: str = Field(primary_key=True, max_length=36)
    institution: str = Field(max_length=64, index=True)
    bank: str = Field(max_length=42)
    #: 0x-hex 32 random bytes; case id = keccak256(abi.encode(bank, keccak256(case_ref), salt))
    salt: str = Field(max_length=66)
    root: str = Field(max_length=66, unique=True)
    case_count: int
    closes_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    fee_budget_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    meta_digest: str = Field(max_length=66)
    source_format: str = Field(max_length=8)
    approve_operation_id: str = Field(max_length=36)
    publish_operation_id: str = Field(max_length=36)
    #: the on-chain batch id, once the publication is mined
    chain_batch_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow)


class CaseEntry(SQLModel, table=True):
    __tablename__ = "case_entries"
    __table_args__ = (
        UniqueConstraint("batch_id", "position", name="uq_case_entries_position"),
        Index("ix_case_entries_status_region", "status", "region"),
    )

    #: 0x-hex bytes32 case id (as on chain)
    case_id: str = Field(primary_key=True, max_length=66)
    batch_id: str = Field(max_length=36, index=True, foreign_key="case_batches.id")
    #: position in the batch (the order the tree was built in)
    position: int
    #: the bank's own reference (shown only to the publishing institution)
    case_ref: str = Field(max_length=64)
    debtor_commitment: str = Field(max_length=66)
    principal_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    overdue_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    overdue_days: int
    region: int
    fee_bps: int
    deadline: int = Field(sa_column=Column(BigInteger, nullable=False))
    # --- indexed on-chain state (from CaseDelegation events) ---
    status: str = Field(default="open", max_length=24)
    collector: str | None = Field(default=None, max_length=42, index=True)
    recovered_fen: int = Field(default=0, sa_column=Column(UINT256, nullable=False, default=0))
    fees_fen: int = Field(default=0, sa_column=Column(UINT256, nullable=False, default=0))
    last_event: str | None = Field(default=None, max_length=27)


class CaseClaim(SQLModel, table=True):
    __tablename__ = "case_claims"

    case_id: str = Field(primary_key=True, max_length=66)
    institution: str = Field(max_length=64)
    collector: str = Field(max_length=42)
    operation_id: str = Field(max_length=36)
    created_at: dt.datetime = Field(default_factory=utcnow)
