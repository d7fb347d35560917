"""End-to-end: ``recourse auctions …`` (the real console script) against a real gateway (uvicorn) on a real
chain: a lot listed, approved, deposited on, bid on, shown and watched; and the three refusals a user meets
most (a listing below 70 % of the appraisal, a bidder below the lot's KYC tier, a bid below the increment),
each one line on stderr with the reason and what to do, exit code 1, no traceback."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from chain.compiler import CompileResult
from chain.contracts.consortium import Role
from tests.support.cli_runs import ok, recourse_cli, refused
from tests.support.live_gateway import Gateway, World, anchored_root, running_world

pytestmark = pytest.mark.e2e

APPRAISAL = 1_000_000_00  # ¥1,000,000.00
START = 700_000_00  # exactly 70 %
DEPOSIT = 70_000_00
STEP = 5_000_00


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, compiled: CompileResult) -> Iterator[World]:
    with running_world(tmp_path_factory.mktemp("auction-cli-world"), compiled) as w:
        w.admit("court", Role.COURT)
        w.admit("investor-2", Role.INVESTOR, kyc_tier=2)
        w.admit("investor-4", Role.INVESTOR, kyc_tier=1)
        w.allow_system_contract(w.recourse.auctions.address)
        w.fund(("investor", "investor-2", "investor-4"), 2_000_000_00)
        yield w


def recourse(gw: Gateway, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    return recourse_cli(gw.url, key, "auctions", *args)


def open_lot(w: World, gw: Gateway, keys: dict[str, str], asset: str) -> int:
    """A lot appraised, listed and approved through the gateway's HTTP API (set-up, not under test)."""

    def post(who: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {keys[who]}", "Idempotency-Key": str(uuid.uuid4())}
        r = httpx.post(f"{gw.url}{path}?confirm=true", json=body, headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "succeeded", r.json()
        return dict(r.json())

    post("court", "/auctions/appraisals", {"asset": asset, "value_fen": APPRAISAL, "document_digest": "0x" + "ab" * 32})
    listing = {
        "asset": asset,
        "documents": [anchored_root(w)],
        "start_price_fen": START,
        "deposit_fen": DEPOSIT,
        "increment_fen": STEP,
        "kyc_tier": 2,
    }
    tx = post("bank", "/auctions/lots", listing)["tx_hash"]
    gw.wait_indexed(w.client)
    found = httpx.get(
        f"{gw.url}/auctions/lots", params={"listed_in": tx}, headers={"Authorization": f"Bearer {keys['bank']}"}
    ).json()["data"]
    lot_id = int(found[0]["lot_id"])
    post("court", f"/auctions/lots/{lot_id}/approval", {"forfeit_to": w.address("court")})
    return lot_id


def test_a_lot_listed_approved_deposited_bid_on_shown_and_watched(
    world: World, gw: Gateway, keys: dict[str, str]
) -> None:
    out = ok(
        recourse(gw, keys["court"], "appraise", "SH-0042", "--value", "1000000.00", "--document", "0x" + "cd" * 32)
    )
    assert "appraisal of SH-0042: ¥1,000,000.00" in out

    root = anchored_root(world)
    args = ["--asset", "SH-0042", "--document", root, "--deposit", "70000", "--increment", "5000.00"]
    listed = ok(recourse(gw, keys["bank"], "list", *args, "--start", "700000", "--window", "24h", "--kyc-tier", "2"))
    assert "auction.list: succeeded in block" in listed
    assert "start ¥700,000.00, deposit ¥70,000.00, increment ¥5,000.00, appraisal ¥1,000,000.00, KYC tier 2" in listed
    lot_id = int(listed.rpartition("lot id: ")[2])

    approved = ok(recourse(gw, keys["court"], "approve", str(lot_id)))
    assert f"lot {lot_id} approved: bidding from" in approved
    assert f"forfeited deposits go to {world.address('court')}" in approved  # default: the court itself

    first = ok(recourse(gw, keys["investor"], "deposit", str(lot_id)))
    assert f"lot {lot_id}: deposit ¥70,000.00 locked, your bidder code is B0001" in first
    second = ok(recourse(gw, keys["investor-2"], "deposit", str(lot_id)))
    assert "your bidder code is B0002 (2 bidders)" in second

    bid = ok(recourse(gw, keys["investor"], "bid", str(lot_id), "700000.00"))
    assert f"bid ¥700,000.00 on lot {lot_id} is the highest, as B0001" in bid
    raised = ok(recourse(gw, keys["investor-2"], "bid", str(lot_id), f"{START + STEP}fen"))
    assert "is the highest, as B0002" in raised

    shown = ok(recourse(gw, keys["investor"], "show", str(lot_id)))
    assert "phase bidding" in shown
    assert "highest ¥705,000.00 by B0002, next bid at least ¥710,000.00; 2 bidder(s)" in shown
    assert "you are B0001" in shown
    assert "2 bid(s) on lot" in shown
    assert world.address("investor-2") not in shown  # bidders are codes, except to the lot's court
    court_view = ok(recourse(gw, keys["court"], "show", str(lot_id)))
    assert f"B0002 {world.address('investor-2')}" in court_view

    listed_lots = ok(recourse(gw, keys["bank"], "lots", "--status", "approved"))
    assert "¥705,000.00 B0002" in listed_lots

    watched = recourse(gw, keys["investor"], "watch", str(lot_id), "--limit", "5", "--timeout", "20")
    lines = ok(watched)
    assert f"lot {lot_id} (bidding): ¥705,000.00 by B0002" in lines
    assert "approved: bidding" in lines
    assert "B0001 locked the deposit ¥70,000.00 (1 bidder(s))" in lines
    assert "B0001 bid ¥700,000.00" in lines
    assert "B0002 bid ¥705,000.00" in lines
    assert watched.stdout.count("\n") == 6  # the snapshot and five events, then it stops


def test_a_listing_below_70_percent_of_the_appraisal_is_one_line(
    world: World, gw: Gateway, keys: dict[str, str]
) -> None:
    ok(recourse(gw, keys["court"], "appraise", "SH-0070", "--value", "1000000.00", "--document", "0x" + "ce" * 32))
    args = ["--asset", "SH-0070", "--document", anchored_root(world), "--deposit", "70000", "--increment", "5000"]
    line = refused(recourse(gw, keys["bank"], "list", *args, "--start", "699999.99"))
    assert line == (
        "error: AUC-422 the starting price 69999999 fen is below the lowest allowed, 70000000 fen (70 % of the "
        "appraisal; a relisting at most 20 % below the previous start); set a starting price of at least ¥700,000.00"
    )


def test_a_bidder_below_the_lot_kyc_tier_is_one_line(world: World, gw: Gateway, keys: dict[str, str]) -> None:
    lot_id = open_lot(world, gw, keys, "SH-KYC1")
    proc = recourse(gw, keys["investor-4"], "deposit", str(lot_id))
    line = refused(proc)
    assert "auction.deposit: failed" in proc.stdout  # the operation is shown, then why it failed
    assert line.startswith("error: the deposit failed on chain: AUC-403 ")
    assert f"{world.address('investor-4')} is not an active INVESTOR with KYC tier 2 (it has tier 1)" in line


def test_a_bid_below_the_increment_is_one_line(world: World, gw: Gateway, keys: dict[str, str]) -> None:
    lot_id = open_lot(world, gw, keys, "SH-STEP")
    ok(recourse(gw, keys["investor"], "deposit", str(lot_id)))
    ok(recourse(gw, keys["investor-2"], "deposit", str(lot_id)))
    ok(recourse(gw, keys["investor"], "bid", str(lot_id), "700000"))
    line = refused(recourse(gw, keys["investor-2"], "bid", str(lot_id), "704999.99"))
    assert line == (
        "error: AUC-412 a bid of 70499999 fen is below the minimum of 70500000 fen now; bid at least ¥705,000.00"
    )


def test_bad_input_and_no_gateway_are_one_line(gw: Gateway, keys: dict[str, str]) -> None:
    assert "--window: invalid duration 'a day'" in refused(
        recourse(
            gw,
            keys["bank"],
            "list",
            "--asset",
            "X",
            "--document",
            "0x" + "00" * 32,
            "--start",
            "1",
            "--deposit",
            "1",
            "--increment",
            "1",
            "--window",
            "a day",
        )
    )
    assert "AUC-404 no lot 999" in refused(recourse(gw, keys["bank"], "show", "999"))
    proc = recourse_cli("http://127.0.0.1:9", keys["bank"], "auctions", "lots")
    assert refused(proc).startswith("error: cannot reach the gateway at http://127.0.0.1:9")
