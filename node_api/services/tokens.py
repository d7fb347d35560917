"""Settlement-token use cases: transfers and mints become operations (``Submission``s); balances read the chain."""

from __future__ import annotations

from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from sqlmodel import Session

from chain import ChainError
from chain.client import TxRequest
from chain.network import Recourse
from chain.reducers import checksum
from node_api.institutions import Institution
from node_api.problems import ChainUnavailableError
from node_api.services.operations import OpSpec, Submission

__all__ = ["read_balance", "submit_mint", "submit_transfer"]


def _submission(institution: Institution, key: str, kind: str, body: dict[str, Any], tx: TxRequest) -> Submission:
    return Submission(institution.name, institution.address, (OpSpec(key, kind, body, tx),))


def submit_transfer(
    *,
    session: Session,  # noqa: ARG001 - every write's planner is called with a session; this one needs none
    recourse: Recourse,
    institution: Institution,
    key: str,
    to: str,
    amount_fen: int,
) -> Submission:
    """A transfer of ``amount_fen`` to ``to`` (the token refuses non-members when it runs)."""
    body: dict[str, Any] = {"to": checksum(to), "amount_fen": amount_fen}
    return _submission(
        institution, key, "token.transfer", body, recourse.token.request("transfer", body["to"], amount_fen)
    )


def submit_mint(
    *,
    session: Session,  # noqa: ARG001 - as submit_transfer
    recourse: Recourse,
    institution: Institution,
    key: str,
    to: str,
    amount_fen: int,
    reference: str,
) -> Submission:
    """Minting against an off-chain payment named by ``reference`` (its keccak goes on chain)."""
    body: dict[str, Any] = {"to": to_checksum_address(to), "amount_fen": amount_fen, "reference": reference}
    tx = recourse.token.request("mint", body["to"], amount_fen, keccak(text=reference))
    return _submission(institution, key, "token.mint", body, tx)


def read_balance(*, recourse: Recourse, address: str) -> tuple[int, int]:
    try:
        block = recourse.client.block_number()
        return recourse.token.balance_of(to_checksum_address(address)), block
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot read the balance: {exc}") from exc
