from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from chain.contracts.consortium import Role
from node_api.deps import Caller, StateDep, authorize
from node_api.routes._writes import OPERATION_RESPONSES, WriteRequest, write_request
from node_api.schemas import BalancePublic, MintCreate, TransferCreate
from node_api.services.tokens import read_balance, submit_mint, submit_transfer

router = APIRouter(prefix="/tokens", tags=["settlement token"])


@router.post("/transfers", status_code=202, responses=OPERATION_RESPONSES)
async def create_transfer(
    body: TransferCreate, w: Annotated[WriteRequest, Depends(write_request("tokens:write"))]
) -> JSONResponse:
    """Pay another active member in rCNY (fen). Returns the operation (202, or 200 with confirm=true)."""
    return await w.submit(submit_transfer, to=body.to, amount_fen=body.amount_fen)


@router.post("/mints", status_code=202, responses=OPERATION_RESPONSES)
async def create_mint(
    body: MintCreate, w: Annotated[WriteRequest, Depends(write_request("tokens:mint", Role.SETTLEMENT_BANK))]
) -> JSONResponse:
    """Issue rCNY against an off-chain payment (settlement bank only)."""
    return await w.submit(submit_mint, to=body.to, amount_fen=body.amount_fen, reference=body.reference)


@router.get("/balances/{address}")
async def get_balance(
    address: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")],
    state: StateDep,
    _caller: Annotated[Caller, Depends(authorize("tokens:read"))],
) -> BalancePublic:
    """The rCNY balance of an address, read from the chain at the newest block the gateway has seen
    (`block_number`; answers are shared until the next block)."""
    amount, block = await state.reads.get(
        ("balance", address.lower()), lambda: read_balance(recourse=state.recourse, address=address)
    )
    return BalancePublic(address=address, balance_fen=amount, source="chain", block_number=block)
