"""``recourse network up|down|status``: one gateway process per institution on one chain, each with its own
database and port. A transfer made at the bank's gateway is seen by the collector's gateway, which indexed the
same chain into its own database; ``down`` stops exactly the processes ``up`` started."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chain.compiler import CompileResult
from tests.conftest import free_port
from tests.support.live_gateway import World, running_world
from tests.support.waiting import wait_until

pytestmark = pytest.mark.chain


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, compiled: CompileResult) -> Iterator[World]:
    with running_world(tmp_path_factory.mktemp("network-procs"), compiled) as w:
        yield w


def _env(world: World, data_dir: Path, base_port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOURSE_")}
    env.update(
        {
            "RECOURSE_DATA_DIR": str(data_dir),
            "RECOURSE_CHAIN__RPC_URL": world.node.url,
            "RECOURSE_CHAIN__PORT": str(world.node.port),
            "RECOURSE_CHAIN__DEPLOYMENTS_FILE": str(world.deployments_file),
            "RECOURSE_NETWORK__GATEWAYS": json.dumps(["bank", "collector"]),
            "RECOURSE_NETWORK__BASE_PORT": str(base_port),
            **extra,
        }
    )
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", *args], env=env, capture_output=True, text=True, timeout=240
    )


def _api_key(env: dict[str, str], data_dir: Path, name: str) -> str:
    r = _cli(
        {**env, "RECOURSE_DATA_DIR": str(data_dir / "network" / name), "RECOURSE_INSTITUTIONS": f'["{name}"]'},
        "apikeys",
        "create",
        name,
        "--scope",
        "*",
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1].strip()  # the token, printed once on its own line


def _two_free_ports() -> int:
    while True:
        base = free_port()
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", base + 1))
        except OSError:
            continue
        return base


def test_up_status_down_with_a_database_per_gateway(world: World, tmp_path: Path) -> None:
    base = _two_free_ports()
    env = _env(world, tmp_path, base)
    try:
        up = _cli(env, "network", "up")
        assert up.returncode == 0, up.stdout + up.stderr
        assert f"bank: http://127.0.0.1:{base} " in up.stdout
        assert f"collector: http://127.0.0.1:{base + 1} " in up.stdout
        status = _cli(env, "network", "status")
        assert status.returncode == 0, status.stdout
        assert status.stdout.count("running") == 2
        # up again: nothing new is started
        pids = sorted((tmp_path / "network" / n / "gateway.pid").read_text() for n in ("bank", "collector"))
        assert _cli(env, "network", "up").returncode == 0
        assert sorted((tmp_path / "network" / n / "gateway.pid").read_text() for n in ("bank", "collector")) == pids

        bank_key, collector_key = _api_key(env, tmp_path, "bank"), _api_key(env, tmp_path, "collector")
        collector = world.address("collector")
        before = httpx.get(
            f"http://127.0.0.1:{base + 1}/tokens/balances/{collector}",
            headers={"Authorization": f"Bearer {collector_key}"},
            timeout=10,
        ).json()["balance_fen"]
        r = httpx.post(
            f"http://127.0.0.1:{base}/tokens/transfers?confirm=true",
            json={"to": collector, "amount_fen": 321},
            headers={"Authorization": f"Bearer {bank_key}", "Idempotency-Key": str(uuid.uuid4())},
            timeout=60,
        )
        assert r.status_code == 200, r.text
        # the collector's own gateway indexed the same chain into its own database
        assert wait_until(
            lambda: (
                httpx.get(
                    f"http://127.0.0.1:{base + 1}/tokens/balances/{collector}",
                    headers={"Authorization": f"Bearer {collector_key}"},
                    timeout=10,
                ).json()["balance_fen"]
                == before + 321
            ),
            timeout=30,
        )
        # a key of one gateway means nothing at the other: separate databases
        other = httpx.get(
            f"http://127.0.0.1:{base + 1}/tokens/balances/{collector}",
            headers={"Authorization": f"Bearer {bank_key}"},
            timeout=10,
        )
        assert other.status_code == 401
        assert (tmp_path / "network" / "bank" / "gateway.sqlite").is_file()
        assert (tmp_path / "network" / "collector" / "gateway.sqlite").is_file()
    finally:
        down = _cli(env, "network", "down")
    assert down.returncode == 0, down.stderr
    assert "stopped bank, collector" in down.stdout
    for p in pids:
        assert wait_until(lambda p=p: not Path(f"/proc/{p}").exists() or _zombie(int(p)), timeout=30)
    after = _cli(env, "network", "status")
    assert after.returncode == 3
    assert after.stdout.count("stopped") == 2


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_up_refuses_a_port_held_by_another_program(world: World, tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        r = _cli(_env(world, tmp_path, port), "network", "up")
    assert r.returncode == 1
    assert f"port {port} for gateway bank is held by another program" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_up_without_deployments_says_to_deploy(world: World, tmp_path: Path) -> None:
    env = _env(world, tmp_path, free_port(), RECOURSE_CHAIN__DEPLOYMENTS_FILE=str(tmp_path / "none.json"))
    r = _cli(env, "network", "up")
    assert r.returncode == 1
    assert "run `recourse deploy` first" in r.stderr
    # nothing was started: no PID file
    assert not (tmp_path / "network" / "bank" / "gateway.pid").exists()
