"""Process-wide gateway state built by ``create_app``: engine, chain client, contracts, writers, caches."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from chain import ChainError
from chain.client import ChainClient, RpcError
from chain.contracts.consortium import Role
from chain.network import Recourse
from node_api.background import RemoteWriter
from node_api.institutions import Institution
from node_api.outbox import OperationBoard, TransactionWriter
from node_api.schemas import OperationPublic
from node_api.services.apikeys import ApiKeyCache
from node_api.services.operations import GroupCommitter
from node_api.settings import GatewaySettings

if TYPE_CHECKING:
    from node_api.background import BackgroundProcess
    from node_api.indexer import Indexer
    from node_api.metrics import Metrics
    from node_api.services.analytics import ModelRegistry
    from node_api.services.audit import AuditRunner
    from node_api.services.case_matching import SqlCaseMarket
    from node_api.services.casework.contacts import CaseworkRuntime
    from node_api.services.evidence import EvidenceRuntime
    from node_api.streams import EventHub, WebhookDispatcher

__all__ = ["FinishedOperations", "GatewayServices", "GatewayState", "HeadCache", "IndexCache", "RoleCache"]

logger = logging.getLogger(__name__)

RoleKey = tuple[str, Role | None]


class RoleCache:
    """On-chain role answers, kept current by a background thread that re-reads them at every new block.

    Requests never wait on the chain for a pair the cache already tracks: :meth:`cached` answers from
    memory. The refresher polls the head block every ``poll`` seconds; when its hash changes (a new
    block, or a reorg / snapshot revert) it re-reads every tracked ``(address, role)`` pair pinned to
    that block in ONE JSON-RPC batch and swaps the answers in. A member suspended in block N is thus
    refused from the moment the refresher has seen block N (at most ``poll`` seconds later). If the
    refresher falls behind by more than ``max_age`` seconds (chain unreachable), answers are stale and
    :meth:`cached` returns ``None``: the caller asks the chain itself (:meth:`check`). A pair nobody asked
    about for ``forget_after`` seconds is no longer re-read; at most ``capacity`` pairs are tracked.
    """

    def __init__(
        self,
        recourse: Recourse,
        *,
        poll: float = 0.05,
        max_age: float = 2.0,
        forget_after: float = 300.0,
        capacity: int = 2_000,
    ) -> None:
        self._recourse = recourse
        self._poll = poll
        self._max_age = max_age
        self._forget_after = forget_after
        self._capacity = capacity
        self._answers: dict[RoleKey, bool] = {}
        self._used: dict[RoleKey, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: the head block (number, hash) the answers hold for, and when they were read
        self.block = -1
        self._block_hash = ""
        self._checked_at = 0.0

    # --- lifecycle ---

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="role-cache", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except ChainError as exc:
                logger.warning("roles.refresh.error error=%s", exc)
                self._stop.wait(0.5)
            except Exception:  # noqa: BLE001 - the refresher must never die silently
                logger.exception("roles.refresh.crash")
                self._stop.wait(0.5)
            self._stop.wait(self._poll)

    # --- answers ---

    def cached(self, address: str, role: Role | None) -> bool | None:
        """The answer as of the last block seen, or ``None`` if unknown or stale (no I/O)."""
        now = time.monotonic()
        if now - self._checked_at > self._max_age:
            return None
        answer = self._answers.get((address, role))
        if answer is not None:
            self._used[(address, role)] = now
        return answer

    def check(self, address: str, role: Role | None, *, fresh: bool = False) -> bool:
        """The answer from memory when current, else from the chain now (and tracked from then on)."""
        if not fresh:
            hit = self.cached(address, role)
            if hit is not None:
                return hit
        c = self._recourse.consortium
        value = c.is_active_member(address) if role is None else c.has_active_role(address, role)
        with self._lock:
            if (address, role) in self._answers or len(self._answers) < self._capacity:
                self._answers[(address, role)] = value
                self._used[(address, role)] = time.monotonic()
        return value

    def refresh(self) -> bool:
        """One poll: if the head block changed, re-read every tracked pair at it. Returns whether it did."""
        client = self._recourse.client
        head = client.rpc.call("eth_getBlockByNumber", ["latest", False])
        number, block_hash = int(head["number"], 16), str(head["hash"])
        now = time.monotonic()
        if block_hash == self._block_hash:
            self._checked_at = now
            return False
        with self._lock:
            for key in [k for k, used in list(self._used.items()) if now - used > self._forget_after]:
                self._answers.pop(key, None)
                self._used.pop(key, None)
            keys = list(self._answers)
        c = self._recourse.consortium
        calls: list[tuple[str, list[Any]]] = []
        for address, role in keys:
            data = (
                c.function("isActiveMember").encode((address,))
                if role is None
                else c.function("hasActiveRole").encode((address, role.id))
            )
            calls.append(("eth_call", [{"to": c.address, "data": "0x" + data.hex()}, {"blockHash": block_hash}]))
        results = client.rpc.batch(calls)
        fresh: dict[RoleKey, bool] = {}
        for key, result in zip(keys, results, strict=True):
            if isinstance(result, RpcError):
                raise result  # e.g. the block was reorged away meanwhile: the next poll reads the new head
            fresh[key] = int(result, 16) != 0
        with self._lock:
            self._answers.update(fresh)
        self.block, self._block_hash, self._checked_at = number, block_hash, now
        return True

    def head(self) -> tuple[int, str] | None:
        """The head block (number, hash) the answers hold for, or ``None`` if the refresher is behind."""
        if self.block < 0 or time.monotonic() - self._checked_at > self._max_age:
            return None
        return self.block, self._block_hash

    def wait_for_block(self, number: int, timeout: float = 10.0) -> bool:
        """Block until the answers hold for block ``number`` or later (tests and tools)."""
        deadline = time.monotonic() + timeout
        while self.block < number:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True


T = TypeVar("T")


class HeadCache:
    """Chain reads (balances, ``/me``) remembered for the head block the role cache has seen.

    Chain state changes only with a new block, so an answer read while block H was the newest stays
    right until the refresher sees another head (it polls every ``api.role_poll`` seconds). Concurrent
    requests for the same read at the same head share one chain call (single flight); with no current
    head (refresher behind), or when this gateway has seen one of its own operations mined in a later
    block (``floor``: read your writes), every request reads the chain itself. Event loop only."""

    def __init__(self, roles: RoleCache, *, floor: Callable[[], int] = lambda: -1, capacity: int = 10_000) -> None:
        self._roles = roles
        self._floor = floor
        self._capacity = capacity
        self._values: dict[tuple[str, ...], tuple[str, Any]] = {}
        self._inflight: dict[tuple[tuple[str, ...], str], asyncio.Future[Any]] = {}

    async def get(self, key: tuple[str, ...], read: Callable[[], T]) -> T:
        head = self._roles.head()
        if head is None or head[0] < self._floor():
            return await run_in_threadpool(read)
        block_hash = head[1]
        hit = self._values.get(key)
        if hit is not None and hit[0] == block_hash:
            return hit[1]  # type: ignore[no-any-return]
        flight = self._inflight.get((key, block_hash))
        if flight is not None:
            return await asyncio.shield(flight)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._inflight[(key, block_hash)] = future
        try:
            value = await run_in_threadpool(read)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: only the waiters (if any) re-raise it
            raise
        finally:
            self._inflight.pop((key, block_hash), None)
        future.set_result(value)
        if len(self._values) >= self._capacity:
            self._values.clear()
        self._values[key] = (block_hash, value)
        return value


TERMINAL = ("succeeded", "failed")


class FinishedOperations:
    """The most recent finished operations, as answered by ``GET /operations/{id}``.

    A succeeded or failed operation never changes again, so once read it can be served from memory
    (per institution: another institution's id stays a 404). Bounded (least recently read out first)."""

    def __init__(self, capacity: int = 20_000) -> None:
        self._capacity = capacity
        self._ops: OrderedDict[str, tuple[str, OperationPublic]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, institution: str, op_id: str) -> OperationPublic | None:
        with self._lock:
            hit = self._ops.get(op_id)
            if hit is None or hit[0] != institution:
                return None
            self._ops.move_to_end(op_id)
            return hit[1]

    def remember(self, institution: str, op: OperationPublic) -> OperationPublic:
        if op.status in TERMINAL:
            with self._lock:
                self._ops[op.id] = (institution, op)
                while len(self._ops) > self._capacity:
                    self._ops.popitem(last=False)
        return op


class IndexCache:
    """Answers read from the SQL index (``GET /members``), remembered while the index is unchanged.

    The indexer rings its bell (``generation`` + 1) after every batch it stores and after every reorg
    repair; an answer is served only while the generation it was read at is still current, and for at
    most ``ttl`` seconds (so a second gateway process indexing the same database is seen too). Without
    an indexer in this process nothing is remembered."""

    def __init__(self, *, ttl: float = 0.2, capacity: int = 1_000) -> None:
        self._ttl = ttl
        self._capacity = capacity
        self._values: dict[tuple[Any, ...], tuple[int, float, Any]] = {}
        self.generation: Callable[[], int | None] = lambda: None

    def get(self, key: tuple[Any, ...]) -> Any | None:
        hit = self._values.get(key)
        if hit is None:
            return None
        generation, at, value = hit
        if generation != self.generation() or time.monotonic() - at > self._ttl:
            return None
        return value

    def put(self, key: tuple[Any, ...], generation: int | None, value: Any) -> None:
        """Remember ``value`` as read at ``generation`` (taken BEFORE the read)."""
        if generation is None:
            return
        if len(self._values) >= self._capacity:
            self._values.clear()
        self._values[key] = (generation, time.monotonic(), value)


@dataclass
class GatewayServices:
    """The services of one gateway, each built once by the lifespan (``create_app``) or one of its hooks.

    ``None`` means not running here: the hook that builds it did not run (``indexer.enabled = false``,
    writers in this process rather than a background process, a test's own hook list). Routes receive
    them through the dependency aliases of ``node_api.deps``, which answer 503 for a missing one."""

    metrics: Metrics | None = None
    #: the background process running the writers and the evidence batcher (``api.background = "process"``)
    background: BackgroundProcess | None = None
    indexer: Indexer | None = None
    #: the SSE hub of ``GET /events/stream``
    events: EventHub | None = None
    webhooks: WebhookDispatcher | None = None
    evidence: EvidenceRuntime | None = None
    #: the PII vault, conduct rules, case-access port and clock of the case-work routes
    casework: CaseworkRuntime | None = None
    #: the analytics models (each loaded once, on first use)
    models: ModelRegistry | None = None
    #: the collector/case matching market over the projected case index
    case_market: SqlCaseMarket | None = None
    #: the auditor's replays (``node_api.routes.audit``: built on first use)
    audit: AuditRunner | None = None


@dataclass
class GatewayState:
    settings: GatewaySettings
    engine: Engine
    client: ChainClient
    recourse: Recourse
    institutions: dict[str, Institution]
    board: OperationBoard
    roles: RoleCache
    #: each hosted institution's writer: here, or its stand-in when it runs in the background process
    writers: dict[str, TransactionWriter | RemoteWriter] = field(default_factory=dict)
    #: services built once by the lifespan and its hooks (indexer, webhook dispatcher, vault, ...)
    services: GatewayServices = field(default_factory=GatewayServices)
    #: verified API keys in memory (``None`` only in states built by hand: then every request reads the DB)
    keys: ApiKeyCache | None = None
    #: persists the operations of concurrent write requests in one transaction (``routes._writes.persist``)
    committer: GroupCommitter = field(init=False)

    #: chain reads remembered per head block (``HeadCache``)
    reads: HeadCache = field(init=False)
    #: index answers remembered while the index is unchanged (``IndexCache``)
    index_reads: IndexCache = field(default_factory=IndexCache)
    #: finished operations (immutable) served from memory by ``GET /operations/{id}``
    finished: FinishedOperations = field(default_factory=FinishedOperations)

    def __post_init__(self) -> None:
        self.committer = GroupCommitter(self.engine)
        self.reads = HeadCache(self.roles, floor=lambda: self.board.last_block)
        # a finished operation is served from memory from the moment its writer has committed it
        self.board.listeners.append(self._remember_finished)

    def _remember_finished(self, op: OperationPublic) -> None:
        self.finished.remember(op.institution, op)

    def writer_for(self, institution: str) -> TransactionWriter | RemoteWriter:
        return self.writers[institution]
