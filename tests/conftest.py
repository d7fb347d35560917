"""Shared fixtures: a real anvil per test session (own port and data dir), compiled contracts, a fresh
deployment, and per-test isolation by ``evm_snapshot`` / ``evm_revert``."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.client import ChainClient
from chain.compiler import CompileResult, compile_project
from chain.config import DEV_CHAIN_ID, ChainSettings
from chain.contracts.consortium import Role
from chain.deploy import Deployments, GovernanceConfig, deploy
from chain.keys import dev_identity_account
from chain.network import Recourse
from chain.node import AnvilNode


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def account(name: str):  # noqa: ANN201 - LocalAccount
    return dev_identity_account(name, chain_id=DEV_CHAIN_ID)


def admit(
    recourse: Recourse,
    client: ChainClient,
    name: str,
    roles: tuple[Role, ...],
    *,
    label: str = "test",
    region: int = 310000,
    kyc_tier: int = 0,
) -> None:
    """Admit the dev identity ``name`` with ``roles``: 2 of 3 governors (governor-1 proposes, governor-2
    approves and executes). The one helper of every test suite that admits members."""
    g1, g2 = client.sender(account("governor-1")), client.sender(account("governor-2"))
    pid = recourse.consortium.propose_admission(
        g1, account(name).address, name=f"{name} ({label})", roles=roles, region=region, kyc_tier=kyc_tier
    )
    recourse.consortium.approve(g2, pid)
    recourse.consortium.execute(g2, pid)


@pytest.fixture(scope="session")
def compiled() -> CompileResult:
    return compile_project()


@pytest.fixture(scope="session")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    data_dir = tmp_path_factory.mktemp("anvil")
    node = AnvilNode(data_dir=data_dir, port=free_port(), chain_id=DEV_CHAIN_ID)
    node.up()
    yield node
    node.down()


@pytest.fixture(scope="session")
def chain_settings(anvil: AnvilNode) -> ChainSettings:
    return ChainSettings(rpc_url=anvil.url, port=anvil.port, chain_id=DEV_CHAIN_ID)


@pytest.fixture(scope="session")
def governance() -> GovernanceConfig:
    return GovernanceConfig(
        governors=tuple(account(f"governor-{i}").address for i in (1, 2, 3)), threshold=2, proposal_lifetime=3600
    )


@pytest.fixture(scope="session")
def deployments(
    anvil: AnvilNode, chain_settings: ChainSettings, compiled: CompileResult, governance: GovernanceConfig
) -> Deployments:
    client = ChainClient(chain_settings, data_dir=anvil.data_dir)
    try:
        result, _ = deploy(
            client,
            client.sender(account("deployer")),
            compiled,
            network="test",
            path=anvil.data_dir / "deployments.json",
            governance=governance,
        )
    finally:
        client.close()
    return result


@pytest.fixture
def client(
    anvil: AnvilNode, chain_settings: ChainSettings, deployments: Deployments, tmp_path: Path
) -> Iterator[ChainClient]:
    """A fresh client per test (own nonce journal); chain state is rolled back afterwards."""
    probe = ChainClient(chain_settings, data_dir=anvil.data_dir)
    snap = probe.rpc.call("evm_snapshot")
    c = ChainClient(chain_settings, data_dir=tmp_path / "client")
    try:
        yield c
    finally:
        c.close()
        probe.rpc.call("evm_revert", [snap])
        probe.close()


@pytest.fixture
def recourse(client: ChainClient, deployments: Deployments) -> Recourse:
    return Recourse(client, deployments)


# --- a private PostgreSQL server (Debian's binaries; `.ci/run` installs them when missing) ---


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (base / name).exists():
            return str(base / name)
    return None


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of the ``postgres`` database on a private server started for this test session."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.fail("PostgreSQL server binaries not found: install Debian's postgresql package (see .ci/run)")
    # not under pytest's tmp dir: that is private to root and the server runs as the postgres user
    base = Path(tempfile.mkdtemp(prefix="recourse-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    port = free_port()
    subprocess.run(
        [*prefix, initdb, "-D", str(data), "-U", "recourse", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-l", str(base / "pg.log"), "-w", "-o", options, "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://recourse@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def fresh_pg_database(server_url: str) -> str:
    """Create an empty database on the server and return its URL."""
    import psycopg

    name = f"t_{os.getpid()}_{time.monotonic_ns()}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # noqa: S608 - generated name
    return server_url.rsplit("/", 1)[0] + "/" + name
