"""Tables of the oracle and analytics endpoints (migration ``0005_oracles``).

* ``OracleSignature``   — a signature an active ORACLE member posted for one round's report (verified before
  it is stored); peers fetch them to assemble k signatures. Unique per (report digest, signer).
* ``GuaranteeAnalysis`` — a stored guarantee-network analysis (summary, circles, exposure, the edges of
  its riskiest circles for the drawing).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from node_api.db.models import utcnow

__all__ = ["GuaranteeAnalysis", "OracleSignature"]


class OracleSignature(SQLModel, table=True):
    __tablename__ = "oracle_signatures"
    __table_args__ = (
        UniqueConstraint("digest", "signer", name="uq_oracle_signature_digest_signer"),
        Index("ix_oracle_signatures_round", "feed_id", "subject_id", "round"),
    )

    id: int | None = Field(default=None, primary_key=True)
    feed_id: str = Field(max_length=66)
    subject_id: str = Field(max_length=66)
    round: int = Field(sa_column=Column(BigInteger, nullable=False))
    #: the EIP-712 digest of the report (what was signed)
    digest: str = Field(max_length=66, index=True)
    signer: str = Field(max_length=42)
    r: str = Field(max_length=66)
    vs: str = Field(max_length=66)
    #: the report's fields (numbers as decimal strings: int256 does not fit a JSON number safely)
    report: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    institution: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)


class GuaranteeAnalysis(SQLModel, table=True):
    __tablename__ = "guarantee_analyses"

    id: str = Field(primary_key=True, max_length=36)
    institution: str = Field(index=True, max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
