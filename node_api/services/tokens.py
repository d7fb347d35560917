"""Settlement-token use cases: transfers and mints become operations; balances read the chain."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from sqlmodel import Session

from chain import ChainError
from chain.network import Recourse
from node_api.db.models import Operation
from node_api.institutions import Institution
from node_api.problems import ChainUnavailableError
from node_api.services.operations import submit_operation

__all__ = ["read_balance", "submit_mint", "submit_transfer"]

#: EIP-55 checksums of recipient addresses (a keccak each: remembered, members are few)
_checksum = lru_cache(maxsize=65_536)(to_checksum_address)


def submit_transfer(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, to: str, amount_fen: int
) -> tuple[Operation, bool]:
    body: dict[str, Any] = {"to": _checksum(to), "amount_fen": amount_fen}
    tx = recourse.token.request("transfer", body["to"], amount_fen)
    return submit_operation(
        session=session,
        institution=institution.name,
        sender=institution.address,
        idempotency_key=key,
        kind="token.transfer",
        body=body,
        tx=tx,
    )


def submit_mint(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    to: str,
    amount_fen: int,
    reference: str,
) -> tuple[Operation, bool]:
    body: dict[str, Any] = {"to": to_checksum_address(to), "amount_fen": amount_fen, "reference": reference}
    tx = recourse.token.request("mint", body["to"], amount_fen, keccak(text=reference))
    return submit_operation(
        session=session,
        institution=institution.name,
        sender=institution.address,
        idempotency_key=key,
        kind="token.mint",
        body=body,
        tx=tx,
    )


def read_balance(*, recourse: Recourse, address: str) -> tuple[int, int]:
    try:
        block = recourse.client.block_number()
        return recourse.token.balance_of(to_checksum_address(address)), block
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot read the balance: {exc}") from exc
