"""The gateway on a Besu-like node: a proxy in front of anvil answers as Besu does (``besu/…`` client version,
"Method not found" for ``anvil_*``/``evm_*``/``hardhat_*``) and records every method. Writes, the indexer and
a transaction stuck in the node's pool go through it, and no development-chain method is ever asked for: the
code path used on the production network needs only standard Ethereum JSON-RPC."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chain.compiler import CompileResult
from chain.config import DEV_CHAIN_ID, ChainSettings
from node_api import outbox
from tests.support.live_gateway import Client, World, gateway_settings, running_world, serve
from tests.support.rpc_proxy import RpcProxy, besu_like_proxy
from tests.support.waiting import wait_until

pytestmark = pytest.mark.chain


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, compiled: CompileResult) -> Iterator[World]:
    with running_world(tmp_path_factory.mktemp("besu-path"), compiled) as w:
        yield w


def test_the_gateway_uses_no_development_chain_method(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(outbox, "STUCK_SECONDS", 1.0)
    caplog.set_level(logging.WARNING, logger="node_api.outbox")
    with besu_like_proxy(world.node.url) as proxy:
        settings = gateway_settings(world, tmp_path / "gw", f"sqlite:///{tmp_path / 'gw.sqlite'}")
        settings.chain = ChainSettings(
            network="besu-qbft",
            rpc_url=proxy.url,
            chain_id=DEV_CHAIN_ID,
            deployments_file=world.deployments_file,
            fee_mode="legacy",  # as on a zero-gas QBFT network (the price is the node's)
        )
        with serve(settings) as gw:
            bank = Client(gw, "bank")
            collector = world.address("collector")
            bank.ok("/tokens/transfers", {"to": collector, "amount_fen": 250})
            balance = httpx.get(f"{gw.url}/tokens/balances/{collector}", headers=bank.headers, timeout=10).json()
            assert balance["balance_fen"] >= 250

            # a transaction the node holds and never mines: on Besu the writer cannot clear the pool (that is
            # anvil's method); it reports itself unhealthy instead of asking for it
            world.client.rpc.call("evm_setAutomine", [False])  # upstream, behind the proxy's back
            try:
                r = httpx.post(
                    f"{gw.url}/tokens/transfers",
                    json={"to": collector, "amount_fen": 1},
                    headers={**bank.headers, "Idempotency-Key": str(uuid.uuid4())},
                    timeout=10,
                )
                assert r.status_code == 202, r.text
                op_id = r.json()["id"]
                assert wait_until(lambda: "writer.stuck institution=bank" in caplog.text, timeout=30), caplog.text
                ready = httpx.get(f"{gw.url}/readyz", timeout=10)
                assert ready.status_code == 503
                assert "writers unhealthy: bank" in ready.text
            finally:
                world.client.rpc.call("evm_setAutomine", [True])
            world.client.rpc.call("evm_mine")
            assert wait_until(lambda: _status(gw.url, bank, op_id) == "succeeded", timeout=30)
            # mined again: the writer is healthy again
            assert wait_until(lambda: httpx.get(f"{gw.url}/readyz", timeout=10).status_code == 200, timeout=30)
        assert "action=clear-pool-rebroadcast" not in caplog.text
        _assert_standard_only(proxy)


def _status(url: str, client: Client, op_id: str) -> str:
    return str(httpx.get(f"{url}/operations/{op_id}", headers=client.headers, timeout=10).json()["status"])


def _assert_standard_only(proxy: RpcProxy) -> None:
    assert proxy.dev_only_calls() == {}
    used = set(proxy.methods)
    # the writes, the receipts and the indexer went through the proxy: the recording saw the real path
    assert {"eth_sendRawTransaction", "eth_getTransactionReceipt", "eth_getLogs"} <= used, sorted(used)
