"""The console's auction room: lots, one lot live (bids by bidder code over SSE, a countdown in block time that
moves with extensions), the viewer's own deposit and bid form.

Reads come from the gateway's index through ``node_api.services.auctions`` (as ``GET /auctions/lots…``); the live
part is the lot's room stream (``EventHub.stream`` with the room's filter and view, as
``GET /auctions/lots/{id}/room``) turned into HTML fragments that htmx's SSE extension swaps in. Deposits and
bids are operations through the one write path (``routes._writes.WriteRequest``) with the form's own
idempotency key, so a form sent twice is one operation.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from chain.contracts.consortium import Role
from chain.contracts.judicial_auction import bidder_code_label
from node_api.deps import holds_role
from node_api.problems import CoreError, NotFoundError, NotReadyError
from node_api.schemas import OperationPublic
from node_api.schemas.auctions import LotPublic
from node_api.services import auctions as svc
from node_api.services.confirm import to_public
from node_api.services.events import EVENT_KEY_PATTERN, EventPublic
from node_api.services.operations import get_operation
from node_api.state import GatewayState

if TYPE_CHECKING:
    from node_api.console.router import Console, Viewer


__all__ = ["LiveFragments", "add_auction_routes", "fen_of_yuan"]

MAX_FEN = 2**96 - 1
_EVENT_KEY = re.compile(EVENT_KEY_PATTERN)


def fen_of_yuan(text: str) -> int | None:
    """``"705000.5"`` → 70500050 fen; ``None`` when it is not a positive amount with at most 2 decimals."""
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        return None
    fen = value * 100
    if not value.is_finite() or fen != fen.to_integral_value() or fen <= 0 or fen > MAX_FEN:
        return None
    return int(fen)


async def chain_time(state: GatewayState) -> int:
    return await state.reads.get(("chain_time",), svc.chain_time_reader(state.recourse))


async def _lot(state: GatewayState, viewer: Viewer, lot_id: int) -> LotPublic:
    now = await chain_time(state)
    court = await holds_role(state, viewer.institution, Role.COURT)
    address = viewer.institution.address

    def read() -> LotPublic:
        with Session(state.engine) as s:
            return svc.get_lot(session=s, lot_id=lot_id, chain_time=now, viewer=address, viewer_is_court=court)

    return await run_in_threadpool(read)


async def operation_outcome(state: GatewayState, institution: str, op_id: str) -> OperationPublic | None:
    """The institution's operation ``op_id`` as it is now (``None``: no such operation of this institution), and
    once it is mined, after the gateway's index has reached its block, so the page shows what it changed."""
    if not op_id or len(op_id) > 64:
        return None
    found = state.finished.get(institution, op_id)
    if found is None:

        def read() -> OperationPublic | None:
            with Session(state.engine) as s:
                try:
                    return to_public(get_operation(session=s, institution=institution, operation_id=op_id))
                except NotFoundError:
                    return None

        found = await run_in_threadpool(read)
    if found is not None and found.block_number is not None:
        await _indexed(state, found.block_number)
    return found


async def _indexed(state: GatewayState, block: int, timeout: float = 5.0) -> None:
    """Wait (bounded) until the gateway's index has reached ``block``."""
    indexer = state.services.indexer
    deadline = asyncio.get_running_loop().time() + timeout
    while indexer is not None and indexer.position.block < block:
        if asyncio.get_running_loop().time() > deadline:
            return
        await asyncio.sleep(0.05)


def _may_bid(viewer: Viewer) -> bool:
    return ("auctions:write" in viewer.scopes or "*" in viewer.scopes) and Role.INVESTOR.value in viewer.roles


def _sse(event: str, html: str, key: str = "") -> str:
    """One SSE message of HTML; ``key`` (an event key) becomes its ``id``, so a reconnecting browser sends it
    back as ``Last-Event-ID`` and resumes after it (no bid shown twice, none missed)."""
    data = "\n".join(f"data: {line}" for line in html.splitlines() or [""])
    return (f"id: {key}\n" if key else "") + f"event: {event}\n{data}\n\n"


class LiveFragments:
    """The live rooms' HTML fragments, shared by every open room of one console: a bid row per (event key, block
    hash, language, view) and the lot's summary per (lot, last event shown, language, viewing institution, view)
    are read and rendered once, however many rooms show them (not once per room: with 100 rooms on a lot, that
    was 100 index reads per bid). Rooms asking at the same time wait for the first one's work, which runs as its
    own task (a room that closes meanwhile does not cancel it for the others); a failure is not kept, so the next
    room tries again. The ``capacity`` most recent fragments are kept."""

    def __init__(self, capacity: int = 2048) -> None:
        self._capacity = capacity
        self._done: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        self._inflight: dict[tuple[Any, ...], asyncio.Task[str]] = {}

    def __len__(self) -> int:
        return len(self._done)

    async def get(self, key: tuple[Any, ...], make: Callable[[], Awaitable[str]]) -> str:
        hit = self._done.get(key)
        if hit is not None:
            self._done.move_to_end(key)
            return hit
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(make())
            self._inflight[key] = task
            task.add_done_callback(lambda t: self._finished(key, t))
        return await asyncio.shield(task)

    def _finished(self, key: tuple[Any, ...], task: asyncio.Task[str]) -> None:
        self._inflight.pop(key, None)
        if task.cancelled() or task.exception() is not None:  # retrieved here: each waiter gets it raised
            return
        self._done[key] = task.result()
        while len(self._done) > self._capacity:
            self._done.popitem(last=False)


def add_auction_routes(console: Console, router: APIRouter) -> None:  # noqa: C901 - the room's handlers together
    prefix = "/auctions"
    fragments = LiveFragments()

    @router.get(prefix)
    async def lots_page(request: Request) -> Response:
        viewer, denied = await console.page_viewer(request, "auctions")
        if denied is not None:
            return denied
        state = console.state(request)
        now = await chain_time(state)

        def read() -> list[LotPublic]:
            with Session(state.engine) as s:
                return svc.list_lots(
                    session=s, chain_time=now, status=None, asset=None, listed_in=None, limit=100, offset=0
                ).data

        lots = await run_in_threadpool(read)
        return console.render(request, "auctions.html", viewer=viewer, lots=lots, chain_time=now)

    @router.get(prefix + "/{lot_id:int}")
    async def room_page(request: Request, lot_id: int, notice: str = "", op: str = "") -> Response:
        viewer, denied = await console.page_viewer(request, "auctions")
        if denied is not None:
            return denied
        state = console.state(request)
        outcome = await operation_outcome(state, viewer.institution.name, op)
        try:
            lot = await _lot(state, viewer, lot_id)
        except CoreError as exc:
            return console.render(request, "error.html", status=exc.http_status, viewer=viewer, message=exc.detail)

        def read() -> list[Any]:
            with Session(state.engine) as s:
                return svc.list_bids(session=s, lot_id=lot_id, after=None, limit=1000).data

        bids = await run_in_threadpool(read)
        last = bids[-1].key if bids else ""
        return console.render(
            request,
            "auction_room.html",
            viewer=viewer,
            lot=lot,
            bids=list(reversed(bids)),
            after=last,
            may_bid=_may_bid(viewer),
            form_key=uuid.uuid4().hex,
            notice=notice,
            outcome=outcome,
        )

    async def _write(request: Request, lot_id: int, fn: Callable[..., Any], **args: Any) -> Response:
        viewer, denied = await console.page_viewer(request, "auctions")
        if denied is not None:
            return denied
        fields = await console.form(request, viewer.session.id)
        target = f"/console/auctions/{lot_id}"
        if not _may_bid(viewer):
            return console.render(
                request, "error.html", status=403, viewer=viewer, message="bid_denied", code="AUTH-003"
            )
        if "amount_yuan" in args:
            fen = fen_of_yuan(fields.get("amount_yuan", ""))
            if fen is None:
                return RedirectResponse(f"{target}?notice=bad_amount", status_code=303)
            args = {"amount_fen": fen}
        return await console.submit_form(request, viewer, fields, fn, back=target, lot_id=lot_id, **args)

    @router.post(prefix + "/{lot_id:int}/deposit")
    async def deposit(request: Request, lot_id: int) -> Response:
        return await _write(request, lot_id, svc.submit_deposit)

    @router.post(prefix + "/{lot_id:int}/bids")
    async def bid(request: Request, lot_id: int) -> Response:
        return await _write(request, lot_id, svc.submit_bid, amount_yuan="")

    @router.get(prefix + "/{lot_id:int}/live")
    async def live(request: Request, lot_id: int, after: str = "") -> Response:
        from node_api.console.router import SignInRequired  # the router imports this module while it is built

        viewer, denied = await console.page_viewer(request, "auctions")
        if denied is not None:
            return denied
        state = console.state(request)
        hub = state.services.events
        if hub is None or hub.closed:
            raise NotReadyError("event streams are not running on this gateway")
        lot = await _lot(state, viewer, lot_id)
        resume = request.headers.get("last-event-id", "")
        cursor = resume if _EVENT_KEY.match(resume) else after if _EVENT_KEY.match(after or "") else ""
        court_view = lot.bidders is not None
        view = svc.room_message(lot_id, court_view=court_view)
        seen: deque[EventPublic] = deque()

        async def bid_row(ev: EventPublic) -> str:
            return console.fragment(request, "auction_bid_row.html", bid=_bid_of(ev))

        async def summary_now() -> str:
            return console.fragment(request, "auction_summary.html", lot=await _lot(state, viewer, lot_id))

        def select(ev: EventPublic) -> EventPublic | None:
            shown = view(ev)
            if shown is not None:
                seen.append(shown)
            return shown

        async def body() -> AsyncIterator[str]:
            async for chunk in hub.stream(
                after=cursor, flt=svc.room_filter(), select=select, is_disconnected=request.is_disconnected
            ):
                try:  # the viewer is re-checked at every message and keep-alive: a revoked key ends the stream
                    _, lost = await console.page_viewer(request, "auctions")
                except SignInRequired:
                    return
                if lost is not None:
                    return
                if not seen:
                    if chunk.startswith(("retry:", ":")):
                        yield chunk  # the reconnection delay and keep-alive comments
                    continue
                last, last_block = "", ""
                lang = console.lang(request)
                while seen:
                    ev = seen.popleft()
                    last, last_block = ev.key, ev.block_hash  # a key names one event of one branch (reorgs)
                    if ev.name == "BidPlaced":
                        row = await fragments.get(
                            ("bid", ev.key, ev.block_hash, lang, court_view), partial(bid_row, ev)
                        )
                        yield _sse("bid", row, ev.key)
                summary = await fragments.get(
                    ("lot", lot_id, last, last_block, lang, viewer.institution.address, court_view), summary_now
                )
                yield _sse("lot", summary, last)

        return StreamingResponse(
            body(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )


def _bid_of(ev: EventPublic) -> dict[str, Any]:
    args = ev.args
    code = args.get("bidder_code") or bidder_code_label(int(args.get("code", 0)))
    return {
        "key": ev.key,
        "block_number": ev.block_number,
        "bidder_code": code,
        "amount_fen": int(args["amount"]),
        "ends_at": int(args["endsAt"]),
        "preemption": bool(args.get("preemption", False)),
    }
