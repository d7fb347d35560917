"""Tables of case work (off chain, beside CaseDelegation): PII vault, access log, contact log, violations, log anchors.

* ``VaultRecord``     — one debtor's personal data per case, AES-256-GCM encrypted (case id as AAD);
  only the debtor's time zone and a keyed pseudonym (``debtor_key``, HMAC of the ID number) are clear.
* ``VaultAccess``     — who read which case's personal data, when and why (append-only).
* ``ContactAttempt``  — every contact a collector logged or tried to log, with the conduct outcome; the
  note/transcript is stored encrypted like the vault records, with its SHA-256 digest in clear. A late
  log (``backdated``) keeps the claimed ``attempted_at`` beside the gateway's ``recorded_at``.
* ``ConductViolation``— every conduct rule broken by an attempt (blocked or flagged), per collector.
* ``LogAnchor``       — a Merkle tree over a range of access-log and contact-log entries and the
  operation that anchors its root in ``EvidenceRegistry`` (one per range, exactly once).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, Integer, LargeBinary, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from node_api.db.models import utcnow

__all__ = ["ConductViolation", "ContactAttempt", "LogAnchor", "VaultAccess", "VaultRecord"]


def _id_column() -> Column[int]:
    """BIGINT identity on PostgreSQL; INTEGER PRIMARY KEY (the rowid, auto-assigned) on SQLite."""
    return Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)


class VaultRecord(SQLModel, table=True):
    __tablename__ = "vault_records"

    #: 0x-hex bytes32 case id (as on chain)
    case_id: str = Field(primary_key=True, max_length=66)
    key_version: int = 1
    nonce: bytes = Field(sa_column=Column(LargeBinary(12), nullable=False))
    ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    #: IANA zone of the debtor (conduct rules need it without decrypting)
    timezone: str = Field(max_length=64)
    #: HMAC-SHA256(vault key, normalised ID number): the same debtor across cases, not reversible
    debtor_key: str = Field(max_length=64, index=True)
    created_at: dt.datetime = Field(default_factory=utcnow)


class VaultAccess(SQLModel, table=True):
    __tablename__ = "vault_access_log"

    id: int | None = Field(default=None, sa_column=_id_column())
    case_id: str = Field(max_length=66, index=True)
    #: hosted institution name and its address
    reader: str = Field(max_length=64)
    reader_address: str = Field(default="", max_length=42)
    purpose: str = Field(max_length=200)
    accessed_at: dt.datetime = Field(default_factory=utcnow)


class ContactAttempt(SQLModel, table=True):
    __tablename__ = "contact_attempts"
    __table_args__ = (Index("ix_contact_attempts_debtor_day", "debtor_key", "local_date"),)

    id: int | None = Field(default=None, sa_column=_id_column())
    case_id: str = Field(max_length=66, index=True)
    debtor_key: str = Field(max_length=64)
    institution: str = Field(max_length=64)
    collector: str = Field(max_length=42, index=True)
    channel: str = Field(max_length=16)
    #: when the contact happened: the gateway's clock for a live attempt, the collector's claim for a late log
    attempted_at: dt.datetime
    #: the gateway's clock when the attempt was logged (the time the rules were applied for a live attempt)
    recorded_at: dt.datetime = Field(default_factory=utcnow)
    #: a late log: ``attempted_at`` is a past time the collector claimed, not the gateway's clock; the rules
    #: were checked at the claimed time, and the bank and regulators see the flag
    backdated: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    #: the debtor's local calendar day of the attempt (YYYY-MM-DD) and local time (HH:MM)
    local_date: str = Field(max_length=10)
    local_time: str = Field(max_length=5)
    #: logged | refused
    outcome: str = Field(max_length=16)
    note_digest: str = Field(default="", max_length=64)
    note_nonce: bytes | None = Field(default=None, sa_column=Column(LargeBinary(12), nullable=True))
    note_ciphertext: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    idempotency_key: str | None = Field(default=None, max_length=200)
    #: the request the key stood for (case, channel, claimed time, note): a replay must match it
    request_hash: str | None = Field(default=None, max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)


class ConductViolation(SQLModel, table=True):
    __tablename__ = "conduct_violations"

    id: int | None = Field(default=None, sa_column=_id_column())
    contact_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    case_id: str = Field(max_length=66, index=True)
    collector: str = Field(max_length=42, index=True)
    rule_id: str = Field(max_length=32)
    code: str = Field(max_length=16)
    category: str = Field(max_length=32)
    #: block | flag
    outcome: str = Field(max_length=8)
    #: what matched (the phrase, or e.g. "21:59 local")
    matched: str = Field(default="", max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow)


class LogAnchor(SQLModel, table=True):
    __tablename__ = "vault_log_anchors"
    __table_args__ = (UniqueConstraint("access_from", "contact_from", name="uq_vault_log_anchor_range"),)

    id: int | None = Field(default=None, sa_column=_id_column())
    #: inclusive id ranges of the two logs covered (from > to: no entries of that log)
    access_from: int = Field(sa_column=Column(BigInteger, nullable=False))
    access_to: int = Field(sa_column=Column(BigInteger, nullable=False))
    contact_from: int = Field(sa_column=Column(BigInteger, nullable=False))
    contact_to: int = Field(sa_column=Column(BigInteger, nullable=False))
    root: str = Field(max_length=66, index=True)
    leaf_count: int
    #: StandardMerkleTree dump (``standard-v1``)
    tree: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    institution: str = Field(max_length=64)
    idempotency_key: str = Field(max_length=200)
    operation_id: str | None = Field(default=None, max_length=36)
    created_at: dt.datetime = Field(default_factory=utcnow)
