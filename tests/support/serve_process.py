"""``recourse serve`` as a child process (tests that SIGKILL it, benchmarks that measure it), by PID.

:attr:`ServeProcess.pid` is the gateway's API process, the one that serves HTTP: what benchmarks and
memory tests measure (as before ``recourse serve`` became a supervisor), and what :meth:`kill_api`
crashes on purpose (the supervisor then starts a new one, with a new PID).
:attr:`ServeProcess.supervisor_pid` is ``recourse serve`` itself (``scripts.serve_supervisor``), which
:meth:`kill` and :meth:`stop` signal: SIGKILL to it stops the whole gateway (the kernel kills the API
process with it, and the API process's background process exits by itself).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ["RECOURSE", "ServeProcess"]

#: the ``recourse`` command of the running interpreter's environment
RECOURSE = Path(sys.executable).parent / "recourse"


class ServeProcess:
    """``recourse serve`` on 127.0.0.1:``port`` with ``env``; output appended to ``log``."""

    def __init__(self, env: dict[str, str], port: int, log: Path, *, cwd: Path | None = None) -> None:
        self.env, self.port, self.log, self.cwd = env, port, log, cwd
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def supervisor_pid(self) -> int:
        """``recourse serve`` itself."""
        if self.proc is None:
            raise RuntimeError("the gateway process was not started")
        return self.proc.pid

    @property
    def pid(self) -> int:
        """The current API process (it changes when the supervisor replaces a crashed one)."""
        pid = self._api_pid()
        if pid is None:
            raise RuntimeError("the gateway has no API process right now (not started, or being restarted)")
        return pid

    def _api_pid(self) -> int | None:
        children = _children(self.supervisor_pid)
        return children[0] if children else None

    def start(self, timeout: float = 90.0) -> None:
        """Start it and wait until ``/readyz`` answers 200 (chain, database, background process up)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(RECOURSE), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                cwd=self.cwd,  # e.g. no stray .env from the caller's working directory
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gateway exited during start:\n" + self.tail())
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("gateway did not become ready:\n" + self.tail())

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def kill_api(self, sig: int = signal.SIGKILL) -> int:
        """Crash the API process with ``sig`` (the supervisor then starts a new one); returns its PID."""
        pid = self.pid
        os.kill(pid, sig)
        return pid

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs (crash tests). Returns once the API process is gone too, so the
        port is free for the next start."""
        api = self._api_pid()
        os.kill(self.supervisor_pid, signal.SIGKILL)
        self.proc.wait(timeout=10)  # type: ignore[union-attr]
        if api is not None:
            _wait_gone(api, timeout=10)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGINT (graceful: the lifespan shutdown runs), SIGKILL if it does not exit in time."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _wait_gone(pid: int, timeout: float) -> None:
    """Wait until ``pid`` no longer runs (exited, or a zombie left for init to reap)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except OSError:
            return
        time.sleep(0.02)
