"""The indexer: follows the chain and keeps the gateway's SQL index of Recourse events (reorg-safe).

One background thread per gateway process. Each round:

1. reads the head and the chain's hash of the checkpoint block (one JSON-RPC batch). A different hash
   (or a checkpoint above the head) means a reorg: walk back through the recorded block hashes
   (``IndexedBlock``, the last ``window`` of them) to the newest block the chain still has — the common
   ancestor — delete the events above it, rebuild the projections from the remaining events, rewind
   webhook cursors past it, move the checkpoint there and index again;
2. fetches the logs of every deployed Recourse contract for the next page of blocks (up to
   ``head - confirmations``; at most ``page_blocks`` blocks, sized to about ``page_events`` logs from the
   density seen so far), reading the hash of the page's last block before and after, so a reorg during
   the fetch is noticed and the page retried. While catching up, the next page is fetched and decoded
   in a helper thread while the current one is written;
3. decodes them with the precomputed decoders of ``chain.events.EventDecoder`` (no web3 call per log;
   an undecodable Recourse log stops the indexer rather than being dropped);
4. in ONE database transaction: moves the checkpoint by compare-and-set (so two gateway workers on one
   database never apply the same page twice), bulk-inserts the events keyed by ``EventKey`` (an existing
   key is left alone and not projected again), updates the ``MemberRow`` / ``BalanceRow`` projections
   and records the block hashes.

The checkpoint is named after the chain id and the contract addresses: when the deployments change (a
fresh deployment), the old index is discarded and rebuilt from the new deployment's first block.
``lag()`` is head - checkpoint. If the chain is unreachable the thread logs, backs off and retries.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Insert, Table, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from chain import ChainError, UndecodableLogError
from chain.client import ChainClient, RpcError
from chain.contracts.consortium import Role
from chain.events import DecodedEvent, EventDecoder
from node_api.db.models import (
    BalanceRow,
    ChainEvent,
    Checkpoint,
    IndexedBlock,
    MemberRow,
    Webhook,
    utcnow,
)
from node_api.services.events import block_boundary, jsonable
from node_api.state import GatewayState

__all__ = ["EventBell", "Indexer", "Position", "Projector", "event_row"]

logger = logging.getLogger(__name__)

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
TOKEN = "SettlementToken"  # noqa: S105 - a contract name, not a secret
CONSORTIUM = "Consortium"
MEMBER_EVENTS = frozenset(
    {
        "MemberAdmitted",
        "MemberRoleGranted",
        "MemberRoleRevoked",
        "MemberSuspended",
        "MemberReinstated",
        "MemberProfileUpdated",
    }
)
#: role id (0x-hex, as stored in event args) → bit in the member's role mask (same order as Consortium)
ROLE_BITS = {"0x" + r.id.hex(): r.bit for r in Role}


def _table(model: type[SQLModel]) -> Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


_EVENTS = _table(ChainEvent)
_BLOCKS = _table(IndexedBlock)
_CHECKPOINTS = _table(Checkpoint)
_MEMBERS = _table(MemberRow)
_BALANCES = _table(BalanceRow)
_WEBHOOKS = _table(Webhook)
_CHUNK = 500


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


class _CheckpointMovedError(Exception):
    """Another indexer (another worker on the same database) moved the checkpoint first."""


class _ReorgDuringFetchError(Exception):
    """The chain changed while a page was being fetched."""


def _dialect_insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    return postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)


def _insert_ignore(conn: Connection, table: Table, keys: Sequence[str]) -> Insert:
    """INSERT that leaves an existing row (same ``keys``) untouched (SQLite and PostgreSQL)."""
    return _dialect_insert(conn, table).on_conflict_do_nothing(index_elements=list(keys))


def _insert_replace(conn: Connection, table: Table, keys: Sequence[str], columns: Iterable[str]) -> Insert:
    """INSERT that overwrites ``columns`` of an existing row with the same ``keys``."""
    ins = _dialect_insert(conn, table)
    return ins.on_conflict_do_update(index_elements=list(keys), set_={c: ins.excluded[c] for c in columns})


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def event_row(ev: DecodedEvent) -> dict[str, Any]:
    """The ``chain_events`` row of a decoded event (arguments in their JSON form)."""
    return {
        "key": ev.key,
        "block_number": ev.block_number,
        "block_hash": ev.block_hash,
        "tx_hash": ev.tx_hash,
        "tx_index": ev.tx_index,
        "log_index": ev.log_index,
        "contract": ev.contract,
        "address": ev.address,
        "name": ev.name,
        "args": {name: jsonable(value) for name, value in ev.args.items()},
    }


_SQLITE_INSERT_EVENTS = (
    "INSERT INTO chain_events (key, block_number, block_hash, tx_hash, tx_index, log_index, contract, address,"
    " name, args) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING"
)


def _insert_events(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Bulk insert; an existing key is left alone. On SQLite one DB-API ``executemany`` with the JSON
    pre-serialised (the JSON column's own format), elsewhere a SQLAlchemy Core executemany."""
    if conn.dialect.name == "sqlite":
        dumps = json.dumps
        conn.exec_driver_sql(
            _SQLITE_INSERT_EVENTS,
            [
                (
                    r["key"],
                    r["block_number"],
                    r["block_hash"],
                    r["tx_hash"],
                    r["tx_index"],
                    r["log_index"],
                    r["contract"],
                    r["address"],
                    r["name"],
                    dumps(r["args"]),
                )
                for r in rows
            ],
        )
        return
    conn.execute(_insert_ignore(conn, _EVENTS, ["key"]), list(rows))


class Projector:
    """Applies events (``chain_events`` rows, in key order) to the member and balance projections."""

    def apply(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        deltas: dict[str, int] = {}
        touched_key: dict[str, str] = {}
        members: list[Mapping[str, Any]] = []
        for r in rows:
            contract, name = r["contract"], r["name"]
            if contract == TOKEN and name == "Transfer":
                a = r["args"]
                value = int(a["value"])
                if value == 0:
                    continue
                src, dst = a["from"], a["to"]
                if src != ZERO_ADDRESS:
                    deltas[src] = deltas.get(src, 0) - value
                    touched_key[src] = r["key"]
                if dst != ZERO_ADDRESS:
                    deltas[dst] = deltas.get(dst, 0) + value
                    touched_key[dst] = r["key"]
            elif contract == CONSORTIUM and name in MEMBER_EVENTS:
                members.append(r)
        if deltas:
            self._balances(conn, deltas, touched_key)
        if members:
            self._members(conn, members)

    def _balances(self, conn: Connection, deltas: Mapping[str, int], keys: Mapping[str, str]) -> None:
        addresses = sorted(deltas)
        current: dict[str, int] = {}
        for chunk in _chunks(addresses):
            for address, amount in conn.execute(
                select(_BALANCES.c.address, _BALANCES.c.amount).where(_BALANCES.c.address.in_(chunk))
            ):
                current[address] = int(amount)
        rows = []
        for address in addresses:
            amount = current.get(address, 0) + deltas[address]
            if amount < 0:
                logger.warning(
                    "indexer.balance.negative address=%s amount=%d event_key=%s", address, amount, keys[address]
                )
            rows.append({"address": address, "amount": Decimal(amount), "updated_key": keys[address]})
        conn.execute(_insert_replace(conn, _BALANCES, ["address"], ["amount", "updated_key"]), rows)

    def _members(self, conn: Connection, events: Sequence[Mapping[str, Any]]) -> None:
        addresses = sorted({e["args"]["account"] for e in events})
        state: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(addresses):
            for row in conn.execute(select(_MEMBERS).where(_MEMBERS.c.address.in_(chunk))).mappings():
                state[row["address"]] = dict(row)
        changed: set[str] = set()
        for e in events:
            a, name, key = e["args"], e["name"], e["key"]
            account = a["account"]
            if name == "MemberAdmitted":
                state[account] = {
                    "address": account,
                    "name_digest": a["nameDigest"],
                    "roles": int(a["roles"]),
                    "region": int(a["region"]),
                    "licence_expiry": int(a["licenceExpiry"]),
                    "kyc_tier": int(a["kycTier"]),
                    "suspended": False,
                    "admitted_block": int(e["block_number"]),
                    "updated_key": key,
                }
                changed.add(account)
                continue
            m = state.get(account)
            if m is None:
                logger.warning("indexer.member.unknown account=%s event=%s event_key=%s", account, name, key)
                continue
            if name in ("MemberRoleGranted", "MemberRoleRevoked"):
                bit = ROLE_BITS.get(str(a["role"]).lower())
                if bit is None:
                    logger.warning("indexer.member.unknown_role role=%s event_key=%s", a["role"], key)
                    continue
                m["roles"] = m["roles"] | bit if name == "MemberRoleGranted" else m["roles"] & ~bit
            elif name in ("MemberSuspended", "MemberReinstated"):
                m["suspended"] = name == "MemberSuspended"
            else:  # MemberProfileUpdated
                m["region"] = int(a["region"])
                m["licence_expiry"] = int(a["licenceExpiry"])
                m["kyc_tier"] = int(a["kycTier"])
            m["updated_key"] = key
            changed.add(account)
        if changed:
            columns = [c.name for c in _MEMBERS.columns if c.name != "address"]
            conn.execute(_insert_replace(conn, _MEMBERS, ["address"], columns), [state[a] for a in sorted(changed)])

    def rebuild(self, conn: Connection) -> int:
        """Recompute both projections from every stored event; returns the number of events replayed."""
        conn.execute(delete(_MEMBERS))
        conn.execute(delete(_BALANCES))
        relevant = or_(
            and_(_EVENTS.c.contract == TOKEN, _EVENTS.c.name == "Transfer"),
            and_(_EVENTS.c.contract == CONSORTIUM, _EVENTS.c.name.in_(sorted(MEMBER_EVENTS))),
        )
        cols = [_EVENTS.c.key, _EVENTS.c.block_number, _EVENTS.c.contract, _EVENTS.c.name, _EVENTS.c.args]
        replayed = 0
        after = ""
        while True:
            page = [
                dict(r)
                for r in conn.execute(
                    select(*cols).where(relevant, _EVENTS.c.key > after).order_by(_EVENTS.c.key).limit(5_000)
                ).mappings()
            ]
            if not page:
                return replayed
            self.apply(conn, page)
            replayed += len(page)
            after = page[-1]["key"]


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
        bell: EventBell | None = None,
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
        self.bell = bell or EventBell()
        self.projector = Projector()
        fingerprint = f"{client.chain_id}:" + ",".join(a.lower() for a in self.addresses)
        self.name = "indexer:" + hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
        self.healthy = True
        self.last_error: str | None = None
        self._position: Position | None = None
        self._head = -1
        #: blocks in the next page: starts small, then sized to about ``page_events`` logs per page
        self._page = min(self.page_blocks, 16)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: tuple[tuple[int, int, Position], Future[tuple[list[DecodedEvent], str]]] | None = None

    # --- state ---

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
                logger.error("indexer.undecodable checkpoint=%d error=%s", self.checkpoint, exc)
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
        """Repair a reorg or index one page; returns whether anything changed."""
        pos = self.position
        calls: list[tuple[str, Sequence[Any]]] = [("eth_blockNumber", [])]
        if pos.hash:
            calls.append(("eth_getBlockByNumber", [hex(pos.block), False]))
        replies = self._batch(calls)
        head = int(replies[0], 16)
        self._head = head
        if pos.hash and (replies[1] is None or replies[1]["hash"] != pos.hash):
            self._repair(pos)
            return True
        target = head - self.confirmations
        if target <= pos.block:
            self._discard_prefetch()
            return False
        start = pos.block + 1
        end = min(pos.block + self._page, target)
        try:
            events, end_hash, end = self._take_page(pos, start, end)
        except _ReorgDuringFetchError:
            logger.warning("indexer.reorg.during_fetch from=%d to=%d", start, end)
            return True
        except RpcError as exc:
            if end > start and exc.method == "eth_getLogs":
                self._page = max(1, (end - start + 1) // 2)
                logger.warning("indexer.page.shrink from=%d to=%d page=%d error=%s", start, end, self._page, exc)
                return True
            raise
        self._adapt_page(end - start + 1, len(events))
        following = min(end + self._page, target)
        if following > end:  # fetch the next page while this one is stored
            self._prefetch(Position(end, end_hash), end + 1, following)
        try:
            stored = self._store(pos, Position(end, end_hash), events)
        except _CheckpointMovedError:
            self._discard_prefetch()
            self._position = None
            logger.info("indexer.checkpoint.moved_elsewhere name=%s", self.name)
            return True
        logger.info("indexer.batch from=%d to=%d events=%d stored=%d head=%d", start, end, len(events), stored, head)
        self.bell.ring()
        return True

    def _adapt_page(self, blocks: int, events: int) -> None:
        """Size the next page to about ``page_events`` logs (at most ``page_blocks`` blocks)."""
        if events == 0:
            self._page = min(self.page_blocks, max(self._page, blocks) * 2)
            return
        per_block = events / blocks
        self._page = max(1, min(self.page_blocks, int(self.page_events / per_block), max(blocks, 1) * 4))

    def _take_page(self, pos: Position, start: int, end: int) -> tuple[list[DecodedEvent], str, int]:
        """The page starting at ``start``: the prefetched one if it starts there, else fetched now."""
        pending, self._pending = self._pending, None
        if pending is not None:
            (p_start, p_end, p_pos), future = pending
            if p_start == start and p_pos == pos:
                events, end_hash = future.result()
                return events, end_hash, p_end
            future.cancel()
        events, end_hash = self._fetch(pos, start, end)
        return events, end_hash, end

    def _prefetch(self, pos: Position, start: int, end: int) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="indexer-prefetch")
        self._pending = ((start, end, pos), self._pool.submit(self._fetch, pos, start, end))

    def _discard_prefetch(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending[1].cancel()

    def close(self) -> None:
        """Release the prefetch thread (``stop`` does it too)."""
        self._discard_prefetch()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        replies = self.client.rpc.batch(calls)
        for r in replies:
            if isinstance(r, RpcError):
                raise r
        return replies

    def _fetch(self, pos: Position, start: int, end: int) -> tuple[list[DecodedEvent], str]:
        """Decoded logs of ``start..end`` and the hash of ``end``, which must not change during the fetch
        (nor may the hash of ``pos``): otherwise the chain reorganised under us and the page is retried."""
        (before,) = self._batch([("eth_getBlockByNumber", [hex(end), False])])
        if before is None:
            raise _ReorgDuringFetchError
        flt = {"fromBlock": hex(start), "toBlock": hex(end), "address": self.addresses}
        events = self.decoder.decode_all(self.client.rpc.call("eth_getLogs", [flt]))
        calls: list[tuple[str, Sequence[Any]]] = [("eth_getBlockByNumber", [hex(end), False])]
        if pos.hash:
            calls.append(("eth_getBlockByNumber", [hex(pos.block), False]))
        after = self._batch(calls)
        if after[0] is None or after[0]["hash"] != before["hash"]:
            raise _ReorgDuringFetchError
        if pos.hash and (after[1] is None or after[1]["hash"] != pos.hash):
            raise _ReorgDuringFetchError
        return [ev for ev in events if not ev.removed], str(before["hash"])

    # --- database ---

    def _prepare(self) -> Position:
        """Load (or create) this deployment's checkpoint; discard an index of another deployment."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(_CHECKPOINTS.c.block_number, _CHECKPOINTS.c.block_hash).where(_CHECKPOINTS.c.name == self.name)
            ).first()
            if row is not None:
                return Position(int(row[0]), str(row[1]))
            others = list(
                conn.execute(select(_CHECKPOINTS.c.name).where(_CHECKPOINTS.c.name.like("indexer:%"))).scalars()
            )
            stale_events = conn.execute(select(func.count()).select_from(_EVENTS)).scalar_one()
            if others or stale_events:
                logger.warning(
                    "indexer.deployment_changed name=%s discarded_checkpoints=%s discarded_events=%d",
                    self.name,
                    ",".join(others),
                    stale_events,
                )
                for table in (_EVENTS, _BLOCKS, _MEMBERS, _BALANCES):
                    conn.execute(delete(table))
                conn.execute(delete(_CHECKPOINTS).where(_CHECKPOINTS.c.name.in_(others)))
                conn.execute(update(_WEBHOOKS).values(cursor=""))
            pos = Position(self.start_block - 1, "")
            conn.execute(
                _insert_ignore(conn, _CHECKPOINTS, ["name"]),
                [{"name": self.name, "block_number": pos.block, "block_hash": "", "updated_at": utcnow()}],
            )
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

    def _store(self, old: Position, new: Position, events: Sequence[DecodedEvent]) -> int:
        rows = [event_row(ev) for ev in events]
        blocks: dict[int, str] = {ev.block_number: ev.block_hash for ev in events}
        blocks[new.block] = new.hash
        recent = sorted(blocks.items(), reverse=True)[: self.window]
        with self.engine.begin() as conn:
            self._move(conn, old, new)
            if rows:
                existing = set(
                    conn.execute(
                        select(_EVENTS.c.key).where(_EVENTS.c.block_number.between(old.block + 1, new.block))
                    ).scalars()
                )
                if existing:
                    logger.warning("indexer.duplicates.skipped count=%d", len(existing))
                    rows = [r for r in rows if r["key"] not in existing]
                if rows:
                    _insert_events(conn, rows)
                    self.projector.apply(conn, rows)
            conn.execute(
                _insert_replace(conn, _BLOCKS, ["number"], ["hash"]),
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
        return len(rows)

    # --- reorgs ---

    def _common_ancestor(self) -> Position:
        with self.engine.connect() as conn:
            recorded = [
                (int(n), str(h))
                for n, h in conn.execute(select(_BLOCKS.c.number, _BLOCKS.c.hash).order_by(_BLOCKS.c.number.desc()))
            ]
        for chunk in _chunks(recorded, 100):
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
                replayed = self.projector.rebuild(conn)
                conn.execute(update(_WEBHOOKS).where(_WEBHOOKS.c.cursor > boundary).values(cursor=boundary))
        except _CheckpointMovedError:
            self._position = None
            return
        self._position = ancestor
        logger.warning(
            "indexer.reorg checkpoint=%d ancestor=%d removed=%d replayed=%d took_ms=%.1f",
            old.block,
            ancestor.block,
            removed,
            replayed,
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
