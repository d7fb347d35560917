"""The one helper of every write route: plan the request, persist it once, wake its writer, answer 202 (or 200).

A write route declares its path, its body and a :class:`WriteRequest` (the dependency
:func:`write_request`: authorised caller, ``Idempotency-Key``, ``?confirm``) and is one line::

    async def offer_case(case_id: CaseIdPath, body: OfferCreate, w: BankWrite) -> JSONResponse:
        return await w.submit(svc.submit_offer, case_id=case_id, **body.model_dump())

The service (``fn(*, session, recourse, institution, key, **args)``) checks the request and returns a
:class:`~node_api.services.operations.Submission`: one that asks the chain (``@reads_chain``) in a worker
thread and a session of its own, off the group commit; one that only builds calldata inside the group
commit's job. The submission is persisted in the next group commit
(``GroupCommitter``, through ``submit_many``: a replayed key returns the original operations, another
request under it is ``OPS-409``); a new request wakes the caller's writer; the answer is the request's
last operation: ``202``, or with ``?confirm=true`` ``200`` once it has finished (bounded wait).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import JSONResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from chain.contracts.consortium import Role
from node_api.deps import Caller, IdempotencyKey, StateDep, authorize
from node_api.schemas import OperationPublic
from node_api.services.confirm import to_public, wait_for_operation
from node_api.services.operations import Submission, submit_many
from node_api.state import GatewayState

__all__ = ["OPERATION_RESPONSES", "ConfirmQuery", "WriteRequest", "accept", "write_request"]

ConfirmQuery = Annotated[bool, Query(description="wait (bounded) until the operation succeeds or fails")]

OPERATION_RESPONSES: dict[int | str, dict[str, object]] = {
    202: {"model": OperationPublic, "description": "accepted: persisted, will be sent exactly once"},
    200: {"model": OperationPublic, "description": "with confirm=true: finished (succeeded or failed)"},
}


@dataclass(frozen=True)
class WriteRequest:
    """What every write route receives besides its own path and body: the gateway, the authorised
    caller, the request's ``Idempotency-Key`` and whether to wait (``?confirm=true``)."""

    state: GatewayState
    caller: Caller
    key: str
    confirm: bool

    async def submit(self, fn: Callable[..., Submission], /, **args: Any) -> JSONResponse:
        """Plan with ``fn`` (see the module docstring), persist in the group commit, answer."""
        state, institution, key = self.state, self.caller.institution, self.key

        def plan(s: Session) -> Submission:
            return fn(session=s, recourse=state.recourse, institution=institution, key=key, **args)

        if getattr(fn, "reads_chain", False):  # waits for the node: in a worker thread, overlapping others
            submission = await run_in_threadpool(_in_own_session, state, plan)
            ops, created = await state.committer.run_async(lambda s: submit_many(s, submission))
        else:  # only builds calldata: planned in the group commit itself, no hop at all
            ops, created = await state.committer.run_async(lambda s: submit_many(s, plan(s)))
        return await accept(state, self.caller, to_public(ops[-1]), created, self.confirm)


def _in_own_session(state: GatewayState, plan: Callable[[Session], Submission]) -> Submission:
    with Session(state.engine) as session:
        return plan(session)


def write_request(scope: str, role: Role | None = None) -> Callable[..., Awaitable[WriteRequest]]:
    """Dependency: a :class:`WriteRequest` whose caller holds ``scope`` (and ``role`` on chain now)."""
    authorized = authorize(scope, role)

    async def dependency(
        key: IdempotencyKey,
        state: StateDep,
        # a default, not Annotated: postponed annotations cannot name this closure's dependency
        caller: Caller = Depends(authorized),  # noqa: B008, FAST002
        confirm: ConfirmQuery = False,
    ) -> WriteRequest:
        return WriteRequest(state, caller, key, confirm)

    return dependency


async def accept(
    state: GatewayState, caller: Caller, op: OperationPublic, created: bool, confirm: bool
) -> JSONResponse:
    """Wake the caller's writer for a new operation; with ``confirm`` wait (bounded) for its outcome."""
    if created:
        state.writer_for(caller.institution.name).wake()
    public = op
    if confirm and op.status not in ("succeeded", "failed"):
        public = await wait_for_operation(state, op.id, state.settings.api.confirm_timeout)
    done = public.status in ("succeeded", "failed")
    return JSONResponse(public.model_dump(mode="json"), status_code=200 if (confirm and done) else 202)
