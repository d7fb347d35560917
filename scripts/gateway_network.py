"""A network of gateways on one chain, one per institution, as separate processes: ``recourse network up``.

In production every member institution runs its own gateway with its own database, keystore and documents.
The embedded development network does the same on one machine: each gateway named in
``RECOURSE_NETWORK__GATEWAYS`` (bank, collector, court, investor by default) is a ``recourse serve`` process
hosting that one institution, with its own data directory ``<data dir>/network/<name>/`` (its SQLite
database, nonce journal, evidence store and log) and its own port (``RECOURSE_NETWORK__BASE_PORT`` + its
position). All of them use the chain and the deployments file of the calling settings.

Processes are tracked by PID files; a PID file counts only while its process is a ``recourse serve`` whose
environment names that gateway's data directory (a recycled PID is never signalled). ``down`` stops only
processes this module started, with SIGTERM and, after a grace period, SIGKILL.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from scripts.settings import RecourseSettings

__all__ = ["GatewayNetwork", "MemberStatus", "NetworkError"]

HOST = "127.0.0.1"


class NetworkError(RuntimeError):
    """A gateway of the network could not be started or stopped (the message says which and why)."""


@dataclass(frozen=True)
class MemberStatus:
    name: str
    port: int
    data_dir: Path
    pid: int | None
    #: answers ``/healthz``
    running: bool

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


class GatewayNetwork:
    def __init__(self, settings: RecourseSettings) -> None:
        self.settings = settings
        self.root = settings.data_dir / "network"
        self.names = list(settings.network.gateways)

    def port(self, name: str) -> int:
        return self.settings.network.base_port + self.names.index(name)

    def data_dir(self, name: str) -> Path:
        return self.root / name

    def _pid_file(self, name: str) -> Path:
        return self.data_dir(name) / "gateway.pid"

    def log_file(self, name: str) -> Path:
        return self.data_dir(name) / "gateway.log"

    # --- queries ---

    def _pid(self, name: str) -> int | None:
        try:
            pid = int(self._pid_file(name).read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if self._is_ours(name, pid) else None

    def _is_ours(self, name: str, pid: int) -> bool:
        """``pid`` is alive and is the ``recourse serve`` of gateway ``name`` (not a recycled PID)."""
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            return False
        wanted = f"RECOURSE_DATA_DIR={self.data_dir(name)}".encode()
        return b"serve" in cmdline and wanted in environ

    def _healthy(self, port: int) -> bool:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1.0) as r:  # noqa: S310 - loopback
                return bool(r.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def status(self) -> list[MemberStatus]:
        out = []
        for name in self.names:
            pid = self._pid(name)
            port = self.port(name)
            out.append(MemberStatus(name, port, self.data_dir(name), pid, pid is not None and self._healthy(port)))
        return out

    # --- lifecycle ---

    def up(self, timeout: float = 90.0) -> list[MemberStatus]:
        """Start every gateway not already running, then wait until each answers ``/healthz``."""
        deployments = self.settings.deployments_file
        if not deployments.is_file():
            raise NetworkError(f"no deployments file at {deployments}: run `recourse deploy` first")
        started: dict[str, subprocess.Popen[bytes]] = {}
        for member in self.status():
            if member.pid is not None:
                continue
            if _port_open(member.port):
                raise NetworkError(
                    f"port {member.port} for gateway {member.name} is held by another program; stop it or set "
                    "RECOURSE_NETWORK__BASE_PORT"
                )
            started[member.name] = self._start(member.name, deployments)
        deadline = time.monotonic() + timeout
        for name, proc in started.items():
            while not self._healthy(self.port(name)):
                if proc.poll() is not None:
                    self._pid_file(name).unlink(missing_ok=True)
                    tail = self.log_file(name).read_text(errors="replace").strip().splitlines()[-2:]
                    raise NetworkError(
                        f"gateway {name} exited with code {proc.returncode}: {' | '.join(tail)} "
                        f"(log {self.log_file(name)})"
                    )
                if time.monotonic() > deadline:
                    log = self.log_file(name)
                    raise NetworkError(f"gateway {name} did not answer within {timeout:.0f}s; see {log}")
                time.sleep(0.2)
        return self.status()

    def _start(self, name: str, deployments: Path) -> subprocess.Popen[bytes]:
        directory = self.data_dir(name)
        directory.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(
            {
                "RECOURSE_DATA_DIR": str(directory),
                "RECOURSE_INSTITUTIONS": json.dumps([name]),
                "RECOURSE_API__HOST": HOST,
                "RECOURSE_API__PORT": str(self.port(name)),
                "RECOURSE_CHAIN__DEPLOYMENTS_FILE": str(deployments.resolve()),
                "RECOURSE_CHAIN__RPC_URL": self.settings.chain.rpc_url,
                "RECOURSE_CHAIN__CHAIN_ID": str(self.settings.chain.chain_id),
            }
        )
        env.pop("RECOURSE_DB__URL", None)  # each gateway its own SQLite file in its data directory
        with self.log_file(name).open("ab") as log:
            proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [sys.executable, "-m", "scripts.cli", "serve"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        tmp = self._pid_file(name).with_suffix(".tmp")
        tmp.write_text(str(proc.pid))
        tmp.replace(self._pid_file(name))
        return proc

    def down(self, timeout: float = 20.0) -> list[str]:
        """Stop every gateway this network started; returns the names stopped."""
        stopping = {}
        for name in self.names:
            pid = self._pid(name)
            if pid is None:
                self._pid_file(name).unlink(missing_ok=True)  # stale: its process is gone or is not ours
                continue
            os.kill(pid, signal.SIGTERM)  # `recourse serve` stops its API and background processes
            stopping[name] = pid
        deadline = time.monotonic() + timeout
        for name, pid in stopping.items():
            while self._is_ours(name, pid) and time.monotonic() < deadline:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
                time.sleep(0.1)
            if self._is_ours(name, pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)  # its own session: the supervisor and its children
            self._pid_file(name).unlink(missing_ok=True)
        return list(stopping)


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((HOST, port)) == 0
