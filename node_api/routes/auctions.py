"""Judicial auctions: sellers list lots, courts approve and supervise them, investors deposit and bid, the
court confirms the sale; everyone follows a lot in its live room (Server-Sent Events).

Every write is an operation (``Idempotency-Key``; 202, or 200 with ``?confirm=true``) whose rule the contract
holds: a refusal the chain gives before the operation is accepted is a problem now (``AUC-4xx``). Reads come
from the index; bidders appear as bidder codes, and only the lot's court sees the address behind a code.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from chain.contracts.consortium import Role
from node_api.deps import Caller, EventsDep, SessionDep, StateDep, authorize, holds_role
from node_api.openapi import problem
from node_api.routes._writes import OPERATION_RESPONSES, WriteRequest, write_request
from node_api.schemas.auctions import (
    AppraisalCreate,
    BidCreate,
    BidsPublic,
    ConfirmationCreate,
    FixedPriceCreate,
    ListingCreate,
    LotApprove,
    LotOrder,
    LotPublic,
    LotsPublic,
    PreemptionCreate,
    RelistCreate,
)
from node_api.services import auctions as svc
from node_api.services.events import EVENT_KEY_PATTERN, parse_event_key
from node_api.state import GatewayState

router = APIRouter(prefix="/auctions", tags=["judicial auctions"])

AUCTION_WRITE: dict[int | str, dict[str, Any]] = {
    **OPERATION_RESPONSES,
    403: {"description": "`AUC-403` not eligible (KYC tier, barred, no deposit) or not the lot's seller/court/winner"},
    404: {"description": "`AUC-404` no such lot"},
    409: {"description": "`AUC-409` the lot is not in the state this step needs; `AUC-412` bid below the minimum"},
    422: {"description": "`AUC-422` terms break the auction rules (start ≥ 70 %, deposit 5–20 %, window ≥ 24 h)"},
}

LotPath = Annotated[int, Path(ge=1, le=2**32 - 1, description="the lot id on chain")]
Reader = Annotated[Caller, Depends(authorize("auctions:read"))]
MemberWrite = Annotated[WriteRequest, Depends(write_request("auctions:write"))]
CourtWrite = Annotated[WriteRequest, Depends(write_request("auctions:write", Role.COURT))]
InvestorWrite = Annotated[WriteRequest, Depends(write_request("auctions:write", Role.INVESTOR))]


async def _chain_time(state: GatewayState) -> int:
    return await state.reads.get(("chain_time",), svc.chain_time_reader(state.recourse))


# --- sellers and courts ---


@router.post("/appraisals", status_code=202, responses=AUCTION_WRITE)
async def enter_appraisal(body: AppraisalCreate, w: CourtWrite) -> JSONResponse:
    """A court enters an asset's appraisal (the report's digest on chain); a listing may use it instead of an
    oracle valuation."""
    return await w.submit(svc.submit_appraisal, **body.model_dump())


@router.post("/lots", status_code=202, responses=AUCTION_WRITE)
async def list_lot(body: ListingCreate, w: MemberWrite) -> JSONResponse:
    """A BANK (or a COURT) lists a lot: anchored documents, an appraisal (an oracle feed's fresh valuation of
    the asset, or the court's), start ≥ 70 % of it, deposit 5–20 % of the start, window ≥ 24 h. Find the new
    lot with `GET /auctions/lots?listed_in=<tx_hash>` once the operation succeeded."""
    return await w.submit(svc.submit_listing, **body.model_dump())


@router.post("/lots/{lot_id}/relisting", status_code=202, responses=AUCTION_WRITE)
async def relist_lot(lot_id: LotPath, body: RelistCreate, w: MemberWrite) -> JSONResponse:
    """The seller relists a failed or defaulted lot within 30 days, at a start at most 20 % lower."""
    return await w.submit(svc.submit_relist, lot_id=lot_id, **body.model_dump())


@router.post("/lots/{lot_id}/approval", status_code=202, responses=AUCTION_WRITE)
async def approve_lot(lot_id: LotPath, body: LotApprove, w: CourtWrite) -> JSONResponse:
    """A court approves a listed lot and becomes its court; the announcement period starts now."""
    return await w.submit(svc.submit_approval, lot_id=lot_id, forfeit_to=body.forfeit_to)


@router.post("/lots/{lot_id}/suspension", status_code=202, responses=AUCTION_WRITE)
async def suspend_lot(lot_id: LotPath, body: LotOrder, w: CourtWrite) -> JSONResponse:
    """The lot's court suspends it (暂缓); the time left is kept."""
    return await w.submit(svc.submit_suspend, lot_id=lot_id, order_digest=body.order_digest)


@router.post("/lots/{lot_id}/resumption", status_code=202, responses=AUCTION_WRITE)
async def resume_lot(lot_id: LotPath, w: CourtWrite) -> JSONResponse:
    """The lot's court resumes it; its start and end move by the time it was suspended."""
    return await w.submit(svc.submit_resume, lot_id=lot_id)


@router.post("/lots/{lot_id}/cancellation", status_code=202, responses=AUCTION_WRITE)
async def cancel_lot(lot_id: LotPath, body: LotOrder, w: CourtWrite) -> JSONResponse:
    """The court cancels a lot before its first bid; depositors withdraw."""
    return await w.submit(svc.submit_cancel, lot_id=lot_id, order_digest=body.order_digest)


@router.post("/lots/{lot_id}/preemption-holders", status_code=202, responses=AUCTION_WRITE)
async def register_preemption(lot_id: LotPath, body: PreemptionCreate, w: CourtWrite) -> JSONResponse:
    """The lot's court registers a pre-emption holder (优先购买权人), who may match the highest bid."""
    return await w.submit(svc.submit_preemption, lot_id=lot_id, holder=body.holder)


@router.post("/lots/{lot_id}/confirmation", status_code=202, responses=AUCTION_WRITE)
async def confirm_sale(lot_id: LotPath, body: ConfirmationCreate, w: CourtWrite) -> JSONResponse:
    """The lot's court confirms a paid sale (成交裁定) and allocates the price to payees (fees, priority
    creditors, the seller), who withdraw it."""
    return await w.submit(svc.submit_confirmation, lot_id=lot_id, **body.model_dump())


@router.post("/lots/{lot_id}/fixed-price-offer", status_code=202, responses=AUCTION_WRITE)
async def offer_fixed_price(lot_id: LotPath, body: FixedPriceCreate, w: CourtWrite) -> JSONResponse:
    """After a second failed auction the court offers the asset at a fixed price (变卖) as a new lot."""
    return await w.submit(svc.submit_fixed_price, lot_id=lot_id, **body.model_dump())


# --- bidders ---


@router.post("/lots/{lot_id}/deposit", status_code=202, responses=AUCTION_WRITE)
async def lock_deposit(lot_id: LotPath, w: InvestorWrite) -> JSONResponse:
    """Lock the lot's deposit (an exact rCNY approval first if needed) and get a bidder code."""
    return await w.submit(svc.submit_deposit, lot_id=lot_id)


@router.post("/lots/{lot_id}/bids", status_code=202, responses=AUCTION_WRITE)
async def place_bid(lot_id: LotPath, body: BidCreate, w: InvestorWrite) -> JSONResponse:
    """Bid: at least the start (first bid) or the highest plus the increment; a bid in the last 5 minutes
    moves the end to 5 minutes after it. Refused at once (`AUC-412`, `AUC-409`) when the chain says no."""
    return await w.submit(svc.submit_bid, lot_id=lot_id, amount_fen=body.amount_fen)


@router.post("/lots/{lot_id}/match", status_code=202, responses=AUCTION_WRITE)
async def match_bid(lot_id: LotPath, w: InvestorWrite) -> JSONResponse:
    """A pre-emption holder takes the highest bid at the same price."""
    return await w.submit(svc.submit_match, lot_id=lot_id)


@router.post("/lots/{lot_id}/purchase", status_code=202, responses=AUCTION_WRITE)
async def buy_lot(lot_id: LotPath, w: InvestorWrite) -> JSONResponse:
    """Buy a fixed-price lot, paying its price in full; the first valid purchase wins."""
    return await w.submit(svc.submit_purchase, lot_id=lot_id)


@router.post("/lots/{lot_id}/payment", status_code=202, responses=AUCTION_WRITE)
async def pay_balance(lot_id: LotPath, w: InvestorWrite) -> JSONResponse:
    """The winner pays the balance (price − deposit) by the payment deadline."""
    return await w.submit(svc.submit_payment, lot_id=lot_id)


@router.post("/lots/{lot_id}/deposit-withdrawal", status_code=202, responses=AUCTION_WRITE)
async def withdraw_deposit(lot_id: LotPath, w: MemberWrite) -> JSONResponse:
    """Take back the deposit of a lot that closed (and that the caller did not win) or was cancelled."""
    return await w.submit(svc.submit_deposit_withdrawal, lot_id=lot_id)


@router.post("/withdrawals", status_code=202, responses=AUCTION_WRITE)
async def withdraw_owed(w: MemberWrite) -> JSONResponse:
    """Withdraw everything the caller is owed (proceeds of confirmed sales, forfeited deposits)."""
    return await w.submit(svc.submit_withdrawal)


# --- anyone ---


@router.post("/lots/{lot_id}/closing", status_code=202, responses=AUCTION_WRITE)
async def close_lot(lot_id: LotPath, w: MemberWrite) -> JSONResponse:
    """Close a lot whose bidding ended: failed (流拍) without a bid, else the winner owes the balance."""
    return await w.submit(svc.submit_close, lot_id=lot_id)


@router.post("/lots/{lot_id}/default", status_code=202, responses=AUCTION_WRITE)
async def declare_default(lot_id: LotPath, w: MemberWrite) -> JSONResponse:
    """After the payment deadline: the winner's deposit is forfeited (悔拍) and it is barred from the relisting."""
    return await w.submit(svc.submit_default, lot_id=lot_id)


# --- reads ---


@router.get("/lots")
async def read_lots(
    state: StateDep,
    session: SessionDep,
    _caller: Reader,
    status: Annotated[str | None, Query(max_length=20, pattern=r"^[a-z_]+$")] = None,
    asset: Annotated[str | None, Query(max_length=128)] = None,
    listed_in: Annotated[
        str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$", description="the transaction that listed the lot")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> LotsPublic:
    """Lots from the index, newest first (bidder codes only)."""
    now = await _chain_time(state)
    return await run_in_threadpool(
        lambda: svc.list_lots(
            session=session, chain_time=now, status=status, asset=asset, listed_in=listed_in, limit=limit, offset=offset
        )
    )


@router.get("/lots/{lot_id}", responses={404: problem(404, "AUC-404", "No such lot", "no lot 7")})
async def read_lot(lot_id: LotPath, state: StateDep, session: SessionDep, caller: Reader) -> LotPublic:
    """One lot with the caller's own bidder code and deposit; the lot's court also sees who is behind each
    bidder code."""
    now = await _chain_time(state)
    court = await holds_role(state, caller.institution, Role.COURT)
    address = caller.institution.address
    return await run_in_threadpool(
        lambda: svc.get_lot(session=session, lot_id=lot_id, chain_time=now, viewer=address, viewer_is_court=court)
    )


@router.get("/lots/{lot_id}/bids", responses={404: problem(404, "AUC-404", "No such lot", "no lot 7")})
async def read_bids(
    lot_id: LotPath,
    session: SessionDep,
    _caller: Reader,
    after: Annotated[str | None, Query(pattern=EVENT_KEY_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> BidsPublic:
    """A lot's accepted bids in order: bidder code, amount, the end after the bid and whether it moved it."""
    return await run_in_threadpool(lambda: svc.list_bids(session=session, lot_id=lot_id, after=after, limit=limit))


@router.get("/owed")
async def read_owed(session: SessionDep, caller: Reader) -> dict[str, Any]:
    """What the caller may withdraw with `POST /auctions/withdrawals` (from the index)."""
    address = caller.institution.address
    owed = await run_in_threadpool(lambda: svc.owed_to(session=session, address=address))
    return {"address": address, "owed_fen": owed}


@router.get(
    "/lots/{lot_id}/room",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-Sent Events of one lot: deposits (code only), bids with the end after each, "
            "suspensions, close, payment, default, confirmation",
            "content": {
                "text/event-stream": {
                    "example": "id: 000000000042/000000/000001\nevent: "
                    'JudicialAuction.BidPlaced\ndata: {"args": {"lotId": 1}}\n\n'
                }
            },
        },
        503: problem(503, "GEN-503", "Not ready", "event streams are not running on this gateway"),
    },
)
async def lot_room(
    lot_id: LotPath,
    request: Request,
    state: StateDep,
    session: SessionDep,
    caller: Reader,
    hub: EventsDep,
    after: Annotated[str | None, Query(pattern=EVENT_KEY_PATTERN)] = None,
    limit: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    timeout: Annotated[float | None, Query(gt=0, le=86_400)] = None,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> StreamingResponse:
    """The lot's live room: its stored events after the cursor (`Last-Event-ID`, else `after`), then new ones
    as they are indexed; resume with the last `id` to miss nothing. Bidders appear by code (`bidder_code`);
    the lot's court also sees addresses. The first message (`event: lot`) is the lot now, with `chain_time`:
    count down to `ends_at` in block time, and move the end when a bid's `endsAt` moves it."""
    now = await _chain_time(state)
    court = await holds_role(state, caller.institution, Role.COURT)
    address = caller.institution.address
    lot = await run_in_threadpool(
        lambda: svc.get_lot(session=session, lot_id=lot_id, chain_time=now, viewer=address, viewer_is_court=court)
    )
    session.close()
    cursor = parse_event_key(last_event_id, what="Last-Event-ID") if last_event_id else (after or "")
    court_view = lot.bidders is not None

    async def body() -> Any:
        yield f"event: lot\ndata: {lot.model_dump_json()}\n\n"
        async for chunk in svc.room_stream(
            hub.stream,
            after=cursor,
            lot_id=lot_id,
            court_view=court_view,
            is_disconnected=request.is_disconnected,
            limit=limit,
            timeout=timeout,
        ):
            yield chunk

    return StreamingResponse(
        body(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
