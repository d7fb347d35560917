"""The one helper of every write route: plan the request, persist it once, wake its writer, answer 202 (or 200).

A write route parses its body and hands the rest to :func:`write` in one line::

    return await write(state, caller, key, confirm, svc.submit_offer, case_id=case_id, collector=body.collector)

The service (``fn(*, session, recourse, institution, key, **args)``) checks the request (database and
chain reads, in a session of its own, off the group commit) and returns a
:class:`~node_api.services.operations.Submission`; the submission is persisted in the next group commit
(``GroupCommitter``, through ``submit_many``: a replayed key returns the original operations, another
request under it is ``OPS-409``); a new request wakes the caller's writer; the answer is the request's
last operation: ``202``, or with ``?confirm=true`` ``200`` once it has finished (bounded wait).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import JSONResponse

from node_api.deps import Caller, in_session
from node_api.schemas import OperationPublic
from node_api.services.confirm import to_public, wait_for_operation
from node_api.services.operations import Submission, submit_many
from node_api.state import GatewayState

__all__ = ["OPERATION_RESPONSES", "ConfirmQuery", "accept", "write"]

ConfirmQuery = Annotated[bool, Query(description="wait (bounded) until the operation succeeds or fails")]

OPERATION_RESPONSES: dict[int | str, dict[str, object]] = {
    202: {"model": OperationPublic, "description": "accepted: persisted, will be sent exactly once"},
    200: {"model": OperationPublic, "description": "with confirm=true: finished (succeeded or failed)"},
}


async def write(
    state: GatewayState, caller: Caller, key: str, confirm: bool, fn: Callable[..., Submission], /, **args: Any
) -> JSONResponse:
    """Plan with ``fn`` (see the module docstring), persist in the group commit, answer."""
    institution = caller.institution
    submission = await in_session(
        state, lambda s: fn(session=s, recourse=state.recourse, institution=institution, key=key, **args)
    )
    ops, created = await state.committer.run_async(lambda s: submit_many(s, submission))
    return await accept(state, caller, to_public(ops[-1]), created, confirm)


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
