"""The indexer: follows the chain and keeps the gateway's SQL index of Recourse events (reorg-safe).

One background thread per gateway process. Each round:

1. reads the head and the chain's hash of the checkpoint block (one JSON-RPC batch). A different hash
   (or a checkpoint above the head) means a reorg: walk back through the recorded block hashes
   (``IndexedBlock``, the last ``window`` of them) to the newest block the chain still has — the common
   ancestor — delete the events above it, ``rewind`` every projection to it, rewind webhook cursors
   past it, move the checkpoint there and index again (the one reorg path of every projection);
2. fetches the logs of every deployed Recourse contract for the next chunk of blocks (up to
   ``head - confirmations``; at most ``page_blocks`` blocks, and about ``page_events`` logs given the
   density seen so far) in a helper thread, reading the hashes of the block before the chunk and of its
   last block before and after ``eth_getLogs``: if either changed, the chain reorganised during the
   fetch and the chunk is fetched again; a chunk whose parent hash is not the checkpoint's hash is never
   stored. While one chunk is written the next ``fetch_depth`` are already being fetched;
3. decodes them with the precomputed decoders of ``chain.events.EventDecoder.decode_rows`` (no web3
   call per log; an undecodable Recourse log stops the indexer rather than being dropped);
4. in ONE database transaction per chunk: moves the checkpoint by compare-and-set (so two gateway
   workers on one database never apply the same blocks twice), bulk-inserts the events keyed by
   ``EventKey`` (an existing key is left alone and not projected again), hands each registered
   projection (``node_api.projections``: members, balances, the case index) its events and records the
   block hashes. The projections keep no position of their own: this checkpoint is the only one.

Bulk pages are parsed, decoded and written with Python's cyclic garbage collector paused (see
``gc_paused``): they allocate hundreds of thousands of acyclic objects, and the collector would
otherwise cost about a third of the CPU time.

Contracts created by a factory are followed from the block that created them: a reducer's ``creates``
hook (``chain.reducers.Reducer``) names them for a factory event; the indexer adds them to the decoder,
fetches only their logs from that block to the end of the chunk, stores them with the chunk, and keeps
them in every later fetch. The contracts followed are listed in ``indexed_contracts`` (with the block
they are indexed from): after a restart the list is followed again, and a contract the deployment names
but the list does not (added to the deployments file later) has only its own logs fetched, from the
deployment's first block to the checkpoint.

The checkpoint is named after the chain id and the deployment (its first block and that block's hash),
not the contract addresses, so following a new contract never re-indexes. A different deployment (a
fresh chain or a redeployment) discards the old index and rebuilds from the new deployment's first block.
``lag()`` is head - checkpoint. If the chain is unreachable the thread logs, backs off and retries.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from chain import ChainError, UndecodableLogError
from chain._gc import gc_paused
from chain.client import ChainClient, RpcError
from chain.events import EventDecoder, EventRow
from chain.reducers import REDUCERS, Event, Reducer, as_event
from node_api.db.models import ChainEvent, Checkpoint, IndexedBlock, IndexedContract, Webhook, utcnow
from node_api.projections import Projection, default_projections
from node_api.projections._base import chunks, insert_ignore, insert_replace, table_of
from node_api.services.events import block_boundary, jsonable
from node_api.state import GatewayState

__all__ = ["EventBell", "Indexer", "Position", "gc_paused", "json_args"]

logger = logging.getLogger(__name__)

_EVENTS = table_of(ChainEvent)
_BLOCKS = table_of(IndexedBlock)
_CHECKPOINTS = table_of(Checkpoint)
_WEBHOOKS = table_of(Webhook)
_CONTRACTS = table_of(IndexedContract)
#: checkpoints of projections that used to keep their own position (now the indexer's is the only one)
_LEGACY_CHECKPOINTS = ("cases-index",)


class EventBell:
    """Tells stream readers that the index changed; remembers recent reorgs (their ancestor blocks).

    ``generation`` increases on every change. Threads wait with ``wait``; async readers poll
    ``generation`` (an int read, no lock, no I/O).
    """

    def __init__(self, history: int = 1024) -> None:
        self._cond = threading.Condition()
        self._generation = 0
        self._reorgs: deque[tuple[int, int]] = deque(maxlen=history)

    @property
    def generation(self) -> int:
        return self._generation

    def ring(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def reorg(self, ancestor: int) -> None:
        with self._cond:
            self._generation += 1
            self._reorgs.append((self._generation, ancestor))
            self._cond.notify_all()

    def rewind_since(self, generation: int) -> int | None:
        """The lowest reorg ancestor block recorded after ``generation`` (``None``: no reorg since)."""
        with self._cond:
            found = [a for g, a in self._reorgs if g > generation]
            if self._reorgs and len(self._reorgs) == self._reorgs.maxlen and self._reorgs[0][0] > generation + 1:
                return -1  # history overflowed: rewind to the start
        return min(found) if found else None

    def wait(self, generation: int, timeout: float) -> int:
        """Block until ``generation`` changes or ``timeout`` passes; returns the current generation."""
        with self._cond:
            self._cond.wait_for(lambda: self._generation != generation, timeout)
            return self._generation


@dataclass(frozen=True)
class Position:
    """An indexed block: number and hash (``""`` before the first page)."""

    block: int
    hash: str


@dataclass(frozen=True)
class _Page:
    """A fetched chunk: its events, and the hashes of the block before it and of its last block."""

    events: list[EventRow]
    parent_hash: str
    end_hash: str


@dataclass(frozen=True)
class _Chunk:
    start: int
    end: int
    future: Future[_Page]


class _CheckpointMovedError(Exception):
    """Another indexer (another worker on the same database) moved the checkpoint first."""


class _ReorgDuringFetchError(Exception):
    """The chain changed while a page was being fetched."""


def json_args(args: Mapping[str, Any]) -> dict[str, Any]:
    """Event arguments in their stored JSON form (see ``node_api.services.events.jsonable``)."""
    return {name: jsonable(value) for name, value in args.items()}


#: ``json.dumps`` without the reference-cycle check: arguments are freshly built, acyclic dicts (same
#: output; about 15% less CPU on the bulk path, where every stored event is serialised once)
_dumps = json.JSONEncoder(check_circular=False).encode


_SQLITE_INSERT_EVENTS = (
    "INSERT INTO chain_events (key, block_number, block_hash, tx_hash, tx_index, log_index, contract, address,"
    " name, args) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING"
)


def _insert_events(conn: Connection, events: Sequence[EventRow], args: Sequence[dict[str, Any]]) -> None:
    """Bulk insert; an existing key is left alone. On SQLite one DB-API ``executemany`` with the JSON
    pre-serialised (the JSON column's own format), elsewhere a SQLAlchemy Core executemany."""
    if conn.dialect.name == "sqlite":
        dumps = _dumps
        conn.exec_driver_sql(
            _SQLITE_INSERT_EVENTS,
            [(*e[:9], dumps(a)) for e, a in zip(events, args, strict=True)],
        )
        return
    columns = ("key", "block_number", "block_hash", "tx_hash", "tx_index", "log_index", "contract", "address", "name")
    rows = [{**dict(zip(columns, e[:9], strict=True)), "args": a} for e, a in zip(events, args, strict=True)]
    conn.execute(insert_ignore(conn, _EVENTS, ["key"]), rows)


class Indexer:
    """Follows the chain and indexes every deployed Recourse contract's events (see module docstring)."""

    def __init__(
        self,
        *,
        engine: Engine,
        client: ChainClient,
        decoder: EventDecoder,
        start_block: int,
        confirmations: int = 0,
        page_blocks: int = 2_000,
        poll_interval: float = 0.2,
        window: int = 1_024,
        page_events: int = 5_000,
        fetch_depth: int = 1,
        fetch_workers: int = 1,
        bell: EventBell | None = None,
        projections: Sequence[Projection] | None = None,
        reducers: Mapping[str, Reducer[Any]] | None = None,
    ) -> None:
        self.engine = engine
        self.client = client
        self.decoder = decoder
        self.addresses = sorted(decoder.addresses)
        self.start_block = max(start_block, 0)
        self.confirmations = max(confirmations, 0)
        self.page_blocks = max(page_blocks, 1)
        self.poll_interval = poll_interval
        self.window = max(window, 2)
        self.page_events = max(page_events, 1)
        self.fetch_depth = max(fetch_depth, 1)
        self.fetch_workers = max(fetch_workers, 1)
        self.bell = bell or EventBell()
        self.projections: tuple[Projection, ...] = default_projections() if projections is None else tuple(projections)
        #: (contract, event name) → the projections that store it
        self._routes: dict[tuple[str, str], list[Projection]] = {}
        for p in self.projections:
            for event_name in p.events:
                self._routes.setdefault((p.reducer.contract, event_name), []).append(p)
        #: (contract, event name) → the reducer whose ``creates`` names the contracts that event deployed
        self._factories: dict[tuple[str, str], Reducer[Any]] = {
            (r.contract, n): r for r in (REDUCERS if reducers is None else reducers).values() for n in r.factory_events
        }
        self._name: str | None = None
        self.healthy = True
        self.last_error: str | None = None
        self._position: Position | None = None
        self._head = -1
        #: most blocks per chunk, from the event density seen so far (about ``page_events`` logs a chunk)
        self._chunk_limit = self.page_blocks
        self._chunk_size = 1
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._queue: deque[_Chunk] = deque()

    # --- state ---

    @property
    def name(self) -> str:
        """The checkpoint's name: the chain id and the deployment (its first block and that block's hash).

        Not the contract addresses: contracts a factory creates later are followed without re-indexing.
        """
        if self._name is None:
            block = self._batch([("eth_getBlockByNumber", [hex(self.start_block), False])])[0]
            if block is None:
                raise ChainError(f"the deployment's first block {self.start_block} is not on this chain")
            fingerprint = f"{self.client.chain_id}:{self.start_block}:{block['hash']}"
            self._name = "indexer:" + hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
        return self._name

    @property
    def position(self) -> Position:
        if self._position is None:
            self._position = self._prepare()
        return self._position

    @property
    def checkpoint(self) -> int:
        return self.position.block

    @property
    def head(self) -> int:
        return self._head

    def lag(self) -> int:
        """Blocks between the chain head (last seen) and the checkpoint; 0 before the first poll."""
        pos = self._position
        if self._head < 0 or pos is None:
            return 0
        return max(self._head - pos.block, 0)

    # --- lifecycle ---

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="indexer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.close()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                progressed = self.step()
                failures = 0
                self.healthy, self.last_error = True, None
            except UndecodableLogError as exc:  # a bug or an unknown contract version: never skip the log
                failures += 1
                self.healthy, self.last_error = False, str(exc)
                block = self._position.block if self._position is not None else -1
                logger.error("indexer.undecodable checkpoint=%d error=%s", block, exc)
                self._stop.wait(5.0)
                continue
            except ChainError as exc:
                failures += 1
                self.healthy, self.last_error = False, str(exc)
                logger.warning("indexer.chain_unavailable attempt=%d error=%s", failures, exc)
                self._stop.wait(min(5.0, 0.1 * 2 ** min(failures, 6)))
                continue
            except SQLAlchemyError as exc:
                failures += 1
                self.healthy, self.last_error = False, exc.__class__.__name__
                self._position = None  # reload the checkpoint from the database
                logger.warning("indexer.database_error attempt=%d error=%s", failures, exc.__class__.__name__)
                self._stop.wait(min(5.0, 0.1 * 2 ** min(failures, 6)))
                continue
            except Exception as exc:  # noqa: BLE001 - the indexer thread must never die
                failures += 1
                self.healthy, self.last_error = False, repr(exc)
                self._position = None
                logger.exception("indexer.crash attempt=%d", failures)
                self._stop.wait(5.0)
                continue
            if not progressed:
                self._wake.wait(self.poll_interval)
                self._wake.clear()

    def sync(self, *, timeout: float = 600.0) -> Position:
        """Index until caught up with ``head - confirmations`` (synchronous; for tools and tests)."""
        deadline = time.monotonic() + timeout
        while self.step():
            if time.monotonic() > deadline:
                raise TimeoutError(f"indexer not caught up within {timeout:.0f}s (checkpoint {self.checkpoint})")
        return self.position

    # --- one round ---

    def step(self) -> bool:
        """Repair a reorg or index one chunk of blocks; returns whether anything changed."""
        pos = self.position
        calls: list[tuple[str, Sequence[Any]]] = [("eth_blockNumber", [])]
        if pos.hash:
            calls.append(("eth_getBlockByNumber", [hex(pos.block), False]))
        replies = self._batch(calls)
        head = int(replies[0], 16)
        self._head = head
        if pos.hash and (replies[1] is None or replies[1]["hash"] != pos.hash):
            self._drop_queue()
            self._repair(pos)
            return True
        target = head - self.confirmations
        if target <= pos.block:
            self._drop_queue()
            return False
        if self._queue and self._queue[0].start != pos.block + 1:
            self._drop_queue()
        self._fill(target)
        chunk = self._queue.popleft()
        try:
            page = chunk.future.result()
        except _ReorgDuringFetchError:
            self._drop_queue()
            logger.warning("indexer.reorg.during_fetch from=%d to=%d", chunk.start, chunk.end)
            return True
        except RpcError as exc:
            self._drop_queue()
            if chunk.end > chunk.start and exc.method == "eth_getLogs":
                self._chunk_limit = max(1, (chunk.end - chunk.start + 1) // 2)
                logger.warning(
                    "indexer.chunk.shrink from=%d to=%d blocks=%d error=%s",
                    chunk.start,
                    chunk.end,
                    self._chunk_limit,
                    exc,
                )
                return True
            raise
        except BaseException:
            self._drop_queue()
            raise
        if pos.hash and page.parent_hash != pos.hash:  # fetched on another branch: the next round repairs
            self._drop_queue()
            logger.warning("indexer.reorg.suspected from=%d to=%d", chunk.start, chunk.end)
            return True
        events, created = self._follow_created(page.events, chunk.end)
        self._adapt(chunk.end - chunk.start + 1, len(page.events))
        self._fill(target)  # keep fetching ahead while this chunk is written
        try:
            stored = self._store(pos, Position(chunk.end, page.end_hash), events, created)
        except _CheckpointMovedError:
            self._drop_queue()
            self._position = None
            logger.info("indexer.checkpoint.moved_elsewhere name=%s", self.name)
            return True
        except BaseException:
            self._drop_queue()
            raise
        logger.info(
            "indexer.batch from=%d to=%d events=%d stored=%d head=%d",
            chunk.start,
            chunk.end,
            len(events),
            stored,
            head,
        )
        self.bell.ring()
        return True

    def _adapt(self, blocks: int, events: int) -> None:
        """Keep chunks to about ``page_events`` logs, from the density just seen (at most ``page_blocks``)."""
        if events == 0:
            self._chunk_limit = min(self.page_blocks, max(self._chunk_limit, blocks) * 2)
        else:
            self._chunk_limit = max(1, min(self.page_blocks, self.page_events * blocks // events))

    def _fill(self, target: int) -> None:
        """Queue fetches of the next chunks up to ``target`` (at most ``fetch_depth`` in flight).

        The next ``page_blocks`` blocks are split into ``fetch_depth`` chunks, so a dense range is stored
        in several short transactions while later chunks are still being fetched and decoded."""
        if self._queue:
            start = self._queue[-1].end + 1
        else:
            start = self.position.block + 1
            span = min(target - start + 1, self.page_blocks)
            self._chunk_size = max(1, min(self._chunk_limit, -(-span // self.fetch_depth)))
        while len(self._queue) < self.fetch_depth and start <= target:
            end = min(start + min(self._chunk_size, self._chunk_limit) - 1, target)
            self._queue.append(_Chunk(start, end, self._executor().submit(self._fetch, start, end)))
            start = end + 1

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.fetch_workers, thread_name_prefix="indexer-fetch")
        return self._pool

    def _drop_queue(self) -> None:
        while self._queue:
            self._queue.popleft().future.cancel()

    def close(self) -> None:
        """Release the fetch threads (``stop`` does it too)."""
        self._drop_queue()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        replies = self.client.rpc.batch(calls)
        for r in replies:
            if isinstance(r, RpcError):
                raise r
        return replies

    def _fetch(self, start: int, end: int) -> _Page:
        """Decoded logs of ``start..end`` with the hashes of blocks ``start-1`` and ``end``, which must not
        change during the fetch (else the chain reorganised under us and the chunk is fetched again)."""
        headers: list[tuple[str, Sequence[Any]]] = [("eth_getBlockByNumber", [hex(end), False])]
        if start > 0:
            headers.append(("eth_getBlockByNumber", [hex(start - 1), False]))
        before = self._batch(headers)
        if any(b is None for b in before):
            raise _ReorgDuringFetchError
        flt = {"fromBlock": hex(start), "toBlock": hex(end), "address": self.addresses}
        with gc_paused():
            events = self.decoder.decode_rows(self.client.rpc.call("eth_getLogs", [flt]))
        after = self._batch(headers)
        if any(a is None or a["hash"] != b["hash"] for a, b in zip(after, before, strict=True)):
            raise _ReorgDuringFetchError
        return _Page(
            events=events,
            parent_hash=str(before[1]["hash"]) if start > 0 else "",
            end_hash=str(before[0]["hash"]),
        )

    # --- contracts created by factories ---

    def _created(self, events: Sequence[EventRow]) -> list[tuple[str, str, int]]:
        """``(address, contract, block)`` of contracts that factory events in ``events`` created and that
        are not followed yet."""
        if not self._factories:
            return []
        found: dict[str, tuple[str, str, int]] = {}
        for e in events:
            reducer = self._factories.get((e[6], e[8]))
            if reducer is None:
                continue
            for address, contract in reducer.creates(as_event(e)):
                if not self.decoder.knows(address) and address.lower() not in found:
                    found[address.lower()] = (address, contract, e[1])
        return list(found.values())

    def _follow(self, created: Sequence[tuple[str, str, int]]) -> None:
        for address, contract, block in created:
            self.decoder.add_address(address, contract)
            logger.info("indexer.contract.followed address=%s contract=%s from_block=%d", address, contract, block)
        self.addresses = sorted(self.decoder.addresses)

    def _follow_created(self, events: list[EventRow], end: int) -> tuple[list[EventRow], list[tuple[str, str, int]]]:
        """Follow the contracts ``events`` created: add their logs from their creation block to ``end``
        (the rest of the chunk was fetched without them), and so on for contracts those create.

        Only the new addresses are fetched; nothing already indexed is fetched again. Chunks queued
        ahead were fetched without them, so the queue is dropped. Returns the events and every contract
        followed (to be recorded with them)."""
        created = self._created(events)
        followed: list[tuple[str, str, int]] = []
        while created:
            followed += created
            self._drop_queue()
            self._follow(created)
            flt = {
                "fromBlock": hex(min(block for _, _, block in created)),
                "toBlock": hex(end),
                "address": [address for address, _, _ in created],
            }
            with gc_paused():
                extra = self.decoder.decode_rows(self.client.rpc.call("eth_getLogs", [flt]))
            since = {address.lower(): block for address, _, block in created}
            extra = [e for e in extra if e[1] >= since[e[7].lower()]]  # one filter, several creation blocks
            events = sorted([*events, *extra], key=lambda e: e[0])
            created = self._created(extra)
        return events, followed

    def _follow_listed(self, conn: Connection) -> list[tuple[str, str, int]]:
        """Follow every contract ``indexed_contracts`` lists (after a restart: those factories created);
        returns the contracts the deployment names that it does not list yet (added to the deployment
        after the index was built), which ``_backfill`` indexes."""
        listed = {str(a): (str(c), int(b)) for a, c, b in conn.execute(select(_CONTRACTS))}
        known = [(a, c, b) for a, (c, b) in listed.items() if not self.decoder.knows(a)]
        if known:
            self._follow(known)
        return [(a, c, self.start_block) for a, c in self.decoder.contracts.items() if a not in listed]

    def _backfill(self, pos: Position, missing: Sequence[tuple[str, str, int]]) -> None:
        """Index the logs of ``missing`` contracts from their first block up to the checkpoint, and only
        theirs; they are listed once all their pages are stored (a crash in between fetches them again,
        and stored keys are skipped)."""
        addresses = [address for address, _, _ in missing]
        logger.info("indexer.contract.backfill addresses=%s to_block=%d", ",".join(addresses), pos.block)
        start = min(block for _, _, block in missing)
        while True:
            end = min(start + self.page_blocks - 1, pos.block)
            events: list[EventRow] = []
            if start <= end:
                flt = {"fromBlock": hex(start), "toBlock": hex(end), "address": addresses}
                with gc_paused():
                    events = self.decoder.decode_rows(self.client.rpc.call("eth_getLogs", [flt]))
            last = end >= pos.block
            self._store(pos, pos, events, missing if last else ())
            if last:
                return
            start = end + 1

    # --- database ---

    def _prepare(self) -> Position:
        """Load (or create) this deployment's checkpoint; discard an index of another deployment; follow
        the contracts the index lists, and index those of the deployment it does not list yet."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(_CHECKPOINTS.c.block_number, _CHECKPOINTS.c.block_hash).where(_CHECKPOINTS.c.name == self.name)
            ).first()
            if row is None:
                return self._create(conn)
            pos = Position(int(row[0]), str(row[1]))
            missing = self._follow_listed(conn)
        if missing:
            self._backfill(pos, missing)
        return pos

    def _create(self, conn: Connection) -> Position:
        others = list(conn.execute(select(_CHECKPOINTS.c.name).where(_CHECKPOINTS.c.name.like("indexer:%"))).scalars())
        stale_events = conn.execute(select(func.count()).select_from(_EVENTS)).scalar_one()
        if others or stale_events:
            logger.warning(
                "indexer.deployment_changed name=%s discarded_checkpoints=%s discarded_events=%d",
                self.name,
                ",".join(others),
                stale_events,
            )
            for table in (_EVENTS, _BLOCKS, _CONTRACTS):
                conn.execute(delete(table))
            for projection in self.projections:
                projection.rewind(conn, -1)
            conn.execute(delete(_CHECKPOINTS).where(_CHECKPOINTS.c.name.in_([*others, *_LEGACY_CHECKPOINTS])))
            conn.execute(update(_WEBHOOKS).values(cursor=""))
        pos = Position(self.start_block - 1, "")
        conn.execute(
            insert_ignore(conn, _CHECKPOINTS, ["name"]),
            [{"name": self.name, "block_number": pos.block, "block_hash": "", "updated_at": utcnow()}],
        )
        self._list(conn, [(a, c, self.start_block) for a, c in self.decoder.contracts.items()])
        logger.info("indexer.checkpoint.created name=%s start_block=%d", self.name, self.start_block)
        return pos

    def _move(self, conn: Connection, old: Position, new: Position) -> None:
        moved = conn.execute(
            update(_CHECKPOINTS)
            .where(
                _CHECKPOINTS.c.name == self.name,
                _CHECKPOINTS.c.block_number == old.block,
                _CHECKPOINTS.c.block_hash == old.hash,
            )
            .values(block_number=new.block, block_hash=new.hash, updated_at=utcnow())
        )
        if moved.rowcount != 1:
            raise _CheckpointMovedError

    def _list(self, conn: Connection, contracts: Sequence[tuple[str, str, int]]) -> None:
        if contracts:
            rows = [{"address": a.lower(), "contract": c, "from_block": b} for a, c, b in contracts]
            conn.execute(insert_ignore(conn, _CONTRACTS, ["address"]), rows)

    def _store(
        self,
        old: Position,
        new: Position,
        events: Sequence[EventRow],
        contracts: Sequence[tuple[str, str, int]] = (),
    ) -> int:
        """One transaction: move the checkpoint, insert the new events, project them, record block hashes
        and the ``contracts`` newly followed (address, contract, first block)."""
        blocks: dict[int, str] = {e[1]: e[2] for e in events}
        blocks[new.block] = new.hash
        recent = sorted(blocks.items(), reverse=True)[: self.window]
        with gc_paused(), self.engine.begin() as conn:
            self._move(conn, old, new)
            self._list(conn, contracts)
            if events:
                keys = [e[0] for e in events]
                existing = set(
                    conn.execute(select(_EVENTS.c.key).where(_EVENTS.c.key.between(min(keys), max(keys)))).scalars()
                )
                if existing:
                    logger.warning("indexer.duplicates.skipped count=%d", len(existing))
                    events = [e for e in events if e[0] not in existing]
            if events:
                args = [json_args(e[9]) for e in events]
                _insert_events(conn, events, args)
                self._project(conn, events, args)
            conn.execute(
                insert_replace(conn, _BLOCKS, ["number"], ["hash"]),
                [{"number": n, "hash": h} for n, h in recent],
            )
            floor = (
                select(_BLOCKS.c.number)
                .order_by(_BLOCKS.c.number.desc())
                .limit(1)
                .offset(self.window - 1)
                .scalar_subquery()
            )
            conn.execute(delete(_BLOCKS).where(_BLOCKS.c.number < floor))
        self._position = new
        return len(events)

    def _project(self, conn: Connection, events: Sequence[EventRow], args: Sequence[dict[str, Any]]) -> None:
        """Hand each projection its events of the chunk (arguments in stored JSON form, with the emitting
        contract's address), in key order."""
        batches: dict[Projection, list[Event]] = {p: [] for p in self.projections}
        appends = {route: [batches[p].append for p in ps] for route, ps in self._routes.items()}
        new = tuple.__new__  # an Event without the NamedTuple constructor's Python-level call (hot path)
        for e, a in zip(events, args, strict=True):
            targets = appends.get((e[6], e[8]))
            if targets:
                event = new(Event, (e[0], e[1], e[6], e[8], a, e[7]))
                for append in targets:
                    append(event)
        for p, batch in batches.items():
            if batch:
                p.apply(conn, batch)

    # --- reorgs ---

    def _common_ancestor(self) -> Position:
        with self.engine.connect() as conn:
            recorded = [
                (int(n), str(h))
                for n, h in conn.execute(select(_BLOCKS.c.number, _BLOCKS.c.hash).order_by(_BLOCKS.c.number.desc()))
            ]
        for chunk in chunks(recorded, 100):
            replies = self._batch([("eth_getBlockByNumber", [hex(n), False]) for n, _ in chunk])
            for (number, recorded_hash), block in zip(chunk, replies, strict=True):
                if block is not None and block["hash"] == recorded_hash:
                    return Position(number, recorded_hash)
        logger.warning("indexer.reorg.deep recorded_blocks=%d action=reindex_from_start", len(recorded))
        return Position(self.start_block - 1, "")

    def _repair(self, old: Position) -> None:
        ancestor = self._common_ancestor()
        boundary = block_boundary(ancestor.block)
        started = time.perf_counter()
        try:
            with self.engine.begin() as conn:
                self._move(conn, old, ancestor)
                removed = conn.execute(delete(_EVENTS).where(_EVENTS.c.block_number > ancestor.block)).rowcount
                conn.execute(delete(_BLOCKS).where(_BLOCKS.c.number > ancestor.block))
                # contracts created in dropped blocks (the deployment's own stay listed)
                conn.execute(
                    delete(_CONTRACTS).where(
                        _CONTRACTS.c.from_block > ancestor.block, _CONTRACTS.c.from_block > self.start_block
                    )
                )
                for projection in self.projections:
                    projection.rewind(conn, ancestor.block)
                conn.execute(update(_WEBHOOKS).where(_WEBHOOKS.c.cursor > boundary).values(cursor=boundary))
        except _CheckpointMovedError:
            self._position = None
            return
        self._position = ancestor
        logger.warning(
            "indexer.reorg checkpoint=%d ancestor=%d removed=%d took_ms=%.1f",
            old.block,
            ancestor.block,
            removed,
            (time.perf_counter() - started) * 1000,
        )
        self.bell.reorg(ancestor.block)

    # --- construction ---

    @classmethod
    def for_gateway(cls, state: GatewayState, *, bell: EventBell | None = None) -> Indexer:
        """Build from a ``GatewayState`` (settings, engine, client, deployed contracts)."""
        settings = state.settings
        return cls(
            engine=state.engine,
            client=state.client,
            decoder=state.recourse.event_decoder(),
            start_block=state.recourse.deployments.start_block,
            confirmations=settings.chain.confirmations,
            page_blocks=settings.indexer.page_blocks,
            poll_interval=settings.indexer.poll_interval,
            bell=bell,
        )
