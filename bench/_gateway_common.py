"""Shared set-up of the gateway benchmarks: a deployed network on a private anvil and a real gateway.

* ``build_network`` deploys Consortium and SettlementToken fresh, admits members by 2-of-3 Consortium
  proposals (governor-1 proposes, governor-2 approves, governor-3 executes) and funds them through the
  settlement bank, with the project's chain client (``chain.client``).
* ``GatewayProcess`` runs the gateway exactly as an operator does: a ``recourse serve`` subprocess bound
  to 127.0.0.1 on a free port, configured by ``RECOURSE_*`` environment variables, SQLite (WAL) in a
  temporary directory. API keys are created directly in its database before it starts (as
  ``recourse apikeys create`` does). It is stopped by its own PID (SIGINT, then SIGKILL after a timeout).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from sqlmodel import Session

from bench._common import free_port
from chain.client import ChainClient
from chain.compiler import compile_project
from chain.config import DEV_CHAIN_ID, ChainSettings
from chain.contracts.consortium import Role
from chain.deploy import GovernanceConfig, deploy
from chain.keys import dev_identity_account
from chain.network import Recourse
from chain.node import AnvilNode
from node_api.db.engine import make_engine, migrate
from node_api.services.apikeys import create_api_key
from tests.support.serve_process import ServeProcess

__all__ = ["GatewayProcess", "Network", "account", "build_network", "create_key"]

PEPPER = "bench-pepper"


def account(name: str) -> LocalAccount:
    return dev_identity_account(name, chain_id=DEV_CHAIN_ID)


@dataclass
class Network:
    node: AnvilNode
    client: ChainClient  # set-up and checks only; never sends for a key the gateway hosts
    recourse: Recourse
    deployments_file: Path


def build_network(
    node: AnvilNode, data_dir: Path, members: Sequence[tuple[str, tuple[Role, ...]]], funding: dict[str, int]
) -> Network:
    """Deploy fresh, admit ``members`` (2 of 3 governors) and mint ``funding`` (fen) from ``bank``."""
    settings = ChainSettings(rpc_url=node.url, port=node.port, chain_id=DEV_CHAIN_ID)
    client = ChainClient(settings, data_dir=data_dir / "setup")
    compiled = compile_project()  # deploy records its ABIs in the deployments file the gateway reads
    governance = GovernanceConfig(
        governors=tuple(account(f"governor-{i}").address for i in (1, 2, 3)), threshold=2, proposal_lifetime=3600
    )
    path = data_dir / "deployments.json"
    deployments, _ = deploy(
        client,
        client.sender(account("deployer")),
        compiled,
        network="bench",
        path=path,
        governance=governance,
        fresh=True,
    )
    recourse = Recourse(client, deployments)
    g1, g2, g3 = (client.sender(account(f"governor-{i}")) for i in (1, 2, 3))
    for name, roles in members:
        pid = recourse.consortium.propose_admission(
            g1, account(name).address, name=f"{name} (bench)", roles=roles, region=310000, kyc_tier=2
        )
        recourse.consortium.approve(g2, pid)
        recourse.consortium.execute(g3, pid)
        assert recourse.consortium.is_active_member(account(name).address), name
    bank = client.sender(account("bank"))
    for name, amount in funding.items():
        recourse.token.mint(bank, account(name).address, amount, reference=f"bench funding {name}")
    return Network(node=node, client=client, recourse=recourse, deployments_file=path)


def create_key(db_url: str, institution: str, scopes: Sequence[str] = ("*",)) -> str:
    """An API key stored (hashed) in the gateway's database; returns the bearer token."""
    engine = make_engine(db_url)
    try:
        migrate(engine)
        with Session(engine) as s:
            _, token = create_api_key(
                session=s, institution=institution, scopes=list(scopes), label="bench", pepper=PEPPER
            )
    finally:
        engine.dispose()
    return token


class GatewayProcess(ServeProcess):
    """``recourse serve`` as a subprocess on 127.0.0.1:<free port>; SQLite under ``data_dir``."""

    def __init__(
        self,
        network: Network,
        data_dir: Path,
        institutions: Sequence[str],
        extra_env: dict[str, str] | None = None,
        db_url: str | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.db_url = db_url or f"sqlite:///{data_dir / 'gateway.sqlite'}"
        env = {
            **os.environ,
            "RECOURSE_DATA_DIR": str(data_dir),
            "RECOURSE_CHAIN__RPC_URL": network.node.url,
            "RECOURSE_CHAIN__PORT": str(network.node.port),
            "RECOURSE_CHAIN__DEPLOYMENTS_FILE": str(network.deployments_file),
            "RECOURSE_DB__URL": self.db_url,
            "RECOURSE_API_KEY_PEPPER": PEPPER,
            "RECOURSE_INSTITUTIONS": json.dumps(list(institutions)),
            **(extra_env or {}),
        }
        data_dir.mkdir(parents=True, exist_ok=True)
        super().__init__(env, free_port(), data_dir / "gateway.log", cwd=data_dir)
