"""Chain-test helpers on top of tests/conftest.py: signers, admissions, extra clients, raw node controls.

Everything here builds on the function-scoped ``client`` fixture, so whatever a test does to the chain is
rolled back by its ``evm_snapshot``/``evm_revert``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from chain.client import ChainClient, Receipt, Rpc, Sender
from chain.config import DEV_CHAIN_ID, ChainSettings
from chain.contracts.consortium import Role
from chain.network import Recourse
from chain.node import AnvilNode
from tests.conftest import account, free_port

SignerFactory = Callable[[str], Sender]
Admit = Callable[..., Receipt]
ClientFactory = Callable[..., ChainClient]

INITIAL_BANK_CASH = 1_000_000  # fen minted to the bank by the ``members`` fixture


@pytest.fixture
def signer(client: ChainClient) -> SignerFactory:
    """``signer("governor-1")``: the test client's Sender for a development identity."""

    def get(name: str) -> Sender:
        return client.sender(account(name))

    return get


@pytest.fixture
def admit(recourse: Recourse, signer: SignerFactory) -> Admit:
    """Admit a development identity by a 2-of-3 governor vote; returns the execute receipt."""

    def run(name: str, roles: Iterable[Role], *, region: int = 310000, kyc_tier: int = 2) -> Receipt:
        consortium = recourse.consortium
        pid = consortium.propose_admission(
            signer("governor-1"),
            account(name).address,
            name=f"{name} institution",
            roles=roles,
            region=region,
            kyc_tier=kyc_tier,
        )
        consortium.approve(signer("governor-2"), pid)
        return consortium.execute(signer("governor-1"), pid)

    return run


@pytest.fixture
def members(recourse: Recourse, signer: SignerFactory, admit: Admit) -> Recourse:
    """bank (BANK + SETTLEMENT_BANK, holding INITIAL_BANK_CASH), investor (INVESTOR), regulator (REGULATOR)."""
    admit("bank", [Role.BANK, Role.SETTLEMENT_BANK])
    admit("investor", [Role.INVESTOR])
    admit("regulator", [Role.REGULATOR])
    recourse.token.mint(signer("bank"), account("bank").address, INITIAL_BANK_CASH, reference="seed deposit")
    return recourse


@pytest.fixture
def open_client(client: ChainClient, chain_settings: ChainSettings) -> Iterator[ClientFactory]:
    """Open extra ChainClients (e.g. a "restarted process" on the same data dir); all closed at teardown."""
    opened: list[ChainClient] = []

    def make(data_dir: Path, settings: ChainSettings | None = None) -> ChainClient:
        c = ChainClient(settings or chain_settings, data_dir=data_dir)
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.close()


@pytest.fixture
def node_rpc(client: ChainClient) -> Iterator[Rpc]:
    """Raw RPC to the session anvil for tests that toggle mining or drop transactions; restores both."""
    try:
        yield client.rpc
    finally:
        client.rpc.call("evm_setAutomine", [True])
        client.rpc.call("anvil_dropAllTransactions")


@pytest.fixture
def own_node(tmp_path: Path) -> Iterator[AnvilNode]:
    """An anvil of our own (not the session one) in a tmp data dir on a free port."""
    node = AnvilNode(data_dir=tmp_path / "node", port=free_port(), chain_id=DEV_CHAIN_ID)
    try:
        yield node
    finally:
        node.down()
