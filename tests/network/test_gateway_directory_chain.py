"""``GatewayDirectory`` on a real chain: a gateway registered by an executed k-of-n ``Call`` proposal, a key
rotation staged by the member itself that applies at its time, refusals decoded, and the auditor's replay of
the directory's events matching the contract's views (a difference is reported when it does not)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain import ContractReverted
from chain.compiler import CompileResult
from chain.reducers import REDUCERS, replay
from chain.replay.onchain import check_gateways
from node_api.exchange.keys import TransportKeyStore
from tests.support.live_gateway import World, running_world

pytestmark = pytest.mark.chain

K1, K2 = bytes([1]) * 32, bytes([2]) * 32
URL = "https://gateway.bank.example"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, compiled: CompileResult) -> Iterator[World]:
    with running_world(tmp_path_factory.mktemp("directory"), compiled) as w:
        yield w


def _states(world: World) -> dict[str, object]:
    events = world.recourse.gateways.events_between(from_block=0)
    return replay(events, {"GatewayDirectory": REDUCERS["GatewayDirectory"]})


def test_register_rotate_and_replay(world: World) -> None:
    directory, bank = world.recourse.gateways, world.address("bank")
    world.governed(
        lambda g: world.recourse.consortium.propose_call(
            g, directory.address, directory.set_gateway_call(bank, URL, K1)
        )
    )
    record = directory.gateway_of(bank)
    assert record is not None
    assert (record.endpoint, record.transport_key) == (URL, K1)
    assert directory.current_key(bank) == K1
    assert directory.members() == [bank]

    now = world.client.block_timestamp()
    notice = directory.min_rotation_notice()
    with pytest.raises(ContractReverted) as err:
        directory.stage_transport_key(world.sender("bank"), K2, now + 10)
    assert err.value.name == "GatewayDirectoryRotationTooSoon"
    directory.stage_transport_key(world.sender("bank"), K2, now + notice + 60)
    assert directory.current_key(bank) == K1  # not yet: both keys are held meanwhile
    world.client.rpc.call("evm_increaseTime", [notice + 120])
    world.client.rpc.call("evm_mine")
    assert directory.current_key(bank) == K2

    head = world.client.block_number()
    states = _states(world)
    assert check_gateways(world.recourse, states["GatewayDirectory"], head) == []
    # a rebuilt state that disagrees with the contract is reported
    states["GatewayDirectory"].gateways[bank].endpoint = "https://elsewhere.example"  # type: ignore[attr-defined]
    (diff,) = check_gateways(world.recourse, states["GatewayDirectory"], head)
    assert (diff.entity, diff.field) == ("gateway", "endpoint")


def test_only_governance_registers_and_only_members(world: World) -> None:
    directory = world.recourse.gateways
    with pytest.raises(ContractReverted) as err:
        world.sender("bank").transact(directory.request("setGateway", world.address("bank"), URL, K1))
    assert err.value.name == "ConsortiumGatedUnauthorized"
    with pytest.raises(ContractReverted) as err:
        directory.stage_transport_key(world.sender("investor"), K2, world.client.block_timestamp() + 7200)
    assert err.value.name == "GatewayDirectoryNoGateway"


def test_register_gateway_cli_proposes_with_the_gateways_own_key(world: World, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOURSE_")}
    env.update(
        {
            "RECOURSE_DATA_DIR": str(tmp_path),
            "RECOURSE_CHAIN__RPC_URL": world.node.url,
            "RECOURSE_CHAIN__PORT": str(world.node.port),
            "RECOURSE_CHAIN__DEPLOYMENTS_FILE": str(world.deployments_file),
        }
    )
    args = [sys.executable, "-m", "scripts.cli", "network", "register-gateway", "collector"]
    bad = subprocess.run([*args, "--url", "gw.example", "--as", "governor-1"], env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "must be an http(s) URL" in bad.stderr
    r = subprocess.run(
        [*args, "--url", "https://gw.collector.example", "--as", "governor-1"], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    pid = int(r.stdout.split()[1].rstrip(":"))
    c = world.recourse.consortium
    c.approve(world.sender("governor-2"), pid)
    c.execute(world.sender("governor-2"), pid)
    (key_file,) = (tmp_path / "network" / "collector" / "exchange").glob("transport-*.key")
    assert key_file.stat().st_mode & 0o777 == 0o600
    held = TransportKeyStore(tmp_path / "network" / "collector").current()
    assert world.recourse.gateways.current_key(world.address("collector")) == held.public
    record = world.recourse.gateways.gateway_of(world.address("collector"))
    assert record is not None
    assert record.endpoint == "https://gw.collector.example"
