"""chain.node.AnvilNode: state survives a restart, reuse of a running node, foreign ports and processes."""

from __future__ import annotations

import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from chain import PortInUseError
from chain.client import ChainClient
from chain.compiler import CompileResult
from chain.config import DEV_CHAIN_ID, ChainSettings
from chain.contracts.consortium import Member, Proposal, ProposalKind, Role
from chain.deploy import GovernanceConfig, deploy
from chain.network import Recourse
from chain.node import AnvilNode
from tests.conftest import account, free_port

pytestmark = pytest.mark.chain


def _connect(node: AnvilNode, data_dir: Path) -> ChainClient:
    return ChainClient(ChainSettings(rpc_url=node.url, port=node.port, chain_id=DEV_CHAIN_ID), data_dir=data_dir)


@dataclass(frozen=True)
class ChainState:
    """What must survive a restart."""

    block: int
    consortium_code: bytes
    token_code: bytes
    balances: dict[str, int]
    supply: int
    members: list[Member]
    governors: list[str]
    proposals: list[Proposal]


def _snapshot(recourse: Recourse) -> ChainState:
    c, consortium = recourse.client, recourse.consortium
    return ChainState(
        block=c.block_number(),
        consortium_code=c.code(consortium.address),
        token_code=c.code(recourse.token.address),
        balances={n: recourse.token.balance_of(account(n).address) for n in ("bank", "investor")},
        supply=recourse.token.total_supply(),
        members=consortium.members(),
        governors=consortium.governors(),
        proposals=[consortium.proposal(i) for i in range(1, consortium.proposal_count() + 1)],
    )


def test_restart_keeps_deployed_state(
    own_node: AnvilNode, tmp_path: Path, compiled: CompileResult, governance: GovernanceConfig
) -> None:
    first = own_node.up()
    again = own_node.up()
    assert first.running
    assert first.pid is not None
    assert again.pid == first.pid  # the running node is reused, not started twice
    assert own_node.status().block_number == 0

    deployments_file = tmp_path / "deployments.json"
    client = _connect(own_node, tmp_path / "client")
    try:
        deployments, changed = deploy(
            client,
            client.sender(account("deployer")),
            compiled,
            network="restart",
            path=deployments_file,
            governance=governance,
        )
        assert changed
        recourse = Recourse(client, deployments)
        g1, g2 = client.sender(account("governor-1")), client.sender(account("governor-2"))
        for name, roles in (("bank", [Role.BANK, Role.SETTLEMENT_BANK]), ("investor", [Role.INVESTOR])):
            pid = recourse.consortium.propose_admission(
                g1, account(name).address, name=name, roles=roles, region=110000, kyc_tier=1
            )
            recourse.consortium.approve(g2, pid)
            recourse.consortium.execute(g1, pid)
        bank = client.sender(account("bank"))
        recourse.token.mint(bank, account("bank").address, 1_000_00, reference="deposit-1")
        recourse.token.transfer(bank, account("investor").address, 250_00)
        recourse.consortium.propose(g1, ProposalKind.SET_THRESHOLD, g1.address, (3).to_bytes(32, "big"))
        before = _snapshot(recourse)
    finally:
        client.close()
    assert before.balances == {"bank": 750_00, "investor": 250_00}
    assert [m.address for m in before.members] == [account("bank").address, account("investor").address]
    assert [p.executed for p in before.proposals] == [True, True, False]

    assert own_node.down() is True
    assert not own_node.status().running
    assert own_node.state_file.is_file()
    assert own_node.down() is False  # already stopped

    restarted = own_node.up()
    assert restarted.running
    assert restarted.pid != first.pid
    client = _connect(own_node, tmp_path / "client")
    try:
        recourse = Recourse(client, deployments)
        after = _snapshot(recourse)
        assert after == before
        assert len(after.consortium_code) > 0
        assert recourse.consortium.has_active_role(account("bank").address, Role.SETTLEMENT_BANK)
        # nonces survived too: the deployer's next transaction continues, and deploy is a no-op
        _, changed = deploy(
            client,
            client.sender(account("deployer")),
            compiled,
            network="restart",
            path=deployments_file,
            governance=governance,
        )
        assert not changed
        receipt = recourse.token.transfer(client.sender(account("investor")), account("bank").address, 1)
        assert receipt.status
        assert receipt.block_number == after.block + 1
    finally:
        client.close()


def test_up_refuses_a_port_held_by_another_program(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        node = AnvilNode(data_dir=tmp_path, port=sock.getsockname()[1], chain_id=DEV_CHAIN_ID)

        with pytest.raises(PortInUseError, match=f"port {node.port}"):
            node.up()

    assert not node.pid_file.exists()
    assert not node.status().running


def test_up_refuses_the_port_of_an_anvil_it_did_not_start(anvil: AnvilNode, tmp_path: Path) -> None:
    node = AnvilNode(data_dir=tmp_path, port=anvil.port, chain_id=DEV_CHAIN_ID)

    with pytest.raises(PortInUseError):
        node.up()

    assert anvil.status().running


def test_down_without_a_running_node_returns_false(tmp_path: Path) -> None:
    node = AnvilNode(data_dir=tmp_path, port=free_port(), chain_id=DEV_CHAIN_ID)

    assert node.down() is False
    assert node.status().running is False
    assert node.status().pid is None


def test_down_never_kills_a_foreign_process(tmp_path: Path) -> None:
    node = AnvilNode(data_dir=tmp_path, port=free_port(), chain_id=DEV_CHAIN_ID)
    foreign = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        node.pid_file.parent.mkdir(parents=True)
        node.pid_file.write_text(str(foreign.pid))

        assert node.status().owned is False
        assert node.down() is False

        assert foreign.poll() is None  # still alive
        assert not node.pid_file.exists()  # the stale PID file is cleared
    finally:
        foreign.kill()
        foreign.wait()


def test_down_never_stops_an_anvil_serving_another_state_file(anvil: AnvilNode, tmp_path: Path) -> None:
    node = AnvilNode(data_dir=tmp_path, port=anvil.port, chain_id=DEV_CHAIN_ID)
    session_pid = anvil.status().pid
    assert session_pid is not None
    node.pid_file.parent.mkdir(parents=True)
    node.pid_file.write_text(str(session_pid))

    assert node.down() is False

    status = anvil.status()
    assert status.running
    assert status.pid == session_pid
