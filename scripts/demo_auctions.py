"""The judicial-auction part of the demo, through the gateway as the bank, the court and four investors would
use it (only block time is moved directly on the embedded anvil):

1. governors let JudicialAuction hold rCNY escrow (a system contract, 2 of 3);
2. the bank anchors the lot's documents (seizure ruling, title record) through ``POST /evidence``;
3. the flat the oracles valued in the oracle step (``asset:ames-…``, feed ``valuation:residential``) is listed
   with that fresh on-chain report as its appraisal; a listing below 70 % of it is refused first;
4. the court approves; three investors (KYC tier 2) lock the deposit; a fourth (tier 1) is refused;
5. a bidding war in the last minutes moves the end twice; a bid below the increment is refused;
6. the winner does not pay by the deadline: its deposit is forfeited (悔拍); the losers take theirs back;
7. the lot is relisted 20 % lower, approved, sold and paid; the court confirms (成交裁定) with its fee and the
   bank as payees; the proceeds and the last deposit are withdrawn, and a table shows what happened.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from chain.client import ChainClient
from chain.contracts.judicial_auction import ceil_bps
from chain.contracts.settlement_token import format_fen
from scripts.auctions_cli import failure_reason, problem_line
from scripts.demo_common import DemoApi, register_system_contract
from scripts.demo_common import step as _step
from scripts.demo_gateway import GatewayHandle
from scripts.demo_oracles import FEED
from scripts.gateway_http import sse_messages
from scripts.oracles_cli import DEMO_ASSET

__all__ = ["AUCTION_BIDDERS", "auctions_demo_steps"]

#: identities the demo admits for this step besides "investor" (the demo gateway hosts them too)
AUCTION_BIDDERS = ("investor-2", "investor-3", "investor-4")
PARTIES = ("bank", "court", "investor", *AUCTION_BIDDERS)
DAY = 86_400
PAYMENT_WINDOW = 2 * DAY
YUAN_100 = 100_00
DOCUMENTS: dict[str, bytes] = {
    "enforcement-ruling.pdf": b"%PDF-1.7 enforcement ruling (2026) Hu 74 Zhi 1107: the flat seized, auction ordered",
    "title-record.pdf": b"%PDF-1.7 real-estate register extract: mortgage of Huaxia Commercial Bank, seizure noted",
}


def _round_up(fen: int, unit: int) -> int:
    return -(-fen // unit) * unit


def _clock(ts: int) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(ts))


class _Api(DemoApi):
    def lot_when(self, lot_id: int, ready: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        """The lot from the index once ``ready`` holds (the indexer follows the chain within moments)."""
        deadline = time.monotonic() + 30
        while True:
            r = self.http.get(f"/auctions/lots/{lot_id}", headers=self.auth["bank"])
            if r.status_code == 200 and ready(lot := r.json()):
                return dict(lot)
            if time.monotonic() > deadline:
                raise RuntimeError(f"lot {lot_id}: the index did not show {what} within 30 s")
            time.sleep(0.1)

    def listed(self, op: dict[str, Any]) -> dict[str, Any]:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = self.get("bank", "/auctions/lots", listed_in=op["tx_hash"])["data"]
            if found:
                return dict(found[0])
            time.sleep(0.1)
        raise RuntimeError(f"the lot listed in {op['tx_hash']} was not indexed within 30 s")


def _room_replay(api: _Api, lot_id: int, count: int) -> str:
    """What a bidder's live room (SSE) delivers: the lot now, then its events in order (bidder codes only)."""
    names: list[str] = []
    path = f"/auctions/lots/{lot_id}/room"
    with api.http.stream("GET", path, params={"limit": count, "timeout": 10}, headers=api.auth["investor"]) as r:
        r.raise_for_status()
        for msg in sse_messages(r.iter_lines()):
            if msg.get("event") != "lot":
                names.append(msg["event"].rpartition(".")[2])
            if len(names) >= count:
                break
    summary = ", ".join(f"{names.count(n)} {n}" for n in dict.fromkeys(names))
    return (
        f"live room GET {path} (Server-Sent Events, resumable with Last-Event-ID) replays {len(names)} events in "
        f"order: {summary}; bidders appear only as codes"
    )


def auctions_demo_steps(gw: GatewayHandle, console: Console) -> None:
    """Run the auction scenario through the gateway; prints one line per step and a table at the end."""
    t0 = time.perf_counter()
    address = register_system_contract(lambda r: r.auctions)
    _step(console, f"governors let JudicialAuction ({address}) hold rCNY escrow (system contract, 2 of 3)")
    chain = ChainClient.connect(gw.settings.chain, data_dir=gw.settings.data_dir)
    try:
        with httpx.Client(base_url=gw.url, timeout=120) as http:
            _scenario(_Api(gw, http, PARTIES, "demo-auction"), chain, console)
    finally:
        chain.close()
    console.print(f"auction step took {time.perf_counter() - t0:.1f}s")


def _scenario(api: _Api, chain: ChainClient, console: Console) -> None:
    rows: list[tuple[str, str, str, str, str]] = []

    def did(lot: object, step: str, who: str, amount: int | None, result: str) -> None:
        rows.append((str(lot), step, who, format_fen(amount) if amount is not None else "", result))

    def travel(timestamp: int, *, mine: bool) -> None:
        """Block time: the next block is mined (or will be) at ``timestamp``."""
        if mine:
            chain.rpc.call("evm_mine", [timestamp])
        else:
            chain.rpc.call("evm_setNextBlockTimestamp", [timestamp])

    court_address = str(api.get("court", "/auctions/owed")["address"])

    # --- the lot: documents, appraisal, listing ---
    root = api.anchored_root(api.upload(DOCUMENTS, "ENF-2026-1107"), "the lot's documents", poll=0.2)
    _step(
        console,
        f"bank anchors the lot's {len(DOCUMENTS)} documents (ruling, title record) → evidence root {root[:18]}…",
    )
    report = api.get("bank", f"/oracle/values/{FEED}/{DEMO_ASSET}", max_age=30 * DAY)
    appraisal = int(report["value"])  # the report's value is used as fen, as the contract reads it
    minimum = ceil_bps(appraisal, 7_000)
    start = _round_up(appraisal * 8 // 10, YUAN_100)
    deposit, step = start // 10, max(_round_up(start // 100, YUAN_100), YUAN_100)
    terms = {
        "asset": DEMO_ASSET,
        "documents": [root],
        "appraisal_feed": FEED,
        "deposit_fen": deposit,
        "increment_fen": step,
        "announcement_seconds": 3600,
        "bidding_window_seconds": DAY,
        "payment_window_seconds": PAYMENT_WINDOW,
        "kyc_tier": 2,
    }
    low = api.post("bank", "/auctions/lots", {**terms, "start_price_fen": minimum - YUAN_100})
    if low.status_code < 400:
        raise RuntimeError(f"a listing below 70 % of the appraisal was accepted: {low.text}")
    _step(
        console,
        f"bank lists {DEMO_ASSET} (oracle appraisal {format_fen(appraisal)}, block {report['block_number']}) at "
        f"{format_fen(minimum - YUAN_100)} → {low.status_code} {problem_line(low.json())}",
    )
    did("—", "list below 70 %", "bank", minimum - YUAN_100, f"refused {low.json()['code']}")
    lot1 = api.listed(api.ok("bank", "/auctions/lots", {**terms, "start_price_fen": start}))["lot_id"]
    _step(
        console,
        f"bank lists it as lot {lot1}: start {format_fen(start)} (≥ 70 % of the oracle's {format_fen(appraisal)}), "
        f"deposit {format_fen(deposit)}, increment {format_fen(step)}, 24 h of bidding, KYC tier 2",
    )
    did(lot1, "listed (oracle appraisal)", "bank", start, f"appraisal {format_fen(appraisal)}")

    api.ok("court", f"/auctions/lots/{lot1}/approval", {"forfeit_to": court_address})
    lot = api.lot_when(lot1, lambda x: x["status"] == "approved", "the approval")
    _step(
        console,
        f"court approves lot {lot1}: announced for 1 h, bidding from {_clock(lot['starts_at'])} UTC for 24 h "
        "(block time; the demo moves it)",
    )
    did(lot1, "approved", "court", None, "announced 1 h")

    for name in ("investor", "investor-2", "investor-3"):
        api.ok(name, f"/auctions/lots/{lot1}/deposit")
    lot = api.lot_when(lot1, lambda x: x["bidder_count"] == 3, "three deposits")
    _step(
        console,
        f"investor, investor-2, investor-3 lock the deposit {format_fen(deposit)} each → bidder codes B0001–B0003",
    )
    did(lot1, "deposits", "investor ×3", deposit * 3, "3 bidder codes")
    kyc = api.post("investor-4", f"/auctions/lots/{lot1}/deposit").json()
    if kyc.get("status") != "failed":
        raise RuntimeError(f"a bidder below the lot's KYC tier was accepted: {kyc}")
    _step(console, f"investor-4 (KYC tier 1) tries to lock the deposit → {kyc['error_name']}: {failure_reason(kyc)}")
    did(lot1, "deposit", "investor-4", deposit, f"refused {kyc['error_name']}")

    # --- the bidding war ---
    travel(int(lot["starts_at"]), mine=True)
    end = int(lot["ends_at"])
    war: list[tuple[str, int, int | None]] = [
        ("investor", start, None),
        ("investor-2", start + step, None),
        ("investor", start + 2 * step, end - 240),  # 4 minutes before the end: moves it
        ("investor-3", start + 3 * step, -90),  # 90 s before the moved end: moves it again
    ]
    for i, (name, amount, at) in enumerate(war):
        if at is not None:
            travel(at if at > 0 else end + at, mine=False)
        if i == 3:  # the bid that does not beat the highest by the increment
            short = start + 3 * step - YUAN_100
            bad = api.post("investor-2", f"/auctions/lots/{lot1}/bids", {"amount_fen": short})
            if bad.status_code < 400:
                raise RuntimeError(f"a bid below the increment was accepted: {bad.text}")
            _step(console, f"investor-2 bids {format_fen(short)} → {bad.status_code} {problem_line(bad.json())}")
            did(lot1, "bid below increment", "investor-2", short, f"refused {bad.json()['code']}")
        api.ok(name, f"/auctions/lots/{lot1}/bids", {"amount_fen": amount})
        bid = api.get(name, f"/auctions/lots/{lot1}/bids")["data"]
        while not bid or bid[-1]["amount_fen"] != amount:
            time.sleep(0.1)
            bid = api.get(name, f"/auctions/lots/{lot1}/bids")["data"]
        last = bid[-1]
        moved = f", end moves {_clock(end)} → {_clock(last['ends_at'])}" if last["extended"] else ""
        _step(console, f"{name} ({last['bidder_code']}) bids {format_fen(amount)}{moved}")
        did(lot1, "bid" + (" (extends)" if last["extended"] else ""), name, amount, last["bidder_code"])
        end = int(last["ends_at"])
    lot = api.lot_when(lot1, lambda x: x["extensions"] == 2, "two extensions")
    _step(console, f"lot {lot1}: {len(war)} bids, the end moved {lot['extensions']} times, to {_clock(end)} UTC")
    _step(console, _room_replay(api, lot1, 1 + 3 + len(war)))

    # --- close, default, deposits back ---
    travel(end, mine=True)
    api.ok("bank", f"/auctions/lots/{lot1}/closing")
    lot = api.lot_when(lot1, lambda x: x["status"] == "awaiting_payment", "the close")
    price = int(lot["highest_bid_fen"])
    _step(
        console,
        f"lot {lot1} closes: {lot['highest_bidder_code']} (investor-3) won at {format_fen(price)}, "
        f"balance {format_fen(price - deposit)} due within 2 days",
    )
    did(lot1, "closed", "bank", price, f"won by {lot['highest_bidder_code']}")
    travel(int(lot["payment_deadline"]) + 1, mine=True)
    api.ok("court", f"/auctions/lots/{lot1}/default")
    api.lot_when(lot1, lambda x: x["status"] == "defaulted", "the default")
    _step(
        console,
        f"investor-3 does not pay by the deadline → court records the default (悔拍): deposit {format_fen(deposit)} "
        "forfeited to the court's account, investor-3 barred from the relisting",
    )
    did(lot1, "default (悔拍)", "court", deposit, "deposit forfeited")
    for name in ("investor", "investor-2"):
        api.ok(name, f"/auctions/lots/{lot1}/deposit-withdrawal")
    _step(console, f"investor and investor-2 withdraw their deposits of lot {lot1} ({format_fen(deposit)} each)")
    did(lot1, "deposits withdrawn", "investor ×2", deposit * 2, "returned")

    # --- relisting 20 % lower, sale, confirmation ---
    start2 = start * 8 // 10
    deposit2 = start2 // 10
    relist = {
        "start_price_fen": start2,
        "deposit_fen": deposit2,
        "increment_fen": step,
        "announcement_seconds": 0,
        "bidding_window_seconds": DAY,
        "payment_window_seconds": PAYMENT_WINDOW,
    }
    lot2 = api.listed(api.ok("bank", f"/auctions/lots/{lot1}/relisting", relist))["lot_id"]
    api.ok("court", f"/auctions/lots/{lot2}/approval", {"forfeit_to": court_address})
    _step(console, f"bank relists it as lot {lot2} 20 % lower, at {format_fen(start2)}; the court approves")
    did(lot2, "relisted −20 %, approved", "bank, court", start2, "round 2")
    for name in ("investor", "investor-2"):
        api.ok(name, f"/auctions/lots/{lot2}/deposit")
    api.ok("investor", f"/auctions/lots/{lot2}/bids", {"amount_fen": start2})
    api.ok("investor-2", f"/auctions/lots/{lot2}/bids", {"amount_fen": start2 + step})
    lot = api.lot_when(lot2, lambda x: x["highest_bid_fen"] == start2 + step, "the bids")
    travel(int(lot["ends_at"]), mine=True)
    api.ok("investor", f"/auctions/lots/{lot2}/closing")
    price2 = start2 + step
    api.ok("investor-2", f"/auctions/lots/{lot2}/payment")
    lot = api.lot_when(lot2, lambda x: x["status"] == "paid", "the payment")
    _step(
        console,
        f"investor and investor-2 deposit and bid; lot {lot2} is sold to investor-2 ({lot['highest_bidder_code']}) "
        f"at {format_fen(price2)}, who pays the balance {format_fen(price2 - deposit2)} (price in escrow)",
    )
    did(lot2, "sold and paid", "investor-2", price2, "paid")
    fee = _round_up(price2 // 100, 100)
    confirmation = {
        "payees": [
            {"address": court_address, "amount_fen": fee},
            {"address": api.get("bank", "/auctions/owed")["address"], "amount_fen": price2 - fee},
        ],
        "ruling_digest": "0x" + hashlib.sha256(b"ruling confirming the sale of lot %d" % lot2).hexdigest(),
        "transfer_digest": "0x" + hashlib.sha256(b"asset-transfer record of lot %d" % lot2).hexdigest(),
    }
    api.ok("court", f"/auctions/lots/{lot2}/confirmation", confirmation)
    api.lot_when(lot2, lambda x: x["status"] == "confirmed", "the confirmation")
    _step(
        console,
        f"court confirms the sale (成交裁定): {format_fen(fee)} court fee, {format_fen(price2 - fee)} to the bank",
    )
    did(lot2, "confirmed (成交裁定)", "court", price2, f"fee {format_fen(fee)}")

    # --- money out ---
    paid_out = []
    for name in ("bank", "court"):
        owed = int(api.get(name, "/auctions/owed")["owed_fen"])
        api.ok(name, "/auctions/withdrawals")
        paid_out.append(f"{name} {format_fen(owed)}")
        did(lot2 if name == "bank" else f"{lot1}, {lot2}", "withdraws", name, owed, "paid out")
    api.ok("investor", f"/auctions/lots/{lot2}/deposit-withdrawal")
    did(lot2, "deposit withdrawn", "investor", deposit2, "returned")
    _step(
        console,
        f"proceeds withdrawn: {', '.join(paid_out)} (fee + forfeited deposit); "
        f"investor takes back its deposit of lot {lot2}",
    )

    table = Table(title=f"Judicial auction of {DEMO_ASSET}")
    for col in ("lot", "step", "who", "amount", "result"):
        table.add_column(col, justify="right" if col == "amount" else "left")
    for row in rows:
        table.add_row(*row)
    console.print(table)
