"""End-to-end: ``recourse fractions …`` (the real console script) against a real gateway (uvicorn) on a real
chain: an asset issued, subscribed, settled, claimed, traded DvP, paid into, claimed from, frozen and moved by a
court, with the reads (show, holders, offers, list, check); and bad input, the gateway's refusals and a gateway
that is not there, each one line on stderr saying what is wrong and what to do, exit code 1, no traceback."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Iterator

import pytest

from chain.compiler import CompileResult
from chain.contracts.consortium import Role
from scripts.fractions_cli import parse_moment, problem_line
from tests.support.cli_runs import ok, recourse_cli, refused
from tests.support.live_gateway import Gateway, World, anchored_root, running_world

pytestmark = pytest.mark.e2e

A1 = "0x" + "11" * 20
A2 = "0x" + "22" * 20


#: an issue whose options are all good up to --hard-cap and --deadline
ISSUE = ["issue", "--asset-ref", "SH-T", "--document", "0x" + "ab" * 32, "--name", "T", "--symbol", "T", "--price", "1"]


def recourse(gateway: str, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    return recourse_cli(gateway, key, "fractions", *args)


# --- no gateway needed: input is checked before anything is sent ---


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["subscribe", "0x12", "10"], "error: ASSET: '0x12' is not an asset's token address (0x + 40 hex digits)"),
        (["subscribe", A1, "ten"], "error: SHARES: 'ten' is not a number of shares; shares are whole numbers"),
        (["subscribe", A1, "0"], "error: SHARES: must be at least 1 share"),
        (["subscribe", A1], "error: Missing argument 'SHARES' (see `recourse fractions subscribe --help`)"),
        (["subscribe", A1, "5", "--shares", "3"], "error: No such option: --shares"),
        (["sell", A1], "error: No such command 'sell'. Did you mean 'settle'? (see `recourse fractions --help`)"),
        (["offer", A1, "5", "--price", "1.234"], "error: --price: invalid amount '1.234': use yuan with at most 2"),
        (["offer", A1, "5", "--price", "0"], "error: --price: must be more than zero"),
        (["offer", A1, "5"], "error: Missing option '--price' (see `recourse fractions offer --help`)"),
        (["buy", A1, "first", "5"], "error: OFFER_ID: 'first' is not a whole number; offer ids are whole numbers"),
        (["transfer", A1, "bob", "5"], "error: TO: 'bob' is not an address (0x + 40 hex digits)"),
        (["pay-in", A1, "5.123", "--source", "lot:1"], "error: AMOUNT: invalid amount '5.123'"),
        (["pay-in", A1, "5", "--source", " "], "error: --source: say what the recovery comes from"),
        (["freeze", A1, A2, "--order", "no-such-order.pdf"], "error: --order: 'no-such-order.pdf' is neither a"),
        (["freeze", A1, A2, "--order", "0x" + "ab" * 32, "--shares", "-1"], "error: --shares: '-1' is not a number"),
        (["forced-transfer", A1, A2, "0x33", "5", "--order", "0x" + "ab" * 32], "error: TO: '0x33' is not an address"),
        (["list", "--limit", "0"], "error: --limit: 0 is out of range; give 1-500"),
        (["list", "--issued-in", "0x12"], "error: --issued-in: '0x12' is not a transaction hash"),
        (["check", A1, A1, A2, "1.5"], "error: SHARES: '1.5' is not a number of shares"),
        (["subscribe", A1, "\u00b2"], "error: SHARES: '\u00b2' is not a number of shares; shares are whole numbers"),
        (["buy", A1, "\u00b9", "5"], "error: OFFER_ID: '\u00b9' is not a whole number; offer ids are whole numbers"),
        (
            [*ISSUE, "--hard-cap", "100", "--deadline", "3000000d"],
            "error: --deadline: '3000000d' is too far from now; give a time before the year 10000",
        ),
    ],
)
def test_bad_input_is_one_line_before_anything_is_sent(args: list[str], expected: str) -> None:
    assert refused(recourse("http://127.0.0.1:9", "rk_unused", *args)).startswith(expected)


def test_bad_issue_terms_are_one_line() -> None:
    good = {
        "--asset-ref": "SH-T",
        "--document": "0x" + "ab" * 32,
        "--name": "T",
        "--symbol": "T",
        "--price": "100.00",
        "--hard-cap": "100",
        "--deadline": "7d",
    }
    cases: list[tuple[dict[str, str], list[str], str]] = [
        ({"--deadline": "next week"}, [], "error: --deadline: 'next week' is not a time; use ISO 8601 (2027-01-31"),
        ({"--kyc-tier": "300"}, [], "error: --kyc-tier: 300 is not a KYC tier; tiers are 0-255"),
        ({"--soft-cap": "101"}, [], "error: --soft-cap 101 is more than --hard-cap 100"),
        ({"--min-subscription": "60", "--soft-cap": "50"}, [], "error: --min-subscription 60 is more than --soft-cap"),
        ({"--region": "Shanghai"}, [], "error: --region: 'Shanghai' is not a whole number; a region is a code"),
        ({}, [x for r in range(9) for x in ("--region", str(310000 + r))], "error: --region: 9 regions given"),
        ({"--hard-cap": "a hundred"}, [], "error: --hard-cap: 'a hundred' is not a number of shares"),
        ({"--lock-up-until": "2027-13-01"}, [], "error: --lock-up-until: '2027-13-01' is not a time"),
    ]
    for changed, extra, expected in cases:
        args = [x for k, v in {**good, **changed}.items() for x in (k, v)]
        assert refused(recourse("http://127.0.0.1:9", "rk_unused", "issue", *args, *extra)).startswith(expected)


def test_no_api_key_and_no_gateway_are_one_line() -> None:
    assert refused(recourse("http://127.0.0.1:9", "", "list")) == (
        "error: no API key: pass --api-key or set RECOURSE_API_KEY"
    )
    line = refused(recourse("http://127.0.0.1:9", "rk_unused", "show", A1))
    assert line.startswith("error: cannot reach the gateway at http://127.0.0.1:9")
    assert line.endswith("(is it running? check --gateway)")


def test_a_server_answering_200_without_json_is_one_line() -> None:
    """Something at --gateway that answers 2xx but not with JSON (a web page): one line naming it."""
    import http.server
    import threading

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = b"<html>not a gateway</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        line = refused(recourse(url, "rk_unused", "show", A1))
    finally:
        server.shutdown()
        server.server_close()
    assert line == (
        f"error: HTTP 200 from the gateway at {url} for GET /fractions/assets/{A1} is not JSON; "
        "check --gateway points at a Recourse gateway"
    )


def test_times_are_iso_or_a_duration_from_now() -> None:
    now = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
    assert parse_moment("30d", "--deadline", now=now) == dt.datetime(2027, 1, 6, 12, 0, tzinfo=dt.UTC)
    assert parse_moment("2027-01-31", "--deadline") == dt.datetime(2027, 1, 31, tzinfo=dt.UTC)
    at = parse_moment("2027-01-31T18:00:00+08:00", "--deadline")
    assert at.astimezone(dt.UTC) == dt.datetime(2027, 1, 31, 10, 0, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="--lock-up-until: 'soon' is not a time"):
        parse_moment("soon", "--lock-up-until")


def test_problems_say_what_to_do() -> None:
    refusal = {"code": "FRC-403", "detail": "refused: to_kyc_tier", "reason": "to_kyc_tier", "reason_code": 11}
    assert problem_line(refusal).endswith(
        "; the recipient's KYC tier is below the asset's (the governors set tiers: update-profile)"
    )
    assert problem_line({"code": "FRC-422", "detail": "invalid terms", "field": 5}).endswith(
        "; --deadline must be in the future (block time)"
    )
    assert problem_line({"code": "FRC-422", "detail": "invalid terms", "field": "soft_cap"}).endswith(
        "; --soft-cap must be at least the minimum subscription and at most the hard cap"
    )
    assert problem_line({"code": "FRC-422", "detail": "hard cap", "available": 7}).endswith(
        "; ask for at most 7 shares"
    )
    assert problem_line({"code": "FRC-404", "detail": "no asset 0x…"}).endswith(
        "; see `recourse fractions list` for the assets this gateway knows"
    )


# --- against a gateway on a chain ---


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, compiled: CompileResult) -> Iterator[World]:
    with running_world(tmp_path_factory.mktemp("fractions-cli-world"), compiled) as w:
        w.admit("court", Role.COURT)
        w.admit("investor-2", Role.INVESTOR, kyc_tier=2, region=320000)
        w.admit("investor-4", Role.INVESTOR, kyc_tier=1)
        w.allow_system_contract(w.recourse.fractions.address)
        w.fund(("bank", "investor", "investor-2", "investor-4"), 100_000_00)
        yield w


def cells(table: str, needle: str) -> list[str]:
    """The cells of the table row that contains ``needle``."""
    row = next(line for line in table.splitlines() if needle in line)
    return [c.strip() for c in row.strip().strip("│").split("│")]


def issue(w: World, gw: Gateway, keys: dict[str, str], ref: str, *extra: str) -> tuple[str, str]:
    """``recourse fractions issue`` of 100 shares at ¥100.00 (soft cap 50), KYC tier 2, subscriptions for 7 days of
    block time: (its output, the asset)."""
    args = [
        "--asset-ref",
        ref,
        "--document",
        anchored_root(w),
        "--name",
        f"{ref} shares",
        "--symbol",
        ref.rpartition("-")[2],
    ]
    terms = ["--price", "100.00", "--hard-cap", "100", "--soft-cap", "50", "--min-subscription", "10"]
    deadline = dt.datetime.fromtimestamp(w.client.block_timestamp() + 7 * 86_400, tz=dt.UTC).isoformat()
    out = ok(recourse(gw.url, keys["bank"], "issue", *args, *terms, "--deadline", deadline, "--kyc-tier", "2", *extra))
    found = re.search(r"asset: (0x[0-9a-fA-F]{40})", out)
    assert found, out
    return out, found.group(1)


def one_issue(
    gw: Gateway, keys: dict[str, str], ref: str, document: str, *, deadline: str
) -> subprocess.CompletedProcess[str]:
    """``recourse fractions issue`` of 10 shares at ¥1.00 by the bank (no other term), named after ``ref``."""
    name = ref.rpartition("-")[2]
    args = ["--asset-ref", ref, "--document", document, "--name", name, "--symbol", name]
    return recourse(gw.url, keys["bank"], "issue", *args, "--price", "1.00", "--hard-cap", "10", "--deadline", deadline)


def test_an_asset_issued_sold_traded_paid_into_claimed_and_ordered(
    world: World, gw: Gateway, keys: dict[str, str]
) -> None:
    inv, inv2, inv4 = (world.address(n) for n in ("investor", "investor-2", "investor-4"))
    lock_up = dt.datetime.fromtimestamp(world.client.block_timestamp() + 86_400, tz=dt.UTC)
    issued, asset = issue(
        world,
        gw,
        keys,
        "SH-TOWER-T1",
        "--region",
        "310000",
        "--region",
        "320000",
        "--lock-up-until",
        lock_up.isoformat(),
        "--max-holders",
        "3",
        "--max-per-holder",
        "80",
    )
    assert "fractions.issue: succeeded in block" in issued
    assert "issued T1 (SH-TOWER-T1 shares): 100 shares at ¥100.00 each (soft cap 50, minimum 10)" in issued
    assert "KYC tier 2, regions 310000, 320000, lock-up until " in issued
    assert "at most 3 holders, 80 shares each" in issued

    first = ok(recourse(gw.url, keys["investor"], "subscribe", asset, "60"))
    assert "subscribed 60 shares of T1 (SH-TOWER-T1 shares) for ¥6,000.00 (¥100.00 each, in escrow" in first
    assert "your subscription: 60 shares; offering open, 60 of 100 sold" in first
    second = ok(recourse(gw.url, keys["investor-2"], "subscribe", asset, "40"))
    assert "offering open, 100 of 100 sold" in second

    settled = ok(recourse(gw.url, keys["bank"], "settle", asset))
    assert "succeeded: 100 shares sold to 2 subscriber(s); proceeds ¥10,000.00 are the issuer's" in settled
    assert f"60 shares minted to {inv}; it holds 60 shares" in ok(
        recourse(gw.url, keys["investor"], "claim-shares", asset)
    )
    by_bank = ok(recourse(gw.url, keys["bank"], "claim-shares", asset, "--subscriber", inv2))
    assert f"40 shares minted to {inv2}; it holds 40 shares" in by_bank
    assert "withdrew the proceeds of T1 (SH-TOWER-T1 shares), ¥10,000.00" in ok(
        recourse(gw.url, keys["bank"], "withdraw-proceeds", asset)
    )

    locked = ok(recourse(gw.url, keys["investor"], "check", asset, inv, inv2, "5"))
    assert locked.startswith("refused: locked_up (code 2): the asset is in its lock-up")
    world.client.rpc.call("evm_mine", [int(lock_up.timestamp()) + 60])
    assert ok(recourse(gw.url, keys["investor"], "check", asset, inv, inv2, "5")) == (
        f"allowed: 5 shares from {inv} to {inv2}"
    )

    offered = ok(recourse(gw.url, keys["investor"], "offer", asset, "20", "--price", "105.00"))
    assert "offer 1 of 20 shares at ¥105.00 each (¥2,100.00 in all) is open" in offered
    bought = ok(recourse(gw.url, keys["investor-2"], "buy", asset, "1", "15"))
    assert f"bought 15 shares of offer 1 from {inv} at ¥105.00 each: ¥1,575.00 paid" in bought
    assert "you hold 55 shares" in bought
    listed = recourse(gw.url, keys["investor"], "offers", asset, "--open")
    assert "1 offer(s) on" in ok(listed)
    assert cells(listed.stdout, inv) == ["1", inv, "5", "¥105.00", "¥525.00", "open"]

    kyc = refused(recourse(gw.url, keys["investor"], "transfer", asset, inv4, "5"))
    assert kyc.startswith("error: FRC-403 ")
    assert kyc.endswith("; the recipient's KYC tier is below the asset's (the governors set tiers: update-profile)")
    assert ok(recourse(gw.url, keys["investor"], "check", asset, inv, inv4, "5")).startswith(
        "refused: to_kyc_tier (code 11): the recipient's KYC tier is below the asset's"
    )
    moved = ok(recourse(gw.url, keys["investor"], "transfer", asset, inv2, "5"))
    assert f"transferred 5 shares to {inv2}; you hold 40, it holds 60" in moved

    paid = ok(recourse(gw.url, keys["bank"], "pay-in", asset, "1000.01", "--source", "lot:7"))
    assert "paid ¥1,000.01 into T1 (SH-TOWER-T1 shares) from lot:7; recoveries paid in so far ¥1,000.01" in paid
    claim = ok(recourse(gw.url, keys["investor"], "claim", asset))  # 100,001 fen × 40 / 100 = 40,000.4
    assert f"claimed ¥400.00 of recoveries from T1 (SH-TOWER-T1 shares) to {inv} (40 shares" in claim
    claim2 = ok(recourse(gw.url, keys["investor-2"], "claim", asset))  # × 60 / 100 = 60,000.6
    assert "claimed ¥600.00 of recoveries" in claim2

    order = "0x" + "0d" * 32
    assert f"{inv2} on {asset}: frozen whole" in ok(
        recourse(gw.url, keys["court"], "freeze", asset, inv2, "--order", order)
    )
    assert ok(recourse(gw.url, keys["investor-2"], "check", asset, inv2, inv, "1")).startswith(
        "refused: from_frozen (code 4)"
    )
    forced = ok(recourse(gw.url, keys["court"], "forced-transfer", asset, inv2, inv, "10", "--order", order))
    assert f"10 shares moved by court order from {inv2} to {inv}" in forced
    assert "it holds 50" in forced
    assert f"{inv2} on {asset}: unfrozen" in ok(
        recourse(gw.url, keys["court"], "unfreeze", asset, inv2, "--order", order)
    )

    holders = recourse(gw.url, keys["bank"], "holders", asset)
    assert "2 holder(s) of" in ok(holders)
    assert cells(holders.stdout, inv) == [inv, "50", "", "", "¥0.00", "¥400.00"]
    assert cells(holders.stdout, inv2) == [inv2, "50", "", "", "¥0.00", "¥600.00"]
    shown = ok(recourse(gw.url, keys["bank"], "show", asset))
    assert "offering succeeded: 100 of 100 shares sold (soft cap 50, minimum 10) at ¥100.00 to 2 subscriber(s)" in shown
    assert "rules: KYC tier 2, regions 310000, 320000, lock-up until" in shown
    assert "supply 100 shares, 2 holder(s); recoveries paid in ¥1,000.01, claimed ¥1,000.00" in shown
    assert "valuation: none (no oracle feed values it)" in shown
    assert "recovery yield 10.00 % of the offering price" in shown
    assert asset in ok(recourse(gw.url, keys["investor"], "list"))


def test_the_gateways_refusals_are_one_line(world: World, gw: Gateway, keys: dict[str, str]) -> None:
    _, asset = issue(world, gw, keys, "SH-TOWER-T2")
    proc = recourse(gw.url, keys["investor"], "subscribe", asset, "101")
    over = refused(proc)  # refused when it ran, after the payment's approval
    assert "fractions.subscribe: failed" in proc.stdout
    assert over.startswith("error: the subscription failed on chain: FRC-422 ")
    assert over.endswith("; ask for at most 100 shares")
    early = refused(recourse(gw.url, keys["bank"], "settle", asset))
    assert early.startswith("error: FRC-409 ")
    nobody = refused(recourse(gw.url, keys["investor"], "show", A1))
    assert nobody.startswith("error: FRC-404 ")
    assert nobody.endswith("; see `recourse fractions list` for the assets this gateway knows")
    not_bank = refused(recourse(gw.url, keys["investor"], "pause", asset, "--reason", "0x" + "0e" * 32))
    assert not_bank.startswith("error: FRC-403 ")
    past = refused(one_issue(gw, keys, "SH-TOWER-T3", anchored_root(world), deadline="2020-01-01"))
    assert past.startswith("error: FRC-422 ")
    assert past.endswith("; --deadline must be in the future (block time)")
    unanchored = refused(one_issue(gw, keys, "SH-TOWER-T4", "0x" + "ee" * 32, deadline="7d"))
    assert unanchored.startswith("error: FRC-422 ")
    assert "anchor the documents first" in unanchored


def test_offers_cancelled_partial_freezes_and_the_pause(world: World, gw: Gateway, keys: dict[str, str]) -> None:
    inv, inv2 = world.address("investor"), world.address("investor-2")
    _, asset = issue(world, gw, keys, "SH-TOWER-T6")
    ok(recourse(gw.url, keys["investor"], "subscribe", asset, "100"))
    ok(recourse(gw.url, keys["investor"], "settle", asset))
    ok(recourse(gw.url, keys["investor"], "claim-shares", asset))
    made = ok(recourse(gw.url, keys["investor"], "offer", asset, "10", "--price", "99.99"))
    offer_id = made.rpartition("offer id: ")[2]
    not_seller = refused(recourse(gw.url, keys["investor-2"], "cancel-offer", asset, offer_id))
    assert not_seller.startswith("error: FRC-403 ")
    cancelled = ok(recourse(gw.url, keys["investor"], "cancel-offer", asset, offer_id))
    assert "fractions.cancel_offer: succeeded" in cancelled
    assert f"offer {offer_id} on {asset} cancelled" in cancelled
    table = recourse(gw.url, keys["investor"], "offers", asset)
    assert cells(table.stdout, inv)[-1] == "cancelled"

    order = "0x" + "0f" * 32
    assert f"{inv} on {asset}: 30 shares frozen" in ok(
        recourse(gw.url, keys["court"], "freeze", asset, inv, "--shares", "30", "--order", order)
    )
    assert ok(recourse(gw.url, keys["investor"], "check", asset, inv, inv2, "80")).startswith(
        "refused: amount_frozen (code 5): part of the sender's shares are frozen by a court order"
    )
    holders = recourse(gw.url, keys["bank"], "holders", asset)
    assert cells(holders.stdout, inv)[:3] == [inv, "100", "30 shares"]
    assert "partial freeze lifted" in ok(
        recourse(gw.url, keys["court"], "freeze", asset, inv, "--shares", "0", "--order", order)
    )

    reason = "0x" + "0a" * 32
    assert f"trading in {asset} paused (reason {reason})" in ok(
        recourse(gw.url, keys["bank"], "pause", asset, "--reason", reason)
    )
    assert ok(recourse(gw.url, keys["investor"], "check", asset, inv, inv2, "1")).startswith("refused: paused (code 1)")
    assert "trading PAUSED" in ok(recourse(gw.url, keys["investor"], "show", asset))
    assert f"trading in {asset} resumed" in ok(recourse(gw.url, keys["bank"], "resume", asset))
    assert ok(recourse(gw.url, keys["investor"], "check", asset, inv, inv2, "1")).startswith("allowed")

    # JudicialAuction, the real source, owes this asset nothing (nothing was ever allocated to it): refused
    auctions = world.recourse.auctions.address
    nothing = refused(recourse(gw.url, keys["bank"], "collect", asset, "--source", auctions))
    assert (
        nothing.lower() == f"error: frc-422 {auctions} is not a system contract that owes this asset anything".lower()
    )

    # --no-wait: the payment is only accepted, so the command says that and not that it was paid
    pending = ok(recourse(gw.url, keys["bank"], "pay-in", asset, "1.00", "--source", "lot:9", "--no-wait"))
    assert f"payment of ¥1.00 into {asset} accepted (operation " in pending
    assert "paid ¥" not in pending

    # pause, resume, the same pause again: the gateway replays the first pause (same key), trading stays open,
    # so the command sends a new pause whose key names the replayed one
    assert f"trading in {asset} paused (reason {reason})" in ok(
        recourse(gw.url, keys["bank"], "pause", asset, "--reason", reason)
    )
    assert ok(recourse(gw.url, keys["investor"], "check", asset, inv, inv2, "1")).startswith("refused: paused (code 1)")


def test_a_failed_offering_is_refunded(world: World, gw: Gateway, keys: dict[str, str]) -> None:
    _, asset = issue(world, gw, keys, "SH-TOWER-T5")
    ok(recourse(gw.url, keys["investor-2"], "subscribe", asset, "10"))  # the soft cap is 50
    world.client.rpc.call("evm_mine", [world.client.block_timestamp() + 8 * 86_400])
    settled = ok(recourse(gw.url, keys["bank"], "settle", asset))
    assert "offering of T5 (SH-TOWER-T5 shares): failed, 10 shares subscribed; every subscriber takes back" in settled
    refunded = ok(recourse(gw.url, keys["investor-2"], "refund", asset))
    assert f"refunded ¥1,000.00 paid for 10 shares to {world.address('investor-2')}" in refunded
    again = refused(recourse(gw.url, keys["investor-2"], "refund", asset))
    assert again.startswith("error: FRC-409 ")
