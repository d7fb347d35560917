"""``recourse cases publish|list|claim|report`` through a gateway (over HTTP, with an API key).

Every failure is one line on stderr (the problem's code and detail) and exit code 1.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from scripts.gateway_http import GatewayCalls, GatewayOpt, KeyOpt, WaitOpt, connect, console, fail, key_digest, op_line

__all__ = ["app"]

app = typer.Typer(
    help="Case delegation: publish, browse, claim and report cases (through a gateway).", no_args_is_help=True
)
#: a problem is its code and detail; a gateway that cannot be reached, the error alone
_call = GatewayCalls(key_prefix="cli", unreachable_hint="").call


def _key(prefix: str, *parts: object) -> str:
    return f"cli-{prefix}-" + key_digest(*parts)


def _op_line(op: dict[str, Any]) -> str:
    line = op_line(op)
    if op.get("error_name"):
        line += f" ({op['error_name']})"
    return line


@app.command("publish")
def publish(
    file: Annotated[
        Path, typer.Argument(help="Case file (CSV with the documented header, or JSON).", exists=True, dir_okay=False)
    ],
    budget: Annotated[str, typer.Option("--budget", help="Fee budget to escrow: yuan (5000.00) or fen (500000fen).")],
    closes_at: Annotated[
        int | None, typer.Option("--closes-at", help="Unix time the batch closes (default: latest deadline).")
    ] = None,
    gateway: GatewayOpt = "http://127.0.0.1:8000",
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """Publish a batch of cases: personal data to the gateway's PII vault, one Merkle root on chain."""
    from chain.contracts.settlement_token import format_fen, parse_amount

    try:
        budget_fen = parse_amount(budget)
    except ValueError as exc:
        fail(str(exc))
    data = file.read_bytes()
    fmt = "json" if file.suffix.lower() in (".json", ".jsonl") else "csv"
    form: dict[str, str] = {"fee_budget_fen": str(budget_fen), "format": fmt}
    if closes_at is not None:
        form["closes_at"] = str(closes_at)
    key = _key("publish", hashlib.sha256(data).hexdigest(), budget_fen, closes_at)
    with connect(gateway, api_key) as http:
        body = _call(
            http,
            "POST",
            "/cases/batches",
            params={"confirm": str(wait).lower()},
            headers={"Idempotency-Key": key},
            files={"file": (file.name, data, "application/json" if fmt == "json" else "text/csv")},
            data=form,
        )
    b = body["batch"]
    console.print(
        f"batch {b['id']}: {b['case_count']} cases, root {b['root']}, fee budget {format_fen(b['fee_budget_fen'])}"
        + (f", on chain as batch {b['chain_batch_id']}" if b.get("chain_batch_id") else ""),
        soft_wrap=True,
    )
    for op in body["operations"]:
        console.print(_op_line(op), soft_wrap=True)
    if body["operations"][-1]["status"] == "failed":
        fail(f"publication failed: {body['operations'][-1].get('error_name')}")


@app.command("list")
def list_cases(
    status: Annotated[str | None, typer.Option("--status", help="open, offered, claimed, recovered_full, …")] = None,
    region: Annotated[int | None, typer.Option("--region")] = None,
    batch: Annotated[str | None, typer.Option("--batch", help="Gateway batch id.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 50,
    gateway: GatewayOpt = "http://127.0.0.1:8000",
    api_key: KeyOpt = "",
) -> None:
    """Browse cases (terms and state; never personal data)."""
    from rich.table import Table

    from chain.contracts.settlement_token import format_fen

    params: dict[str, Any] = {"limit": limit}
    for k, v in (("status", status), ("region", region), ("batch", batch)):
        if v is not None:
            params[k] = v
    with connect(gateway, api_key) as http:
        body = _call(http, "GET", "/cases", params=params)
    table = Table(title=f"{body['count']} case(s)")
    for col in ("case id", "region", "overdue", "days", "fee", "deadline", "status", "collector"):
        table.add_column(col, justify="right" if col in ("overdue", "days", "fee") else "left")
    for c in body["data"]:
        table.add_row(
            c["case_id"],
            str(c["region"]),
            format_fen(c["overdue_fen"]),
            str(c["overdue_days"]),
            f"{c['fee_bps'] / 100:.2f}%",
            time.strftime("%Y-%m-%d", time.gmtime(c["deadline"])),
            c["status"],
            c["collector"] or "—",
        )
    console.print(table)


@app.command("claim")
def claim(
    case_id: Annotated[str, typer.Argument(help="Case id (0x + 64 hex).")],
    gateway: GatewayOpt = "http://127.0.0.1:8000",
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """Claim a case from the open pool (the first claim wins)."""
    with connect(gateway, api_key) as http:
        op = _call(
            http,
            "POST",
            f"/cases/{case_id}/claim",
            params={"confirm": str(wait).lower()},
            headers={"Idempotency-Key": _key("claim", case_id, api_key[:16])},
        )
    console.print(_op_line(op), soft_wrap=True)
    if op["status"] == "failed":
        fail(f"the claim failed on chain: {op.get('error_name')} {op.get('error_args') or ''}".strip())
    console.print(f"claimed {case_id}" if op["status"] == "succeeded" else f"claim of {case_id} accepted")


@app.command("report")
def report(
    case_id: Annotated[str, typer.Argument(help="Case id (0x + 64 hex).")],
    evidence: Annotated[
        Path,
        typer.Option("--evidence", help="Evidence document (its SHA-256 is reported).", exists=True, dir_okay=False),
    ],
    amount: Annotated[
        str | None, typer.Option("--amount", help="Recovered amount (yuan or NNNfen); omit for an action.")
    ] = None,
    action: Annotated[
        int, typer.Option("--action", help="Action code when no amount: 1 call, 2 letter, 3 visit, 4 agreement.")
    ] = 1,
    gateway: GatewayOpt = "http://127.0.0.1:8000",
    api_key: KeyOpt = "",
    wait: WaitOpt = True,
) -> None:
    """Report a recovery (with --amount) or a collection action, with an evidence digest."""
    from chain.contracts.settlement_token import format_fen, parse_amount

    digest = "0x" + hashlib.sha256(evidence.read_bytes()).hexdigest()
    fen = 0
    payload: dict[str, Any]
    if amount is not None:
        try:
            fen = parse_amount(amount)
        except ValueError as exc:
            fail(str(exc))
        url, payload = f"/cases/{case_id}/recoveries", {"amount_fen": fen, "evidence_digest": digest}
    else:
        url, payload = f"/cases/{case_id}/actions", {"action_code": action, "evidence_digest": digest}
    with connect(gateway, api_key) as http:
        op = _call(
            http,
            "POST",
            url,
            params={"confirm": str(wait).lower()},
            headers={"Idempotency-Key": _key("report", case_id, url, digest, payload)},
            json=payload,
        )
    console.print(_op_line(op), soft_wrap=True)
    if op["status"] == "failed":
        fail(f"the report failed on chain: {op.get('error_name')}")
    what = f"recovery of {format_fen(fen)}" if amount is not None else f"action {action}"
    console.print(f"reported {what} on {case_id} with evidence {digest}", soft_wrap=True)
