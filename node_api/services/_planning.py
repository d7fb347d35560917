"""Planner helpers shared by the services that write through the one write path (auctions, fractions,
disputes).

A planner (``fn(*, session, recourse, institution, key, **args) -> Submission``) asks the chain before it
accepts a request: :func:`asked` dry-runs the very transaction from the caller's address (a refusal raises its
problem), :func:`one` makes a request of that one operation, and :func:`paying` one that moves the caller's
rCNY to a contract: an exact ``approve`` first when the allowance does not cover the amount (then
``precheck`` answers what can be asked before the approval is mined, and the step itself is checked by the
chain when it runs). :func:`read` reads a view, a revert becoming its problem and a node that does not answer
``ChainUnavailableError``. :func:`planner` marks and names a planner that a factory makes for one kind.
:class:`Step` is one planner's request, which looks its key up before anything is asked of the chain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, NoReturn, TypeVar

from sqlmodel import Session

from chain import ChainError, ContractReverted
from chain.client import TxRequest
from chain.network import Recourse
from node_api.institutions import Institution
from node_api.problems import ChainUnavailableError
from node_api.services.chain_errors import dry_run, raise_problem
from node_api.services.operations import OpSpec, Submission, reads_chain, replayed

__all__ = ["OnRefusal", "Step", "asked", "bytes32", "one", "paying", "planner", "read"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Submission])

#: what a refusal of the dry run raises (default: the problem ``REVERT_PROBLEMS`` names)
OnRefusal = Callable[[ContractReverted], NoReturn]


def bytes32(hex32: str) -> bytes:
    """A ``0x`` + 64 hex digest of a request (an order, a document, a reason) as the ``bytes32`` it is on chain."""
    return bytes.fromhex(hex32[2:])


def planner(kind: str) -> Callable[[F], F]:
    """Decorator of a planner a factory makes for the operation ``kind``: it asks the chain (``reads_chain``)
    and is named ``submit_<step>`` after the kind's last part (``auction.close`` → ``submit_close``)."""

    def named(plan: F) -> F:
        plan.__name__ = plan.__qualname__ = f"submit_{kind.rpartition('.')[2]}"
        return reads_chain(plan)

    return named


def read(what: str, fn: Callable[[], T]) -> T:
    """``fn()``, a view of the chain: a revert raises its problem, an unanswered call ``ChainUnavailableError``."""
    try:
        return fn()
    except ContractReverted as exc:
        raise_problem(exc)
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot read {what}: {exc}") from exc


def asked(
    recourse: Recourse, institution: Institution, tx: TxRequest, *, refused: OnRefusal = raise_problem
) -> TxRequest:
    """``tx`` with the chain's gas answer for the caller; a refusal raises through ``refused``."""
    return replace(tx, gas=dry_run(recourse.client, institution.address, tx, refused=refused))


def one(
    recourse: Recourse,
    institution: Institution,
    key: str,
    kind: str,
    body: dict[str, Any],
    tx: TxRequest,
    *,
    refused: OnRefusal = raise_problem,
) -> Submission:
    """A request of one operation, asked of the chain first."""
    spec = OpSpec(key, kind, body, asked(recourse, institution, tx, refused=refused))
    return Submission(institution.name, institution.address, (spec,))


def paying(
    recourse: Recourse,
    institution: Institution,
    spender: str,
    key: str,
    kind: str,
    body: dict[str, Any],
    tx: TxRequest,
    amount: int,
    *,
    precheck: Callable[[], None] = lambda: None,
    refused: OnRefusal = raise_problem,
) -> Submission:
    """A request that moves ``amount`` fen of the caller's rCNY to ``spender``: an exact approval first when the
    allowance does not cover it (then ``precheck`` runs, and the step itself is checked when it runs)."""
    allowance = int(read("the allowance", lambda: recourse.token.call("allowance", institution.address, spender)))
    if amount == 0 or allowance >= amount:
        return one(recourse, institution, key, kind, body, tx, refused=refused)
    precheck()
    approve = recourse.token.request("approve", spender, amount)
    approve_body = {"spender": spender, "amount_fen": amount, "for": kind}
    specs = (
        OpSpec(f"{key}:approve", "token.approve", approve_body, asked(recourse, institution, approve, refused=refused)),
        OpSpec(key, kind, body, tx),
    )
    return Submission(institution.name, institution.address, specs)


@dataclass(frozen=True)
class Step:
    """One planner's request: the caller's ``key``, the operation's ``kind`` and its ``body`` (built from the
    input alone). A planner looks its key up first (:meth:`again`): a replayed key is answered with the original
    operations without asking the chain again, which might now refuse the step it already took (a settlement, a
    claim); a different body under the key is ``OPS-409``."""

    session: Session
    recourse: Recourse
    institution: Institution
    key: str
    kind: str
    body: dict[str, Any]

    def again(self) -> Submission | None:
        """The replay of an earlier request under ``key`` (with its approval, if it had one), or ``None``."""
        inst = self.institution
        spec = OpSpec(self.key, self.kind, self.body, None)
        if replayed(self.session, institution=inst.name, specs=(spec,)) is None:
            return None
        approve = OpSpec(f"{self.key}:approve", "token.approve", {}, None)
        return Submission(inst.name, inst.address, (approve, spec))
