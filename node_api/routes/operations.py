from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from node_api.deps import Caller, StateDep, authorize, in_session
from node_api.schemas import OperationPublic, OperationsPublic
from node_api.services.confirm import to_public
from node_api.services.operations import get_operation, list_operations

router = APIRouter(prefix="/operations", tags=["operations"])
Reader = Annotated[Caller, Depends(authorize("operations:read"))]


@router.get("/{operation_id}")
async def read_operation(operation_id: str, caller: Reader, state: StateDep) -> OperationPublic:
    """An operation of this institution: status, tx hash, block, decoded revert on failure."""
    institution = caller.institution.name
    hit = state.finished.get(institution, operation_id)
    if hit is not None:
        return hit
    op = await in_session(
        state, lambda s: to_public(get_operation(session=s, institution=institution, operation_id=operation_id))
    )
    return state.finished.remember(institution, op)


@router.get("")
async def read_operations(
    caller: Reader,
    state: StateDep,
    status: Annotated[str | None, Query(pattern="^(pending|sent|succeeded|failed)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> OperationsPublic:
    """This institution's operations, newest first."""

    def read(s: Session) -> OperationsPublic:
        rows, total = list_operations(
            session=s, institution=caller.institution.name, status=status, limit=limit, offset=offset
        )
        return OperationsPublic(data=[to_public(r) for r in rows], count=total)

    return await in_session(state, read)
