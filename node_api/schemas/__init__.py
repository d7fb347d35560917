"""Request and response models of the gateway API."""

from __future__ import annotations

import datetime as dt
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

__all__ = [
    "UINT256_LIMIT",
    "BalancePublic",
    "InstitutionPublic",
    "MemberPublic",
    "MembersPublic",
    "MintCreate",
    "OperationPublic",
    "OperationsPublic",
    "RequestModel",
    "TransferCreate",
]

_ADDRESS = r"^0x[0-9a-fA-F]{40}$"
#: amounts are integer fen below 2**256 (a uint256 on chain); bounds are written as exclusive powers of two
#: (``lt=2**256``, not ``le=2**256 - 1``) so that the OpenAPI document, whose generator passes numeric
#: bounds through floats, prints them exactly (``node_api.openapi``)
UINT256_LIMIT = 2**256


#: the largest integer a JSON number written with a fraction or exponent (``5.0``, ``1e3``) still holds
#: exactly once parsed (a double)
_EXACT_FLOAT_INT = 2**53


def _takes_int(annotation: Any) -> bool:
    return annotation is int or (get_origin(annotation) in (Union, UnionType) and int in get_args(annotation))


class RequestModel(BaseModel):
    """Base of every JSON request body: an unknown field is refused (422 naming it, not silently ignored)
    and values are never coerced across types: ``true`` is not an integer, ``"5"`` not a number, ``1`` not
    a boolean, ``5.5`` not an amount (money is integer minor units on the wire).

    An integer field takes a JSON number whose value is an integer however it is written (``5`` or
    ``5.0``, one JSON number as JSON Schema's ``integer`` says), up to 2**53 when written with a fraction
    or exponent: past that a parser has already rounded it, so it is refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="before")
    @classmethod
    def _integral_number(cls, value: Any, info: ValidationInfo) -> Any:
        if (
            isinstance(value, float)
            and value.is_integer()
            and abs(value) <= _EXACT_FLOAT_INT
            and info.field_name is not None
            and _takes_int(cls.model_fields[info.field_name].annotation)
        ):
            return int(value)
        return value


class OperationPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3f2b8c1e-6d4a-4b7e-9a0c-2e5f7d9b1a34",
                    "institution": "bank",
                    "kind": "token.transfer",
                    "status": "succeeded",
                    "idempotency_key": "transfer-invoice-2026-4711",
                    "request": {"to": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "amount_fen": 125000},
                    "sender": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
                    "nonce": 42,
                    "tx_hash": "0x5f3c1e6a2b9d4c8e7f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60",
                    "block_number": 1234,
                    "gas_used": 51613,
                    "error_code": None,
                    "error_name": None,
                    "error_args": None,
                    "error_message": None,
                    "created_at": "2026-12-07T09:30:00Z",
                    "updated_at": "2026-12-07T09:30:02Z",
                }
            ]
        }
    )

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


class TransferCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"to": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "amount_fen": 125_000}]}
    )

    to: str = Field(pattern=_ADDRESS, description="recipient address (an active member)")
    amount_fen: int = Field(gt=0, lt=UINT256_LIMIT, description="amount in fen (integer minor units of CNY)")


class MintCreate(TransferCreate):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "to": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                    "amount_fen": 10_000_000,
                    "reference": "SWIFT-2026-0412",
                }
            ]
        }
    )

    reference: str = Field(min_length=1, max_length=200, description="off-chain payment reference (hashed)")


class BalancePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                    "balance_fen": 100_000_000_000,
                    "source": "chain",
                    "block_number": 1234,
                }
            ]
        }
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "bank",
                    "address": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
                    "roles": ["BANK", "SETTLEMENT_BANK"],
                    "active": True,
                    "suspended": False,
                    "member": True,
                    "balance_fen": 100_000_000_000,
                }
            ]
        }
    )

    name: str
    address: str
    roles: list[str]
    active: bool
    suspended: bool
    member: bool
    balance_fen: int
