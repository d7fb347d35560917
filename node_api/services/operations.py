"""Operations: durable, idempotent chain writes, and the one idempotent write path of the gateway.

A write request becomes a :class:`Submission`: its operations (:class:`OpSpec`: key, kind, body,
transaction; sent in order) and any rows stored with them (a claim's reservation, a batch's cases).
:func:`submit_many` persists it (status ``pending``) before the API acknowledges it. The same
``Idempotency-Key`` with the same request returns the original operations; with a different request it
raises :func:`conflict` (``IdempotencyConflictError``, ``OPS-409``). :func:`write_once` is that rule for
any row with a key (operations, evidence items, webhook subscriptions): look the key up, replay or
refuse, else insert, and turn a concurrent insert of the same key into a replay.

:class:`GroupCommitter` is how the API persists: one thread runs the submissions of all requests that
arrived meanwhile in ONE database transaction and acknowledges each only after that commit (group
commit: the same durability as one commit per request, without many writers queueing on SQLite's write
lock). Inside a group, :func:`write_once` adds the rows and leaves the commit to the committer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, event, func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from chain.client import TxRequest
from node_api.db.models import Operation, utcnow
from node_api.problems import IdempotencyConflictError, NotFoundError

__all__ = [
    "ExtraRows",
    "GroupCommitter",
    "OpSpec",
    "Submission",
    "conflict",
    "get_operation",
    "list_operations",
    "reads_chain",
    "replayed",
    "request_hash",
    "submit_many",
    "submit_operation",
    "write_once",
]

logger = logging.getLogger(__name__)

R = TypeVar("R")

#: ``session.info`` flag: the session belongs to a group commit (the committer commits, not the service)
IN_GROUP = "recourse.group_commit"


def request_hash(kind: str, body: dict[str, Any]) -> str:
    blob = json.dumps({"kind": kind, "body": body}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def conflict(key: str, earlier: str, **extra: Any) -> IdempotencyConflictError:
    """The one refusal of a reused key: ``earlier`` names what the key already stands for."""
    return IdempotencyConflictError(
        f"Idempotency-Key {key!r} was used for a different request ({earlier}); use a new key for a new request",
        **extra,
    )


def write_once(
    session: Session, *, find: Callable[[Session], R | None], create: Callable[[Session], R]
) -> tuple[R, bool]:
    """The idempotent write every service uses; returns ``(result, created)``.

    ``find`` returns what an earlier request with this key stored (and raises :func:`conflict` when that
    request differs), or ``None``; ``create`` adds the new rows. Inside a group commit the committer
    commits; otherwise this commits, and a unique-key violation (the same key committed concurrently)
    becomes the replay of the row that won. Any other violation is re-raised for the caller to map."""
    found = find(session)
    if found is not None:
        return found, False
    if session.info.get(IN_GROUP):
        return create(session), True  # the GroupCommitter commits the whole group, then acknowledges
    try:
        result = create(session)
        session.commit()
    except IntegrityError:
        session.rollback()
        found = find(session)
        if found is None:
            raise
        return found, False
    except BaseException:
        session.rollback()  # all or nothing: no half-written request stays in the session
        raise
    return result, True


@dataclass(frozen=True)
class OpSpec:
    """One chain write of a request: its key, kind, body (what a replay must repeat) and transaction. A
    transaction with a gas limit (the chain's answer when the planner asked it, see
    :func:`~node_api.services.chain_errors.dry_run`) is sent with that limit; one without is estimated
    by its writer."""

    key: str
    kind: str
    body: dict[str, Any]
    tx: TxRequest | None


#: rows stored in the same transaction as a request's operations (given them, in order)
ExtraRows = Callable[[Session, list[Operation]], None]


@dataclass(frozen=True)
class Submission:
    """What one write request persists: operations sent in this order (the request's own key is the last
    one's; earlier ones, e.g. an ``approve`` before a ``publishBatch``, carry derived keys) and any rows
    that must be stored with them."""

    institution: str
    sender: str
    specs: tuple[OpSpec, ...]
    extra_rows: ExtraRows | None = None
    #: the problem when a unique row of ``extra_rows`` exists already (another request won it); without
    #: it, that unique violation is raised as it is
    taken: Callable[[Session, IntegrityError], Exception] | None = None

    @property
    def key(self) -> str:
        return self.specs[-1].key


F = TypeVar("F", bound=Callable[..., Submission])


def reads_chain(fn: F) -> F:
    """Marks a write's planner that asks the chain: the write path plans it in a worker thread, so that
    requests waiting for the node overlap (a planner that only builds calldata runs on the event loop,
    where a thread hop would cost more than it)."""
    fn.reads_chain = True  # type: ignore[attr-defined]
    return fn


def _existing(session: Session, institution: str, key: str) -> Operation | None:
    # a Core lookup of the id first (most keys are new: no ORM query machinery), the row only on a replay
    table = Operation.__table__  # type: ignore[attr-defined]
    stmt = sa_select(table.c.id).where(table.c.institution == institution, table.c.idempotency_key == key)
    found = session.connection().execute(stmt).first()
    return None if found is None else session.get(Operation, found[0])


def replayed(session: Session, *, institution: str, specs: Sequence[OpSpec]) -> list[Operation] | None:
    """The operations an earlier request with the same key stored, or ``None`` if the key is new; a
    different request under that key is :func:`conflict`."""
    main = specs[-1]
    op = _existing(session, institution, main.key)
    if op is None:
        return None
    if op.request_hash != request_hash(main.kind, main.body):
        raise conflict(main.key, f"operation {op.id}", operation_id=op.id)
    if len(specs) == 1:
        return [op]
    keys = [s.key for s in specs[:-1]]
    earlier = session.exec(
        select(Operation).where(Operation.institution == institution, col(Operation.idempotency_key).in_(keys))
    ).all()
    by_key = {o.idempotency_key: o for o in earlier}
    return [*(by_key[k] for k in keys if k in by_key), op]


def _stage(session: Session, sub: Submission) -> list[Operation]:
    base = utcnow()
    ops = []
    for i, spec in enumerate(sub.specs):
        if spec.tx is None:  # pragma: no cover - only a replay is planned without its transaction
            raise NotFoundError(f"operation for Idempotency-Key {spec.key!r} vanished")
        at = base + dt.timedelta(microseconds=i)  # created_at orders a request's operations
        op = Operation(
            id=str(uuid.uuid4()),
            institution=sub.institution,
            sender=sub.sender,
            idempotency_key=spec.key,
            request_hash=request_hash(spec.kind, spec.body),
            kind=spec.kind,
            request=spec.body,
            to_address=spec.tx.to,
            data="0x" + spec.tx.data.hex(),
            value=spec.tx.value,
            gas=spec.tx.gas,  # the planner's answer from the chain, if it asked: the writer sends with it
            created_at=at,
            updated_at=at,
        )
        ops.append(op)
    if sub.extra_rows is not None:
        # first: a refusal here (a case reserved meanwhile) leaves the session as it was, so in a group
        # commit it fails alone
        sub.extra_rows(session, ops)
    session.add_all(ops)
    return ops


def submit_many(session: Session, submission: Submission) -> tuple[list[Operation], bool]:
    """Persist a request's operations (and its extra rows) pending, all or nothing; returns
    ``(operations, created)``. A replayed key returns the original operations (see :func:`write_once`)."""
    try:
        return write_once(
            session,
            find=lambda s: replayed(s, institution=submission.institution, specs=submission.specs),
            create=lambda s: _stage(s, submission),
        )
    except IntegrityError as exc:
        if submission.taken is None:
            raise
        raise submission.taken(session, exc) from exc


def submit_operation(
    *,
    session: Session,
    institution: str,
    sender: str,
    idempotency_key: str,
    kind: str,
    body: dict[str, Any],
    tx: TxRequest,
) -> tuple[Operation, bool]:
    """Persist one pending operation; returns ``(operation, created)``."""
    ops, created = submit_many(session, Submission(institution, sender, (OpSpec(idempotency_key, kind, body, tx),)))
    return ops[0], created


def get_operation(*, session: Session, institution: str, operation_id: str) -> Operation:
    op = session.get(Operation, operation_id)
    if op is None or op.institution != institution:
        raise NotFoundError(f"no operation {operation_id}")
    return op


def list_operations(
    *, session: Session, institution: str, status: str | None, limit: int, offset: int
) -> tuple[Sequence[Operation], int]:
    stmt = select(Operation).where(Operation.institution == institution)
    if status:
        stmt = stmt.where(Operation.status == status)
    rows = session.exec(stmt.order_by(col(Operation.created_at).desc()).offset(offset).limit(limit)).all()
    total = session.exec(select(func.count()).select_from(Operation).where(Operation.institution == institution)).one()
    return rows, total


class _Job(Generic[R]):
    """One ``fn(session)`` to run in a group; completion is signalled by ``done`` (a waiting thread) or
    by ``future`` resolved on its event loop (an ``async`` caller: no thread blocks meanwhile)."""

    __slots__ = ("_done", "error", "fn", "future", "loop", "result")

    def __init__(
        self,
        fn: Callable[[Session], R],
        loop: asyncio.AbstractEventLoop | None = None,
        future: asyncio.Future[R] | None = None,
    ) -> None:
        self.fn = fn
        self._done = threading.Event() if future is None else None
        self.loop, self.future = loop, future
        self.result: R | None = None
        self.error: BaseException | None = None

    def wait(self) -> None:
        assert self._done is not None  # noqa: S101 - a thread job
        self._done.wait()

    def finish(self) -> None:
        if self._done is not None:
            self._done.set()
            return
        assert self.loop is not None  # noqa: S101 - an async job
        self.loop.call_soon_threadsafe(_resolve, self)


def _resolve(job: _Job[Any]) -> None:
    future = job.future
    if future is None or future.done():  # cancelled meanwhile (the client went away): the commit stands
        return
    if job.error is not None:
        future.set_exception(job.error)
    else:
        future.set_result(job.result)


class GroupCommitter:
    """Runs ``fn(session)`` jobs from many threads in one committing thread, many per transaction.

    A job that raises without having changed the session (e.g. an idempotency conflict) fails alone.
    If a job raises after changing the session, or the commit fails, the group is rolled back and each
    job runs again alone in its own transaction, so an error reaches only the request that caused it.
    Objects returned by a job stay loaded after the commit (``expire_on_commit=False``).
    """

    def __init__(self, engine: Engine, *, max_group: int = 256) -> None:
        self._engine = engine
        self._max_group = max_group
        self._queue: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.groups = 0
        self.jobs = 0

    def run(self, fn: Callable[[Session], R]) -> R:
        """Run ``fn`` in the next group; returns once the group is committed (or raises ``fn``'s error)."""
        self._ensure_started()
        job = _Job(fn)
        self._queue.put(job)
        job.wait()
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    async def run_async(self, fn: Callable[[Session], R]) -> R:
        """:meth:`run` for the event loop: awaits the group's commit without occupying a thread."""
        self._ensure_started()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._queue.put(_Job(fn, loop, future))
        return await asyncio.shield(future)

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="group-commit", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            group = [job]
            while len(group) < self._max_group:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._commit(group)
                    return
                group.append(nxt)
            self._commit(group)

    def _commit(self, group: list[_Job[Any]]) -> None:
        self.groups += 1
        self.jobs += len(group)
        try:
            with Session(self._engine, expire_on_commit=False) as s:
                s.info[IN_GROUP] = True
                flushes = [0]
                event.listen(s, "after_flush", lambda *_: flushes.__setitem__(0, flushes[0] + 1))
                for job in group:
                    s.flush()  # the earlier jobs' rows: whatever is flushed from here on is this job's
                    before = flushes[0]
                    try:
                        job.result = job.fn(s)
                    except Exception as exc:
                        if flushes[0] != before or s.new or s.dirty or s.deleted or not s.is_active:
                            raise _Regroup from exc
                        job.error = exc  # it changed nothing: it fails alone
                s.commit()
        except Exception as exc:  # noqa: BLE001 - rerun alone: the error reaches only its own request
            logger.info("operations.group.rerun size=%d cause=%s", len(group), exc.__class__.__name__)
            for job in group:
                job.result, job.error = None, None
                try:
                    with Session(self._engine, expire_on_commit=False) as s:
                        job.result = job.fn(s)
                        s.commit()
                except BaseException as err:  # noqa: BLE001 - handed to the waiting request
                    job.error = err
                job.finish()
            return
        for job in group:
            job.finish()


class _Regroup(Exception):
    """A job failed after changing the group's session: the group must be rerun job by job."""
