"""Judicial auctions through a real gateway (uvicorn) on a real chain: every step a durable operation, the
chain's refusals as problems before anything is sent, reads from the index with bidder codes only (the
lot's court sees addresses), and the live room over SSE in order, resumable without loss."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chain.compiler import CompileResult
from chain.contracts.consortium import Role
from tests.support.live_gateway import (
    Client,
    Gateway,
    Receiver,
    World,
    anchored_root,
    confirming_settings,
    running_world,
    serve,
    sse_messages,
    wait_until,
)

pytestmark = pytest.mark.chain

HOSTED = ["bank", "court", "investor", "investor-2", "investor-3", "investor-4"]
APPRAISAL = 1_000_000_00
START = 700_000_00
DEPOSIT = 70_000_00
STEP = 5_000_00
DAY = 86_400


@pytest.fixture(scope="module")
def auction_world(tmp_path_factory: pytest.TempPathFactory, compiled: CompileResult) -> Iterator[World]:
    with running_world(tmp_path_factory.mktemp("auction-world"), compiled) as w:
        w.admit("court", Role.COURT)
        for name, tier in (("investor-2", 2), ("investor-3", 2), ("investor-4", 1)):
            w.admit(name, Role.INVESTOR, kyc_tier=tier)
        w.allow_system_contract(w.recourse.auctions.address)
        w.fund(("investor", "investor-2", "investor-3", "investor-4"), 2_000_000_00)
        yield w


@pytest.fixture(scope="module")
def gw(auction_world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with serve(confirming_settings(auction_world, tmp_path_factory.mktemp("auction-gw"), HOSTED)) as g:
        yield g


def _listing(w: World, asset: str, **overrides: Any) -> dict[str, Any]:
    return {
        "asset": asset,
        "documents": [anchored_root(w)],
        "start_price_fen": START,
        "deposit_fen": DEPOSIT,
        "increment_fen": STEP,
        "announcement_seconds": 0,
        "bidding_window_seconds": DAY,
        "payment_window_seconds": DAY,
        "kyc_tier": 2,
    } | overrides


def _open_lot(w: World, gw: Gateway, asset: str) -> int:
    court, bank = Client(gw, "court"), Client(gw, "bank")
    court.ok("/auctions/appraisals", {"asset": asset, "value_fen": APPRAISAL, "document_digest": "0x" + "ab" * 32})
    listed = bank.ok("/auctions/lots", _listing(w, asset))
    gw.wait_indexed(w.client)
    lots = bank.get("/auctions/lots", listed_in=listed["tx_hash"])["data"]
    assert len(lots) == 1
    lot_id = int(lots[0]["lot_id"])
    court.ok(f"/auctions/lots/{lot_id}/approval", {"forfeit_to": w.address("court")})
    return lot_id


def _bid_at(w: World, who: Client, lot_id: int, amount: int, at: int | None = None) -> dict[str, Any]:
    if at is not None:
        w.client.rpc.call("evm_setNextBlockTimestamp", [at])
    return who.ok(f"/auctions/lots/{lot_id}/bids", {"amount_fen": amount})


def test_a_lot_through_the_gateway_with_refusals_as_problems(auction_world: World, gw: Gateway) -> None:
    w = auction_world
    bank, court = Client(gw, "bank"), Client(gw, "court")
    bidders = {n: Client(gw, n) for n in ("investor", "investor-2", "investor-3")}

    court.ok("/auctions/appraisals", {"asset": "SH-0042", "value_fen": APPRAISAL, "document_digest": "0x" + "cd" * 32})
    low = bank.post("/auctions/lots", _listing(w, "SH-0042", start_price_fen=START - 1))
    assert low.status_code == 422
    assert low.json()["code"] == "AUC-422"
    assert low.json()["rule"] == "start_price"
    assert low.json()["minimum_fen"] == START

    lot_id = _open_lot(w, gw, "SH-0042")
    for c in bidders.values():
        c.ok(f"/auctions/lots/{lot_id}/deposit")
    kyc = Client(gw, "investor-4").post(f"/auctions/lots/{lot_id}/deposit")
    assert kyc.status_code == 200
    assert kyc.json()["status"] == "failed"
    assert kyc.json()["error_name"] == "AuctionBidderNotEligible"

    _bid_at(w, bidders["investor"], lot_id, START)
    too_low = bidders["investor-2"].post(f"/auctions/lots/{lot_id}/bids", {"amount_fen": START + STEP - 1})
    assert too_low.status_code == 409
    assert too_low.json()["code"] == "AUC-412"
    assert too_low.json()["minimum_bid_fen"] == START + STEP

    gw.wait_indexed(w.client)
    end = bidders["investor"].get(f"/auctions/lots/{lot_id}")["ends_at"]
    _bid_at(w, bidders["investor-2"], lot_id, START + STEP, at=end - 60)
    _bid_at(w, bidders["investor-3"], lot_id, START + 2 * STEP, at=end + 200)
    gw.wait_indexed(w.client)

    seen_by_bidder = bidders["investor-2"].get(f"/auctions/lots/{lot_id}")
    assert seen_by_bidder["ends_at"] == end + 200 + 300
    assert seen_by_bidder["extensions"] == 2
    assert seen_by_bidder["highest_bid_fen"] == START + 2 * STEP
    assert seen_by_bidder["bidders"] is None
    assert seen_by_bidder["my_bidder_code"] == "B0002"
    assert w.address("investor-3") not in str(seen_by_bidder)
    seen_by_court = court.get(f"/auctions/lots/{lot_id}")
    assert seen_by_court["bidders"][seen_by_court["highest_bidder_code"]] == w.address("investor-3")
    bids = bank.get(f"/auctions/lots/{lot_id}/bids")["data"]
    assert [(b["amount_fen"], b["extended"]) for b in bids] == [
        (START, False),
        (START + STEP, True),
        (START + 2 * STEP, True),
    ]

    w.client.rpc.call("evm_mine", [seen_by_bidder["ends_at"]])
    bank.ok(f"/auctions/lots/{lot_id}/closing")
    bidders["investor-3"].ok(f"/auctions/lots/{lot_id}/payment")
    price = START + 2 * STEP
    fee = price // 20
    payees = [
        {"address": w.address("court"), "amount_fen": fee},
        {"address": w.address("bank"), "amount_fen": price - fee},
    ]
    court.ok(
        f"/auctions/lots/{lot_id}/confirmation",
        {"payees": payees, "ruling_digest": "0x" + "01" * 32, "transfer_digest": "0x" + "02" * 32},
    )
    before = w.recourse.token.balance_of(w.address("bank"))
    bank.ok("/auctions/withdrawals")
    assert w.recourse.token.balance_of(w.address("bank")) == before + price - fee
    for name in ("investor", "investor-2"):
        bidders[name].ok(f"/auctions/lots/{lot_id}/deposit-withdrawal")
    gw.wait_indexed(w.client)
    assert bank.get(f"/auctions/lots/{lot_id}")["status"] == "confirmed"
    assert court.get("/auctions/owed")["owed_fen"] == fee
    deposits, paid, owed = w.recourse.auctions.totals()
    assert w.recourse.token.balance_of(w.recourse.auctions.address) == deposits + paid + owed == fee

    # the generic event API keeps the same secret: bidder codes for all, addresses for courts only
    deposits = bank.get("/events", contract="JudicialAuction", event="DepositLocked")["data"]
    assert deposits
    assert all("bidder" not in e["args"] and e["args"]["bidder_code"].startswith("B") for e in deposits)
    assert all(
        "bidder" in e["args"] for e in court.get("/events", contract="JudicialAuction", event="DepositLocked")["data"]
    )

    # a single-valued query parameter given twice is refused, not silently read as its last value
    twice = httpx.get(
        f"{gw.url}/auctions/lots", params=[("status", "confirmed"), ("status", "failed")], headers=bank.headers
    )
    assert twice.status_code == 422
    assert (twice.json()["code"], twice.json()["field"]) == ("GEN-422", "status")

    missing = httpx.get(f"{gw.url}/auctions/lots/999", headers=bank.headers, timeout=10)
    assert missing.status_code == 404
    assert missing.json()["code"] == "AUC-404"


def _room(gw: Gateway, who: Client, lot_id: int, count: int, last_id: str | None = None) -> list[dict[str, str]]:
    headers = {**who.headers, **({"Last-Event-ID": last_id} if last_id else {})}
    out: list[dict[str, str]] = []
    with httpx.stream("GET", f"{gw.url}/auctions/lots/{lot_id}/room", headers=headers, timeout=20) as r:
        assert r.status_code == 200, r.read()
        for msg in sse_messages(r.iter_lines()):
            out.append(msg)
            if len(out) >= count:
                break
    return out


def test_the_live_room_delivers_every_bid_in_order_and_resumes(
    auction_world: World, gw: Gateway, tmp_path: Path
) -> None:
    w = auction_world
    a, b = Client(gw, "investor"), Client(gw, "investor-2")
    lot_id = _open_lot(w, gw, f"SZ-{tmp_path.name[-8:]}")
    a.ok(f"/auctions/lots/{lot_id}/deposit")
    b.ok(f"/auctions/lots/{lot_id}/deposit")
    amounts = [START + i * STEP for i in range(8)]
    for i, amount in enumerate(amounts[:4]):
        _bid_at(w, a if i % 2 == 0 else b, lot_id, amount)
    gw.wait_indexed(w.client)

    # snapshot, approval, two deposits, four bids; then disconnect
    first = _room(gw, b, lot_id, 8)
    assert first[0]["event"] == "lot"
    assert [m["event"] for m in first[1:4]] == ["JudicialAuction.LotApproved", *["JudicialAuction.DepositLocked"] * 2]
    deposit = json.loads(first[2]["data"])["args"]
    assert "bidder" not in deposit
    assert deposit["bidder_code"] == "B0001"
    assert w.address("investor") not in first[2]["data"]
    bids = [m for m in first if m["event"] == "JudicialAuction.BidPlaced"]
    assert [int(json.loads(m["data"])["args"]["amount"]) for m in bids] == amounts[:4]

    for i, amount in enumerate(amounts[4:]):
        _bid_at(w, a if i % 2 == 0 else b, lot_id, amount)
    gw.wait_indexed(w.client)
    resumed = _room(gw, b, lot_id, 5, last_id=first[-1]["id"])
    assert resumed[0]["event"] == "lot"
    later = [int(json.loads(m["data"])["args"]["amount"]) for m in resumed[1:]]
    assert later == amounts[4:]
    keys = [m["id"] for m in first[1:] + resumed[1:]]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_webhooks_tell_a_bidder_it_was_outbid_the_end_moved_and_it_won(
    auction_world: World,
    gw: Gateway,
    receiver: Receiver,
) -> None:
    w = auction_world
    a, b = Client(gw, "investor"), Client(gw, "investor-2")
    body = {"url": receiver.url, "events": ["JudicialAuction.BidPlaced", "JudicialAuction.LotClosed"]}
    r = httpx.post(
        f"{gw.url}/webhooks", headers={**a.headers, "Idempotency-Key": str(uuid.uuid4())}, json=body, timeout=10
    )
    assert r.status_code == 201, r.text
    lot_id = _open_lot(w, gw, f"HK-{uuid.uuid4().hex[:8]}")
    a.ok(f"/auctions/lots/{lot_id}/deposit")
    b.ok(f"/auctions/lots/{lot_id}/deposit")
    _bid_at(w, a, lot_id, START)
    gw.wait_indexed(w.client)
    end = a.get(f"/auctions/lots/{lot_id}")["ends_at"]
    _bid_at(w, b, lot_id, START + STEP, at=end - 100)  # investor is outbid, and the end moves
    _bid_at(w, a, lot_id, START + 2 * STEP, at=end - 50)  # investor-2 is outbid: for investor only "extended"
    gw.wait_indexed(w.client)
    w.client.rpc.call("evm_mine", [a.get(f"/auctions/lots/{lot_id}")["ends_at"]])
    a.ok(f"/auctions/lots/{lot_id}/closing")

    def notices() -> list[dict[str, Any]]:
        bodies = [json.loads(q.body) for q in receiver.delivered]
        return [x for x in bodies if int(x["args"]["lotId"]) == lot_id]

    wait_until(lambda: len(notices()) == 4, what="the lot's four events at the investor's webhook")
    kinds = [x.get("notice", {}).get("kinds") for x in notices()]
    assert kinds == [None, ["outbid", "extended"], ["extended"], ["won", "payment_due"]]
    won = notices()[-1]["notice"]
    assert won["balance_fen"] == START + 2 * STEP - DEPOSIT
    assert won["payment_deadline"] == a.get(f"/auctions/lots/{lot_id}")["payment_deadline"]
    outbid = next(
        q for q in receiver.delivered if json.loads(q.body).get("notice", {}).get("kinds", [""])[0] == "outbid"
    )
    assert outbid.headers["x-recourse-notice"] == "outbid,extended"
