from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from chain.contracts.consortium import Role
from node_api.db.models import Operation
from node_api.deps import Caller, IdempotencyKey, StateDep, authorize
from node_api.schemas import BalancePublic, MintCreate, OperationPublic, TransferCreate
from node_api.services.confirm import to_public, wait_for_operation
from node_api.services.tokens import read_balance, submit_mint, submit_transfer
from node_api.state import GatewayState

router = APIRouter(prefix="/tokens", tags=["settlement token"])
ConfirmQuery = Annotated[bool, Query(description="wait (bounded) until the operation succeeds or fails")]

OPERATION_RESPONSES: dict[int | str, dict[str, object]] = {
    202: {"model": OperationPublic, "description": "accepted: persisted, will be sent exactly once"},
    200: {"model": OperationPublic, "description": "with confirm=true: finished (succeeded or failed)"},
}


async def _respond(
    state: GatewayState, caller: Caller, op: OperationPublic, created: bool, confirm: bool
) -> JSONResponse:
    if created:
        state.writer_for(caller.institution.name).wake()
    public = op
    if confirm and op.status not in ("succeeded", "failed"):
        public = await wait_for_operation(state, op.id, state.settings.api.confirm_timeout)
    done = public.status in ("succeeded", "failed")
    return JSONResponse(public.model_dump(mode="json"), status_code=200 if (confirm and done) else 202)


def _submit(state: GatewayState, fn: Callable[[Session], tuple[Operation, bool]]) -> tuple[OperationPublic, bool]:
    with Session(state.engine) as session:
        op, created = fn(session)
        return to_public(op), created


@router.post("/transfers", status_code=202, responses=OPERATION_RESPONSES)
async def create_transfer(
    body: TransferCreate,
    key: IdempotencyKey,
    state: StateDep,
    caller: Annotated[Caller, Depends(authorize("tokens:write", write=True))],
    confirm: ConfirmQuery = False,
) -> JSONResponse:
    """Pay another active member in rCNY (fen). Returns the operation (202, or 200 with confirm=true)."""
    op, created = await run_in_threadpool(
        _submit,
        state,
        lambda session: submit_transfer(
            session=session,
            recourse=state.recourse,
            institution=caller.institution,
            key=key,
            to=body.to,
            amount_fen=body.amount_fen,
        ),
    )
    return await _respond(state, caller, op, created, confirm)


@router.post("/mints", status_code=202, responses=OPERATION_RESPONSES)
async def create_mint(
    body: MintCreate,
    key: IdempotencyKey,
    state: StateDep,
    caller: Annotated[Caller, Depends(authorize("tokens:mint", Role.SETTLEMENT_BANK, write=True))],
    confirm: ConfirmQuery = False,
) -> JSONResponse:
    """Issue rCNY against an off-chain payment (settlement bank only)."""
    op, created = await run_in_threadpool(
        _submit,
        state,
        lambda session: submit_mint(
            session=session,
            recourse=state.recourse,
            institution=caller.institution,
            key=key,
            to=body.to,
            amount_fen=body.amount_fen,
            reference=body.reference,
        ),
    )
    return await _respond(state, caller, op, created, confirm)


@router.get("/balances/{address}")
def get_balance(
    address: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")],
    state: StateDep,
    _caller: Annotated[Caller, Depends(authorize("tokens:read"))],
) -> BalancePublic:
    """The rCNY balance of an address, read from the chain now."""
    amount, block = read_balance(recourse=state.recourse, address=address)
    return BalancePublic(address=address, balance_fen=amount, source="chain", block_number=block)
