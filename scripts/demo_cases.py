"""The case-delegation part of the demo, through the gateway: the bank publishes a batch of cases (one
Merkle root on chain, the debtors' data only in the PII vault), two collectors race for the same case (one
wins, the other gets a clear 409), the winner reads the debtor's contact data, logs one compliant and one
refused contact (quiet hours), reports a recovery with an evidence digest, the bank confirms it and the
fee is paid out (withdrawn by the collector)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
from typing import Any

import httpx
from rich.console import Console

from chain.contracts.settlement_token import format_fen
from scripts.case_samples import case_csv
from scripts.demo_common import register_system_contract
from scripts.demo_common import step as _step
from scripts.demo_gateway import GatewayHandle, fresh_api_key

__all__ = [
    "cases_demo_steps",
]

BATCH_SIZE = 5
BUDGET_FEN = 5_000_00


def _problem(r: httpx.Response) -> str:
    body: dict[str, Any] = r.json()
    return f"{r.status_code} {body.get('code')}: {body.get('detail')}"


def _wait(http: httpx.Client, auth: dict[str, str], op_id: str, timeout: float = 60) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        op: dict[str, Any] = http.get(f"/operations/{op_id}", headers=auth).json()
        if op["status"] in ("succeeded", "failed"):
            return op
        time.sleep(0.1)
    raise RuntimeError(f"operation {op_id} did not finish in {timeout}s")


def cases_demo_steps(gw: GatewayHandle, console: Console) -> None:
    address = register_system_contract(lambda r: r.cases)
    _step(console, f"governors let CaseDelegation ({address}) hold rCNY fee escrow (system contract, 2 of 3)")
    keys = {
        n: {"Authorization": "Bearer " + fresh_api_key(gw.settings, n, ["*"])}
        for n in ("bank", "collector", "collector-2")
    }
    bank = keys["bank"]
    stamp = int(time.time())
    with httpx.Client(base_url=gw.url, timeout=120) as http:
        # the debtors live in UTC+14 (Pacific/Kiritimati): whatever the time here, a contact at 03:00 their
        # time is in quiet hours, and one at 10:00 is not, deterministically
        data, _ = case_csv(BATCH_SIZE, deadline=stamp + 90 * 86400, timezone="Pacific/Kiritimati", prefix=f"D{stamp}")
        r = http.post(
            "/cases/batches",
            params={"confirm": "true"},
            headers={**bank, "Idempotency-Key": f"demo-cases-{stamp}"},
            files={"file": ("cases.csv", data, "text/csv")},
            data={"fee_budget_fen": str(BUDGET_FEN)},
        )
        r.raise_for_status()
        batch = r.json()["batch"]
        ops = r.json()["operations"]
        _step(
            console,
            f"bank uploads {batch['case_count']} cases (CSV with names, ID numbers, phones → PII vault only); "
            f"batch {batch['chain_batch_id']} published as one Merkle root {batch['root'][:18]}…, "
            f"fee budget {format_fen(BUDGET_FEN)} escrowed ({', '.join(o['kind'] + ' ' + o['status'] for o in ops)})",
        )
        listed = http.get("/cases", headers=keys["collector"], params={"batch": batch["id"]}).json()
        case = listed["data"][0]
        _step(
            console,
            f"collectors browse {listed['count']} open cases without personal data; case {case['case_id'][:18]}… "
            f"overdue {format_fen(case['overdue_fen'])}, region {case['region']}, fee {case['fee_bps'] / 100:.2f}%",
        )

        async def race() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=gw.url, timeout=60) as client:
                return list(
                    await asyncio.gather(
                        *(
                            client.post(
                                f"/cases/{case['case_id']}/claim",
                                headers={**keys[n], "Idempotency-Key": f"demo-claim-{n}-{stamp}"},
                            )
                            for n in ("collector", "collector-2")
                        )
                    )
                )

        first, second = asyncio.run(race())
        winner, loser, won, lost = (
            ("collector", "collector-2", first, second)
            if first.status_code == 202
            else ("collector-2", "collector", second, first)
        )
        if won.status_code != 202 or lost.status_code != 409:
            raise RuntimeError(f"unexpected race outcome: {first.status_code} {second.status_code}")
        op = _wait(http, keys[winner], won.json()["id"])
        _step(console, f"{winner} and {loser} claim the same case at once → {winner} wins (claim {op['status']})")
        _step(console, f"{loser}'s claim → {_problem(lost)}")

        auth = keys[winner]
        debtor = http.get(f"/cases/{case['case_id']}/debtor", headers=auth)
        debtor.raise_for_status()
        d = debtor.json()
        _step(console, f"{winner} reads the debtor's contact data (access logged): {d['name']}, phone {d['phone']}")
        zone = dt.timezone(dt.timedelta(hours=14))
        ok_at = _latest_past(zone, 10)  # the gateway refuses contacts logged in the future
        quiet_at = _latest_past(zone, 3)
        good = http.post(
            f"/cases/{case['case_id']}/contacts",
            headers={**auth, "Idempotency-Key": f"demo-contact-ok-{stamp}"},
            json={"channel": "phone", "attempted_at": ok_at.isoformat(), "note": "Debtor agreed to a repayment plan."},
        )
        good.raise_for_status()
        late = "a late log: recorded as backdated, flagged to the bank" if good.json()["backdated"] else "live"
        _step(
            console,
            f"{winner} logs a call made at 10:00 debtor time → {good.status_code} {good.json()['outcome']} ({late})",
        )
        bad = http.post(
            f"/cases/{case['case_id']}/contacts",
            headers={**auth, "Idempotency-Key": f"demo-contact-quiet-{stamp}"},
            json={"channel": "phone", "attempted_at": quiet_at.isoformat(), "note": "Follow-up call."},
        )
        if bad.status_code < 400:
            raise RuntimeError(f"a contact in quiet hours was accepted: {bad.text}")
        _step(console, f"{winner} tries to log a call made at 03:00 debtor time → {_problem(bad)}")
        flagged = http.get("/cases/contacts", headers=bank, params={"backdated": "true"})
        flagged.raise_for_status()
        _step(
            console,
            f"bank lists its collectors' late logs (GET /cases/contacts?backdated=true) → {flagged.json()['count']} "
            "(the logged one and the refused one, each with its claimed time and the gateway's recorded_at)",
        )

        amount = min(int(case["overdue_fen"]), 20_000_00)
        digest = "0x" + hashlib.sha256(f"bank transfer receipt {stamp} {amount}".encode()).hexdigest()
        rec = http.post(
            f"/cases/{case['case_id']}/recoveries",
            params={"confirm": "true"},
            headers={**auth, "Idempotency-Key": f"demo-recovery-{stamp}"},
            json={"amount_fen": amount, "evidence_digest": digest},
        )
        rec.raise_for_status()
        _step(
            console,
            f"{winner} reports a recovery of {format_fen(amount)} with evidence digest {digest[:18]}… "
            f"(anchored in EvidenceRegistry first) → {rec.json()['status']}",
        )
        conf = http.post(
            f"/cases/{case['case_id']}/recoveries/confirm",
            params={"confirm": "true"},
            headers={**bank, "Idempotency-Key": f"demo-confirm-{stamp}"},
            json={"close_case": True},
        )
        conf.raise_for_status()
        winner_address = http.get(f"/cases/{case['case_id']}", headers=bank).json()["collector"]
        owed = http.get(f"/cases/fees/{winner_address}", headers=bank).json()["owed_fen"]
        _step(
            console,
            f"bank confirms the recovery → {conf.json()['status']}; fee {format_fen(owed)} credited to {winner}",
        )
        wd = http.post(
            "/cases/fees/withdrawals",
            params={"confirm": "true"},
            headers={**auth, "Idempotency-Key": f"demo-withdraw-{stamp}"},
        )
        wd.raise_for_status()
        left = http.get(f"/cases/fees/{winner_address}", headers=bank).json()["owed_fen"]
        b = http.get(f"/cases/batches/{batch['id']}", headers=bank).json()
        _step(
            console,
            f"{winner} withdraws its fee {format_fen(owed)} → {wd.json()['status']} (owed now {format_fen(left)}); "
            f"batch budget left {format_fen(b['remaining_budget_fen'])}",
        )


def _latest_past(zone: dt.tzinfo, hour: int) -> dt.datetime:
    """The most recent moment, not in the future, at ``hour``:00 in ``zone``."""
    now = dt.datetime.now(zone)
    at = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return at if at <= now else at - dt.timedelta(days=1)
