"""Waiting for an operation to finish (``?confirm=true``), bounded by the configured timeout."""

from __future__ import annotations

import asyncio

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from node_api.db.models import Operation
from node_api.schemas import OperationPublic
from node_api.state import GatewayState

__all__ = ["to_public", "wait_for_operation"]


def to_public(op: Operation) -> OperationPublic:
    return OperationPublic.model_validate(op, from_attributes=True)


async def wait_for_operation(state: GatewayState, op_id: str, timeout: float) -> OperationPublic:
    """Return the operation once it is succeeded/failed, or as it is when ``timeout`` passes.

    The writer hands the finished operation to the waiter right after committing it (no polling, no
    database read); an operation that finished earlier, or a timeout, is read from the database."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[OperationPublic] = loop.create_future()

    def resolve(op: OperationPublic) -> None:
        if not done.done():
            done.set_result(op)

    def notify(op: OperationPublic) -> None:  # called in the writer's (or the background reader's) thread
        loop.call_soon_threadsafe(resolve, op)

    if state.board.add_waiter(op_id, notify):
        try:
            return await asyncio.wait_for(done, timeout)
        except TimeoutError:
            pass
        finally:
            state.board.remove_waiter(op_id, notify)
    return await run_in_threadpool(_read, state, op_id)


def _read(state: GatewayState, op_id: str) -> OperationPublic:
    with Session(state.engine) as s:
        op = s.get(Operation, op_id)
        assert op is not None  # noqa: S101 - it was committed before we were called
        return to_public(op)
