"""A clean replay of a chain with activity in every contract (nothing differs, the stream is whole), a transfer
made behind any gateway's back (explained by the replay), and a checkpointed replay interrupted and resumed."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from chain.replay.model import ReplayReport
from chain.replay.run import run_replay
from chain.replay.source import Checkpoint, Position, load_checkpoint
from tests.replay.conftest import Activity
from tests.support.live_gateway import World, gateway_settings, serve

pytestmark = pytest.mark.chain

#: contracts the module's activity touched (each must have events in the replay)
ACTIVE = (
    "Consortium",
    "SettlementToken",
    "EvidenceRegistry",
    "CaseDelegation",
    "OracleHub",
    "JudicialAuction",
    "DisputeDesk",
    "FractionsFactory",
    "AssetFractions",
)


def _comparable(report: ReplayReport) -> dict[str, Any]:
    """The report without what differs between two runs of the same replay (when and how long)."""
    return {k: v for k, v in report.as_json().items() if k not in ("started_at", "seconds")}


def test_a_clean_chain_replays_ok_with_every_contract_active(busy_world: tuple[World, Activity]) -> None:
    w, act = busy_world
    seen: list[tuple[int, int]] = []
    report, states = run_replay(
        rpc_url=w.node.url, deployments=w.deployments_file, page_blocks=8, progress=lambda d, t: seen.append((d, t))
    )
    assert (report.integrity, report.differences, report.anomalies) == ([], [], [])
    assert report.ok
    assert report.to_block == w.client.block_number()
    assert report.from_block == w.recourse.deployments.start_block
    assert report.contracts[f"AssetFractions@{act.asset}"] == act.asset
    # many pages (8 blocks at most each), the last one at the target
    assert len(seen) > 5
    assert seen[-1][0] == seen[-1][1] == report.to_block - report.from_block + 1
    # the rebuilt state holds what the activity made
    assert act.batch_id in states["CaseDelegation"].batches
    assert act.lot_id in states["JudicialAuction"].lots
    assert act.asset in states["AssetFractions"]
    assert states["FractionsFactory"].assets[act.asset].address == act.asset
    assert act.dispute_id in states["DisputeDesk"].disputes
    assert states["OracleHub"].reports == 1
    assert all(n in report.summaries for n in ACTIVE)
    # series: events per day sum to the events; escrows hold what the chain says they hold
    per_day = next(s for s in report.series if s.name == "events per day")
    assert sum(v for _, v in per_day.points) == report.events
    held = {s.name: s.points[-1][1] for s in report.series if s.name.startswith("rCNY held by ")}
    token = w.recourse.token
    assert held["rCNY held by JudicialAuction"] == token.balance_of(w.recourse.auctions.address) == 70_000_00
    assert held[f"rCNY held by AssetFractions@{act.asset}"] == token.balance_of(act.asset) == 120 * 100_00
    assert held["rCNY held by CaseDelegation"] == token.balance_of(w.recourse.cases.address)


def test_a_transfer_behind_the_gateways_back_is_explained(
    busy_world: tuple[World, Activity], tmp_path_factory: pytest.TempPathFactory
) -> None:
    w, _ = busy_world
    a2 = w.address("investor-2")
    with serve(gateway_settings(w, tmp_path_factory.mktemp("replay-gw"))) as gw:
        gw.wait_indexed(w.client)
        before = w.recourse.token.balance_of(a2)
        w.transfer("investor", "investor-2", 777)  # signed here, with a key the gateway does not hold
        gw.wait_indexed(w.client)
        key = gw.tokens(["bank"])["bank"]
        indexed, _ = run_replay(rpc_url=w.node.url, deployments=w.deployments_file, gateway=gw.url, api_key=key)
    report, states = run_replay(rpc_url=w.node.url, deployments=w.deployments_file)
    assert report.ok, (report.differences, report.integrity)
    rebuilt = states["SettlementToken"].balances[a2].amount
    assert rebuilt == before + 777 == w.recourse.token.balance_of(a2)
    # the gateway indexed the transfer too: its events and balances agree with the replay. This module's case
    # batch was published on chain directly, so the gateway holds none of its terms and lists none of its cases:
    # that is not a difference (the publishing bank's gateway lists them)
    assert indexed.gateway == gw.url
    assert indexed.integrity == []
    assert indexed.differences == []


class Interrupted(Exception):
    pass


def test_an_interrupted_replay_resumes_from_its_checkpoint(busy_world: tuple[World, Activity], tmp_path: Path) -> None:
    w, _ = busy_world
    head = w.client.block_number()
    straight, _ = run_replay(rpc_url=w.node.url, deployments=w.deployments_file, to_block=head, page_blocks=6)
    path = tmp_path / "replay.ckpt"
    pages: list[int] = []

    def stop_after_three(done: int, total: int) -> None:
        pages.append(done)
        if len(pages) == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        run_replay(
            rpc_url=w.node.url,
            deployments=w.deployments_file,
            to_block=head,
            page_blocks=6,
            checkpoint=path,
            progress=stop_after_three,
        )
    saved = load_checkpoint(path)
    assert saved is not None
    assert saved.position.block == w.recourse.deployments.start_block - 1 + pages[-1]
    assert not list(tmp_path.glob("*.tmp*"))  # written by rename, nothing left behind
    notes: list[str] = []
    resumed_pages: list[int] = []
    resumed, _ = run_replay(
        rpc_url=w.node.url,
        deployments=w.deployments_file,
        to_block=head,
        page_blocks=6,
        checkpoint=path,
        progress=lambda done, _total: resumed_pages.append(done),
        notes=notes,
    )
    assert notes == [f"resumed from checkpoint {path} at block {saved.position.block}"]
    assert resumed_pages[0] > pages[-1]  # nothing before the checkpoint was fetched again
    assert _comparable(resumed) == _comparable(straight)
    assert resumed.ok

    # a checkpoint whose last block is no longer on the chain (a reorg, another chain) is not trusted
    moved = Checkpoint(
        **{**saved.__dict__, "position": Position(saved.position.block, "0x" + "ab" * 32, saved.position.key)}
    )
    path.write_bytes(pickle.dumps(moved))
    notes.clear()
    again, _ = run_replay(
        rpc_url=w.node.url, deployments=w.deployments_file, to_block=head, page_blocks=6, checkpoint=path, notes=notes
    )
    assert len(notes) == 1, notes
    assert "started over" in notes[0]
    assert _comparable(again) == _comparable(straight)


def test_checkpoints_can_be_written_less_often(busy_world: tuple[World, Activity], tmp_path: Path) -> None:
    w, _ = busy_world
    path = tmp_path / "hourly.ckpt"
    pages: list[int] = []

    def stop_after_three(done: int, _total: int) -> None:
        pages.append(done)
        if len(pages) == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        run_replay(
            rpc_url=w.node.url,
            deployments=w.deployments_file,
            page_blocks=6,
            checkpoint=path,
            checkpoint_seconds=3600,
            progress=stop_after_three,
        )
    assert not path.exists()  # three pages in well under an hour: nothing written yet
    report, _ = run_replay(rpc_url=w.node.url, deployments=w.deployments_file, checkpoint=path, checkpoint_seconds=3600)
    saved = load_checkpoint(path)
    assert saved is not None
    assert saved.position.block == report.to_block  # the last page is always saved
