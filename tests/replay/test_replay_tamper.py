"""What the replay makes of a node that lies (through ``RpcProxy``, which rewrites the node's answers) and of a
chain that is not the deployment the file describes: every case is reported, named, and never a crash.

Also the CLI's exit codes: 0 when the replay is clean, 1 when something differs or the chain is not a Recourse
deployment, 2 for bad input (an unreachable node, a missing or invalid deployments file), one line, no traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chain.config import DEV_CHAIN_ID
from chain.node import AnvilNode
from chain.replay.model import ReplayReport
from chain.replay.run import run_replay
from scripts.cli import app
from tests.conftest import free_port
from tests.replay.conftest import Activity, ProxyError, RpcProxy
from tests.support.live_gateway import World

pytestmark = pytest.mark.chain

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def _through(w: World, rewrite: Callable[[dict[str, Any], Any], Any], **kwargs: Any) -> ReplayReport:
    with RpcProxy(w.node.url, rewrite) as proxy:
        report, _ = run_replay(rpc_url=proxy.url, deployments=w.deployments_file, **kwargs)
    return report


def _logs(rewrite: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> Callable[[dict[str, Any], Any], Any]:
    """A proxy rewrite that changes only ``eth_getLogs`` answers."""

    def apply(request: dict[str, Any], result: Any) -> Any:
        return rewrite(result) if request["method"] == "eth_getLogs" else result

    return apply


def _kinds(report: ReplayReport) -> set[str]:
    return {f.kind for f in report.integrity}


#: every JSON-RPC method a replay may use: reads only (no eth_sendRawTransaction, no eth_accounts, no signing)
READ_ONLY = {
    "eth_chainId",
    "eth_blockNumber",
    "eth_getLogs",
    "eth_getBlockByNumber",
    "eth_getCode",
    "eth_call",
    "eth_getTransactionByHash",
}


def test_the_replay_only_reads(busy_world: tuple[World, Activity]) -> None:
    w, _ = busy_world
    with RpcProxy(w.node.url, lambda _request, result: result) as proxy:
        report, _ = run_replay(rpc_url=proxy.url, deployments=w.deployments_file)
    assert report.ok
    assert set(proxy.calls) <= READ_ONLY, set(proxy.calls) - READ_ONLY
    assert {"eth_getLogs", "eth_getBlockByNumber", "eth_getCode", "eth_call"} <= set(proxy.calls)


def test_logs_answered_out_of_order_are_named(busy_world: tuple[World, Activity]) -> None:
    w, _ = busy_world
    report = _through(w, _logs(lambda logs: logs[::-1]), page_blocks=20)
    assert "key-order" in _kinds(report)
    failure = next(f for f in report.integrity if f.kind == "key-order")
    assert "out of order" in failure.note
    assert not report.ok
    # the events are folded in key order all the same: the rebuilt state still matches the chain
    assert report.differences == []


def test_a_dropped_log_shows_as_a_difference(busy_world: tuple[World, Activity]) -> None:
    w, _ = busy_world
    dropped = hex(12_345)[2:].rjust(64, "0")  # the module's one transfer of 12,345 fen (investor → investor-2)

    def drop(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [lg for lg in logs if not (lg["topics"][0] == TRANSFER_TOPIC and lg["data"].endswith(dropped))]

    report = _through(w, _logs(drop))
    assert not report.ok
    token = {(d.contract, d.entity, d.key) for d in report.differences if d.contract == "SettlementToken"}
    assert ("SettlementToken", "balance", w.address("investor-2")) in token, report.differences


def test_a_log_of_another_block_or_address_is_named(busy_world: tuple[World, Activity]) -> None:
    w, _ = busy_world
    stranger = "0x" + "42" * 20

    def tamper(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not logs:
            return logs
        out = [dict(lg) for lg in logs]
        out[0]["blockHash"] = "0x" + "ee" * 32  # not the canonical hash of its block
        foreign = dict(out[-1], address=stranger)  # an address the deployments do not name
        return [*out, foreign]

    report = _through(w, _logs(tamper), page_blocks=50)
    assert {"block-hash", "unknown-address"} <= _kinds(report)
    assert any(stranger in f.note.lower() for f in report.integrity if f.kind == "unknown-address")

    far = {"n": 0}

    def out_of_range(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not logs or far["n"]:
            return logs
        far["n"] += 1
        return [*logs, dict(logs[-1], blockNumber=hex(10**6))]

    report = _through(w, _logs(out_of_range), page_blocks=50)
    assert "out-of-range" in _kinds(report)


def test_headers_that_do_not_chain_up_are_named(busy_world: tuple[World, Activity]) -> None:
    w, _ = busy_world

    def fork(request: dict[str, Any], result: Any) -> Any:
        if request["method"] == "eth_getBlockByNumber" and isinstance(result, dict) and result["number"] == hex(20):
            return {**result, "parentHash": "0x" + "0f" * 32}
        return result

    report = _through(w, fork, page_blocks=10)
    assert "parent-hash" in _kinds(report)
    assert any(f.block == 20 for f in report.integrity if f.kind == "parent-hash")


def test_a_reorganisation_during_the_replay_is_named(busy_world: tuple[World, Activity]) -> None:
    w, _ = busy_world
    head = w.client.block_number()
    asked = {"n": 0}

    def reorg(request: dict[str, Any], result: Any) -> Any:
        if request["method"] == "eth_getBlockByNumber" and request["params"][0] == hex(head):
            asked["n"] += 1
            if asked["n"] > 1:  # read once with the last page; any later read sees another block
                return {**result, "hash": "0x" + "cd" * 32}
        return result

    report = _through(w, reorg, to_block=head)
    failures = [f for f in report.integrity if f.kind == "block-hash" and f.block == head]
    assert len(failures) == 1, report.integrity
    assert "reorganised during the replay" in failures[0].note


def test_a_node_that_limits_log_ranges_is_asked_in_halves(busy_world: tuple[World, Activity]) -> None:
    w, _ = busy_world
    widths: list[int] = []

    def limited(request: dict[str, Any], result: Any) -> Any:
        if request["method"] == "eth_getLogs":
            flt = request["params"][0]
            width = int(flt["toBlock"], 16) - int(flt["fromBlock"], 16) + 1
            widths.append(width)
            if width > 3:
                raise ProxyError(-32005, "query exceeds max block range 3")
        return result

    report = _through(w, limited, page_blocks=40)
    assert report.ok, (report.integrity, report.differences)
    assert max(widths) > 3  # asked wide, refused, asked again in halves
    direct, _ = run_replay(rpc_url=w.node.url, deployments=w.deployments_file, to_block=report.to_block)
    assert report.events == direct.events


def test_a_node_that_answers_no_logs_at_all_is_one_error(busy_world: tuple[World, Activity], tmp_path: Path) -> None:
    w, _ = busy_world

    def broken(request: dict[str, Any], result: Any) -> Any:
        return None if request["method"] == "eth_getLogs" else result

    with RpcProxy(w.node.url, broken) as proxy:
        result = _cli("--rpc", proxy.url, "--deployments", str(w.deployments_file), "--out", str(tmp_path / "x"))
    assert result.exit_code == 2, result.output
    assert "not a list of logs" in result.output
    assert "Traceback" not in result.output


@pytest.fixture
def empty_anvil(tmp_path: Path) -> Any:
    node = AnvilNode(data_dir=tmp_path / "empty", port=free_port(), chain_id=DEV_CHAIN_ID)
    node.up()
    yield node
    node.down()


def _cli(*args: str) -> Any:
    return CliRunner().invoke(app, ["audit", "replay", *args])


def test_a_chain_that_is_not_the_deployment_is_reported(
    busy_world: tuple[World, Activity], empty_anvil: AnvilNode, tmp_path: Path
) -> None:
    w, _ = busy_world
    report, _ = run_replay(rpc_url=empty_anvil.url, deployments=w.deployments_file)
    assert _kinds(report) == {"not-a-recourse-deployment"}
    assert len(report.integrity) == len(w.recourse.deployments.contracts)  # every contract named
    assert (report.events, report.ok) == (0, False)
    result = _cli("--rpc", empty_anvil.url, "--deployments", str(w.deployments_file), "--out", str(tmp_path / "a"))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert json.loads((tmp_path / "a" / "report.json").read_text())["ok"] is False

    # the deployments file of another chain id, against the right node
    other = json.loads(w.deployments_file.read_text())
    other["chain_id"] = 4242
    path = tmp_path / "other.json"
    path.write_text(json.dumps(other))
    report, _ = run_replay(rpc_url=w.node.url, deployments=path)
    assert [f.note for f in report.integrity if "chain id" in f.note] == [
        f"the node is chain id {DEV_CHAIN_ID}, the deployments file is for chain id 4242"
    ]
    result = _cli("--rpc", w.node.url, "--deployments", str(path), "--out", str(tmp_path / "b"))
    assert result.exit_code == 1, result.output


def test_the_cli_exit_codes(busy_world: tuple[World, Activity], tmp_path: Path) -> None:
    w, _ = busy_world
    out = tmp_path / "audit"
    ok = _cli("--rpc", w.node.url, "--deployments", str(w.deployments_file), "--out", str(out))
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output
    assert "differences: 0" in ok.output
    assert "integrity failures: 0" in ok.output
    assert json.loads((out / "report.json").read_text())["ok"] is True
    assert (out / "report.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert (out / "tables" / "balances.csv").exists()
    parquet = _cli("--rpc", w.node.url, "--deployments", str(w.deployments_file), "--out", str(out), "--parquet")
    assert parquet.exit_code == 0, parquet.output
    assert (out / "tables" / "balances.parquet").exists()

    def one_line(result: Any) -> str:
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1, result.output
        assert lines[0].startswith("error: ")
        return str(lines[0])

    dead = f"http://127.0.0.1:{free_port()}"
    assert "cannot reach the chain" in one_line(_cli("--rpc", dead, "--deployments", str(w.deployments_file)))
    assert "not found" in one_line(_cli("--rpc", w.node.url, "--deployments", str(tmp_path / "none.json")))
    (tmp_path / "bad.json").write_text("{not json")
    assert "not valid JSON" in one_line(_cli("--rpc", w.node.url, "--deployments", str(tmp_path / "bad.json")))
    beyond = one_line(_cli("--rpc", w.node.url, "--deployments", str(w.deployments_file), "--to-block", "99999999"))
    assert "is not on the chain" in beyond
    assert "Missing option" in one_line(_cli("--rpc", w.node.url))
    early = one_line(_cli("--rpc", w.node.url, "--deployments", str(w.deployments_file), "--to-block", "0"))
    assert "before the deployment" in early
    old = json.loads(w.deployments_file.read_text())
    old["templates"] = {}  # written before template ABIs were recorded: AssetFractions logs could not be decoded
    (tmp_path / "old.json").write_text(json.dumps(old))
    assert "no ABI for AssetFractions" in one_line(
        _cli("--rpc", w.node.url, "--deployments", str(tmp_path / "old.json"))
    )
