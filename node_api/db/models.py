"""SQL tables of the gateway (SQLModel; SQLite by default, PostgreSQL by URL).

* ``ApiKey``      — API keys (hash only), each belonging to one institution, with scopes.
* ``Operation``   — durable chain writes (the outbox): persisted before the 202, signed once, sent once.
* ``ChainEvent``  — every decoded Recourse event, keyed by ``EventKey`` (block/tx/log).
* ``IndexedBlock``— hashes of indexed blocks (reorg detection); ``Checkpoint`` — the indexer's position
  (the only one: projections keep none of their own); ``IndexedContract`` — the contracts it follows.
* ``MemberRow`` / ``BalanceRow`` — the Consortium and SettlementToken projections
  (``node_api.projections``), rebuildable from ``ChainEvent``.
* ``Webhook``     — subscriptions; ``cursor`` is the last delivered event key (at-least-once).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Dialect, Index, Numeric, String, UniqueConstraint
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import Field, SQLModel

__all__ = [
    "ApiKey",
    "BalanceRow",
    "ChainEvent",
    "Checkpoint",
    "IndexedBlock",
    "IndexedContract",
    "MemberRow",
    "Operation",
    "Webhook",
    "utcnow",
]


class Uint256(TypeDecorator[int]):
    """An exact unsigned 256-bit integer (money in fen): NUMERIC(78,0) on PostgreSQL, decimal TEXT on
    SQLite (whose NUMERIC affinity would silently turn values above 2**53 into floats)."""

    impl = Numeric(78, 0)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(78))
        return dialect.type_descriptor(Numeric(78, 0))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        number = int(value)
        return str(number) if dialect.name == "sqlite" else Decimal(number)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:  # noqa: ARG002
        return None if value is None else int(value)


UINT256 = Uint256()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=32)
    institution: str = Field(index=True, max_length=64)
    label: str = Field(default="", max_length=200)
    secret_hash: str = Field(max_length=128)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)
    revoked_at: dt.datetime | None = None


class Operation(SQLModel, table=True):
    __tablename__ = "operations"
    __table_args__ = (
        UniqueConstraint("institution", "idempotency_key", name="uq_operation_idempotency"),
        Index("ix_operations_sender_status", "sender", "status"),
    )

    id: str = Field(primary_key=True, max_length=36)
    institution: str = Field(index=True, max_length=64)
    sender: str = Field(max_length=42)
    idempotency_key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    kind: str = Field(max_length=64)
    request: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    #: pending | sent | succeeded | failed
    status: str = Field(default="pending", max_length=16, index=True)
    to_address: str | None = Field(default=None, max_length=42)
    data: str = Field(default="0x")
    value: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    nonce: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    gas: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    tx_hash: str | None = Field(default=None, max_length=66, index=True)
    raw_tx: str | None = None
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    gas_used: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    error_code: str | None = Field(default=None, max_length=64)
    error_name: str | None = Field(default=None, max_length=128)
    error_args: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error_message: str | None = None
    attempts: int = 0
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class ChainEvent(SQLModel, table=True):
    __tablename__ = "chain_events"
    __table_args__ = (Index("ix_chain_events_contract_name", "contract", "name"),)

    key: str = Field(primary_key=True, max_length=27)
    block_number: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    block_hash: str = Field(max_length=66)
    tx_hash: str = Field(max_length=66, index=True)
    tx_index: int
    log_index: int
    contract: str = Field(max_length=64)
    address: str = Field(max_length=42)
    name: str = Field(max_length=64)
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class IndexedBlock(SQLModel, table=True):
    __tablename__ = "indexed_blocks"

    number: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: str = Field(max_length=66)


class Checkpoint(SQLModel, table=True):
    __tablename__ = "checkpoints"

    name: str = Field(primary_key=True, max_length=64)
    block_number: int = Field(sa_column=Column(BigInteger, nullable=False))
    block_hash: str = Field(default="", max_length=66)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class IndexedContract(SQLModel, table=True):
    """A contract the indexer follows (deployed, or created by a factory) and the first block from which
    its logs are in the index: a contract not listed yet is fetched from there without re-indexing."""

    __tablename__ = "indexed_contracts"

    #: lower-case 0x-hex
    address: str = Field(primary_key=True, max_length=42)
    contract: str = Field(max_length=64)
    from_block: int = Field(sa_column=Column(BigInteger, nullable=False))


class MemberRow(SQLModel, table=True):
    __tablename__ = "members"

    address: str = Field(primary_key=True, max_length=42)
    name_digest: str = Field(max_length=66)
    roles: int = Field(sa_column=Column(BigInteger, nullable=False))
    region: int
    licence_expiry: int = Field(sa_column=Column(BigInteger, nullable=False))
    kyc_tier: int
    suspended: bool = False
    admitted_block: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_key: str = Field(max_length=27)


class BalanceRow(SQLModel, table=True):
    __tablename__ = "balances"

    address: str = Field(primary_key=True, max_length=42)
    amount: int = Field(default=0, sa_column=Column(UINT256, nullable=False))
    updated_key: str = Field(max_length=27)


class Webhook(SQLModel, table=True):
    __tablename__ = "webhooks"
    __table_args__ = (Index("uq_webhooks_idempotency", "institution", "idempotency_key", unique=True),)

    id: str = Field(primary_key=True, max_length=36)
    institution: str = Field(index=True, max_length=64)
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=128)
    contracts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    cursor: str = Field(default="", max_length=27)
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    last_error: str | None = None
    delivered: int = 0
    created_at: dt.datetime = Field(default_factory=utcnow)
    #: the creating request's Idempotency-Key and request hash (migration 0006_gateway; NULL before it)
    idempotency_key: str | None = Field(default=None, max_length=200)
    request_hash: str | None = Field(default=None, max_length=64)
