"""The disputes part of the demo, through the gateway as the bank, the collector, the mediator and two courts
would use it (only block time is moved directly on the embedded anvil):

1. governors let DisputeDesk hold instalments owed to payees (a system contract, 2 of 3);
2. the bank delegates two cases (CSV → PII vault, one Merkle root); the collector claims both; the bank anchors
   the loan file;
3. dispute A: the bank opens it; the mediator claims it (a second claim is refused); the bank asks for
   restructuring offers for the debtor's stated capacity, and the mediator records the best plan as the
   agreement (its card's digest anchored as the plan); the court confirms it (司法确认); after the appeal window
   it is final and performing; the collector remits instalments at their due dates, then the rest: honoured;
   the bank withdraws what it is owed;
4. dispute B (with the flat pledged as collateral): a court may not rule before mediation; the bank checks the
   mediator ratings and assigns one; mediation fails; the court rules for the bank; listing the flat is refused
   while the ruling can still be appealed; a late appeal is refused; the ruling becomes final, the case
   enforceable, and the flat is listed in a judicial auction;
5. a table shows each dispute's path, and the mediator ratings the bank sees.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from chain.client import ChainClient
from chain.contracts.settlement_token import format_fen
from scripts.case_samples import case_csv
from scripts.demo_common import DemoApi, register_system_contract
from scripts.demo_common import step as _step
from scripts.demo_gateway import GatewayHandle
from scripts.disputes_cli import problem_line

__all__ = ["disputes_demo_steps"]

PARTIES = ("bank", "collector", "mediator", "court", "court-2")
DAY = 86_400
DOCUMENTS: dict[str, bytes] = {
    "loan-contract.pdf": b"%PDF-1.7 loan contract HX-2023-5531: 1,000,000.00 CNY, 36 months, secured by a flat",
    "demand-letter.pdf": b"%PDF-1.7 demand letter of 2026-06-01: 7 instalments overdue, acceleration notice",
}
#: (principal, overdue) of the two cases in fen: a consumer loan, and a mortgage whose flat is the collateral
AMOUNTS = ((12_000_000, 3_600_000), (80_000_000, 50_000_000))
#: what the first debtor says it can pay a month, in fen (¥2,000)
CAPACITY_FEN = 200_000


def _digest(text: str) -> str:
    return "0x" + hashlib.sha256(text.encode()).hexdigest()


def _when(ts: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


class _Api(DemoApi):
    def dispute_when(self, dispute_id: int, ready: Any, what: str) -> dict[str, Any]:
        """The dispute from the index once ``ready`` holds (the indexer follows the chain within moments)."""
        deadline = time.monotonic() + 30
        while True:
            r = self.http.get(f"/disputes/{dispute_id}", headers=self.auth["bank"])
            if r.status_code == 200 and ready(d := r.json()):
                return dict(d)
            if time.monotonic() > deadline:
                raise RuntimeError(f"dispute {dispute_id}: the index did not show {what} within 30 s")
            time.sleep(0.1)

    def opened(self, case_id: str) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = self.get("bank", "/disputes", case_id=case_id)["data"]
            if found:
                return int(found[0]["dispute_id"])
            time.sleep(0.1)
        raise RuntimeError(f"the dispute on case {case_id} was not indexed within 30 s")

    def refused(self, who: str, path: str, body: dict[str, Any] | None = None) -> str:
        """A step the gateway must refuse before it reaches the chain: its problem in one line."""
        r = self.post(who, path, body)
        if r.status_code < 400:
            raise RuntimeError(f"{who} POST {path} was accepted but must be refused: {r.text[:300]}")
        return f"{r.status_code} {problem_line(r.json())}"


def disputes_demo_steps(gw: GatewayHandle, console: Console) -> None:
    """Run the disputes scenario through the gateway; prints one line per step and a table at the end."""
    t0 = time.perf_counter()
    address = register_system_contract(lambda r: r.disputes)
    _step(console, f"governors let DisputeDesk ({address}) hold instalments owed to payees (system contract, 2 of 3)")
    register_system_contract(lambda r: r.auctions)  # the enforceable case's flat goes to auction
    chain = ChainClient.connect(gw.settings.chain, data_dir=gw.settings.data_dir)
    try:
        with httpx.Client(base_url=gw.url, timeout=120) as http:
            _scenario(_Api(gw, http, PARTIES, "demo-disputes"), chain, console)
    finally:
        chain.close()
    console.print(f"disputes step took {time.perf_counter() - t0:.1f}s")


def _scenario(api: _Api, chain: ChainClient, console: Console) -> None:
    rows: list[tuple[str, str, str, str]] = []

    def did(dispute: object, step: str, who: str, result: str) -> None:
        rows.append((str(dispute), step, who, result))

    def travel(timestamp: int) -> None:
        chain.rpc.call("evm_mine", [timestamp])

    stamp = int(time.time())
    now = chain.block_timestamp()

    # --- two delegated cases, claimed by the collector, and the loan file ---
    data = _with_amounts(case_csv(2, deadline=now + 90 * DAY, prefix=f"M{stamp}")[0], AMOUNTS)
    r = api.http.post(
        "/cases/batches",
        params={"confirm": "true"},
        headers={**api.auth["bank"], "Idempotency-Key": f"demo-disputes-cases-{stamp}"},
        files={"file": ("cases.csv", data, "text/csv")},
        data={"fee_budget_fen": "100000"},
    )
    r.raise_for_status()
    batch = r.json()["batch"]
    cases = api.get("collector", "/cases", batch=batch["id"])["data"]
    for case in cases:
        api.ok("collector", f"/cases/{case['case_id']}/claim")
    root = api.anchored_root(api.upload(DOCUMENTS, f"MED-{stamp}"), "the loan file", poll=0.2)
    _step(
        console,
        f"bank delegates {len(cases)} cases (batch {batch['chain_batch_id']}); the collector claims both; the bank "
        f"anchors the loan file ({len(DOCUMENTS)} documents) → root {root[:18]}…",
    )

    # --- dispute A: mediated to a restructuring agreement, confirmed, paid in instalments ---
    case_a, case_b = cases[0], cases[1]
    claim_a = int(case_a["overdue_fen"])
    api.ok("bank", "/disputes", {"case_id": case_a["case_id"], "claim_amount_fen": claim_a, "evidence_roots": [root]})
    a = api.opened(case_a["case_id"])
    _step(console, f"bank opens dispute {a} on case {case_a['case_id'][:18]}…: claim {format_fen(claim_a)}")
    did(a, "opened", "bank", f"claim {format_fen(claim_a)}")
    api.ok("mediator", f"/disputes/{a}/claim")
    _step(console, f"mediator claims dispute {a} (MEDIATOR role, no party to the case)")
    did(a, "claimed", "mediator", "mediating")
    _step(console, f"mediator claims it again → {api.refused('mediator', f'/disputes/{a}/claim')}")
    did(a, "second claim", "mediator", "refused")

    capacity = CAPACITY_FEN
    principal = claim_a * 80 // 100
    interest = claim_a * 15 // 100
    loan = {
        "loan_id": case_a["case_id"],
        "principal_fen": principal,
        "overdue_interest_fen": interest,
        "penalties_fen": claim_a - principal - interest,
        "annual_rate_bps": 600,
        "months_overdue": 7,
        "collateral_value_fen": 0,
        "monthly_capacity_fen": capacity,
        "default_probability": 0.30,
        "start": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(chain.block_timestamp() + 60)),
    }
    resp = api.http.post("/restructuring/offers", json=loan, headers=api.auth["bank"])
    resp.raise_for_status()
    offer = resp.json()
    if not offer["plans"]:
        raise RuntimeError(f"no restructuring plan beat litigation: {offer['reason']}")
    litigation = int(offer["litigation"]["expected_recovery"])
    _step(
        console,
        f"bank asks for restructuring offers (capacity {format_fen(capacity)} a month, PD 30 %): litigation plus "
        f"auction is expected to recover {format_fen(litigation)} after costs, {offer['litigation']['months']} months",
    )
    for p in offer["plans"]:
        ratio = p["expected_recovery_vs_litigation_bps"]
        versus = f"{ratio / 100:.0f} % of litigation" if ratio is not None else "litigation recovers nothing"
        _step(
            console,
            f"offer #{p['rank']}: {p['instalment_count']} × {format_fen(p['monthly_payment_fen'])}, relief "
            f"{format_fen(p['interest_relief_fen'])} + haircut {format_fen(p['principal_haircut_fen'])} → expected "
            f"recovery {format_fen(p['expected_recovery_fen'])} ({versus}), completes with p = "
            f"{p['probability_of_completion_ppm'] / 1e6:.2f}",
        )
    plan = offer["plans"][0]
    schedule = [{"amount_fen": amount, "due_at": due} for amount, due in plan["schedule"]]
    api.ok(
        "mediator",
        f"/disputes/{a}/agreement",
        {
            "terms_digest": _digest(f"mediation agreement {a}"),
            "commitment_digest": _digest(f"credit commitment {a}"),
            "plan_digest": plan["digest"],
            "relief_fen": plan["relief_fen"],
            "grace_seconds": 15 * DAY,
            "schedule": schedule,
        },
    )
    d = api.dispute_when(a, lambda x: x["status"] == "agreed", "the agreement")
    _step(
        console,
        f"mediator records the agreement (调解协议 + 信用承诺书): plan #1 {plan['digest'][:18]}…, "
        f"{len(schedule)} instalments {format_fen(int(d['total_fen']))} + relief {format_fen(int(d['relief_fen']))}"
        f" = the claim; grace 15 days",
    )
    did(a, "agreement", "mediator", f"{len(schedule)} instalments")
    api.ok("court", f"/disputes/{a}/ruling", {"ruling": "confirmed", "document_digest": _digest(f"confirmation {a}")})
    d = api.dispute_when(a, lambda x: x["status"] == "ruled", "the confirmation")
    _step(console, f"court confirms the agreement (司法确认); appeal window until {_when(int(d['appeal_deadline']))}")
    did(a, "confirmed", "court", "appeal window opens")
    travel(int(d["appeal_deadline"]) + 1)
    api.ok("bank", f"/disputes/{a}/finalization")
    d = api.dispute_when(a, lambda x: x["status"] == "performing", "the final confirmation")
    _step(console, f"after the window the bank finalises it: dispute {a} is {d['status']}")
    did(a, "final", "bank", "performing")

    total = int(d["total_fen"])
    api.ok("bank", "/tokens/mints", {"to": _address(api, "collector"), "amount_fen": total, "reference": f"REM-{a}"})
    paid = 0
    for i in schedule[:3]:
        travel(int(i["due_at"]))
        api.ok("collector", f"/disputes/{a}/payments", {"amount_fen": i["amount_fen"]})
        paid += int(i["amount_fen"])
    d = api.dispute_when(a, lambda x: int(x["paid_fen"]) == paid, "three payments")
    _step(
        console,
        f"collector remits the debtor's first 3 instalments on their due dates (rCNY, owed to the bank): paid "
        f"{format_fen(paid)}, due now {format_fen(int(d['due_now_fen']))}, in default: {d['in_default']}",
    )
    did(a, "3 instalments", "collector", format_fen(paid))
    api.ok("collector", f"/disputes/{a}/payments", {"amount_fen": total - paid})
    d = api.dispute_when(a, lambda x: x["status"] == "honoured", "the last payment")
    _step(console, f"the debtor settles the rest early ({format_fen(total - paid)}): dispute {a} is {d['status']}")
    did(a, "paid in full", "collector", "honoured")
    owed = int(api.get("bank", "/disputes/owed")["owed_fen"])
    api.ok("bank", "/disputes/owed/withdrawals")
    _step(console, f"bank withdraws the {format_fen(owed)} it is owed (a pull payment)")
    did(a, "withdrawn", "bank", format_fen(owed))

    # --- dispute B: mediation fails, the court rules, the case becomes enforceable, the flat is listed ---
    flat = f"SH-DSP-{stamp}"
    claim_b = int(case_b["overdue_fen"])
    api.ok(
        "bank",
        "/disputes",
        {"case_id": case_b["case_id"], "claim_amount_fen": claim_b, "evidence_roots": [root], "collateral": [flat]},
    )
    b = api.opened(case_b["case_id"])
    _step(console, f"bank opens dispute {b} on case {case_b['case_id'][:18]}…, the flat {flat} pledged as collateral")
    did(b, "opened", "bank", f"claim {format_fen(claim_b)}, collateral {flat}")
    early = {"ruling": "for_claimant", "document_digest": _digest(f"judgment {b}")}
    _step(console, f"court rules before any mediation → {api.refused('court', f'/disputes/{b}/ruling', early)}")
    did(b, "ruling before mediation", "court", "refused")
    ratings = api.get("bank", "/disputes/mediators")["data"]
    best = ratings[0]
    _step(
        console,
        f"bank checks the mediator ratings: {best['mediator'][:10]}… settled {best['settlement_rate']:.0%}, "
        f"median {best['median_days_to_agreement']:.1f} days to agreement → assigns it",
    )
    api.ok("bank", f"/disputes/{b}/assignment", {"mediator": best["mediator"]})
    did(b, "assigned", "bank", "mediating")
    api.ok("mediator", f"/disputes/{b}/failure", {"reason_digest": _digest(f"mediation report {b}")})
    _step(console, "mediation fails: the debtor disputes the amount (report digest only on chain)")
    did(b, "mediation failed", "mediator", "failed")
    api.ok("court", f"/disputes/{b}/ruling", early)
    d = api.dispute_when(b, lambda x: x["status"] == "ruled", "the ruling")
    _step(console, f"court rules for the bank; appeal window until {_when(int(d['appeal_deadline']))}")
    did(b, "ruling", "court", "for the claimant")

    appraisal = claim_b * 2
    api.ok(
        "court",
        "/auctions/appraisals",
        {"asset": flat, "value_fen": appraisal, "document_digest": _digest(f"appraisal {flat}")},
    )
    start_price = appraisal * 8 // 10
    listing: dict[str, Any] = {
        "asset": flat,
        "documents": [root],
        "appraisal_feed": None,
        "start_price_fen": start_price,
        "deposit_fen": start_price // 10,
        "increment_fen": 100_00,
        "announcement_seconds": 3600,
        "bidding_window_seconds": DAY,
        "payment_window_seconds": 2 * DAY,
        "kyc_tier": 2,
    }
    refusal = api.post("bank", "/auctions/lots", listing)
    if refusal.status_code < 400:
        raise RuntimeError(f"the collateral of a case not yet enforceable was listed: {refusal.text[:300]}")
    why = f"{refusal.status_code} {problem_line(refusal.json())}"
    _step(console, f"bank lists the flat while the ruling can still be appealed → {why}")
    did(b, "listing", "bank", "refused: not enforceable")
    travel(int(d["appeal_deadline"]) + 1)
    late = {"reason_digest": _digest(f"late appeal {b}")}
    why = api.refused("court", f"/disputes/{b}/appeal", late)
    _step(console, f"the debtor's appeal reaches the court a second after the window closed → {why}")
    did(b, "late appeal", "court", "refused")
    api.ok("bank", f"/disputes/{b}/finalization")
    api.dispute_when(b, lambda x: x["status"] == "final", "the final ruling")
    enforcement = api.get("bank", f"/disputes/cases/{case_b['case_id']}/enforcement")
    _step(console, f"the ruling is final: case enforceable = {enforcement['enforceable']} (read from the chain)")
    did(b, "final", "bank", "enforceable")
    lot = _listed(api, api.ok("bank", "/auctions/lots", listing))
    _step(
        console,
        f"bank lists the flat again: lot {lot['lot_id']} at {format_fen(start_price)} (court appraisal "
        f"{format_fen(appraisal)}), waiting for the court's approval",
    )
    did(b, "listed", "bank", f"lot {lot['lot_id']}")

    table = Table(title="Disputes: what happened")
    for column in ("dispute", "step", "who", "result"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    ratings = api.get("bank", "/disputes/mediators")["data"]
    for m in ratings:
        honoured = "—" if m["honoured_rate"] is None else f"{m['honoured_rate']:.0%}"
        _step(
            console,
            f"mediator {m['mediator'][:10]}…: {m['disputes_taken']} taken, {m['agreements']} agreements, "
            f"{m['failures']} failures, honoured {honoured}",
        )


def _with_amounts(data: bytes, amounts: tuple[tuple[int, int], ...]) -> bytes:
    """The sample case file with each case's principal and overdue amount set (the samples are small loans)."""
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    for row, (principal, overdue) in zip(rows, amounts, strict=True):
        row["principal_fen"], row["overdue_fen"] = str(principal), str(overdue)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _address(api: _Api, who: str) -> str:
    if who not in api.address:
        api.address[who] = str(api.get(who, "/me")["address"])
    return api.address[who]


def _listed(api: _Api, op: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = api.get("bank", "/auctions/lots", listed_in=op["tx_hash"])["data"]
        if found:
            return dict(found[0])
        time.sleep(0.1)
    raise RuntimeError(f"the lot listed in {op['tx_hash']} was not indexed within 30 s")
