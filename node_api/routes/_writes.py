"""Plumbing shared by every write route: persist an operation, wake its writer, answer 202 (or 200).

A domain route parses its body, then calls :func:`accept` with a function that builds and persists the
operation through a service (``submit_operation``), e.g.::

    op, created = await persist(state, lambda s: submit_x(session=s, ...))
    return await accept(state, caller, op, created, confirm)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Query
from fastapi.responses import JSONResponse
from sqlmodel import Session

from node_api.db.models import Operation
from node_api.deps import Caller
from node_api.schemas import OperationPublic
from node_api.services.confirm import to_public, wait_for_operation
from node_api.state import GatewayState

__all__ = ["OPERATION_RESPONSES", "ConfirmQuery", "accept", "persist"]

ConfirmQuery = Annotated[bool, Query(description="wait (bounded) until the operation succeeds or fails")]

OPERATION_RESPONSES: dict[int | str, dict[str, object]] = {
    202: {"model": OperationPublic, "description": "accepted: persisted, will be sent exactly once"},
    200: {"model": OperationPublic, "description": "with confirm=true: finished (succeeded or failed)"},
}


async def persist(state: GatewayState, fn: Callable[[Session], tuple[Operation, bool]]) -> tuple[OperationPublic, bool]:
    """Run ``fn`` in the next group commit (see ``GroupCommitter``): returns once the operation is
    durable, with the public operation and whether it is new. No thread waits meanwhile."""
    op, created = await state.committer.run_async(fn)
    return to_public(op), created


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
