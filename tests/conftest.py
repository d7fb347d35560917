"""Shared fixtures: a real anvil per test session (own port and data dir), compiled contracts, a fresh
deployment, and per-test isolation by ``evm_snapshot`` / ``evm_revert``."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.client import ChainClient
from chain.compiler import CompileResult, compile_project
from chain.config import DEV_CHAIN_ID, ChainSettings
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
def recourse(client: ChainClient, deployments: Deployments, compiled: CompileResult) -> Recourse:
    return Recourse(client, deployments, compiled)
