"""The embedded chain: an ``anvil`` process on 127.0.0.1 with its state persisted to a file.

``AnvilNode.up()`` reuses a node this project already started (PID file), refuses a port held by
another program, and waits until the node answers JSON-RPC. ``down()`` stops only the process named
in the PID file, and only if it is still an anvil serving our state file; anvil writes its state on
SIGTERM (and every ``state_interval`` seconds), so a restart loses nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from chain._exceptions import NodeError, PortInUseError, ToolchainError
from chain.config import PROJECT_ROOT

__all__ = ["AnvilNode", "NodeStatus", "anvil_binary", "rpc_request"]

logger = logging.getLogger(__name__)
HOST = "127.0.0.1"


def anvil_binary(root: Path = PROJECT_ROOT) -> Path:
    path = root / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
    if not path.exists():
        raise ToolchainError(f"anvil not found at {path}: run `make setup` (npm ci) first")
    return path


def rpc_request(url: str, method: str, params: list[object] | None = None, timeout: float = 2.0) -> object:
    """One JSON-RPC call with the standard library (used before web3 is wired)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (http://127.0.0.1 only)
        reply = json.loads(resp.read())
    if "error" in reply:
        raise NodeError(f"{method} failed: {reply['error']}")
    return reply.get("result")


@dataclass(frozen=True)
class NodeStatus:
    running: bool
    pid: int | None
    url: str
    chain_id: int | None
    block_number: int | None
    state_file: Path
    owned: bool


class AnvilNode:
    """Start, stop and inspect the embedded anvil."""

    def __init__(
        self,
        *,
        data_dir: Path,
        port: int,
        chain_id: int,
        hardfork: str = "cancun",
        accounts: int = 24,
        state_interval: int = 5,
        binary: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = port
        self.chain_id = chain_id
        self.hardfork = hardfork
        self.accounts = accounts
        self.state_interval = state_interval
        self.binary = binary
        self.state_file = data_dir / "chain" / "anvil-state.json"
        self.pid_file = data_dir / "chain" / "anvil.pid"
        self.log_file = data_dir / "chain" / "anvil.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # --- queries ---

    def _read_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def _is_ours(self, pid: int) -> bool:
        """True if ``pid`` is alive and is an anvil using our state file."""
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            return False
        args = [a.decode(errors="replace") for a in cmdline if a]
        return bool(args) and Path(args[0]).name == "anvil" and str(self.state_file) in args

    def _port_open(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            return sock.connect_ex((HOST, self.port)) == 0

    def _chain_info(self) -> tuple[int, int] | None:
        try:
            chain_id = rpc_request(self.url, "eth_chainId", timeout=1.0)
            block = rpc_request(self.url, "eth_blockNumber", timeout=1.0)
        except (OSError, urllib.error.URLError, NodeError, ValueError):
            return None
        return int(str(chain_id), 16), int(str(block), 16)

    def status(self) -> NodeStatus:
        pid = self._read_pid()
        owned = pid is not None and self._is_ours(pid)
        info = self._chain_info() if owned else None
        return NodeStatus(
            running=owned and info is not None,
            pid=pid if owned else None,
            url=self.url,
            chain_id=info[0] if info else None,
            block_number=info[1] if info else None,
            state_file=self.state_file,
            owned=owned,
        )

    # --- lifecycle ---

    def up(self, timeout: float = 15.0) -> NodeStatus:
        """Start anvil (or reuse the one we started) and wait until it answers."""
        current = self.status()
        if current.running:
            if current.chain_id != self.chain_id:
                raise NodeError(
                    f"the running node has chain id {current.chain_id}, settings say {self.chain_id}: "
                    "run `recourse chain down` first"
                )
            return current
        if current.owned and current.pid is not None:
            # ours but not answering yet (just started by another command): wait for it
            return self._wait_ready(current.pid, timeout)
        if self._port_open():
            raise PortInUseError(
                f"port {self.port} on {HOST} is held by another program; stop it or set RECOURSE_CHAIN__PORT"
            )
        binary = self.binary or anvil_binary()
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        args = [
            str(binary),
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--hardfork",
            self.hardfork,
            "--accounts",
            str(self.accounts),
            "--state",
            str(self.state_file),
            "--state-interval",
            str(self.state_interval),
        ]
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(  # noqa: S603 (fixed argv, no shell)
                args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        self._proc = proc  # keep the handle so the child is reaped when we stop it
        tmp = self.pid_file.with_suffix(".tmp")
        tmp.write_text(str(proc.pid))
        tmp.replace(self.pid_file)
        logger.info("chain.node.started pid=%s port=%s state=%s", proc.pid, self.port, self.state_file)
        return self._wait_ready(proc.pid, timeout, proc)

    def _wait_ready(self, pid: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> NodeStatus:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                tail = self.log_file.read_text(errors="replace").strip().splitlines()[-3:]
                raise NodeError(f"anvil exited with code {proc.returncode}: {' | '.join(tail)} (log {self.log_file})")
            status = self.status()
            if status.running:
                return status
            time.sleep(0.05)
        raise NodeError(f"anvil (pid {pid}) did not answer on {self.url} within {timeout:.0f}s; see {self.log_file}")

    def down(self, timeout: float = 10.0) -> bool:
        """Stop the anvil we started; returns False if none was running. Never touches other processes."""
        pid = self._read_pid()
        if pid is None:
            return False
        if not self._is_ours(pid):
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._is_ours(pid):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.05)
        if self._is_ours(pid):
            logger.warning("chain.node.kill pid=%s reason=sigterm-timeout", pid)
            os.kill(pid, signal.SIGKILL)
        if self._proc is not None and self._proc.pid == pid:
            self._proc.wait(timeout=timeout)
            self._proc = None
        self.pid_file.unlink(missing_ok=True)
        logger.info("chain.node.stopped pid=%s", pid)
        return True
