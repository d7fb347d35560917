"""The portfolio in headless Chromium: an investor's holding of an asset sold through the gateway, its claimable
recovery, and the claim made from the console (paid exactly its pro-rata share, on chain)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from tests.console.conftest import Console, axe_violations, sign_in

PRICE = 100_00
RECOVERY = 1_000_01


def _yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def _ok(console: Console, institution: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    r = console.api_post(institution, path, body or {}, params={"confirm": "true"})
    assert r.status_code == 200, r.text
    op: dict[str, Any] = r.json()
    assert op["status"] == "succeeded", op
    return op


def _asset_with_a_recovery(console: Console) -> str:
    """The bank issues an asset, the investor buys 120 shares, the offering settles and a recovery is paid in."""
    w = console.world
    deadline = w.client.block_timestamp() + 86_400
    terms = {
        "asset_ref": "SH-CONSOLE-TOWER",
        "valuation_feed": "valuation:commercial",
        "documents_root": console.documents_root,
        "name": "Console Tower shares",
        "symbol": "CTS",
        "kyc_tier": 2,
        "regions": [310000],
        "max_holders": 0,
        "max_per_holder": 0,
        "price_fen": PRICE,
        "min_subscription": 10,
        "soft_cap": 100,
        "hard_cap": 300,
        "deadline": dt.datetime.fromtimestamp(deadline, dt.UTC).isoformat(),
    }
    issued = _ok(console, "bank", "/fractions/assets", terms)
    console.gw.wait_indexed(w.client)
    auth = {"Authorization": f"Bearer {console.token('bank')}"}
    found = httpx.get(
        console.gw.url + "/fractions/assets", params={"issued_in": issued["tx_hash"]}, headers=auth, timeout=10
    ).json()["data"]
    address: str = found[0]["address"]
    base = f"/fractions/assets/{address}"
    _ok(console, "investor", f"{base}/subscriptions", {"shares": 120})
    w.client.rpc.call("evm_mine", [deadline])
    _ok(console, "bank", f"{base}/settlement")
    _ok(console, "investor", f"{base}/share-claims")
    _ok(console, "bank", f"{base}/recoveries", {"amount_fen": RECOVERY, "source_ref": "case:SH-0042"})
    console.gw.wait_indexed(w.client)
    return address


def test_an_investor_sees_its_holding_and_claims_its_recovery(console: Console, page: Any):
    address = _asset_with_a_recovery(console)
    me = console.world.address("investor")
    cash = console.world.recourse.token.balance_of(me)
    asset = console.world.recourse.asset_fractions(address)
    owed = asset.claimable(me)  # the contract's pro-rata arithmetic (it may keep a fen of rounding)
    assert RECOVERY - 1 <= owed <= RECOVERY  # all 120 shares are the investor's
    sign_in(page, console, console.token("investor", ["fractions:read", "fractions:write"]))
    page.goto(console.url + "/portfolio")
    holding = page.locator(f"section.holding[data-asset='{address}']")
    assert holding.locator(".shares").inner_text().startswith("120 / 120")
    assert holding.locator(".claimable").inner_text() == _yuan(owed)
    assert axe_violations(page) == []
    holding.locator("button.claim").click()
    page.wait_for_selector("#op-result")
    assert "fractions.claim" in page.locator("#op-result").inner_text()
    assert "succeeded" in page.locator("#op-result").inner_text()
    holding = page.locator(f"section.holding[data-asset='{address}']")
    assert holding.locator(".claimable").inner_text() == "¥0.00"
    assert holding.locator(".claimed").inner_text() == _yuan(owed)
    assert holding.locator("button.claim").count() == 0
    assert console.world.recourse.token.balance_of(me) == cash + owed
    assert asset.claimed(me) == owed
    # a read-only key sees the holding without the button; the bank (no INVESTOR role) not the page
    page.context.clear_cookies()
    sign_in(page, console, console.token("investor", ["fractions:read"]))
    page.goto(console.url + "/portfolio")
    assert page.locator(f"section.holding[data-asset='{address}']").count() == 1
    page.context.clear_cookies()
    sign_in(page, console, console.token("bank"))
    page.goto(console.url + "/portfolio")
    assert page.locator("#denied").count() == 1
    assert page.locator("section.holding").count() == 0
