"""Operations: durable, idempotent chain writes.

``submit`` persists the operation (status ``pending``) before the API acknowledges it. The same
``Idempotency-Key`` with the same request returns the original operation; with a different request it
raises ``IdempotencyConflictError`` (409).

:class:`GroupCommitter` is how the API persists: one thread runs the submissions of all requests that
arrived meanwhile in ONE database transaction and acknowledges each only after that commit (group
commit: the same durability as one commit per request, without many writers queueing on SQLite's write
lock). Inside a group, ``submit_operation`` adds the row and leaves the commit to the committer.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, event, func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from chain.client import TxRequest
from node_api.db.models import Operation
from node_api.problems import IdempotencyConflictError, NotFoundError

__all__ = ["GroupCommitter", "get_operation", "list_operations", "request_hash", "submit_operation"]

logger = logging.getLogger(__name__)

#: ``session.info`` flag: the session belongs to a group commit (the committer commits, not the service)
IN_GROUP = "recourse.group_commit"


def request_hash(kind: str, body: dict[str, Any]) -> str:
    blob = json.dumps({"kind": kind, "body": body}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _existing(session: Session, institution: str, key: str) -> Operation | None:
    # a Core lookup of the id first (most keys are new: no ORM query machinery), the row only on a replay
    table = Operation.__table__  # type: ignore[attr-defined]
    stmt = sa_select(table.c.id).where(table.c.institution == institution, table.c.idempotency_key == key)
    found = session.connection().execute(stmt).first()
    return None if found is None else session.get(Operation, found[0])


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
    """Persist a pending operation; returns ``(operation, created)``."""
    digest = request_hash(kind, body)
    found = _existing(session, institution, idempotency_key)
    if found is not None:
        return _replay(found, digest), False
    op = Operation(
        id=str(uuid.uuid4()),
        institution=institution,
        sender=sender,
        idempotency_key=idempotency_key,
        request_hash=digest,
        kind=kind,
        request=body,
        to_address=tx.to,
        data="0x" + tx.data.hex(),
        value=tx.value,
    )
    session.add(op)
    if session.info.get(IN_GROUP):
        return op, True  # the GroupCommitter commits the whole group, then acknowledges
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        found = _existing(session, institution, idempotency_key)
        if found is None:
            raise
        return _replay(found, digest), False
    return op, True


def _replay(found: Operation, digest: str) -> Operation:
    if found.request_hash != digest:
        raise IdempotencyConflictError(
            f"Idempotency-Key {found.idempotency_key!r} was used for a different request "
            f"(operation {found.id}); use a new key for a new request",
            operation_id=found.id,
        )
    return found


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


R = TypeVar("R")


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
