"""Tables of the disputes index (migration ``0012_disputes``), kept by the ``DisputeDesk`` projection from the
contract's events (``chain.reducers.dispute_desk``); nothing here is written by a request, so a gateway's index
can always be rebuilt from the chain.

* ``DisputeRow``        — one dispute: status, ruling, parties, mediator, courts, amounts (claim, schedule total,
  paid, relief), the agreement's terms and times, and the digests of its documents.
* ``DisputeInstalment`` — one instalment of an agreement's schedule (set once, when the agreement is recorded).
* ``DisputeEvidence``   — one evidence root added to a dispute, in event order.
* ``DisputeCollateral`` — an asset registered as a case's collateral (it may be auctioned once enforceable).
* ``DisputeCase``       — a case's latest dispute and whether a dispute made it enforceable.
* ``DisputePayee``      — what each payee may withdraw (instalments paid to it).
* ``DisputeTotals``     — one row: what is owed in all, the governed settings and the key of the last event
  applied.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from node_api.db.models import UINT256

__all__ = [
    "DisputeCase",
    "DisputeCollateral",
    "DisputeEvidence",
    "DisputeInstalment",
    "DisputePayee",
    "DisputeRow",
    "DisputeTotals",
]


class DisputeRow(SQLModel, table=True):
    __tablename__ = "disputes"

    dispute_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    case_id: str = Field(max_length=66, index=True)
    status: str = Field(max_length=12, index=True)
    ruling: str = Field(max_length=12)
    opener: str = Field(max_length=42)
    bank: str = Field(max_length=42, index=True)
    collector: str = Field(max_length=42)
    mediator: str = Field(max_length=42, index=True)
    mediator_by_bank: bool = False
    court: str = Field(max_length=42)
    appeal_court: str = Field(max_length=42)
    payee: str = Field(max_length=42)
    claim_amount_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    total_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    paid_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    relief_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    grace: int = Field(sa_column=Column(BigInteger, nullable=False))
    opened_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    opened_block: int = Field(sa_column=Column(BigInteger, nullable=False))
    agreed_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    appeal_deadline: int = Field(sa_column=Column(BigInteger, nullable=False))
    #: index of the instalment whose default was marked (``None`` unless defaulted)
    defaulted_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    terms_digest: str | None = Field(default=None, max_length=66)
    commitment_digest: str | None = Field(default=None, max_length=66)
    plan_digest: str | None = Field(default=None, max_length=66)
    failure_digest: str | None = Field(default=None, max_length=66)
    ruling_digest: str | None = Field(default=None, max_length=66)
    appeal_digest: str | None = Field(default=None, max_length=66)
    last_event: str | None = Field(default=None, max_length=27)


class DisputeInstalment(SQLModel, table=True):
    __tablename__ = "dispute_instalments"

    dispute_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    amount_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    due_at: int = Field(sa_column=Column(BigInteger, nullable=False))


class DisputeEvidence(SQLModel, table=True):
    __tablename__ = "dispute_evidence"

    dispute_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    position: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    party: str = Field(max_length=42)
    root: str = Field(max_length=66)


class DisputeCollateral(SQLModel, table=True):
    __tablename__ = "dispute_collateral"

    asset_ref: str = Field(primary_key=True, max_length=66)
    case_id: str = Field(max_length=66, index=True)
    dispute_id: int = Field(sa_column=Column(BigInteger, nullable=False))


class DisputeCase(SQLModel, table=True):
    __tablename__ = "dispute_cases"

    case_id: str = Field(primary_key=True, max_length=66)
    dispute_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    enforceable: bool = False


class DisputePayee(SQLModel, table=True):
    __tablename__ = "dispute_payees"

    address: str = Field(primary_key=True, max_length=42)
    owed_fen: int = Field(sa_column=Column(UINT256, nullable=False))


class DisputeTotals(SQLModel, table=True):
    __tablename__ = "dispute_totals"

    id: int = Field(default=1, primary_key=True)
    owed_fen: int = Field(sa_column=Column(UINT256, nullable=False))
    appeal_window: int = Field(sa_column=Column(BigInteger, nullable=False))
    mediation_required: bool = True
    last_event: str = Field(max_length=27)
