"""``recourse serve``: a small supervisor that keeps the gateway's API process running.

The supervisor binds the listening socket itself and hands it to each API process it starts
(``python -m scripts.serve_api``, which runs uvicorn on that socket), so the port stays bound across
restarts: a client that connects while the API process is being replaced waits in the socket's backlog
instead of being refused. The API process in turn runs the background process (writers, evidence
batcher; ``node_api.background``).

* **Crash**: an API process that dies after it became ready, for any reason other than a requested stop
  (a signal such as SIGKILL or SIGSEGV, or a non-zero exit), is logged in one line
  (``serve.api.died pid=… exit=… restarts=…``) and replaced, after a back-off that doubles from
  :data:`RESTART_DELAY` to :data:`MAX_RESTART_DELAY` while crashes follow each other and starts again
  once a process has served for :data:`STABLE_AFTER` seconds. Its background process notices on its own
  and exits (``node_api.background``), releasing the signing keys to the new one: the writers' key lock
  and outbox keep acknowledged writes exactly once across the restart.
* **Start-up failure**: an API process that fails before it is ready (chain, database or deployments
  file unavailable, invalid settings) reports one line through a pipe; the supervisor stops and
  ``recourse serve`` prints ``error: …`` and exits 1. It does not restart-loop on configuration errors.
  A process killed by a signal while it was starting after a crash is retried :data:`MAX_START_CRASHES`
  times.
* **Stop**: SIGINT and SIGTERM are forwarded to the API process, which shuts down gracefully (open
  requests finish within ``api.graceful_shutdown`` seconds, then its background process stops); the API
  process runs in a process group of its own, so a terminal's Ctrl-C reaches it once, through here.
* **Supervisor killed**: the API process asks the kernel for SIGKILL when the supervisor dies
  (``PR_SET_PDEATHSIG``), so killing the supervisor's PID, even by SIGKILL, stops the whole tree.

``/readyz`` reports ``api_restarts`` and ``api_last_exit`` (passed to each API process in
:data:`RESTARTS_ENV` and :data:`LAST_EXIT_ENV`).
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from types import FrameType

__all__ = ["LAST_EXIT_ENV", "RESTARTS_ENV", "SUPERVISOR_PID_ENV", "ApiSupervisor", "ServeError", "exit_cause"]

logger = logging.getLogger(__name__)

#: environment of an API process: how many API processes died and were replaced before it, and how the
#: last one ended (``signal SIGKILL at 2026-01-01T00:00:00Z``); read by ``/readyz``
RESTARTS_ENV = "RECOURSE_SERVE_RESTARTS"
LAST_EXIT_ENV = "RECOURSE_SERVE_LAST_EXIT"
#: the supervisor's PID, which the API process checks right after asking to die with it
SUPERVISOR_PID_ENV = "RECOURSE_SERVE_SUPERVISOR_PID"
#: seconds before the first restart after a crash; doubles per consecutive crash up to the maximum
RESTART_DELAY = 0.5
MAX_RESTART_DELAY = 30.0
#: seconds an API process must have been ready for its crash to count as the first of a new series
STABLE_AFTER = 60.0
#: consecutive API processes killed by a signal while starting (after a crash) before the supervisor gives up
MAX_START_CRASHES = 5
#: seconds the supervisor retries a port still held (e.g. by a gateway that is just exiting)
BIND_WAIT = 3.0
#: pending connections the listening socket queues (uvicorn's default)
BACKLOG = 2048


class ServeError(Exception):
    """``recourse serve`` cannot run: one line saying what and how to fix it."""


def exit_cause(returncode: int) -> str:
    """``signal SIGSEGV`` or ``exit 3`` for a ``Popen.returncode``."""
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit {returncode}"


@dataclass(frozen=True)
class _Outcome:
    """How one API process ended: ready or not, its exit code, the start-up error it reported."""

    ready: bool
    returncode: int
    error: str | None
    ready_at: float


class ApiSupervisor:
    """Run API processes on one listening socket until asked to stop (see the module docstring)."""

    def __init__(self, *, host: str, port: int, argv: list[str] | None = None) -> None:
        self.host, self.port = host, port
        #: the API process's command; it gets ``--fd N --ready-fd M`` appended
        self.argv = argv or [sys.executable, "-m", "scripts.serve_api"]
        self.restarts = 0
        self.last_exit: str | None = None
        self._child: subprocess.Popen[bytes] | None = None
        self._stopping = False

    # --- the loop ---

    def run(self) -> int:
        """Serve until SIGINT/SIGTERM (returns 0); raises :class:`ServeError` on a start-up failure."""
        sock = self._bind()
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            return self._loop(sock)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
            self._stop_child()
            sock.close()

    def _loop(self, sock: socket.socket) -> int:
        crashes = 0  # consecutive crashes (for the back-off)
        start_crashes = 0  # consecutive processes killed while starting after a crash
        while not self._stopping:
            outcome = self._run_child(sock)
            if self._stopping:
                break
            cause = exit_cause(outcome.returncode)
            if not outcome.ready:
                if outcome.error is not None:
                    raise ServeError(outcome.error)
                start_crashes += 1
                if self.restarts == 0 or outcome.returncode >= 0 or start_crashes >= MAX_START_CRASHES:
                    raise ServeError(f"the gateway's API process exited during start-up ({cause}); see the log above")
            else:
                start_crashes = 0
                if time.monotonic() - outcome.ready_at >= STABLE_AFTER:
                    crashes = 0
            crashes += 1
            delay = min(RESTART_DELAY * 2 ** (crashes - 1), MAX_RESTART_DELAY)
            self.restarts += 1
            self.last_exit = f"{cause} at {dt.datetime.now(tz=dt.UTC):%Y-%m-%dT%H:%M:%SZ}"
            logger.error(
                "serve.api.died pid=%s exit=%s restarts=%s action=restart delay=%.1fs",
                self._child.pid if self._child is not None else None,
                cause,
                self.restarts,
                delay,
            )
            self._sleep(delay)
        return 0

    def _run_child(self, sock: socket.socket) -> _Outcome:
        """Start one API process and wait until it exits."""
        read_fd, write_fd = os.pipe()
        env = {
            **os.environ,
            RESTARTS_ENV: str(self.restarts),
            SUPERVISOR_PID_ENV: str(os.getpid()),
        }
        if self.last_exit is not None:
            env[LAST_EXIT_ENV] = self.last_exit
        try:
            self._child = child = subprocess.Popen(
                [*self.argv, "--fd", str(sock.fileno()), "--ready-fd", str(write_fd)],
                env=env,
                pass_fds=(sock.fileno(), write_fd),
                process_group=0,  # Ctrl-C reaches it only through _on_signal (once, not twice)
            )
        finally:
            os.close(write_fd)
        if self.restarts:
            logger.info("serve.api.started pid=%s restarts=%s", child.pid, self.restarts)
        try:
            ready, error, ready_at = self._read_report(child, read_fd)
        finally:
            os.close(read_fd)
        returncode = child.wait()
        return _Outcome(ready=ready, returncode=returncode, error=error, ready_at=ready_at)

    def _read_report(self, child: subprocess.Popen[bytes], fd: int) -> tuple[bool, str | None, float]:
        """What the API process says on its report pipe: ``ready``, or ``error <one line>`` and it exits."""
        buffer = b""
        while True:
            try:
                readable, _, _ = select.select([fd], [], [], 0.5)
            except InterruptedError:  # pragma: no cover - PEP 475 retries; kept for clarity
                continue
            if not readable:
                if child.poll() is not None and not buffer:
                    return False, None, 0.0
                continue
            chunk = os.read(fd, 4096)
            if not chunk:  # closed: the process exited (or closed it after "ready", handled below)
                break
            buffer += chunk
            if buffer.endswith(b"\n"):
                break
        line = buffer.decode("utf-8", "replace").strip()
        if line == "ready":
            logger.info("serve.api.ready pid=%s url=http://%s:%s", child.pid, self.host, self.port)
            return True, None, time.monotonic()
        if line.startswith("error "):
            return False, line.removeprefix("error "), 0.0
        return False, None, 0.0

    # --- signals, stop ---

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True
        child = self._child
        if child is not None and child.returncode is None:
            try:
                os.kill(child.pid, signum)  # a second Ctrl-C is forwarded too: uvicorn then stops at once
            except ProcessLookupError:
                pass

    def _stop_child(self) -> None:
        """On the way out (an exception, or a stop): the API process must not outlive the supervisor."""
        child = self._child
        if child is None or child.poll() is not None:
            return
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))

    def _bind(self) -> socket.socket:
        """The listening socket (inheritable by the API processes), retried briefly while the port is held."""
        deadline = time.monotonic() + BIND_WAIT
        while True:
            try:
                family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
                sock = socket.create_server((self.host, self.port), family=family, backlog=BACKLOG)
                break
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE and time.monotonic() < deadline:  # perhaps a gateway still exiting
                    time.sleep(0.1)
                    continue
                what = os.strerror(exc.errno) if exc.errno else str(exc)
                raise ServeError(
                    f"cannot listen on {self.host}:{self.port}: {what} "
                    "(is another gateway running? choose another port with --port or RECOURSE_API__PORT)"
                ) from exc
        sock.set_inheritable(True)
        return sock
