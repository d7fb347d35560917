"""Request and response models of the gateway API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field, field_validator

__all__ = [
    "BalancePublic",
    "InstitutionPublic",
    "MemberPublic",
    "MembersPublic",
    "MintCreate",
    "OperationPublic",
    "OperationsPublic",
    "TransferCreate",
]

_ADDRESS = r"^0x[0-9a-fA-F]{40}$"
#: uint256 max; amounts are integer fen
_MAX = 2**256 - 1


class OperationPublic(BaseModel):
    id: str
    institution: str
    kind: str
    status: str = Field(description="pending | sent | succeeded | failed")
    idempotency_key: str
    request: dict[str, Any]
    sender: str
    nonce: int | None = None
    tx_hash: str | None = None
    block_number: int | None = None
    gas_used: int | None = None
    error_code: str | None = None
    error_name: str | None = None
    error_args: dict[str, Any] | None = None
    error_message: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


class OperationsPublic(BaseModel):
    data: list[OperationPublic]
    count: int


class TransferCreate(BaseModel):
    to: str = Field(pattern=_ADDRESS, description="recipient address (an active member)")
    amount_fen: int = Field(gt=0, le=_MAX, description="amount in fen (integer minor units of CNY)")

    @field_validator("amount_fen", mode="before")
    @classmethod
    def _no_float(cls, v: Any) -> Any:
        if isinstance(v, float | bool):
            raise ValueError("amount_fen must be an integer number of fen, not a float")
        return v


class MintCreate(TransferCreate):
    reference: str = Field(min_length=1, max_length=200, description="off-chain payment reference (hashed)")


class BalancePublic(BaseModel):
    address: str
    balance_fen: int
    source: str = Field(description="'chain' (read now) or 'index'")
    block_number: int


class MemberPublic(BaseModel):
    address: str
    name_digest: str
    roles: list[str]
    region: int
    licence_expiry: int
    kyc_tier: int
    suspended: bool
    admitted_block: int


class MembersPublic(BaseModel):
    data: list[MemberPublic]
    count: int


class InstitutionPublic(BaseModel):
    name: str
    address: str
    roles: list[str]
    active: bool
    suspended: bool
    member: bool
    balance_fen: int
