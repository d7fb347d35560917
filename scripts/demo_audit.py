"""The audit part of the demo, as an auditor (a member holding the AUDITOR role) would do it:

1. ``recourse audit replay``'s replay against the demo chain and the demo gateway's index, with an AUDITOR key
   holding the read scopes only: every event since the deployment folded into every contract's state, checked
   against the contracts' views and the gateway's index; the report (JSON, HTML) and the tables written;
2. what it found: events replayed, contracts, differences, the stream's integrity, and the privileged actions of
   the run (counts per category and the last few: who, when, what, digest);
3. the gateway's own replay: ``POST /audit/replays`` as the auditor, then ``GET /audit/report``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from chain.replay.index import READ_SCOPES
from chain.replay.model import ReplayReport
from scripts.demo_common import step as _step
from scripts.demo_gateway import GatewayHandle, fresh_api_key

__all__ = ["audit_demo_steps"]

#: the last privileged actions the table shows
LAST = 6


def _who(address: str, names: Mapping[str, str]) -> str:
    name = names.get(address)
    return name if name else address[:10] + "…"


def _privileged_table(report: ReplayReport, names: Mapping[str, str]) -> Table:
    table = Table(title=f"Privileged actions: the last {min(LAST, len(report.privileged))}", title_justify="left")
    for column in ("who", "when (UTC)", "contract", "event", "category", "digest"):
        table.add_column(column)
    for p in report.privileged[-LAST:]:
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(p.time))
        digest = p.digest[:14] + "…" if p.digest else "—"
        table.add_row(_who(p.actor, names), when, p.contract.split("@")[0], p.event, p.category, digest)
    return table


def audit_demo_steps(gw: GatewayHandle, console: Console, *, names: Mapping[str, str] | None = None) -> Path:
    """Run the audit steps; returns the HTML report's path. ``names`` maps addresses to identity names."""
    from chain.replay.run import run_replay
    from scripts.audit_cli import write_outputs

    t0 = time.perf_counter()
    known = dict(names or {})
    settings = gw.settings
    key = fresh_api_key(settings, "auditor", [*READ_SCOPES, "audit:read"])
    out = settings.data_dir / "audit"
    with console.status("auditor replays every event and compares it with the chain and the gateway's index…"):
        report, states = run_replay(
            rpc_url=settings.chain.rpc_url, deployments=settings.deployments_file, gateway=gw.url, api_key=key
        )
        written = write_outputs(report, states, out / "replay", parquet=False)
    _step(
        console,
        f"audit replay (recourse audit replay): {report.events:,} events replayed, blocks {report.from_block} to "
        f"{report.to_block}, {len(report.contracts)} contracts, in {report.seconds:.1f}s, as the auditor with the "
        f"read scopes only",
    )
    intact = "integrity intact" if not report.integrity else f"{len(report.integrity)} integrity failures"
    _step(
        console,
        f"audit: {len(report.differences)} differences between the events, the contracts' views and the gateway's "
        f"index; {intact}; {len(report.anomalies)} anomalies → {'OK' if report.ok else 'NOT OK'}",
    )
    for d in report.differences[:5]:
        _step(
            console, f"  difference: {d.contract} {d.entity} {d.key} {d.field}: events={d.events!r} index={d.index!r}"
        )
    categories = Counter(p.category for p in report.privileged)
    _step(
        console,
        f"audit: {len(report.privileged)} privileged actions: "
        + ", ".join(f"{n} {c}" for c, n in sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))),
    )
    if report.privileged:
        console.print(_privileged_table(report, known))
    html = next(p for p in written if p.suffix == ".html")
    tables = sum(1 for p in written if p.suffix == ".csv")
    _step(console, f"audit report written to {html} ({tables} CSV tables beside it)")

    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=gw.url, timeout=60) as http:
        started = http.post("/audit/replays", headers=auth)
        if started.status_code != 202:
            raise RuntimeError(f"POST /audit/replays → {started.status_code} {started.text[:300]}")
        replay = started.json()
        _step(console, f"POST /audit/replays as the auditor → {started.status_code} replay {replay['id']}")
        deadline = time.monotonic() + 300
        while replay["status"] == "running" and time.monotonic() < deadline:
            time.sleep(0.2)
            replay = http.get(f"/audit/replays/{replay['id']}", headers=auth).json()
        if replay["status"] != "succeeded":
            raise RuntimeError(f"the gateway's replay {replay['id']} did not succeed: {replay}")
        served = http.get("/audit/report", headers=auth)
        body = served.json()
        page = http.get("/audit/report", params={"format": "html"}, headers=auth)
        _step(
            console,
            f"GET /audit/report → {served.status_code}: block {body['to_block']}, {body['events']:,} events, "
            f"{len(body['differences'])} differences, ok = {body['ok']} (?format=html: {len(page.content):,} bytes "
            f"of {page.headers['content-type'].split(';')[0]})",
        )
        investor = fresh_api_key(settings, "investor", ["audit:read"])
        denied = http.get("/audit/report", headers={"Authorization": f"Bearer {investor}"})
        _step(console, f"an investor asks for the report → {denied.status_code} {denied.json()['code']}")
    _step(console, f"audit step took {time.perf_counter() - t0:.1f}s")
    return html
