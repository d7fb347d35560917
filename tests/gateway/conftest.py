"""Gateway fixtures: a private anvil with every demo institution admitted, a private PostgreSQL
server (started from the Debian binaries), and a gateway per test on SQLite or PostgreSQL."""

from __future__ import annotations

import json
import os
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
from node_api.db.engine import make_engine, migrate
from node_api.services.apikeys import create_api_key
from node_api.settings import ApiSettings, DbSettings, GatewaySettings, IndexerSettings
from tests.conftest import account, admit, free_port, fresh_pg_database

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
        recourse = Recourse(client, deployments)
        for name, roles in INSTITUTION_ROLES.items():
            admit(recourse, client, name, roles)
        bank = client.sender(account("bank"))
        recourse.token.mint(bank, account("bank").address, 1_000_000_000_00, reference="test funding")
    finally:
        client.close()
    yield node, path
    node.down()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gateway.sqlite'}"
    return fresh_pg_database(request.getfixturevalue("pg_server"))


def gateway_settings(
    node: AnvilNode, deployments: Path, data_dir: Path, db_url: str, **extra: object
) -> GatewaySettings:
    return GatewaySettings(
        data_dir=data_dir,
        chain=ChainSettings(rpc_url=node.url, port=node.port, deployments_file=deployments),
        db=DbSettings(url=db_url),
        api=ApiSettings(confirm_timeout=20, background="thread"),
        indexer=IndexerSettings(poll_interval=0.05),
        institutions=list(INSTITUTION_ROLES),
        api_key_pepper=PEPPER,  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


def migrated_key(db_url: str, institution: str = "bank") -> str:
    """Migrate the database at ``db_url`` and create a full-scope API key there (before a gateway runs)."""
    engine = make_engine(db_url)
    migrate(engine)
    with Session(engine) as s:
        _, token = create_api_key(session=s, institution=institution, scopes=["*"], label="test", pepper=PEPPER)
    engine.dispose()
    return token


def serve_env(node: AnvilNode, deployments: Path, data_dir: Path, db_url: str) -> dict[str, str]:
    """Environment of a ``recourse serve`` child process (``tests.support.serve_process``) for these tests."""
    return {
        **os.environ,
        "RECOURSE_DATA_DIR": str(data_dir),
        "RECOURSE_CHAIN__RPC_URL": node.url,
        "RECOURSE_CHAIN__PORT": str(node.port),
        "RECOURSE_CHAIN__DEPLOYMENTS_FILE": str(deployments),
        "RECOURSE_DB__URL": db_url,
        "RECOURSE_API_KEY_PEPPER": PEPPER,
        "RECOURSE_INSTITUTIONS": json.dumps(list(INSTITUTION_ROLES)),
        "RECOURSE_INDEXER__ENABLED": "false",
    }


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
def chain_snapshot(gw_chain: tuple[AnvilNode, Path], tmp_path: Path) -> Iterator[Callable[[], ChainClient]]:
    node, _ = gw_chain
    # a nonce journal of its own per test: the chain is reverted afterwards, so nonces must not carry over
    probe = ChainClient(ChainSettings(rpc_url=node.url, port=node.port), data_dir=tmp_path / "probe")
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
