"""End-to-end: ``recourse fractions …`` (the real console script) against a real gateway (uvicorn) on a real
chain: an asset issued, subscribed, settled, claimed, traded DvP, paid into, claimed from, frozen and moved by a
court, with the reads (show, holders, offers, list, check); and bad input, the gateway's refusals and a gateway
that is not there, each one line on stderr saying what is wrong and what to do, exit code 1, no traceback."""

from __future__ import annotations

import datetime as dt
import os
import subprocess

import pytest

from scripts.fractions_cli import parse_moment, problem_line
from tests.support.serve_process import RECOURSE

pytestmark = pytest.mark.e2e

HOSTED = ["bank", "court", "investor", "investor-2", "investor-4"]
A1 = "0x" + "11" * 20
A2 = "0x" + "22" * 20


def recourse(gateway: str, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RECOURSE_GATEWAY_URL": gateway, "RECOURSE_API_KEY": key, "COLUMNS": "1000"}
    return subprocess.run(
        [str(RECOURSE), "fractions", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return " ".join(proc.stdout.split())


def refused(proc: subprocess.CompletedProcess[str]) -> str:
    """A refusal: exit 1, one line on stderr starting ``error:``, no traceback."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in proc.stderr
    return lines[0]


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
        "; at most 7 shares are left"
    )
    assert problem_line({"code": "FRC-404", "detail": "no asset 0x…"}).endswith(
        "; see `recourse fractions list` for the assets this gateway knows"
    )
