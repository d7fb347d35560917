"""Gateway fixtures: a private anvil with every demo institution admitted, a private PostgreSQL
server (started from the Debian binaries), and a gateway per test on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from chain.client import ChainClient
from chain.compiler import CompileResult
from chain.config import DEV_CHAIN_ID, ChainSettings
from chain.contracts.consortium import Role
from chain.deploy import GovernanceConfig, deploy
from chain.network import Recourse
from chain.node import AnvilNode
from node_api.app import create_app
from node_api.services.apikeys import create_api_key
from node_api.settings import ApiSettings, DbSettings, GatewaySettings, IndexerSettings
from tests.conftest import account, free_port

INSTITUTION_ROLES: dict[str, tuple[Role, ...]] = {
    "bank": (Role.BANK, Role.SETTLEMENT_BANK),
    "collector": (Role.COLLECTOR,),
    "mediator": (Role.MEDIATOR,),
    "court": (Role.COURT,),
    "investor": (Role.INVESTOR,),
    "auditor": (Role.AUDITOR,),
    "oracle": (Role.ORACLE,),
    "regulator": (Role.REGULATOR,),
}
PEPPER = "test-pepper"


def admit(recourse: Recourse, client: ChainClient, name: str, roles: tuple[Role, ...]) -> None:
    g1, g2 = client.sender(account("governor-1")), client.sender(account("governor-2"))
    pid = recourse.consortium.propose_admission(
        g1, account(name).address, name=f"{name} (test)", roles=roles, region=310000
    )
    recourse.consortium.approve(g2, pid)
    recourse.consortium.execute(g2, pid)


def set_suspended(recourse: Recourse, client: ChainClient, name: str, suspended: bool) -> None:
    g1, g2 = client.sender(account("governor-1")), client.sender(account("governor-2"))
    pid = recourse.consortium.propose_suspension(g1, account(name).address, reason="test", suspend=suspended)
    recourse.consortium.approve(g2, pid)
    recourse.consortium.execute(g2, pid)


@pytest.fixture(scope="session")
def gw_chain(tmp_path_factory: pytest.TempPathFactory, compiled: CompileResult) -> Iterator[tuple[AnvilNode, Path]]:
    """A private anvil with contracts deployed, all institutions admitted and the bank funded."""
    data_dir = tmp_path_factory.mktemp("gw-anvil")
    node = AnvilNode(data_dir=data_dir, port=free_port(), chain_id=DEV_CHAIN_ID)
    node.up()
    settings = ChainSettings(rpc_url=node.url, port=node.port)
    client = ChainClient(settings, data_dir=data_dir)
    gov = GovernanceConfig(tuple(account(f"governor-{i}").address for i in (1, 2, 3)), 2, 3600)
    path = data_dir / "deployments.json"
    try:
        deployments, _ = deploy(
            client, client.sender(account("deployer")), compiled, network="gw", path=path, governance=gov
        )
        recourse = Recourse(client, deployments, compiled)
        for name, roles in INSTITUTION_ROLES.items():
            admit(recourse, client, name, roles)
        bank = client.sender(account("bank"))
        recourse.token.mint(bank, account("bank").address, 1_000_000_000_00, reference="test funding")
    finally:
        client.close()
    yield node, path
    node.down()


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (base / name).exists():
            return str(base / name)
    return None


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A private PostgreSQL server (Debian's binaries; `.ci/run` installs them when missing)."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.fail("PostgreSQL server binaries not found: install Debian's postgresql package (see .ci/run)")
    # not under pytest's tmp dir: that is private to root and the server runs as the postgres user
    base = Path(tempfile.mkdtemp(prefix="recourse-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the server as the postgres user
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    port = free_port()
    subprocess.run(
        [*prefix, initdb, "-D", str(data), "-U", "recourse", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *prefix,
            pg_ctl,
            "-D",
            str(data),
            "-l",
            str(base / "pg.log"),
            "-w",
            "-o",
            f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://recourse@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def _fresh_pg_database(url: str) -> str:
    import psycopg

    name = f"gw_{os.getpid()}_{time.monotonic_ns()}"
    with psycopg.connect(url.replace("postgresql://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # noqa: S608 - generated name
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gateway.sqlite'}"
    return _fresh_pg_database(request.getfixturevalue("pg_url"))


def gateway_settings(
    node: AnvilNode, deployments: Path, data_dir: Path, db_url: str, **extra: object
) -> GatewaySettings:
    return GatewaySettings(
        data_dir=data_dir,
        chain=ChainSettings(rpc_url=node.url, port=node.port, deployments_file=deployments),
        db=DbSettings(url=db_url),
        api=ApiSettings(confirm_timeout=20),
        indexer=IndexerSettings(poll_interval=0.05),
        institutions=list(INSTITUTION_ROLES),
        api_key_pepper=PEPPER,  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


class Gateway:
    def __init__(self, client: TestClient) -> None:
        self.http = client
        self.state = client.app.state.gateway  # type: ignore[attr-defined]

    def key(self, institution: str, scopes: list[str] | None = None) -> dict[str, str]:
        with Session(self.state.engine) as s:
            _, token = create_api_key(
                session=s, institution=institution, scopes=scopes or ["*"], label="test", pepper=PEPPER
            )
        return {"Authorization": f"Bearer {token}"}

    def address(self, institution: str) -> str:
        return str(self.state.institutions[institution].address)


@pytest.fixture
def chain_snapshot(gw_chain: tuple[AnvilNode, Path]) -> Iterator[Callable[[], ChainClient]]:
    node, _ = gw_chain
    probe = ChainClient(ChainSettings(rpc_url=node.url, port=node.port), data_dir=node.data_dir / "probe")
    snap = probe.rpc.call("evm_snapshot")
    yield lambda: probe
    probe.rpc.call("evm_revert", [snap])
    probe.close()


@pytest.fixture
def gateway(
    gw_chain: tuple[AnvilNode, Path], chain_snapshot: Callable[[], ChainClient], db_url: str, tmp_path: Path
) -> Iterator[Gateway]:
    node, deployments = gw_chain
    app = create_app(gateway_settings(node, deployments, tmp_path / "gw", db_url))
    with TestClient(app) as client:
        yield Gateway(client)
