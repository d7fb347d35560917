"""End-to-end: ``recourse serve`` that cannot start says why in one line and exits 1, whichever part is
missing (chain, deployments file, database, a valid setting, the port), and does not restart-loop: the
failures in the API process (after the supervisor started it) end the same way as the supervisor's own."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.support.serve_process import RECOURSE

pytestmark = pytest.mark.e2e

VAULT_KEY = "ab" * 32


def _env(tmp_path: Path) -> dict[str, str]:
    chain_port = free_port()
    return {
        **os.environ,
        "RECOURSE_DATA_DIR": str(tmp_path / "data"),
        "RECOURSE_CHAIN__PORT": str(chain_port),
        "RECOURSE_CHAIN__RPC_URL": f"http://127.0.0.1:{chain_port}",
        "RECOURSE_CHAIN__DEPLOYMENTS_FILE": str(tmp_path / "deployments.json"),
        "RECOURSE_DB__URL": f"sqlite:///{tmp_path / 'gateway.sqlite'}",
        "RECOURSE_API__PORT": str(free_port()),
    }


@pytest.fixture(scope="module")
def chain_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A running anvil with nothing deployed on it."""
    env = _env(tmp_path_factory.mktemp("serve"))
    up = subprocess.run([str(RECOURSE), "chain", "up"], env=env, capture_output=True, text=True, timeout=60)
    assert up.returncode == 0, up.stderr
    yield env
    subprocess.run([str(RECOURSE), "chain", "down"], env=env, capture_output=True, timeout=30, check=False)


def _serve(env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    proc = subprocess.run([str(RECOURSE), "serve"], env=env, capture_output=True, text=True, timeout=120)
    return proc, time.monotonic() - start


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_chain_down(tmp_path: Path) -> None:
    env = _env(tmp_path)
    proc, _ = _serve(env)
    line = _one_error_line(proc)
    assert f"cannot reach the chain at {env['RECOURSE_CHAIN__RPC_URL']}" in line
    assert "recourse chain up" in line


def test_deployments_file_missing(chain_env: dict[str, str]) -> None:
    line = _one_error_line(_serve(chain_env)[0])
    assert f"{chain_env['RECOURSE_CHAIN__DEPLOYMENTS_FILE']} not found: run `recourse deploy` first" in line


def test_chain_id_differs(chain_env: dict[str, str]) -> None:
    env = {**chain_env, "RECOURSE_CHAIN__CHAIN_ID": "1337", "RECOURSE_CASEWORK__VAULT_KEY": VAULT_KEY}
    line = _one_error_line(_serve(env)[0])
    assert "is chain id 31337 but settings say 1337" in line


def test_database_unreachable(tmp_path: Path) -> None:
    port = free_port()
    env = {**_env(tmp_path), "RECOURSE_DB__URL": f"postgresql://recourse:secret@127.0.0.1:{port}/gateway"}
    line = _one_error_line(_serve(env)[0])
    assert f"cannot use the database postgresql://recourse:***@127.0.0.1:{port}/gateway" in line
    assert "RECOURSE_DB__URL" in line
    assert "secret" not in line


def test_invalid_setting(tmp_path: Path) -> None:
    line = _one_error_line(_serve({**_env(tmp_path), "RECOURSE_API__PORT": "eighty"})[0])
    assert "invalid setting api.port" in line


def test_port_in_use(tmp_path: Path) -> None:
    env = _env(tmp_path)
    with socket.socket() as held:
        held.bind(("127.0.0.1", int(env["RECOURSE_API__PORT"])))
        held.listen()
        proc, took = _serve(env)
    line = _one_error_line(proc)
    assert f"cannot listen on 127.0.0.1:{env['RECOURSE_API__PORT']}: Address already in use" in line
    assert took < 30  # a short retry for a gateway that is just exiting, not a loop
