"""Asset fractions through a real gateway (uvicorn) on a real chain: an asset issued, subscribed by two
investors, settled, its shares claimed, traded delivery versus payment, a transfer to a lower-tier investor
refused with its compliance reason before anything is sent, a recovery paid in and claimed pro rata, a court's
freeze and forced transfer; the index's reads (asset, valuation, NAV, yield, holders, offers, accounts,
transfer-check) agree with the contracts' own views. Also: a failed offering's refund, pause and resume, replayed
keys; a judicial sale whose price a court allocated to the asset, collected for its holders.

The gateway hosts ``bank`` (the issuer), ``court``, ``investor``, ``investor-2`` and ``investor-3`` (KYC tier 1).
Set-up transactions are signed only by identities it does not host: governors, ``bank-2`` (a settlement bank
that funds the investors, and the auction's seller), ``collector`` (anchors documents), ``oracle``/``oracle-2``
(report the valuation), ``mediator`` (admitted as a second court) and ``investor-4`` (the auction's winner)."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from chain.compiler import CompileResult
from chain.contracts.asset_fractions import AssetFractions, Refusal, asset_ref
from chain.contracts.consortium import Role
from chain.contracts.judicial_auction import Listing, Payee
from chain.eip712 import sign_report
from tests.conftest import account
from tests.support.live_gateway import (
    Client,
    Gateway,
    World,
    anchored_root,
    confirming_settings,
    running_world,
    serve,
)
from tests.support.oracle_reports import valuation_report

pytestmark = pytest.mark.chain

HOSTED = ["bank", "court", "investor", "investor-2", "investor-3"]
FEED = "valuation:commercial"
PRICE = 100_00  # ¥100 a share
CASH = 5_000_000_00
DAY = 86_400


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, compiled: CompileResult) -> Iterator[World]:
    with running_world(tmp_path_factory.mktemp("fractions-gw-world"), compiled) as w:
        w.admit("court", Role.COURT)
        w.admit("mediator", Role.COURT)  # a second court, not hosted: signs the sale
        w.admit("bank-2", Role.BANK, Role.SETTLEMENT_BANK)
        w.admit("investor-4", Role.INVESTOR, kyc_tier=2)
        w.admit("investor-2", Role.INVESTOR, region=310115, kyc_tier=2)
        w.admit("investor-3", Role.INVESTOR, kyc_tier=1)
        for name in ("oracle", "oracle-2"):
            w.admit(name, Role.ORACLE)
        w.allow_system_contract(w.recourse.fractions.address)
        w.allow_system_contract(w.recourse.auctions.address)
        w.fund(("bank", "investor", "investor-2", "investor-3", "investor-4"), CASH, by="bank-2")
        yield w


@pytest.fixture(scope="module")
def gw(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with serve(confirming_settings(world, tmp_path_factory.mktemp("fractions-gw"), HOSTED)) as g:
        yield g


def _iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone(dt.timedelta(hours=8))).isoformat()


def _terms(w: World, reference: str, **overrides: Any) -> dict[str, Any]:
    return {
        "asset_ref": reference,
        "valuation_feed": FEED,
        "documents_root": anchored_root(w),
        "name": f"{reference} shares",
        "symbol": "SHT",
        "kyc_tier": 2,
        "regions": [310000],
        "max_holders": 0,
        "max_per_holder": 0,
        "price_fen": PRICE,
        "min_subscription": 10,
        "soft_cap": 100,
        "hard_cap": 300,
        "deadline": _iso(w.client.block_timestamp() + DAY),
    } | overrides


def _issue(w: World, gw: Gateway, reference: str, **overrides: Any) -> AssetFractions:
    op = Client(gw, "bank").ok("/fractions/assets", _terms(w, reference, **overrides))
    gw.wait_indexed(w.client)
    found = Client(gw, "bank").get("/fractions/assets", issued_in=op["tx_hash"])["data"]
    assert len(found) == 1
    return w.recourse.asset_fractions(found[0]["address"])


def test_an_asset_from_issue_to_court_orders_through_the_gateway(world: World, gw: Gateway) -> None:
    w, r = world, world.recourse
    bank, court = Client(gw, "bank"), Client(gw, "court")
    inv, inv2, inv3 = Client(gw, "investor"), Client(gw, "investor-2"), Client(gw, "investor-3")
    a, a2, a3 = (w.address(n) for n in ("investor", "investor-2", "investor-3"))
    reference = f"SH-TOWER-{uuid.uuid4().hex[:8]}"

    # invalid terms are refused before anything is sent, naming the field
    bad = bank.refused("/fractions/assets", _terms(w, reference, soft_cap=301), 422, "FRC-422")
    assert bad["field"] == "soft_cap"
    asset = _issue(w, gw, reference)
    base = f"/fractions/assets/{asset.address}"
    assert asset.terms().asset_ref == asset_ref(reference)
    assert asset.issuer() == w.address("bank")
    again = bank.refused("/fractions/assets", _terms(w, reference), 422, "FRC-422")
    assert again["field"] == "asset_ref"

    # two investors subscribe (each approves exactly the price first); a tier-1 investor is refused at once
    inv.ok(f"{base}/subscriptions", {"shares": 120})
    inv2.ok(f"{base}/subscriptions", {"shares": 80})
    block = w.client.block_number()
    tier = inv3.refused(f"{base}/subscriptions", {"shares": 10}, 403, "FRC-403")
    assert (tier["reason"], tier["reason_code"]) == ("to_kyc_tier", int(Refusal.TO_KYC_TIER))
    early = bank.refused(f"{base}/settlement", {}, 409, "FRC-409")
    assert early["deadline"] == asset.terms().deadline
    assert w.client.block_number() == block  # nothing was sent for the refusals
    # a subscription that needs an approval first is checked by the chain when it runs (as auctions' deposits)
    over = inv2.post(f"{base}/subscriptions", {"shares": 101})
    assert (over.status_code, over.json()["status"]) == (200, "failed")
    assert over.json()["error_name"] == "FractionsHardCapExceeded"

    w.client.rpc.call("evm_mine", [asset.terms().deadline])
    bank.ok(f"{base}/settlement")
    inv.ok(f"{base}/share-claims")
    inv.ok(f"{base}/share-claims", {"subscriber": a2})  # anyone may mint a subscriber's shares
    cash = r.token.balance_of(w.address("bank"))
    bank.ok(f"{base}/proceeds-withdrawal")
    assert r.token.balance_of(w.address("bank")) == cash + 200 * PRICE
    bank.refused(f"{base}/proceeds-withdrawal", {}, 409, "FRC-409")

    # delivery versus payment: investor offers 20 at ¥150, investor-2 buys 15
    inv.ok(f"{base}/offers", {"shares": 20, "price_fen": 150_00})
    gw.wait_indexed(w.client)
    offers = inv.get(f"{base}/offers", open="true")["data"]
    assert [(o["offer_id"], o["seller"], o["shares"], o["status"]) for o in offers] == [(1, a, 20, "open")]
    paid = r.token.balance_of(a)
    inv2.ok(f"{base}/offers/1/purchase", {"shares": 15})
    assert r.token.balance_of(a) == paid + 15 * 150_00
    assert (asset.balance_of(a), asset.balance_of(a2)) == (105, 95)
    inv2.refused(f"{base}/offers/9/purchase", {"shares": 1}, 404, "FRC-404")
    inv2.refused(f"{base}/offers/1/cancellation", {}, 403, "FRC-403")

    # a transfer to a lower-tier investor: refused with the compliance reason, nothing sent
    block = w.client.block_number()
    refused = inv.refused(f"{base}/transfers", {"to": a3, "shares": 5}, 403, "FRC-403")
    assert (refused["reason"], refused["reason_code"]) == ("to_kyc_tier", 11)
    assert w.client.block_number() == block
    check = inv.get(f"{base}/transfer-check", **{"from": a, "to": a3, "shares": 5})
    assert check == {"allowed": False, "reason": "to_kyc_tier", "reason_code": 11}
    assert inv.get(f"{base}/transfer-check", **{"from": a, "to": a2, "shares": 5})["reason"] == "none"

    # a recovery paid in; each holder claims exactly its pro-rata share (105 and 95 of 200 shares)
    recovery = 1_000_01
    bank.ok(f"{base}/recoveries", {"amount_fen": recovery, "source_ref": "case:SH-0042"})
    before = {x: r.token.balance_of(x) for x in (a, a2)}
    inv.ok(f"{base}/recovery-claims")
    inv2.ok(f"{base}/recovery-claims")
    assert r.token.balance_of(a) - before[a] == recovery * 105 // 200 == asset.claimed(a)
    assert r.token.balance_of(a2) - before[a2] == recovery * 95 // 200 == asset.claimed(a2)
    inv.refused(f"{base}/recovery-claims", {}, 409, "FRC-409")
    poor = inv3.refused(f"{base}/recoveries", {"amount_fen": CASH + 1, "source_ref": "case:x"}, 422, "FRC-422")
    assert (poor["field"], poor["balance_fen"]) == ("amount_fen", CASH)

    # a court freezes investor-2, moves 10 of its shares to investor by order, then lifts the freeze and
    # freezes 5 shares; a non-court is refused
    digest = "0x" + "0c" * 32
    inv.refused(f"{base}/freezes", {"account": a2, "order_digest": digest}, 403, "FRC-403")
    court.ok(f"{base}/freezes", {"account": a2, "order_digest": digest})
    frozen = inv2.refused(f"{base}/transfers", {"to": a, "shares": 1}, 403, "FRC-403")
    assert frozen["reason"] == "from_frozen"
    court.ok(f"{base}/forced-transfers", {"from": a2, "to": a, "shares": 10, "order_digest": digest})
    court.ok(f"{base}/unfreezes", {"account": a2, "order_digest": digest})
    court.ok(f"{base}/freezes", {"account": a2, "shares": 5, "order_digest": digest})
    assert (asset.balance_of(a), asset.balance_of(a2)) == (115, 85)

    # a valuation reported for the asset: NAV per share and the recovery yield
    report = valuation_report(FEED, f"asset:{reference}", observed_at=w.client.block_timestamp() - 5, value=30_000_000)
    sigs = [sign_report(account(n), r.oracle_hub.domain(), report) for n in ("oracle", "oracle-2")]
    r.oracle_hub.submit(w.sender("oracle"), report, sigs)
    gw.wait_indexed(w.client)

    view = bank.get(base)
    snap = asset.snapshot(block=w.client.block_number())
    assert (view["name"], view["symbol"], view["issuer"]) == (snap.name, snap.symbol, snap.issuer)
    assert view["asset_ref"] == "0x" + asset_ref(reference).hex()
    assert view["terms"]["price_fen"] == snap.terms.price
    assert view["terms"]["regions"] == [310000]
    assert view["terms"]["deadline_unix"] == snap.terms.deadline
    assert dt.datetime.fromisoformat(view["terms"]["deadline"]).timestamp() == snap.terms.deadline
    assert view["offering"]["status"] == snap.offering.status.label == "succeeded"
    assert (view["offering"]["sold"], view["offering"]["subscribers"]) == (
        snap.offering.sold,
        snap.offering.subscribers,
    )
    assert (view["total_supply"], view["holder_count"], view["paused"]) == (
        snap.total_supply,
        snap.holder_count,
        snap.paused,
    )
    assert view["recoveries"] == {"total_paid_in_fen": snap.total_paid_in, "total_claimed_fen": snap.total_claimed}
    assert (view["subscription_escrow_fen"], view["proceeds_owed_fen"]) == (
        snap.subscription_escrow,
        snap.proceeds_owed,
    )
    valuation = view["valuation"]
    assert (valuation["value_fen"], valuation["low_fen"], valuation["high_fen"]) == (30_000_000, 29_000_000, 31_000_000)
    assert (valuation["feed"], valuation["stale"], valuation["reported_at_unix"]) == (FEED, False, report.observed_at)
    assert view["nav_per_share_fen"] == 30_000_000 // 200
    assert view["recovery_yield_bps"] == recovery * 10_000 // (PRICE * 200)
    assert bank.get(base, max_age=1)["valuation"]["stale"] is True

    holders = {h["address"]: h for h in bank.get(f"{base}/holders")["data"]}
    assert set(holders) == {a, a2}
    for who, h in holders.items():
        assert h["balance"] == asset.balance_of(who)
        assert (h["frozen_whole"], h["frozen_shares"]) == (asset.frozen_of(who).whole, asset.frozen_of(who).shares)
        assert h["claimable_fen"] == asset.claimable(who)
        assert h["claimed_fen"] == asset.claimed(who)
        assert h["subscription"] == asset.subscription_of(who)
    assert holders[a2]["frozen_shares"] == 5
    assert bank.get(f"{base}/accounts/{a2}") == holders[a2]
    nobody = bank.get(f"{base}/accounts/{a3}")
    assert (nobody["balance"], nobody["claimable_fen"], nobody["claimed_fen"]) == (0, 0, 0)
    offers = bank.get(f"{base}/offers")["data"]
    assert [(o["offer_id"], o["shares"], o["price_fen"], o["status"]) for o in offers] == [(1, 5, 150_00, "open")]
    assert asset.offer_of(1).shares == 5

    listed = bank.get("/fractions/assets", issuer=w.address("bank"))["data"]
    assert asset.address in [x["address"] for x in listed]

    missing = httpx.get(f"{gw.url}/fractions/assets/0x{'12' * 20}", headers=bank.headers, timeout=10)
    assert (missing.status_code, missing.json()["code"]) == (404, "FRC-404")


def test_pause_and_refund_of_a_failed_offering(world: World, gw: Gateway) -> None:
    w, r = world, world.recourse
    bank, inv = Client(gw, "bank"), Client(gw, "investor")
    asset = _issue(w, gw, f"SH-FAIL-{uuid.uuid4().hex[:8]}")
    base = f"/fractions/assets/{asset.address}"
    subscribed = inv.post(f"{base}/subscriptions", {"shares": 50}, key="sub-50")  # below the soft cap of 100
    assert subscribed.json()["status"] == "succeeded"
    w.client.rpc.call("evm_mine", [asset.terms().deadline])
    settled = inv.post(f"{base}/settlement", key="settle")
    assert settled.json()["status"] == "succeeded"
    # a replayed key answers the original operation without asking the chain again (which would refuse now)
    for path, body, key in ((f"{base}/settlement", {}, "settle"), (f"{base}/subscriptions", {"shares": 50}, "sub-50")):
        again = inv.post(path, body, key=key)
        assert again.status_code == 200, again.text
        assert again.json()["id"] == (settled if key == "settle" else subscribed).json()["id"]
    conflict = inv.post(f"{base}/subscriptions", {"shares": 51}, key="sub-50")
    assert (conflict.status_code, conflict.json()["code"]) == (409, "OPS-409")
    cash = r.token.balance_of(w.address("investor"))
    inv.ok(f"{base}/refund")
    assert r.token.balance_of(w.address("investor")) == cash + 50 * PRICE
    wrong = bank.refused(f"{base}/recoveries", {"amount_fen": 1, "source_ref": "lot:12"}, 409, "FRC-409")
    assert wrong["offering_status"] == "failed"

    bank.ok(f"{base}/pause", {"reason_digest": "0x" + "0d" * 32})
    again = bank.refused(f"{base}/pause", {"reason_digest": "0x" + "0d" * 32}, 409, "FRC-409")
    assert again["paused"] is True
    inv.refused(f"{base}/resume", {}, 403, "FRC-403")
    gw.wait_indexed(w.client)
    view = bank.get(base)
    assert (view["offering"]["status"], view["paused"], view["subscription_escrow_fen"]) == ("failed", True, 0)
    assert (view["nav_per_share_fen"], view["recovery_yield_bps"]) == (None, None)
    bank.ok(f"{base}/resume")
    gw.wait_indexed(w.client)
    assert bank.get(base)["paused"] is False
    assert asset.paused() is False


def _auction_owing(w: World, payee: str, price: int) -> None:
    """A judicial sale confirmed with its whole price allocated to ``payee`` (signed by identities the gateway
    does not host: bank-2 sells, "mediator" (admitted as a COURT) supervises, investor-4 wins)."""
    a = w.recourse.auctions
    reference = f"SH-LOT-{uuid.uuid4().hex[:8]}"
    court, bidder = w.sender("mediator"), w.sender("investor-4")
    a.send(court, a.enter_appraisal_request(asset_ref(reference), price * 10 // 7, os.urandom(32)))
    root = bytes.fromhex(anchored_root(w)[2:])
    lot_id = a.list(
        w.sender("bank-2"), Listing(asset_ref(reference), (root,), bytes(32), price, price // 10, 1_00, 0, DAY, DAY, 2)
    )
    a.send(court, a.approve_request(lot_id, w.address("mediator")))
    w.recourse.token.approve(bidder, a.address, price)
    a.lock_deposit(bidder, lot_id)
    a.send(bidder, a.bid_request(lot_id, price))
    w.client.rpc.call("evm_mine", [a.lot(lot_id).ends_at])
    a.send(bidder, a.close_request(lot_id))
    a.send(bidder, a.pay_request(lot_id))
    a.send(court, a.confirm_request(lot_id, [Payee(payee, price)], os.urandom(32), os.urandom(32)))


def test_a_judicial_sale_allocated_to_the_asset_is_collected_for_its_holders(world: World, gw: Gateway) -> None:
    w = world
    inv, inv2 = Client(gw, "investor"), Client(gw, "investor-2")
    asset = _issue(w, gw, f"SH-LOT-ASSET-{uuid.uuid4().hex[:8]}", soft_cap=100, hard_cap=100)
    base = f"/fractions/assets/{asset.address}"
    inv.ok(f"{base}/subscriptions", {"shares": 60})
    inv2.ok(f"{base}/subscriptions", {"shares": 40})
    inv.ok(f"{base}/settlement")  # at the hard cap, before the deadline
    price = 700_000_00
    _auction_owing(w, asset.address, price)
    assert w.recourse.auctions.owed(asset.address) == price

    inv.ok(f"{base}/collections", {"source": w.recourse.auctions.address})
    assert w.recourse.auctions.owed(asset.address) == 0
    assert asset.total_paid_in() == price
    # nothing left to collect: the same source owes the asset nothing now, so a second collection is refused
    again = inv.refused(f"{base}/collections", {"source": w.recourse.auctions.address}, 409, "AUC-409")
    assert again["detail"] == f"{asset.address} has nothing to withdraw here"
    gw.wait_indexed(w.client)
    holders = {h["address"]: h for h in inv.get(f"{base}/holders")["data"]}
    # unclaimed subscriptions earn the recovery too
    assert {a: h["claimable_fen"] for a, h in holders.items()} == {
        w.address("investor"): price * 60 // 100,
        w.address("investor-2"): price * 40 // 100,
    }
    assert holders[w.address("investor")]["claimable_fen"] == asset.claimable(w.address("investor"))
    assert inv.get(base)["recoveries"]["total_paid_in_fen"] == price
