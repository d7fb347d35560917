"""End-to-end: the `recourse` console script against its own anvil (own port, data dir, deployments)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.support.serve_process import RECOURSE

pytestmark = pytest.mark.e2e


def _env(tmp_path: Path) -> dict[str, str]:
    port = free_port()
    return {
        **os.environ,
        "RECOURSE_DATA_DIR": str(tmp_path / "data"),
        "RECOURSE_CHAIN__PORT": str(port),
        "RECOURSE_CHAIN__RPC_URL": f"http://127.0.0.1:{port}",
        "RECOURSE_CHAIN__DEPLOYMENTS_FILE": str(tmp_path / "deployments.json"),
        "RECOURSE_API__PORT": str(free_port()),
    }


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    e = _env(tmp_path)
    yield e
    subprocess.run([str(RECOURSE), "chain", "down"], env=e, capture_output=True, timeout=30, check=False)


@pytest.fixture(scope="module")
def deployed_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One chain with the contracts deployed, shared by the read-only/bad-input tests."""
    e = _env(tmp_path_factory.mktemp("cli"))
    run(e, "chain", "up")
    run(e, "deploy")
    yield e
    subprocess.run([str(RECOURSE), "chain", "down"], env=e, capture_output=True, timeout=30, check=False)


def run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(RECOURSE), *args], env=env, capture_output=True, text=True, timeout=300, check=False)
    if ok:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc


def test_demo_no_serve_exits_zero_and_shows_every_step(env):
    proc = run(env, "demo", "--no-serve")
    out = " ".join(proc.stdout.split())  # the console wraps long lines at word boundaries
    for expected in (
        "deployed Consortium",
        "deployed SettlementToken",
        "1 of the 2 approvals needed",
        "admitted bank",
        "admitted oracle",
        "admitted regulator",
        "is not an active consortium member",
        "paused by the regulator",
        "total supply ¥10,000,000.00",
        "gateway serving at http://127.0.0.1:",
        "POST /tokens/transfers → 202",
        "the same operation, succeeded in block",
        "same key, different body → 409 OPS-409",
        "read-only key tries to pay → 403 AUTH-002",
        "a 200 KB body of nested brackets → 422 GEN-422",
        "gateway still up: True)",
        "a body repeating amount_fen → 422 GEN-422",
        "two different keys → 400 AUTH-004",
        "DELETE /tokens/transfers → 405, Allow: POST",
        "→ 15 members",
        "evidence: 4 case documents anchored in 1 transaction(s)",
        "receipt checked against the chain alone",
        "loan-contract.pdf (genuine): verified — evidence",
        "loan-contract.pdf (altered copy): mismatch —",
        "unknown.pdf: not anchored —",
        "governors let CaseDelegation",
        "batch 1 published as one Merkle root",
        "claim the same case at once →",
        "'s claim → 409 CAS-409",
        "reads the debtor's contact data (access logged)",
        "at 10:00 debtor time → 201 logged (a late log: recorded as backdated, flagged to the bank)",
        "at 03:00 debtor time → 422 CND-001",
        "late logs (GET /cases/contacts?backdated=true) → 2 (the logged one and the refused one",
        "bank confirms the recovery → succeeded; fee ¥150.00 credited",
        "withdraws its fee ¥150.00 → succeeded",
        "oracle operators started as 3 processes, each with its own key",
        "on-chain report: $",
        "of 3 oracles (k = 2: ",
        "stale value refused → 409 ORC-003",
        "oracle operators stopped by PID",
        "risk: default-probability model",
        "→ 3 early warnings; probability of default ",
        "EW-001 overdue_days: overdue 45 days",
        "EW-002 overdue_share: ",
        "EW-003 rating_downgrade: internal rating downgraded A -> B",
        "exactly at the thresholds (30 days, 5 % overdue, no downgrade) → 0 warnings",
        "(11 firms, 12 guarantees) → 2 guarantee circles",
        "riskiest firm: ",
        "drawing of the riskiest circles (",
        "governors let JudicialAuction",
        "(oracle appraisal ¥",
        "→ 422 AUC-422 the starting price",
        "set a starting price of at least ¥",
        "investor-4 (KYC tier 1) tries to lock the deposit → AuctionBidderNotEligible: AUC-403",
        "is not an active INVESTOR with KYC tier 2 (it has tier 1)",
        "→ 409 AUC-412 a bid of",
        "4 bids, the end moved 2 times",
        "replays 8 events in order: 1 LotApproved, 3 DepositLocked, 4 BidPlaced",
        "court records the default (悔拍)",
        "relists it as lot 2 20 % lower",
        "court confirms the sale (成交裁定)",
        "proceeds withdrawn: bank ¥",
        "Judicial auction of asset:ames-",
        "to_kyc_tier",
        "investor subscribes 600 shares (¥600,000.00), investor-2 subscribes 400 shares (¥400,000.00): payments",
        "transfer check before the lock-up ends → locked_up; block time moves 30 days → allowed",
        "its transfers → from_frozen (the sender's account is frozen by a court order)",
        "out of the frozen account; investor-3 becomes holder 3 of at most 3",
        "supply 1,000 shares, 3 holders; recoveries paid in ¥",
        "fractions step took",
        "governors let DisputeDesk",
        "mediator claims it again → 409 DSP-409",
        "bank asks for restructuring offers (capacity ¥2,000.00 a month, PD 30 %)",
        "offer #1: 24 × ¥1,500.00",
        "mediator records the agreement (调解协议 + 信用承诺书): plan #1 0x",
        "court confirms the agreement (司法确认)",
        "dispute 1 is performing",
        "paid ¥4,500.00, due now ¥0.00, in default: False",
        "dispute 1 is honoured",
        "bank withdraws the ¥36,000.00 it is owed",
        "court rules before any mediation → 409 DSP-409",
        "→ 409 AUC-409",
        "the case must be enforceable first",
        "→ 409 DSP-409 the appeal window of dispute 2 closed",
        "case enforceable = True (read from the chain)",
        "bank lists the flat again: lot",
        "mediator 0x976EA740…: 2 taken, 1 agreements, 1 failures, honoured 100%",
        "disputes step took",
        "audit replay (recourse audit replay): ",
        "contracts, in ",
        "audit: 0 differences between the events, the contracts' views and the gateway's index; integrity intact;"
        " 0 anomalies → OK",
        "privileged actions: ",
        "Privileged actions: the last 6",
        "report.html (",
        "POST /audit/replays as the auditor → 202 replay ",
        "GET /audit/report → 200: block ",
        "0 differences, ok = True (?format=html: ",
        "an investor asks for the report → 403 AUD-403",
        "audit step took",
    ):
        assert expected in out, f"missing {expected!r} in demo output:\n{out}"
    # the narrative is not interleaved with the gateway's background log lines (writer.reconciled, …)
    logged = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith(("INFO", "DEBUG"))]
    assert logged == []
    # the demo stops the chain it started
    status = run(env, "chain", "status", ok=False)
    assert status.returncode == 3
    assert Path(env["RECOURSE_CHAIN__DEPLOYMENTS_FILE"]).exists()


def test_cli_governance_and_tokens_round_trip(env):
    run(env, "chain", "up")
    run(env, "deploy")
    again = run(env, "deploy")
    assert "up to date (no-op)" in again.stdout
    out = run(
        env,
        "members", "propose", "admit", "bank", "--name", "Test Bank", "--role", "bank", "--role", "settlement-bank",
        "--region", "310000", "--as", "governor-1",
    ).stdout  # fmt: skip
    assert "proposal 1" in out
    assert "1 of 2 approvals" in out
    early = run(env, "members", "execute", "1", "--as", "governor-1", ok=False)
    assert early.returncode == 1
    assert early.stderr.strip() == "error: refused: proposal 1 has 1 of the 2 approvals needed"
    run(env, "members", "approve", "1", "--as", "governor-2")
    executed = run(env, "members", "execute", "1", "--as", "governor-2").stdout
    assert "MemberAdmitted" in executed
    listing = run(env, "members", "list").stdout
    assert "BANK, SETTLEMENT_BANK" in listing
    run(env, "tokens", "mint", "bank", "1000.50", "--reference", "wire 1", "--as", "bank")
    balance = run(env, "tokens", "balance", "bank").stdout
    assert "100050 fen" in balance
    # identity names beside the addresses, as in `members list`
    line = next(ln for ln in balance.splitlines() if "100050 fen" in ln)
    assert line.split()[0] == "bank"
    assert line.split()[1].startswith("0x")
    everyone = run(env, "tokens", "balance").stdout
    assert any(ln.split()[0] == "bank" and "100050 fen" in ln for ln in everyone.splitlines())
    assert any(ln.replace("│", " ").split()[0] == "bank" for ln in listing.splitlines() if "BANK" in ln)
    refused = run(env, "tokens", "transfer", "bank", "1", "--as", "outsider", ok=False)
    assert refused.returncode == 1
    assert "is not an active consortium member" in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("tokens", "transfer", "bank", "1.234", "--as", "bank"), "at most 2 decimals"),
        (("members", "propose", "frobnicate", "bank", "--as", "governor-1"), "unknown proposal kind"),
        (("tokens", "balance", "0x1234"), "not a valid address"),
        (("tokens", "transfer", "bank", "1", "--as", "nobody"), "no identity named 'nobody'"),
    ],
)
def test_cli_bad_input_is_one_line_without_traceback(deployed_env, args, fragment):
    proc = run(deployed_env, *args, ok=False)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert fragment in lines[0]


def test_cli_chain_unreachable_is_a_clear_error(env):
    proc = run(env, "members", "list", ok=False)
    assert proc.returncode == 1
    assert "cannot reach the chain" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_refuses_dev_keys_on_another_chain_id(env):
    run(env, "chain", "up")
    other = {**env, "RECOURSE_CHAIN__CHAIN_ID": "1337"}
    proc = run(other, "deploy", ok=False)
    assert proc.returncode == 1
    assert "chain id" in proc.stderr
