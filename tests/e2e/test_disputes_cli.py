"""End-to-end: ``recourse disputes …`` (the real console script) against a real gateway (uvicorn) on a real
chain with DisputeDesk a system contract: a dispute mediated to a restructuring agreement from a saved plan,
confirmed, final after the appeal window, paid in instalments until honoured and withdrawn by the bank; a
dispute whose mediation fails, ruled for the claimant, appealed and ruled on finally by a second court, which
makes the case enforceable; and bad input, the gateway's refusals, a gateway that is not there and a missing
key, each one line on stderr, exit code 1, no traceback.

The gateway hosts the bank, the collector, the mediator and both courts: the test signs only with
``collector-2`` (evidence roots), a member the gateway does not host; the hosted institutions act through the
CLI, or through the gateway's HTTP API for set-up (a batch of cases, rCNY for the collector)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chain.compiler import CompileResult
from chain.contracts.consortium import Role
from chain.contracts.judicial_auction import asset_ref
from chain.contracts.settlement_token import format_fen as yuan
from scripts.case_samples import case_csv
from scripts.disputes_cli import problem_line
from tests.support.cli_runs import ok, recourse_cli, refused
from tests.support.live_gateway import Gateway, World, confirming_settings, running_world, serve

pytestmark = pytest.mark.e2e

#: the institutions this module's gateway hosts (their keys are the gateway's alone)
HOSTED = ["bank", "collector", "mediator", "court", "court-2"]
#: a member the gateway does not host: the test's own signer (it anchors evidence roots)
ANCHORER = "collector-2"
DAY = 86_400
#: the overdue amount of the first case of every sample batch (fen): the claims below
OVERDUE = 100_000
#: rCNY the bank mints to the collector, who pays the instalments
COLLECTOR_CASH = 100_000_00
UNREACHABLE = "http://127.0.0.1:9"
DIGEST = "0x" + "ab" * 32


def disputes(url: str, key: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return recourse_cli(url, key, "disputes", *map(str, args))


# --- no gateway needed: input is checked before anything is sent ---


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["show", "abc"], "error: DISPUTE: 'abc' is not a dispute number (1, 2, …); see `recourse disputes list`"),
        (["claim", "0"], "error: DISPUTE: '0' is not a dispute number"),
        (["pay", "1.5", "10"], "error: DISPUTE: '1.5' is not a dispute number"),
        (["enforcement", "0x12"], "error: CASE: '0x12' is not a case id (0x + 64 hex digits)"),
        (["open", "case-7", "--claim", "10"], "error: CASE: 'case-7' is not a case id (0x + 64 hex digits)"),
        (
            ["rule", "1", "--ruling", "maybe", "--document", DIGEST],
            "error: --ruling: 'maybe' is not a ruling; use one of confirmed, refused, for_claimant, dismissed",
        ),
        (
            ["agree", "1", "--terms", DIGEST, "--commitment", DIGEST],
            "error: give the schedule: --plan CARD.json (from `recourse disputes offers --save`) or --instalment",
        ),
        (
            ["agree", "1", "--terms", DIGEST, "--commitment", DIGEST, "--instalment", "2500.00 2027-02-28"],
            "error: --instalment '2500.00 2027-02-28': write AMOUNT@DUE, e.g. 2500.00@2027-02-28 or 2500.00@30d",
        ),
        (
            ["agree", "1", "--terms", DIGEST, "--commitment", DIGEST, "--plan", "no-such-plan.json"],
            "error: --plan: no file no-such-plan.json; save one with `recourse disputes offers … --save FILE`",
        ),
        (
            ["agree", "1", "--terms", DIGEST, "--commitment", DIGEST, "--plan", "p.json", "--instalment", "1@30d"],
            "error: give either --plan or --instalment/--relief/--plan-digest, not both",
        ),
        (
            ["offers", "1", "--capacity", "200", "--pd", "0.3", "--features", "loan.json"],
            "error: give either --pd or --features, not both",
        ),
        (["offers", "1", "--capacity", "200"], "error: give the default probability: --pd 0.3, or --features"),
        (["offers", "1", "--capacity", "200", "--pd", "1.5"], "error: --pd: 1.5 is not a probability"),
        (["pay", "1", "ten"], "error: AMOUNT: invalid amount 'ten'"),
        (["fail", "1", "--reason", "no-such-report.pdf"], "error: --reason: 'no-such-report.pdf' is neither a"),
        (["assign", "1", "--mediator", "bob"], "error: --mediator: 'bob' is not an address (0x + 40 hex digits)"),
        (["rule", "1", "--ruling", "confirmed"], "error: Missing option '--document' (see `recourse disputes rule"),
        (["settle", "1"], "error: No such command 'settle' (see `recourse disputes --help`)"),
    ],
)
def test_bad_input_is_one_line_before_anything_is_sent(args: list[str], expected: str) -> None:
    assert refused(disputes(UNREACHABLE, "rk_unused", *args)).startswith(expected)


def test_a_plan_file_that_is_not_a_card_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps({"plans": []}))
    agree = ["agree", "1", "--terms", DIGEST, "--commitment", DIGEST, "--plan"]
    line = refused(disputes(UNREACHABLE, "rk_unused", *agree, bad))
    assert line == f"error: --plan: {bad} is not a plan card saved by `recourse disputes offers --save`"
    line = refused(disputes(UNREACHABLE, "rk_unused", *agree, tmp_path))
    assert line == f"error: --plan: cannot read {tmp_path} (Is a directory)"


def test_problems_say_what_to_do() -> None:
    deadline = int(dt.datetime(2027, 1, 31, 12, 0, tzinfo=dt.UTC).timestamp())
    open_window = {"code": "DSP-409", "detail": "…", "reverted": "DisputeAppealWindowOpen", "appeal_deadline": deadline}
    assert problem_line(open_window) == (
        "DSP-409 …; the window closes 2027-01-31 12:00 UTC: finalise after that (`recourse disputes finalize`)"
    )
    closed = {**open_window, "reverted": "DisputeAppealWindowClosed"}
    assert problem_line(closed) == "DSP-409 …; it closed 2027-01-31 12:00 UTC: too late to appeal"
    assert problem_line({"code": "DSP-404", "detail": "no dispute 7"}) == (
        "DSP-404 no dispute 7; see `recourse disputes list` for the disputes this gateway knows"
    )
    assert problem_line({"code": "DSP-422", "detail": "root 0x… is not anchored"}).endswith(
        "; anchor the document first (recourse evidence submit) and pass its root or evidence id"
    )


def test_no_api_key_and_no_gateway_are_one_line() -> None:
    assert (
        refused(disputes(UNREACHABLE, "", "show", "1")) == "error: no API key: pass --api-key or set RECOURSE_API_KEY"
    )
    assert refused(disputes(UNREACHABLE, "", "withdraw")) == "error: no API key: pass --api-key or set RECOURSE_API_KEY"
    for args in (["show", "1"], ["mediators"], ["claim", "1"]):
        line = refused(disputes(UNREACHABLE, "rk_unused", *args))
        assert line.startswith(f"error: cannot reach the gateway at {UNREACHABLE}"), args
        assert line.endswith("(is it running? check --gateway)"), args


# --- against a gateway on a chain ---


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, compiled: CompileResult) -> Iterator[World]:
    with running_world(tmp_path_factory.mktemp("disputes-cli-world"), compiled) as w:
        w.admit("mediator", Role.MEDIATOR)
        w.admit("court", Role.COURT)
        w.admit("court-2", Role.COURT)
        w.admit(ANCHORER, Role.COLLECTOR)
        for contract in (w.recourse.cases, w.recourse.disputes, w.recourse.auctions):
            w.allow_system_contract(contract.address)
        yield w


@pytest.fixture(scope="module")
def gw(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """This module's gateway (it hosts :data:`HOSTED`, not the other e2e modules' institutions)."""
    with serve(confirming_settings(world, tmp_path_factory.mktemp("disputes-cli-gw"), HOSTED)) as g:
        yield g


@pytest.fixture(scope="module")
def keys(gw: Gateway, world: World) -> dict[str, str]:
    """A bare API key of each hosted institution; the collector holds rCNY to pay instalments with."""
    tokens = gw.tokens(HOSTED)
    mint = {"to": world.address("collector"), "amount_fen": COLLECTOR_CASH, "reference": "disputes cli"}
    post(gw, tokens["bank"], "/tokens/mints", mint)
    return tokens


def post(gw: Gateway, key: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """A write through the gateway's HTTP API (set-up, not under test) that must succeed."""
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())}
    r = httpx.post(f"{gw.url}{path}?confirm=true", json=body or {}, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "succeeded", r.json()
    return dict(r.json())


def get(gw: Gateway, key: str, path: str, **params: Any) -> dict[str, Any]:
    r = httpx.get(f"{gw.url}{path}", params=params, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert r.status_code == 200, r.text
    return dict(r.json())


def claimed_case(world: World, gw: Gateway, keys: dict[str, str]) -> str:
    """A case of a fresh batch the bank publishes and the collector claims (through the gateway)."""
    data, _ = case_csv(2, deadline=world.client.block_timestamp() + 365 * DAY, prefix=f"E{uuid.uuid4().hex[:8]}")
    r = httpx.post(
        f"{gw.url}/cases/batches?confirm=true",
        headers={"Authorization": f"Bearer {keys['bank']}", "Idempotency-Key": str(uuid.uuid4())},
        files={"file": ("cases.csv", data, "text/csv")},
        data={"fee_budget_fen": "1000"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    assert r.json()["operations"][-1]["status"] == "succeeded", r.text
    gw.wait_indexed(world.client)
    cases = get(gw, keys["bank"], "/cases", batch=r.json()["batch"]["id"])["data"]
    case_id = str(next(c for c in cases if c["overdue_fen"] == OVERDUE)["case_id"])
    post(gw, keys["collector"], f"/cases/{case_id}/claim")
    return case_id


def anchored_root(world: World) -> str:
    """An evidence root anchored by :data:`ANCHORER` (never a key the gateway hosts)."""
    root = os.urandom(32)
    world.recourse.evidence.anchor(world.sender(ANCHORER), root, 1)
    return "0x" + root.hex()


def opened(out: str, case_id: str) -> str:
    """The dispute number ``recourse disputes open`` printed."""
    found = re.search(rf"opened dispute (\d+) on case {case_id}$", out)
    assert found, out
    return found.group(1)


def document(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(f"%PDF-1.7 {name} {uuid.uuid4()}".encode())
    return path


def test_a_dispute_mediated_to_an_agreement_confirmed_paid_and_withdrawn(
    world: World, gw: Gateway, keys: dict[str, str], tmp_path: Path
) -> None:
    bank, collector, mediator, court = (keys[n] for n in ("bank", "collector", "mediator", "court"))
    case_id = claimed_case(world, gw, keys)
    root = anchored_root(world)

    out = ok(disputes(gw.url, bank, "open", case_id, "--claim", "1000.00", "--evidence", root))
    assert " dispute.open: succeeded in block " in out
    did = opened(out, case_id)
    listed = ok(disputes(gw.url, bank, "list", "--case", case_id))
    assert listed.startswith(f"{did} open case {case_id[:12]}… claim ¥1,000.00 paid ¥0.00 of ¥0.00 mediator —")

    claimed = ok(disputes(gw.url, mediator, "claim", did))
    assert claimed.endswith(f"dispute {did}: mediating; claim ¥1,000.00")
    again = refused(disputes(gw.url, mediator, "claim", did))
    assert again == f"error: DSP-409 dispute {did} is mediating: not in the state this step needs"
    assert get(gw, bank, f"/disputes/{did}")["mediator"] == world.address("mediator")

    plan = tmp_path / "plan.json"
    offered = disputes(gw.url, mediator, "offers", did, "--capacity", "200.00", "--pd", "0.3", "--save", plan)
    lines = offered.stdout.splitlines()
    assert ok(offered).startswith("claim ¥1,000.00, PD 30.00%; litigation plus auction: ")
    assert "recommendation: restructure" in lines[0]
    plans = [line for line in lines if re.match(r"#\d+: \d+ × ¥", line)]
    assert plans, offered.stdout
    assert lines[-1] == f"saved plan #1 to {plan}: `recourse disputes agree {did} --plan {plan} …`"
    card = json.loads(plan.read_text())
    assert plans[0].endswith(f"digest {card['digest']}")
    schedule = [(int(a), int(t)) for a, t in card["schedule"]]
    total = sum(a for a, _ in schedule)
    assert len(schedule) >= 3
    assert total + int(card["plan"]["relief_fen"]) == OVERDUE  # the agreement must add up to the claim
    assert schedule[0][1] > world.client.block_timestamp()

    terms, commitment = document(tmp_path, "agreement.pdf"), document(tmp_path, "commitment.pdf")
    agreed = ok(disputes(gw.url, mediator, "agree", did, "--terms", terms, "--commitment", commitment, "--plan", plan))
    assert agreed.endswith(f"dispute {did}: agreed; claim ¥1,000.00, agreed {yuan(total)}, paid ¥0.00")
    d = get(gw, bank, f"/disputes/{did}")
    assert d["plan_digest"] == card["digest"]
    assert [(i["amount_fen"], i["due_at"]) for i in d["schedule"]] == schedule

    ruled = ok(disputes(gw.url, court, "rule", did, "--ruling", "confirmed", "--document", document(tmp_path, "c.pdf")))
    assert f"dispute {did}: ruled (confirmed); claim ¥1,000.00, agreed {yuan(total)}, paid ¥0.00" in ruled
    assert "; appeal window until " in ruled
    deadline = int(get(gw, bank, f"/disputes/{did}")["appeal_deadline"])
    closes = dt.datetime.fromtimestamp(deadline, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert f"; appeal window until {closes}" in ruled
    early = refused(disputes(gw.url, bank, "finalize", did))
    assert early.startswith(f"error: DSP-409 dispute {did} may be appealed until {deadline} (block time)")
    assert early.endswith(f"; the window closes {closes}: finalise after that (`recourse disputes finalize`)")

    world.client.rpc.call("evm_mine", [deadline + 1])
    late = refused(disputes(gw.url, bank, "appeal", did, "--reason", DIGEST))
    assert late.startswith("error: DSP-409 ")
    assert late.endswith(f"; it closed {closes}: too late to appeal")
    final = ok(disputes(gw.url, bank, "finalize", did))
    assert final.endswith(f"dispute {did}: performing (confirmed); claim ¥1,000.00, agreed {yuan(total)}, paid ¥0.00")

    first = schedule[0][0]
    paid = ok(disputes(gw.url, collector, "pay", did, f"{first}fen"))
    assert paid.endswith(f"paid {yuan(first)}")
    shown = disputes(gw.url, bank, "show", did)
    assert f"dispute {did}: performing (confirmed); claim ¥1,000.00, agreed {yuan(total)}, paid {yuan(first)}" in ok(
        shown
    )
    rows = [line.split() for line in shown.stdout.splitlines() if line.startswith("  #")]
    assert len(rows) == len(schedule)
    assert rows[0][0] == "#1"
    assert rows[0][-1] == "paid"
    assert all(row[-1] == "upcoming" for row in rows[1:]), rows
    assert f"payee {world.address('bank')}; plan {card['digest']}" in shown.stdout
    assert f"evidence {root} from {world.address('bank')}" in shown.stdout

    # the bank withdraws each instalment as it comes: two withdrawals of the same amount are two withdrawals
    bank_address = world.address("bank")
    start = world.recourse.token.balance_of(bank_address)
    gw.wait_indexed(world.client)
    assert ok(disputes(gw.url, bank, "owed")) == f"{bank_address}: {yuan(first)} owed"
    assert ok(disputes(gw.url, bank, "withdraw")).endswith(f"withdrew {yuan(first)}")
    assert world.recourse.token.balance_of(bank_address) == start + first
    second = schedule[1][0]
    assert second == first  # equal monthly instalments
    ok(disputes(gw.url, collector, "pay", did, f"{second}fen"))
    gw.wait_indexed(world.client)
    assert ok(disputes(gw.url, bank, "withdraw")).endswith(f"withdrew {yuan(second)}")
    assert world.recourse.token.balance_of(bank_address) == start + first + second

    rest = total - first - second
    paid = ok(disputes(gw.url, collector, "pay", did, yuan(rest).lstrip("¥").replace(",", "")))
    assert paid.endswith(
        f"dispute {did}: honoured (confirmed); claim ¥1,000.00, agreed {yuan(total)}, paid {yuan(total)}"
    )
    honoured = disputes(gw.url, bank, "show", did)
    assert ok(honoured).startswith(f"dispute {did}: honoured")
    statuses = [line.split()[-1] for line in honoured.stdout.splitlines() if line.startswith("  #")]
    assert statuses == ["paid"] * len(schedule)

    gw.wait_indexed(world.client)
    assert ok(disputes(gw.url, bank, "owed")) == f"{bank_address}: {yuan(rest)} owed"
    assert ok(disputes(gw.url, bank, "withdraw")).endswith(f"withdrew {yuan(rest)}")
    assert world.recourse.token.balance_of(bank_address) == start + total
    gw.wait_indexed(world.client)
    assert ok(disputes(gw.url, bank, "owed")) == f"{bank_address}: ¥0.00 owed"
    nothing = refused(disputes(gw.url, bank, "withdraw"))
    assert nothing == (
        "error: nothing is owed to you; payments appear here once instalments are paid (`recourse disputes owed`)"
    )


def test_a_failed_mediation_ruled_appealed_and_ruled_finally(
    world: World, gw: Gateway, keys: dict[str, str], tmp_path: Path
) -> None:
    bank, mediator = keys["bank"], keys["mediator"]
    case_id = claimed_case(world, gw, keys)
    did = opened(ok(disputes(gw.url, bank, "open", case_id, "--claim", "800.00", "--collateral", "SH-E2E-9")), case_id)
    flat = "0x" + asset_ref("SH-E2E-9").hex()

    mediator_address = world.address("mediator")
    assigned = ok(disputes(gw.url, bank, "assign", did, "--mediator", mediator_address))
    assert assigned.endswith(f"dispute {did}: mediating; claim ¥800.00")
    shown = ok(disputes(gw.url, bank, "show", did))
    assert f"mediator {mediator_address} (assigned by the bank); court —" in shown
    assert f"collateral {flat}" in shown

    failed = ok(disputes(gw.url, mediator, "fail", did, "--reason", document(tmp_path, "report.pdf")))
    assert failed.endswith(f"dispute {did}: failed; claim ¥800.00")
    ruled = ok(disputes(gw.url, keys["court"], "rule", did, "--ruling", "for_claimant", "--document", DIGEST))
    assert f"dispute {did}: ruled (for_claimant); claim ¥800.00; appeal window until " in ruled
    assert ok(disputes(gw.url, bank, "enforcement", case_id)) == (
        f"case {case_id}: not enforceable (dispute {did}: ruled, ruling for_claimant); collateral: {flat}"
    )

    appealed = ok(disputes(gw.url, bank, "appeal", did, "--reason", "0x" + "ac" * 32))
    assert appealed.endswith(f"dispute {did}: appealed (for_claimant); claim ¥800.00")
    first_court = refused(disputes(gw.url, keys["court"], "rule", did, "--ruling", "dismissed", "--document", DIGEST))
    assert first_court.startswith("error: DSP-403 ")
    final = ok(
        disputes(gw.url, keys["court-2"], "rule", did, "--ruling", "for_claimant", "--document", "0x" + "ad" * 32)
    )
    assert final.endswith(f"dispute {did}: final (for_claimant); claim ¥800.00; the case is enforceable")
    assert ok(disputes(gw.url, bank, "enforcement", case_id)) == (
        f"case {case_id}: enforceable (dispute {did}: final, ruling for_claimant); collateral: {flat}"
    )
    assert f"court {world.address('court')}; appeal court {world.address('court-2')}" in ok(
        disputes(gw.url, bank, "show", did)
    )

    ratings = get(gw, bank, "/disputes/mediators")["data"]
    mine = next(m for m in ratings if m["mediator"].lower() == mediator_address.lower())
    assert mine["failures"] >= 1
    rated = ok(disputes(gw.url, bank, "mediators"))
    rate = "—" if mine["settlement_rate"] is None else f"{mine['settlement_rate']:.0%}"
    assert (
        f"{mine['mediator']} taken {mine['disputes_taken']}, settled {rate} ({mine['agreements']} agreements, "
        f"{mine['failures']} failures)"
    ) in rated


def test_the_gateways_refusals_are_one_line(world: World, gw: Gateway, keys: dict[str, str]) -> None:
    unknown = refused(disputes(gw.url, keys["bank"], "show", "999999"))
    assert unknown.startswith("error: DSP-404 ")
    assert unknown.endswith("; see `recourse disputes list` for the disputes this gateway knows")
    no_case = refused(disputes(gw.url, keys["bank"], "enforcement", "0x" + "7e" * 32))
    assert no_case.startswith(f"error: DSP-404 case {'0x' + '7e' * 32} has no dispute: it is not enforceable")
    assert refused(disputes(gw.url, keys["court"], "withdraw")) == (
        "error: nothing is owed to you; payments appear here once instalments are paid (`recourse disputes owed`)"
    )
    assert refused(disputes(gw.url, "rk_not_a_key", "list")).startswith("error: AUTH-001 ")
