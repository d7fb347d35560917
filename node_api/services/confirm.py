"""Waiting for an operation to finish (``?confirm=true``), bounded by the configured timeout."""

from __future__ import annotations

import asyncio
import time

from sqlmodel import Session

from node_api.db.models import Operation
from node_api.schemas import OperationPublic
from node_api.state import GatewayState

__all__ = ["to_public", "wait_for_operation"]


def to_public(op: Operation) -> OperationPublic:
    return OperationPublic.model_validate(op, from_attributes=True)


async def wait_for_operation(state: GatewayState, op_id: str, timeout: float) -> OperationPublic:
    """Return the operation once it is succeeded/failed, or as it is when ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    delay = 0.002
    while time.monotonic() < deadline:
        if state.board.status(op_id) is not None:
            break
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.05)
    with Session(state.engine) as s:
        op = s.get(Operation, op_id)
        assert op is not None  # noqa: S101 - it was committed before we were called
        return to_public(op)
