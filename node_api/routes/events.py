"""Routes: stored Recourse events, paged (``GET /events``) and streamed as Server-Sent Events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from chain.contracts.consortium import Role
from node_api.deps import Caller, EventsDep, SessionDep, StateDep, authorize, holds_role
from node_api.openapi import problem
from node_api.services.auctions import redacted
from node_api.services.events import (
    EVENT_KEY_PATTERN,
    EventFilter,
    EventsPublic,
    list_events,
    parse_event_key,
)
from node_api.streams import catalogue_of

router = APIRouter(tags=["events"])
Reader = Annotated[Caller, Depends(authorize("events:read"))]
AfterQuery = Annotated[
    str | None,
    Query(pattern=EVENT_KEY_PATTERN, description="only events with a key after this one (block/tx/log)"),
]
ContractQuery = Annotated[
    list[str] | None,
    Query(max_length=32, description="contract name(s), repeatable or comma-separated (e.g. SettlementToken)"),
]
EventQuery = Annotated[
    list[str] | None,
    Query(max_length=64, description="event name(s) (Transfer) or Contract.Event, repeatable or comma-separated"),
]


@router.get("/events")
async def read_events(
    caller: Reader,
    state: StateDep,
    session: SessionDep,
    after: AfterQuery = None,
    contract: ContractQuery = None,
    event: EventQuery = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventsPublic:
    """Indexed events in key order. Pass the page's `next_after` as `after` to read on. Event arguments:
    bytes as 0x-hex, addresses checksummed, integers beyond 2**53-1 as decimal strings.

    Live: `GET /events/stream` (same filters, scope events:read) is a Server-Sent Events stream: the stored
    events after the cursor (`Last-Event-ID` header, else `after`), then new ones as they are indexed;
    `id` = event key, `event` = Contract.EventName, `data` = the event JSON; optional `limit` (events) and
    `timeout` (seconds) end it."""
    flt = EventFilter.parse(contracts=contract, events=event, catalogue=catalogue_of(state))
    court = await holds_role(state, caller.institution, Role.COURT)
    page = await run_in_threadpool(lambda: list_events(session=session, after=after, flt=flt, limit=limit))
    if not court:
        page.data = [redacted(e) for e in page.data]
    return page


@router.get(
    "/events/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-Sent Events (endless unless `limit` or `timeout` ends it)",
            "content": {
                "text/event-stream": {
                    # one Server-Sent Event (OpenAPI 3.2's itemSchema, as schema-driven tools read it here)
                    "schema": {
                        "type": "object",
                        "required": ["data"],
                        "properties": {
                            "id": {"type": "string", "description": "the event key (resume with Last-Event-ID)"},
                            "event": {"type": "string", "description": "Contract.EventName, or reorg"},
                            "data": {
                                "type": "string",
                                "contentMediaType": "application/json",
                                "description": "the event as in GET /events",
                            },
                            "retry": {"type": "integer"},
                        },
                    },
                    "example": 'id: 000000001234/000002/000001\nevent: SettlementToken.Transfer\ndata: {"key": '
                    '"000000001234/000002/000001", "type": "SettlementToken.Transfer"}\n\n',
                }
            },
        },
        503: problem(503, "GEN-503", "Not ready", "event streams are not running on this gateway"),
    },
)
async def stream_events(
    request: Request,
    caller: Reader,
    state: StateDep,
    session: SessionDep,
    hub: EventsDep,
    after: AfterQuery = None,
    contract: ContractQuery = None,
    event: EventQuery = None,
    limit: Annotated[int | None, Query(ge=1, le=1_000_000, description="end the stream after N events")] = None,
    timeout: Annotated[float | None, Query(gt=0, le=86_400, description="end the stream after N seconds")] = None,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> StreamingResponse:
    """Server-Sent Events: first the stored events after the cursor (`Last-Event-ID` header, else
    `after`), then new ones as they are indexed. Each message: `id` = event key, `event` =
    Contract.EventName, `data` = the event as JSON (as in `GET /events`). Reconnect with the last `id`
    to miss nothing. A `reorg` message rewinds the cursor to the common ancestor of a reorganisation."""
    court = await holds_role(state, caller.institution, Role.COURT)
    session.close()  # the stream may last hours: give the connection back now (auth is done)
    cursor = parse_event_key(last_event_id, what="Last-Event-ID") if last_event_id else (after or "")
    flt = EventFilter.parse(contracts=contract, events=event, catalogue=hub.catalogue)
    body = hub.stream(
        after=cursor,
        flt=flt,
        is_disconnected=request.is_disconnected,
        limit=limit,
        timeout=timeout,
        select=None if court else redacted,
    )
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
