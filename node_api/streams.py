"""Event streams: the indexer thread, Server-Sent Events and the webhook dispatcher.

``start_stream_services(state)`` (a lifespan hook of ``create_app``) starts the indexer and the
webhook dispatcher threads and puts them, and the SSE hub, into ``state.services``
(``.indexer``, ``.webhooks``, ``.events``); the returned callable stops them.

* **SSE** (``EventHub.stream``): replays stored events with key > the client's cursor in key order,
  then tails new ones. New events are noticed through the indexer's ``EventBell`` (an in-memory
  counter polled every ``sse_poll`` seconds) and, for indexers in other processes, by reading the
  database every ``sse_refresh`` seconds. Each message is ``id: <event key>``, ``event:
  <Contract.EventName>``, ``data: <json>``; a comment is sent every ``sse_ping`` seconds to keep the
  connection alive. The stream ends when the client disconnects, on ``limit``/``timeout`` and when the
  gateway shuts down. After a reorg the stream sends ``event: reorg`` whose ``id`` rewinds the cursor to
  the common ancestor, then the events of the new branch.
* **Webhooks** (``WebhookDispatcher``): one thread; per subscription, events are POSTed one at a time
  in key order; the cursor moves only after a 2xx answer (at-least-once). A failure (non-2xx, a
  redirect, a timeout) schedules a retry after ``retry_base * 2**(attempts-1)`` seconds, capped at
  ``retry_cap``; other subscriptions are not held up. An institution that is not an active member on
  chain right now (suspended, expired licence) receives nothing until it is active again; its
  subscriptions keep their cursors, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial

import anyio
import anyio.to_thread
import httpx
from pydantic import BaseModel, Field
from sqlalchemy import Engine, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel, select

from chain import ChainError
from chain.contracts.consortium import Role
from node_api.db.models import Webhook, utcnow
from node_api.indexer import EventBell, Indexer
from node_api.services.auctions import AUCTION_CONTRACT, auction_notice, redacted
from node_api.services.events import (
    EventFilter,
    EventPublic,
    block_boundary,
    event_catalogue,
    event_json,
    fetch_events,
    sse_message,
)
from node_api.services.webhooks import SIGNATURE_HEADER, sign_body
from node_api.state import GatewayState

__all__ = ["EventHub", "StreamSettings", "WebhookDispatcher", "catalogue_of", "start_stream_services"]

logger = logging.getLogger(__name__)
_WEBHOOKS = SQLModel.metadata.tables[str(Webhook.__tablename__)]


class StreamSettings(BaseModel):
    """Tuning of the SSE hub and the webhook dispatcher (defaults suit production)."""

    #: seconds between checks of the in-memory bell by each SSE stream
    sse_poll: float = Field(default=0.1, gt=0)
    #: seconds between database reads of an idle SSE stream (catches indexers in other processes)
    sse_refresh: float = Field(default=1.0, gt=0)
    #: seconds between keep-alive comments
    sse_ping: float = Field(default=15.0, gt=0)
    #: events read per database query
    sse_batch: int = Field(default=500, ge=1, le=10_000)
    #: first retry delay of a failed webhook delivery (doubles per attempt)
    webhook_retry_base: float = Field(default=1.0, gt=0)
    #: longest retry delay
    webhook_retry_cap: float = Field(default=300.0, gt=0)
    #: HTTP timeout of one delivery
    webhook_timeout: float = Field(default=10.0, gt=0)
    #: events delivered to one subscription before the dispatcher looks at the others
    webhook_batch: int = Field(default=100, ge=1)
    #: seconds between dispatcher rounds when idle
    webhook_poll: float = Field(default=0.5, gt=0)


class EventHub:
    """Serves SSE streams from the index; ``close()`` ends every open stream."""

    def __init__(
        self, *, engine: Engine, bell: EventBell, catalogue: Mapping[str, frozenset[str]], config: StreamSettings
    ) -> None:
        self.engine = engine
        self.bell = bell
        self.catalogue = catalogue
        self.config = config
        self._closed = threading.Event()
        self.open_streams = 0
        self._limiter: anyio.CapacityLimiter | None = None

    def _reads(self) -> anyio.CapacityLimiter:
        """The streams' own worker threads for their database reads. Requests share the default pool (40
        threads): under a burst of writes that plan in it (a closing war's bids, each asking the chain), a
        stream's read would queue behind them, and a live room would fall a second behind."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(8)
        return self._limiter

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        self._closed.set()

    async def stream(
        self,
        *,
        after: str,
        flt: EventFilter,
        is_disconnected: Callable[[], Awaitable[bool]],
        limit: int | None = None,
        timeout: float | None = None,
        select: Callable[[EventPublic], EventPublic | None] | None = None,
    ) -> AsyncIterator[str]:
        """SSE text: stored events after ``after`` (``""``: from the first), then new ones as indexed.

        ``select`` narrows and reshapes what is sent (``None`` drops an event: a lot's live room sends only
        that lot's events, without addresses); the cursor still moves past every event read."""
        cfg = self.config
        cursor = after
        seen = self.bell.generation
        sent = 0
        started = last_write = time.monotonic()
        last_read = float("-inf")
        dirty = True
        self.open_streams += 1
        try:
            yield f"retry: 2000\n: recourse events after {cursor or 'the first'}\n\n"
            while not self.closed:
                if await is_disconnected():
                    return
                now = time.monotonic()
                if timeout is not None and now - started >= timeout:
                    return
                generation = self.bell.generation
                if generation != seen:
                    rewind = self.bell.rewind_since(seen)
                    seen, dirty = generation, True
                    if rewind is not None and cursor > block_boundary(rewind):
                        cursor = block_boundary(rewind)
                        body = json.dumps({"ancestor_block": rewind, "resume_after": cursor})
                        yield f"id: {cursor}\nevent: reorg\ndata: {body}\n\n"
                if dirty or now - last_read >= cfg.sse_refresh:
                    batch = cfg.sse_batch if limit is None else min(cfg.sse_batch, limit - sent)
                    try:
                        events: list[EventPublic] = await anyio.to_thread.run_sync(
                            partial(fetch_events, engine=self.engine, after=cursor or None, flt=flt, limit=batch),
                            limiter=self._reads(),
                        )
                    except SQLAlchemyError as exc:  # keep the stream; the client is not to blame
                        logger.warning("sse.read_failed after=%s error=%s", cursor, exc.__class__.__name__)
                        last_read = time.monotonic()
                        await asyncio.sleep(1.0)
                        continue
                    last_read = time.monotonic()
                    dirty = len(events) == batch
                    if events:
                        cursor = events[-1].key
                        shown = events if select is None else [m for ev in events if (m := select(ev)) is not None]
                        if shown:
                            yield "".join(sse_message(ev) for ev in shown)
                            sent += len(shown)
                            last_write = last_read
                            if limit is not None and sent >= limit:
                                return
                        continue
                if now - last_write >= cfg.sse_ping:
                    yield ": keep-alive\n\n"
                    last_write = now
                await asyncio.sleep(cfg.sse_poll)
        finally:
            self.open_streams -= 1


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


@dataclass(frozen=True)
class _Hook:
    id: str
    institution: str
    url: str
    secret: str
    cursor: str
    attempts: int
    flt: EventFilter


class WebhookDispatcher:
    """Delivers indexed events to webhook subscriptions (see module docstring)."""

    def __init__(
        self,
        *,
        engine: Engine,
        bell: EventBell,
        config: StreamSettings,
        allowed: Callable[[str], bool] | None = None,
        transport: httpx.BaseTransport | None = None,
        notice: Callable[[EventPublic, str], dict[str, object] | None] | None = None,
        view: Callable[[EventPublic, str], EventPublic] | None = None,
    ) -> None:
        self.engine = engine
        #: what an event means for the receiving institution (an auction's outbid / extended / won), if anything
        self.notice = notice
        #: what the receiving institution may see of an event (bidders' addresses only for courts)
        self.view = view or (lambda event, _institution: event)
        self.bell = bell
        self.config = config
        #: whether an institution may receive events now (an active member); others wait, cursor kept
        self.allowed = allowed or (lambda _institution: True)
        timeout = httpx.Timeout(config.webhook_timeout, connect=min(config.webhook_timeout, 5.0))
        self._http = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: per subscription: (cursor, bell generation, when) of the last read that found nothing new
        self._idle: dict[str, tuple[str, int, float]] = {}
        #: earliest scheduled retry among the subscriptions skipped in the last round
        self._next_due: dt.datetime | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():  # a delivery is still waiting for a slow receiver: it ends with its timeout
                logger.warning("webhook.dispatcher.stop_timeout seconds=%.1f", timeout)
                return
        self._http.close()

    def _run(self) -> None:
        generation = self.bell.generation
        while not self._stop.is_set():
            try:
                progressed = self.step()
            except Exception:  # noqa: BLE001 - the dispatcher must never die
                logger.exception("webhook.dispatcher.error")
                progressed = False
                self._stop.wait(1.0)
            if not progressed and not self._stop.is_set():
                wait = self.config.webhook_poll
                if self._next_due is not None:
                    wait = min(wait, max((self._next_due - utcnow()).total_seconds(), 0.001))
                generation = self.bell.wait(generation, wait)

    def step(self) -> bool:
        """One round over the active subscriptions that are due; returns whether anything was attempted."""
        now = utcnow()
        self._next_due = None
        with Session(self.engine) as s:
            rows = s.exec(select(Webhook).where(Webhook.active == True)).all()  # noqa: E712 - SQL expression
            hooks = []
            for w in rows:
                due = _aware(w.next_attempt_at)
                if due is not None and due > now:
                    self._next_due = due if self._next_due is None else min(self._next_due, due)
                    continue
                hooks.append(
                    _Hook(
                        id=w.id,
                        institution=w.institution,
                        url=w.url,
                        secret=w.secret,
                        cursor=w.cursor,
                        attempts=w.attempts,
                        flt=EventFilter.from_lists(contracts=w.contracts, events=w.events),
                    )
                )
        progressed = False
        verdicts: dict[str, bool] = {}
        for hook in hooks:
            if self._stop.is_set():
                break
            if hook.institution not in verdicts:
                verdicts[hook.institution] = self.allowed(hook.institution)
            if not verdicts[hook.institution]:
                continue
            progressed = self._deliver(hook) or progressed
        return progressed

    def _deliver(self, hook: _Hook) -> bool:
        generation = self.bell.generation
        idle = self._idle.get(hook.id)
        if (
            idle is not None
            and idle[0] == hook.cursor
            and idle[1] == generation
            and time.monotonic() - idle[2] < self.config.webhook_poll * 10
        ):
            return False
        events = fetch_events(
            engine=self.engine, after=hook.cursor or None, flt=hook.flt, limit=self.config.webhook_batch
        )
        if not events:
            self._idle[hook.id] = (hook.cursor, generation, time.monotonic())
            return False
        self._idle.pop(hook.id, None)
        cursor = hook.cursor
        for event in events:
            if self._stop.is_set():
                return True
            error = self._post(hook, event, attempt=hook.attempts + 1)
            if error is not None:
                self._failed(hook, event, error)
                return True
            if not self._advance(hook.id, cursor, event.key):
                return True  # deleted, or rewound by a reorg repair: start again from the stored cursor
            cursor = event.key
            hook = _Hook(hook.id, hook.institution, hook.url, hook.secret, cursor, 0, hook.flt)
        return True

    def _post(self, hook: _Hook, event: EventPublic, *, attempt: int) -> str | None:
        event = self.view(event, hook.institution)
        notice = self.notice(event, hook.institution) if self.notice is not None else None
        if notice is None:
            body = event_json(event).encode()
        else:
            body = json.dumps({**json.loads(event_json(event)), "notice": notice}, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign_body(hook.secret, body),
            "X-Recourse-Event-Key": event.key,
            "X-Recourse-Event": event.type,
            "X-Recourse-Webhook-Id": hook.id,
            "X-Recourse-Delivery-Attempt": str(attempt),
            "User-Agent": "recourse-gateway-webhooks/1",
        }
        if notice is not None:
            headers["X-Recourse-Notice"] = ",".join(str(k) for k in notice.get("kinds", []))  # type: ignore[attr-defined]
        try:
            response = self._http.post(hook.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{exc.__class__.__name__}: {exc}"[:500]
        if 200 <= response.status_code < 300:
            logger.debug(
                "webhook.delivered webhook=%s event_key=%s status=%d", hook.id, event.key, response.status_code
            )
            return None
        return f"HTTP {response.status_code}"

    def _advance(self, webhook_id: str, old: str, new: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(_WEBHOOKS)
                .where(_WEBHOOKS.c.id == webhook_id, _WEBHOOKS.c.cursor == old, _WEBHOOKS.c.active.is_(True))
                .values(
                    cursor=new,
                    delivered=_WEBHOOKS.c.delivered + 1,
                    attempts=0,
                    next_attempt_at=None,
                    last_error=None,
                )
            )
        return bool(result.rowcount == 1)

    def _failed(self, hook: _Hook, event: EventPublic, error: str) -> None:
        attempts = hook.attempts + 1
        delay = min(self.config.webhook_retry_cap, self.config.webhook_retry_base * 2 ** min(attempts - 1, 30))
        with self.engine.begin() as conn:
            conn.execute(
                update(_WEBHOOKS)
                .where(_WEBHOOKS.c.id == hook.id, _WEBHOOKS.c.cursor == hook.cursor)
                .values(attempts=attempts, next_attempt_at=utcnow() + dt.timedelta(seconds=delay), last_error=error)
            )
        logger.warning(
            "webhook.delivery.failed webhook=%s event_key=%s attempt=%d error=%s retry_in=%.2f",
            hook.id,
            event.key,
            attempts,
            error,
            delay,
        )


def catalogue_of(state: GatewayState) -> dict[str, frozenset[str]]:
    """``{contract: event names}`` of this gateway's deployment (from the running hub if there is one)."""
    hub = state.services.events
    if hub is not None:
        return dict(hub.catalogue)
    r = state.recourse
    return event_catalogue(r.abis)


def start_stream_services(state: GatewayState, *, config: StreamSettings | None = None) -> Callable[[], None]:
    """Start the indexer and the webhook dispatcher; put them and the SSE hub in ``state.services``."""
    cfg = config or StreamSettings()
    bell = EventBell()
    recourse = state.recourse
    catalogue = event_catalogue(recourse.abis)
    hub = EventHub(engine=state.engine, bell=bell, catalogue=catalogue, config=cfg)
    state.services.events = hub
    if state.settings.indexer.enabled:
        state.index_reads.generation = lambda: bell.generation
    indexer: Indexer | None = None
    if state.settings.indexer.enabled:
        indexer = Indexer.for_gateway(state, bell=bell)
        state.services.indexer = indexer
        indexer.start()

    def allowed(institution: str) -> bool:
        inst = state.institutions.get(institution)
        if inst is None:
            return False
        try:
            return state.roles.check(inst.address, None, fresh=False)
        except ChainError:
            return False  # unknown while the chain is unreachable: deliver later

    def notice(event: EventPublic, institution: str) -> dict[str, object] | None:
        member = state.institutions.get(institution)
        if member is None or event.contract != AUCTION_CONTRACT:
            return None
        return auction_notice(state.engine, event, member.address)

    def view(event: EventPublic, institution: str) -> EventPublic:
        member = state.institutions.get(institution)
        if event.contract != AUCTION_CONTRACT or member is None:
            return event
        try:
            court = state.roles.check(member.address, Role.COURT, fresh=False)
        except ChainError:
            court = False  # unknown now: show the codes only
        return event if court else redacted(event)

    dispatcher = WebhookDispatcher(
        engine=state.engine, bell=bell, config=cfg, allowed=allowed, notice=notice, view=view
    )
    state.services.webhooks = dispatcher
    dispatcher.start()
    logger.info(
        "streams.started indexer=%s contracts=%s start_block=%d",
        "on" if indexer is not None else "off",
        ",".join(sorted(catalogue)),
        recourse.deployments.start_block,
    )

    def stop() -> None:
        hub.close()
        dispatcher.stop()
        if indexer is not None:
            indexer.stop()
        logger.info("streams.stopped")

    return stop
