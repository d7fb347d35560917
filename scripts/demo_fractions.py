"""The tokenised-shares part of the demo, through the gateway as the bank, the court and four investors would use
it (only block time is moved directly on the embedded anvil):

1. governors let FractionsFactory issue assets that hold rCNY (a system contract, 2 of 3; and JudicialAuction,
   if the auction step has not);
2. the bank anchors the prospectus documents through ``POST /evidence``;
3. the bank issues an office-tower NPL as 1,000 shares (KYC tier 2, five regions, a 30-day lock-up, at most 3
   holders and 700 shares each), valued by an oracle feed if one reports on it (the oracle step values only
   the residential flat, so it says so);
4. two investors subscribe up to the hard cap; the offering settles; both claim their shares; the bank takes
   the proceeds;
5. block time passes the lock-up (a transfer check before and after); one investor offers shares and the
   other buys part of them DvP; a transfer to the tier-1 investor is refused with its compliance reason;
6. the court auctions a floor of the tower (the loan's collateral) and names the asset as payee of the
   proceeds in its confirmation (成交裁定); the asset collects them from JudicialAuction and both holders
   claim exactly their pro-rata part (the arithmetic shown);
7. the court freezes one holder and orders shares moved to a judgment creditor; a table shows the holders.
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
from chain.contracts.settlement_token import format_fen
from scripts.demo_common import DemoApi, register_system_contract
from scripts.demo_common import step as _step
from scripts.demo_gateway import GatewayHandle
from scripts.fractions_cli import REFUSAL_HINTS, problem_line

__all__ = ["FRACTIONS_PARTIES", "fractions_demo_steps"]

#: identities this step signs for through the demo gateway
FRACTIONS_PARTIES = ("bank", "court", "investor", "investor-2", "investor-3", "investor-4")
ASSET_REF = "SH-LJZ-TOWER-01"
FEED = "valuation:commercial"
DAY = 86_400
PRICE = 1_000_00  # ¥1,000.00 a share
HARD_CAP, SOFT_CAP, MIN_SUBSCRIPTION = 1_000, 600, 50
MAX_HOLDERS, MAX_PER_HOLDER = 3, 700
REGIONS = [120000, 310000, 320000, 350000, 440000]  # Tianjin, Shanghai, Jiangsu, Fujian, Guangdong
SUBSCRIPTIONS = {"investor": 600, "investor-2": 400}
OFFERED, BOUGHT, ASK = 200, 150, 1_050_00  # investor offers 200 at ¥1,050.00; investor-2 buys 150
FORCED = 100  # shares the court moves from investor-2 to investor-3
FLOOR_APPRAISAL = 300_000_00  # the collateral floor the court auctions
COURT_FEE = 2_123_45
DOCUMENTS: dict[str, bytes] = {
    "prospectus.pdf": b"%PDF-1.7 prospectus: non-performing loan secured by Lujiazui Tower, 1,000 shares",
    "title-record.pdf": b"%PDF-1.7 real-estate register extract: Lujiazui Tower, mortgage of Huaxia Commercial Bank",
    "appraisal.pdf": b"%PDF-1.7 appraisal of Lujiazui Tower (office, 32 floors), Shanghai",
}


def _digest(text: str) -> str:
    return "0x" + hashlib.sha256(text.encode()).hexdigest()


class _Api(DemoApi):
    def when(self, path: str, ready: Callable[[Any], bool], what: str) -> Any:
        """``GET path`` once ``ready`` holds (the indexer follows the chain within moments)."""
        deadline = time.monotonic() + 30
        while True:
            r = self.http.get(path, headers=self.auth["bank"])
            if r.status_code == 200 and ready(body := r.json()):
                return body
            if time.monotonic() > deadline:
                raise RuntimeError(f"{path}: the gateway did not show {what} within 30 s")
            time.sleep(0.05)


def fractions_demo_steps(gw: GatewayHandle, console: Console) -> None:
    """Run the tokenised-shares scenario through the gateway; one line per step and a table at the end."""
    t0 = time.perf_counter()
    with httpx.Client(base_url=gw.url, timeout=120) as http:
        api = _Api(gw, http, FRACTIONS_PARTIES, "demo-fractions")
        uploaded = api.upload(DOCUMENTS, ASSET_REF)  # the evidence batch closes while the governors vote
        address = register_system_contract(lambda r: r.fractions)
        _step(console, f"governors let FractionsFactory ({address}) issue assets that hold rCNY (system contract)")
        chain = ChainClient.connect(gw.settings.chain, data_dir=gw.settings.data_dir)
        try:
            _scenario(api, chain, console, uploaded)
        finally:
            chain.close()
    console.print(f"fractions step took {time.perf_counter() - t0:.1f}s")


def _scenario(api: _Api, chain: ChainClient, console: Console, uploaded: list[str]) -> None:
    def travel(timestamp: int) -> None:
        chain.rpc.call("evm_mine", [timestamp])

    def iso(ts: int) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ts))

    for name in FRACTIONS_PARTIES:
        api.address[name] = str(api.get(name, "/me")["address"])
    names = {a.lower(): n for n, a in api.address.items()}

    # --- documents, valuation, issue ---
    root = api.anchored_root(uploaded, "the prospectus documents", poll=0.1)
    _step(console, f"bank anchors the tower's {len(DOCUMENTS)} prospectus documents → evidence root {root[:18]}…")
    report = api.http.get(
        f"/oracle/values/{FEED}/asset:{ASSET_REF}", params={"max_age": 3650 * DAY}, headers=api.auth["bank"]
    )
    if report.status_code == 200:
        valued = f"valued by the oracles' {FEED} feed at {format_fen(int(report.json()['value']))}"
    else:
        valued = (
            f"no oracle values it: the oracle step reports only on the residential flat (valuation:residential), "
            f"nothing on {FEED} for asset:{ASSET_REF}, so the tower has no on-chain valuation or NAV per share"
        )
    now = chain.block_timestamp()
    lock_up = now + 30 * DAY
    terms = {
        "asset_ref": ASSET_REF,
        "valuation_feed": FEED,
        "documents_root": root,
        "name": "Lujiazui Tower NPL shares",
        "symbol": "LJZT",
        "kyc_tier": 2,
        "regions": REGIONS,
        "lock_up_until": iso(lock_up),
        "max_holders": MAX_HOLDERS,
        "max_per_holder": MAX_PER_HOLDER,
        "price_fen": PRICE,
        "min_subscription": MIN_SUBSCRIPTION,
        "soft_cap": SOFT_CAP,
        "hard_cap": HARD_CAP,
        "deadline": iso(now + 14 * DAY),
    }
    op = api.ok("bank", "/fractions/assets", terms)
    found = api.when(f"/fractions/assets?issued_in={op['tx_hash']}", lambda b: bool(b["data"]), "the new asset")
    asset = str(found["data"][0]["address"])
    base = f"/fractions/assets/{asset}"
    names[asset.lower()] = "the asset"
    _step(
        console,
        f"bank issues {ASSET_REF} (an office-tower NPL) as LJZT at {asset}: {HARD_CAP:,} shares at {format_fen(PRICE)} "
        f"(soft cap {SOFT_CAP}, minimum {MIN_SUBSCRIPTION}), KYC tier 2, regions {', '.join(map(str, REGIONS))}, "
        f"lock-up 30 days, at most {MAX_HOLDERS} holders and {MAX_PER_HOLDER} shares each",
    )
    _step(console, f"valuation: {valued}")

    # --- offering ---
    for name, shares in SUBSCRIPTIONS.items():
        api.ok(name, f"{base}/subscriptions", {"shares": shares})
    view = api.when(base, lambda v: v["offering"]["sold"] == HARD_CAP, "the subscriptions")
    _step(
        console,
        ", ".join(f"{name} subscribes {n} shares ({format_fen(n * PRICE)})" for name, n in SUBSCRIPTIONS.items())
        + f": payments approved and held in escrow ({format_fen(int(view['subscription_escrow_fen']))}); "
        "the hard cap is reached",
    )
    api.ok("investor", f"{base}/settlement")
    for name in SUBSCRIPTIONS:
        api.ok(name, f"{base}/share-claims", {})
    view = api.when(base, lambda v: v["total_supply"] == HARD_CAP, "the minted shares")
    api.ok("bank", f"{base}/proceeds-withdrawal")
    _step(
        console,
        f"the offering settles {view['offering']['status']} ({view['offering']['sold']:,} of {HARD_CAP:,} sold); "
        f"both claim their shares → supply {view['total_supply']:,}, {view['holder_count']} holders; the bank "
        f"withdraws the proceeds, {format_fen(int(view['proceeds_owed_fen']))}",
    )

    # --- lock-up, DvP, a refused transfer ---
    inv, inv2, inv3, inv4 = (api.address[n] for n in ("investor", "investor-2", "investor-3", "investor-4"))
    early = api.get("investor", f"{base}/transfer-check", **{"from": inv, "to": inv2, "shares": 1})
    travel(lock_up + 60)
    after = api.get("investor", f"{base}/transfer-check", **{"from": inv, "to": inv2, "shares": 1})
    if early.get("reason") != "locked_up" or not after.get("allowed"):
        raise RuntimeError(
            f"the transfer check was not locked_up before the lock-up and allowed after: {early} {after}"
        )
    _step(
        console,
        f"transfer check before the lock-up ends → {early['reason']}; block time moves 30 days → allowed",
    )
    api.ok("investor", f"{base}/offers", {"shares": OFFERED, "price_fen": ASK})
    offers = api.when(f"{base}/offers", lambda b: bool(b["data"]), "the offer")["data"]
    offer_id = int(offers[-1]["offer_id"])
    api.ok("investor-2", f"{base}/offers/{offer_id}/purchase", {"shares": BOUGHT})
    api.when(f"{base}/accounts/{inv2}", lambda a: a["balance"] == 400 + BOUGHT, "the purchase")
    _step(
        console,
        f"investor offers {OFFERED} shares at {format_fen(ASK)} (offer {offer_id}); investor-2 buys {BOUGHT}: "
        f"{format_fen(BOUGHT * ASK)} and the shares move in one transaction (DvP) → investor "
        f"{600 - BOUGHT}, investor-2 {400 + BOUGHT}; {OFFERED - BOUGHT} stay on offer",
    )
    refused = api.post("investor", f"{base}/transfers", {"to": inv4, "shares": 10})
    body = refused.json()
    if refused.status_code != 403 or body.get("reason") != "to_kyc_tier":
        raise RuntimeError(f"a transfer to a tier-1 investor was not refused for its tier: {refused.text}")
    _step(
        console,
        f"investor transfers 10 shares to investor-4 (KYC tier 1) → {refused.status_code} {problem_line(body)}",
    )
    api.ok("investor", f"{base}/offers/{offer_id}/cancellation")

    # --- recoveries: an auction's proceeds, collected by the asset ---
    collected, source = _auction_proceeds(api, chain, asset, root, console)
    view = api.when(base, lambda v: v["recoveries"]["total_paid_in_fen"] == collected, "the recovery")
    holdings = {"investor": 600 - BOUGHT, "investor-2": 400 + BOUGHT}
    sold = int(view["offering"]["sold"])
    lines = []
    for name, shares in holdings.items():
        row = api.get(name, f"{base}/accounts/{api.address[name]}")
        expected = collected * shares // sold
        if int(row["claimable_fen"]) != expected:
            raise RuntimeError(f"{name} may claim {row['claimable_fen']} fen, not {expected}")
        api.ok(name, f"{base}/recovery-claims")
        rest = collected * shares % sold
        lines.append(
            f"{name}: {collected:,} fen × {shares} / {sold:,} = {expected:,}"
            + (f".{rest * 100 // sold:02d}" if rest else "")
            + f" → claims {format_fen(expected)}"
        )
    claimed = {
        n: int(
            api.when(f"{base}/accounts/{api.address[n]}", lambda a: a["claimed_fen"] > 0, "the claim")["claimed_fen"]
        )
        for n in holdings
    }
    if [claimed[n] for n in holdings] != [collected * s // sold for s in holdings.values()]:
        raise RuntimeError(f"the holders claimed {claimed}, not their pro-rata parts of {collected} fen")
    dust = collected - sum(claimed.values())
    _step(
        console,
        f"pro rata over {sold:,} shares sold: {'; '.join(lines)}; "
        + (f"{dust} fen of fractions carried to the next claims" if dust else "nothing left over"),
    )

    # --- court orders ---
    freeze_order = _digest(f"freezing order against investor-2's shares of {ASSET_REF}")
    api.ok("court", f"{base}/freezes", {"account": inv2, "order_digest": freeze_order})
    frozen = api.get("investor-2", f"{base}/transfer-check", **{"from": inv2, "to": inv, "shares": 1})
    if frozen.get("reason") != "from_frozen":
        raise RuntimeError(f"the frozen holder's transfer was not refused as from_frozen: {frozen}")
    transfer_order = _digest(f"enforcement order: {FORCED} shares of {ASSET_REF} to investor-3")
    api.ok(
        "court",
        f"{base}/forced-transfers",
        {"from": inv2, "to": inv3, "shares": FORCED, "order_digest": transfer_order},
    )
    api.when(f"{base}/accounts/{inv3}", lambda a: a["balance"] == FORCED, "the forced transfer")
    view = api.when(base, lambda v: v["holder_count"] == 3, "three holders")
    _step(
        console,
        f"court freezes investor-2 (order {freeze_order[:12]}…): its transfers → {frozen['reason']} "
        f"({REFUSAL_HINTS[frozen['reason']]}); court orders {FORCED} shares moved from investor-2 to investor-3, "
        f"a judgment creditor (order {transfer_order[:12]}…), out of the frozen account; investor-3 becomes "
        f"holder {view['holder_count']} of at most {MAX_HOLDERS}",
    )

    # --- the table ---
    rows = api.get("bank", f"{base}/holders")["data"]
    table = Table(title=f"LJZT: shares of {ASSET_REF} (recoveries from {source})")
    for col in ("holder", "address", "shares", "frozen", "recoveries claimed", "claimable"):
        table.add_column(col, justify="right" if col in ("shares", "recoveries claimed", "claimable") else "left")
    for h in sorted(rows, key=lambda h: names.get(str(h["address"]).lower(), "~")):
        frozen_label = "whole account" if h["frozen_whole"] else (str(h["frozen_shares"]) if h["frozen_shares"] else "")
        table.add_row(
            names.get(str(h["address"]).lower(), "?"),
            str(h["address"]),
            str(h["balance"]),
            frozen_label,
            format_fen(int(h["claimed_fen"])),
            format_fen(int(h["claimable_fen"])),
        )
    console.print(table)
    rec = view["recoveries"]
    yield_bps = view.get("recovery_yield_bps")
    console.print(
        f"supply {view['total_supply']:,} shares, {view['holder_count']} holders; recoveries paid in "
        f"{format_fen(int(rec['total_paid_in_fen']))}, claimed {format_fen(int(rec['total_claimed_fen']))}"
        + (f" ({int(yield_bps) / 100:.2f} % of the offering)" if yield_bps is not None else "")
    )


def _auction_proceeds(api: _Api, chain: ChainClient, asset: str, root: str, console: Console) -> tuple[int, str]:
    """The court auctions a floor of the tower and allocates the price, less its fee, to the asset, which collects
    it from JudicialAuction; returns the fen collected and the lot."""
    auctions = register_system_contract(lambda r: r.auctions)  # done by the auction step (a no-op then)
    floor = f"{ASSET_REF}-F18"
    api.ok(
        "court",
        "/auctions/appraisals",
        {"asset": floor, "value_fen": FLOOR_APPRAISAL, "document_digest": _digest(f"appraisal of {floor}")},
    )
    start = FLOOR_APPRAISAL * 7 // 10
    listing = {
        "asset": floor,
        "documents": [root],
        "start_price_fen": start,
        "deposit_fen": start // 10,
        "increment_fen": 1_000_00,
        "announcement_seconds": 0,
        "bidding_window_seconds": DAY,
        "payment_window_seconds": 2 * DAY,
        "kyc_tier": 2,
    }
    op = api.ok("bank", "/auctions/lots", listing)
    lot_id = int(
        api.when(f"/auctions/lots?listed_in={op['tx_hash']}", lambda b: bool(b["data"]), "the lot")["data"][0]["lot_id"]
    )
    api.ok("court", f"/auctions/lots/{lot_id}/approval", {"forfeit_to": api.address["court"]})
    api.ok("investor-3", f"/auctions/lots/{lot_id}/deposit")
    api.ok("investor-3", f"/auctions/lots/{lot_id}/bids", {"amount_fen": start})
    lot = api.when(f"/auctions/lots/{lot_id}", lambda x: x.get("highest_bid_fen") == start, "the bid")
    chain.rpc.call("evm_mine", [int(lot["ends_at"])])
    api.ok("court", f"/auctions/lots/{lot_id}/closing")
    api.ok("investor-3", f"/auctions/lots/{lot_id}/payment")
    api.when(f"/auctions/lots/{lot_id}", lambda x: x["status"] == "paid", "the payment")
    confirmation = {
        "payees": [
            {"address": api.address["court"], "amount_fen": COURT_FEE},
            {"address": asset, "amount_fen": start - COURT_FEE},
        ],
        "ruling_digest": _digest(f"ruling confirming the sale of lot {lot_id}"),
        "transfer_digest": _digest(f"asset-transfer record of lot {lot_id}"),
    }
    api.ok("court", f"/auctions/lots/{lot_id}/confirmation", confirmation)
    api.when(f"/auctions/lots/{lot_id}", lambda x: x["status"] == "confirmed", "the confirmation")
    api.ok("bank", f"/fractions/assets/{asset}/collections", {"source": auctions})
    collected = start - COURT_FEE
    _step(
        console,
        f"court auctions floor 18 of the tower (the loan's collateral) as lot {lot_id}: investor-3 buys it at "
        f"{format_fen(start)}; the confirmation (成交裁定) allocates {format_fen(COURT_FEE)} to the court and "
        f"{format_fen(collected)} to the asset, which collects it from JudicialAuction for its holders",
    )
    return collected, f"lot {lot_id}"
