"""The auction room in headless Chromium: a bid placed by another member straight on chain appears live (SSE),
the countdown's end moves when a bid in the last five minutes extends the lot, and an investor locks its
deposit and bids through the console's forms (operations through the gateway's one write path)."""

from __future__ import annotations

from typing import Any

from tests.console.conftest import INCREMENT, START, Console, axe_violations, sign_in


def _bid_direct(console: Console, bidder: str, amount: int) -> None:
    """A bid by a member this gateway does not host, sent straight to the chain (another client)."""
    auctions = console.world.recourse.auctions
    auctions.send(console.world.sender(bidder), auctions.bid_request(console.lot_id, amount))


def _yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def test_the_lot_list_and_room_are_scope_aware(console: Console, page: Any):
    sign_in(page, console, console.token("collector", ["evidence:read"]))
    page.goto(f"{console.url}/auctions/{console.lot_id}")
    assert page.locator("#denied").count() == 1
    assert page.locator("#bids").count() == 0
    page.context.clear_cookies()
    sign_in(page, console, console.token("court", ["auctions:read"]))
    page.goto(console.url + "/auctions")
    page.locator(f"#lots a[href='/console/auctions/{console.lot_id}']").click()
    page.wait_for_selector("#lot-summary")
    assert page.locator("#lot-phase").inner_text() == "bidding"
    assert page.locator("#place-bid").count() == 0  # a court does not bid
    assert page.locator("#lock-deposit").count() == 0
    assert axe_violations(page) == []


def test_a_bid_from_another_client_appears_and_an_extension_moves_the_countdown(console: Console, page: Any):
    sign_in(page, console, console.token("investor", ["auctions:read"]))
    page.goto(f"{console.url}/auctions/{console.lot_id}")
    page.wait_for_selector("#lot-summary")
    ends_before = int(page.locator("#countdown").get_attribute("data-ends-at"))
    highest = console.world.recourse.auctions.lot(console.lot_id).highest_bid
    first = max(START, highest + INCREMENT)
    _bid_direct(console, "investor-2", first)
    page.wait_for_selector(f"#bids tbody tr:has-text('{_yuan(first)}')", timeout=20_000)
    row = page.locator("#bids tbody tr").first.inner_text()
    assert "B0" in row  # the bidder code, never an address
    assert console.world.address("investor-2")[:10] not in page.content()
    assert page.locator("#lot-highest").inner_text().startswith(_yuan(first))
    assert int(page.locator("#countdown").get_attribute("data-ends-at")) == ends_before  # no extension
    # a bid in the last five minutes moves the end to five minutes after it
    console.world.client.rpc.call("evm_mine", [ends_before - 60])
    second = first + INCREMENT
    _bid_direct(console, "investor-3", second)
    page.wait_for_selector(f"#bids tbody tr:has-text('{_yuan(second)}')", timeout=20_000)
    page.wait_for_function(
        f"() => Number(document.querySelector('#countdown').dataset.endsAt) > {ends_before}", polling=100
    )
    ends_after = int(page.locator("#countdown").get_attribute("data-ends-at"))
    assert ends_after == console.world.recourse.auctions.lot(console.lot_id).ends_at
    assert ends_after > ends_before
    assert page.locator("#lot-extensions").inner_text() == "1"
    assert not page.script_errors, page.script_errors


def test_an_investor_locks_its_deposit_and_bids_from_the_console(console: Console, page: Any):
    sign_in(page, console, console.token("investor", ["auctions:read", "auctions:write"]))
    page.goto(f"{console.url}/auctions/{console.lot_id}")
    page.locator("#lock-deposit").click()
    page.wait_for_selector("#op-result")
    assert "succeeded" in page.locator("#op-result").inner_text()
    assert page.locator("#my-code").inner_text().startswith("B")
    minimum = console.world.recourse.auctions.minimum_bid(console.lot_id)
    page.locator("#amount_yuan").fill("12.345")  # more than two decimals: refused before any operation
    page.locator("#place-bid").click()
    page.wait_for_selector("#room-notice")
    page.locator("#amount_yuan").fill(f"{minimum // 100}.{minimum % 100:02d}")
    page.locator("#place-bid").click()
    page.wait_for_selector("#op-result")
    assert "succeeded" in page.locator("#op-result").inner_text()
    page.wait_for_selector(f"#bids tbody tr:has-text('{_yuan(minimum)}')")
    assert page.locator("#bids tbody tr").first.inner_text().startswith(page.locator("#my-code").inner_text())
    # the highest bidder bids again: refused at once (nothing sent), and the page says why
    page.locator("#amount_yuan").fill(f"{(minimum + INCREMENT) // 100}.00")
    page.locator("#place-bid").click()
    page.wait_for_selector("#error")
    assert page.locator("h1").inner_text() == "Refused"
    assert "already holds the highest bid (AUC-409)" in page.locator("#error").inner_text()
    page.locator("#back").click()
    page.wait_for_selector("#lot-summary")
    assert axe_violations(page) == []  # the room with its deposit and bid forms
    # the same investor with a read-only key: the room, without the forms
    page.context.clear_cookies()
    sign_in(page, console, console.token("investor", ["auctions:read"]))
    page.goto(f"{console.url}/auctions/{console.lot_id}")
    assert page.locator("#place-bid").count() == 0  # no auctions:write scope: no form
