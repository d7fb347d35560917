"""The gateway's background process: the transaction writers and the evidence batcher, off the API's GIL.

With ``api.background = "process"`` (the default of ``recourse serve``) the gateway starts one child
process (``multiprocessing``, spawn) that owns every hosted institution's :class:`TransactionWriter`
(and so its signing key lock and nonces) and the :class:`EvidenceBatcher`. Request handling, group
commit, the indexer and event streams stay in the API process. Both processes share only the database
and the chain, which is all the exactly-once protocols rely on; a pipe carries the rest:

* API → background: ``("wake", institution)`` after a new operation was committed, ``("evidence",)``
  after new documents, ``("stop",)`` on shutdown;
* background → API: ``("finished", operation)`` the moment a writer has committed an outcome (it
  resolves ``?confirm=true`` waiters and fills the finished-operation cache), ``("status", {...})``
  writer and batcher health every half second (``/readyz``, ``/metrics``), ``("ready",)`` once started
  or ``("failed", reason)``.

If the API process dies (even by SIGKILL) the pipe closes and the background process exits at once
(``os._exit``: the same as being killed, which the writers' and batcher's protocols are built for), so a
restarted gateway finds the signing keys free. While it is still starting (before it reads the pipe) a
watchdog thread notices the same thing by its parent PID changing (:data:`PARENT_POLL`). Until it has
exited, a new background process cannot take the signing keys (each key's lock file is held by exactly
one process), so an orphan never sends alongside its successor with the same nonces. If the background
process dies, the API process reports it (``/readyz`` 503) and starts a new one.

It logs at the API process's levels (the root logger's and ``node_api``'s), so a gateway run inside
another program (the demo) does not print its INFO lines among that program's output.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from chain import KeyStoreError
from chain.client import ChainClient
from chain.network import Recourse
from node_api.db.engine import make_engine
from node_api.institutions import Institution, load_institutions
from node_api.outbox import OperationBoard, TransactionWriter
from node_api.schemas import OperationPublic
from node_api.settings import GatewaySettings

if TYPE_CHECKING:
    from node_api.services.evidence.batcher import EvidenceBatcher

__all__ = ["BackgroundProcess", "RemoteWriter"]

logger = logging.getLogger(__name__)

#: seconds between two status reports of the background process
STATUS_EVERY = 0.5
#: seconds the background process retries a signing key still locked by a previous, dying process
KEY_LOCK_WAIT = 15.0
#: seconds before a background process that died is replaced (doubling on failure, at most 30 s)
RESTART_DELAY = 0.5
#: seconds between two checks, in the background process, that its API process is still its parent
PARENT_POLL = 0.1


class RemoteWriter:
    """Stands in the API process for a writer running in the background process."""

    def __init__(self, background: BackgroundProcess, institution: Institution) -> None:
        self._background = background
        self.institution = institution
        self.healthy = True
        self.last_error: str | None = None

    def wake(self) -> None:
        self._background.send(("wake", self.institution.name))


class BackgroundProcess:
    """The API side: starts the child, forwards wake-ups, receives finished operations and health."""

    def __init__(self, settings: GatewaySettings, board: OperationBoard, institutions: dict[str, Institution]) -> None:
        self._settings = settings
        self._board = board
        self.writers = {name: RemoteWriter(self, inst) for name, inst in institutions.items()}
        self.batcher_healthy = True
        self._conn: Connection | None = None
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._reader: threading.Thread | None = None
        self._send_lock = threading.Lock()
        self._stopping = False
        #: monotonic time of the last status report (``/readyz`` fails when it is old)
        self.last_status = 0.0
        #: how many times a background process that died was replaced
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self, timeout: float = 120.0) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe(duplex=True)
        levels = (logging.getLogger().getEffectiveLevel(), logging.getLogger("node_api").getEffectiveLevel())
        proc = ctx.Process(target=_main, args=(self._settings, child, levels), name="recourse-background", daemon=True)
        proc.start()
        child.close()
        self._conn, self._proc = parent, proc
        deadline = time.monotonic() + timeout
        while True:  # writers may already report outcomes (operations left from before a restart)
            if not parent.poll(max(0.0, deadline - time.monotonic())):
                self._terminate()
                raise RuntimeError(f"the background process did not start within {timeout:.0f} s")
            try:
                kind, payload = parent.recv()
            except (EOFError, OSError) as exc:
                self._terminate()
                raise RuntimeError(f"the background process exited while starting (exit {proc.exitcode})") from exc
            if kind == "ready":
                break
            if kind == "failed":
                self._terminate()
                raise RuntimeError(f"the background process could not start: {payload}")
            self._handle(kind, payload)
        self.last_status = time.monotonic()
        self._reader = threading.Thread(target=self._read, name="background-reader", daemon=True)
        self._reader.start()
        logger.info("background.started pid=%s writers=%s", proc.pid, ",".join(self.writers))

    def send(self, message: tuple[Any, ...]) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            with self._send_lock:
                conn.send(message)
        except (OSError, ValueError):
            if not self._stopping:
                logger.warning("background.unreachable message=%s", message[0])

    def wake_evidence(self) -> None:
        self.send(("evidence",))

    def healthy(self) -> bool:
        alive = self._proc is not None and self._proc.is_alive()
        return alive and time.monotonic() - self.last_status < 10 * STATUS_EVERY

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping = True
        self.send(("stop",))
        self._terminate(timeout)

    def _terminate(self, timeout: float = 0.0) -> None:
        """Wait up to ``timeout`` for the current child to exit, then kill it; close its pipe."""
        if self._proc is not None:
            self._proc.join(timeout)
            if self._proc.is_alive():
                logger.warning("background.kill pid=%s", self._proc.pid)
                self._proc.kill()
                self._proc.join(5)
        if self._conn is not None:
            self._conn.close()
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(5)

    def _read(self) -> None:
        conn = self._conn
        assert conn is not None  # noqa: S101 - started
        while True:
            try:
                kind, payload = conn.recv()
            except (EOFError, OSError):
                if not self._stopping:
                    self._proc_died()
                return
            try:
                self._handle(kind, payload)
            except Exception:  # noqa: BLE001 - one bad message must not stop the reader
                logger.exception("background.message_error kind=%s", kind)

    def _proc_died(self) -> None:
        """The child died (killed, out of memory, ...): report it, then start a new one. For the writers
        and the batcher this is a restart like any other (their protocols are built for being killed);
        retried with back-off until it starts or the gateway stops."""
        logger.error("background.exited exitcode=%s action=restart", self._proc.exitcode if self._proc else None)
        for w in self.writers.values():
            w.healthy, w.last_error = False, "the background process exited; restarting it"
        delay = RESTART_DELAY
        while not self._stopping:
            time.sleep(delay)
            if self._stopping:
                return
            self._terminate()  # reap the dead child, close its pipe
            try:
                self.start()  # a new reader thread takes over from this one
            except Exception:  # noqa: BLE001 - keep trying: the gateway cannot write without it
                logger.exception("background.restart_failed retry_in=%.0fs", min(delay * 2, 30.0))
                delay = min(delay * 2, 30.0)
                continue
            self.restarts += 1
            return

    def _handle(self, kind: str, payload: Any) -> None:
        if kind == "finished":
            self._board.finished(OperationPublic.model_validate(payload))
        elif kind == "status":
            self.last_status = time.monotonic()
            for name, (ok, error) in payload["writers"].items():
                if name in self.writers:
                    self.writers[name].healthy, self.writers[name].last_error = ok, error
            self.batcher_healthy = payload["batcher"]


# --- the child process ---


def _main(settings: GatewaySettings, conn: Connection, levels: tuple[int, int] = (logging.INFO, logging.INFO)) -> None:
    # Ctrl-C in a terminal (SIGINT) and a service manager's SIGTERM reach the whole process group: the API
    # process shuts down gracefully and tells this one to stop (or its death closes the pipe), so this
    # process ignores both rather than dying mid-batch and being restarted during the shutdown
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="parent-watch", daemon=True).start()
    root_level, node_api_level = levels
    logging.basicConfig(level=root_level, format="%(levelname)s:     [background] %(name)s %(message)s")
    logging.getLogger("node_api").setLevel(node_api_level)
    try:
        worker = _Worker(settings, conn)
    except Exception as exc:  # noqa: BLE001 - reported to the API process, which refuses to start
        logger.debug("background.start_failed", exc_info=True)  # the API process reports it in one line
        conn.send(("failed", " ".join(f"{exc.__class__.__name__}: {exc}".split())))
        return
    worker.serve()


def _exit_with_parent(parent: int) -> None:
    """Exit at once (as if killed) when the API process that started this one is gone, even mid-start."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    logger.warning("background.orphaned parent=%s action=exit", parent)
    os._exit(0)


class _Worker:
    def __init__(self, settings: GatewaySettings, conn: Connection) -> None:
        self._conn = conn
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self.engine = make_engine(settings.db_url, echo=settings.db.echo)  # migrated by the API process
        self.client = ChainClient.connect(settings.chain, data_dir=settings.data_dir)
        self.recourse = Recourse.load(self.client, settings.deployments_file)
        institutions = load_institutions(settings)
        board = OperationBoard(capacity=1)  # nothing waits here: every outcome goes to the API process
        board.listeners.append(lambda op: self._send(("finished", op.model_dump(mode="json"))))
        self.writers: dict[str, TransactionWriter] = {}
        for name, inst in institutions.items():
            writer = TransactionWriter(
                engine=self.engine,
                client=self.client,
                institution=inst,
                board=board,
                batch=settings.api.writer_batch,
                idle=settings.api.writer_idle,
            )
            _start_when_key_free(writer.start)
            self.writers[name] = writer
        self.batcher: EvidenceBatcher | None = None
        if settings.evidence.enabled:
            # imported here: the evidence package imports the gateway state, which imports this module
            from node_api.services.evidence.batcher import EvidenceBatcher

            self.batcher = EvidenceBatcher(
                engine=self.engine,
                recourse=self.recourse,
                institutions=institutions,
                settings=settings.evidence,
                wake_writer=lambda n: self.writers[n].wake() if n in self.writers else None,
            )
            self.batcher.start()

    def serve(self) -> None:
        gc.collect()
        gc.freeze()  # long-lived startup objects out of the collector's sight (shorter pauses)
        self._send(("ready", None))
        threading.Thread(target=self._report, name="background-status", daemon=True).start()
        while True:
            try:
                message = self._conn.recv()
            except (EOFError, OSError):
                # the API process is gone (perhaps killed): leave at once, as if killed too
                os._exit(0)
            kind = message[0]
            if kind == "wake":
                writer = self.writers.get(message[1])
                if writer is not None:
                    writer.wake()
            elif kind == "evidence":
                if self.batcher is not None:
                    self.batcher.wake()
            elif kind == "stop":
                break
        self._stop.set()
        if self.batcher is not None:
            self.batcher.stop()
        for writer in self.writers.values():
            writer.stop()
        self.client.close()
        self.engine.dispose()

    def _report(self) -> None:
        while not self._stop.wait(STATUS_EVERY):
            writers = {n: (w.healthy, w.last_error) for n, w in self.writers.items()}
            batcher = self.batcher.healthy if self.batcher is not None else True
            self._send(("status", {"writers": writers, "batcher": batcher}))

    def _send(self, message: tuple[Any, ...]) -> None:
        try:
            with self._send_lock:
                self._conn.send(message)
        except (OSError, ValueError):
            os._exit(0)  # the API process is gone


def _start_when_key_free(start: Callable[[], None]) -> None:
    """Start a writer; while a previous background process (just killed) still holds the key, retry."""
    deadline = time.monotonic() + KEY_LOCK_WAIT
    while True:
        try:
            start()
            return
        except KeyStoreError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
