"""A replay's report as JSON, as one self-contained HTML page, and the rebuilt state as CSV or Parquet tables.

* ``write_json(report, path)`` — ``ReplayReport.as_json()``, indented, keys sorted.
* ``write_html(report, path)`` — one file with no external resource (inline CSS, inline SVG charts drawn here):
  the verdict, two charts (activity: events per UTC day; value in escrow over time), the differences (events vs
  chain vs index), integrity failures, privileged actions (who, when in UTC, contract, event, category,
  subject, digest) and one summary table per contract. Every value is HTML-escaped.
* ``export_tables(states, directory, fmt)`` — one table per entity kind of each reducer's state (members,
  balances, evidence roots, case batches and records, oracle reports, lots, bidders, fraction holders,
  disputes, instalments, …) as ``<table>.csv`` or ``<table>.parquet`` (Parquet needs ``pyarrow``; CSV does
  not). Integers beyond 64 bits are written as decimal strings, enums as their labels.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from html import escape
from pathlib import Path
from typing import Any, Literal

from chain._exceptions import ChainError
from chain.contracts.consortium import Role
from chain.replay.model import ReplayReport, Series

__all__ = ["TABLES", "ExportError", "export_tables", "render_charts", "render_html", "write_html", "write_json"]

_DAY = 86_400
_INT64 = 2**63


class ExportError(ChainError):
    """The tables cannot be written in the format asked for (Parquet without ``pyarrow``)."""


# --- JSON ---


def write_json(report: ReplayReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.as_json(), indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


# --- HTML ---

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1200px;color:#1d2330;
padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d8dde6}
.meta{color:#5a6475}.verdict{display:inline-block;padding:.4rem .9rem;border-radius:6px;font-weight:600;
font-size:1.1rem;margin:.8rem 0}.ok{background:#e3f5e8;color:#17612f}.bad{background:#fde6e6;color:#8c1d1d}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #d8dde6;padding:.25rem .45rem;
text-align:left;vertical-align:top}th{background:#f2f4f8}td.v{font-family:ui-monospace,monospace;font-size:12px;
word-break:break-all}.charts{display:flex;flex-wrap:wrap;gap:1.5rem}.chart{flex:1 1 520px}
.chart svg{width:100%;height:auto;background:#fafbfd;border:1px solid #d8dde6}.empty{color:#5a6475;font-style:italic}
"""


def _text(value: Any) -> str:
    """A value as escaped text (JSON for structures)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict | list | tuple):
        return escape(json.dumps(value, sort_keys=True, default=str))
    return escape(str(value))


def _utc(seconds: float) -> str:
    if not seconds:
        return ""
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, empty: str) -> str:
    body = "".join("<tr>" + "".join(f'<td class="v">{_text(v)}</td>' for v in row) + "</tr>" for row in rows)
    if not body:
        return f'<p class="empty">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_COLOURS = ("#c8602a", "#3d6fd6", "#2f9e6b", "#9b59b6", "#d4a017", "#5a6475", "#c0392b", "#16a085")


def _activity(series: Sequence[Series]) -> Series | None:
    for s in series:
        if s.unit == "events" or "activ" in s.name.lower():
            return s
    return None


def _per_day(points: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    days: dict[int, int] = {}
    for t, v in points:
        day = t - t % _DAY
        days[day] = days.get(day, 0) + v
    return sorted(days.items())


def _total(series: Sequence[Series]) -> list[tuple[int, int]]:
    """The sum of step series (each holds its value until its next point), at every time any of them moves."""
    moves = sorted(((t, n, v) for n, s in enumerate(series) for t, v in s.points), key=lambda m: m[0])
    current = [0] * len(series)
    out: list[tuple[int, int]] = []
    for t, n, v in moves:
        current[n] = v
        if out and out[-1][0] == t:
            out[-1] = (t, sum(current))
        else:
            out.append((t, sum(current)))
    return out


def _axis_label(value: int) -> str:
    for size, suffix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}{suffix}"
    return str(value)


def _svg(
    lines: Sequence[tuple[str, Sequence[tuple[int, int]]]],
    *,
    kind: Literal["bars", "steps"],
    title: str,
    unit: str,
    css_id: str,
) -> str:
    """An inline SVG chart of ``(unix time, value)`` points: bars (the first line's points, one bar per day) or
    step lines (each holds its value until its next point), with a legend when there are several."""
    width, height, left, right, top, bottom = 640, 260, 64, 16, 28, 40
    legend = 16 * len(lines) if len(lines) > 1 else 0
    height += legend
    head = (
        f'<svg id="{css_id}" class="chart-svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<text x="{left}" y="18" font-size="13" font-weight="600">{escape(title)}</text>'
    )
    every = [p for _, points in lines for p in points]
    if not every:
        return (
            head + f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" fill="#5a6475">no data</text></svg>'
        )
    t0, t1 = min(t for t, _ in every), max(t for t, _ in every)
    if kind == "bars":
        t1 += _DAY
    span = max(t1 - t0, 1)
    vmax = max(max(v for _, v in every), 1)
    vmin = min(min(v for _, v in every), 0)
    plot_w, plot_h = width - left - right, height - legend - top - bottom

    def x(t: int) -> float:
        return left + (t - t0) / span * plot_w

    def y(v: float) -> float:
        return top + plot_h - (v - vmin) / (vmax - vmin or 1) * plot_h

    parts = [head]
    for i in range(5):  # grid and value labels
        v = vmin + (vmax - vmin) * i / 4
        yy = y(v)
        parts.append(f'<line x1="{left}" y1="{yy:.1f}" x2="{width - right}" y2="{yy:.1f}" stroke="#e3e7ee"/>')
        parts.append(
            f'<text x="{left - 6}" y="{yy + 4:.1f}" font-size="10" text-anchor="end" fill="#5a6475">'
            f"{escape(_axis_label(round(v)))}</text>"
        )
    base = y(max(vmin, 0))
    if kind == "bars":
        bar = max(plot_w / max(span / _DAY, 1) - 2, 1.0)
        for t, v in lines[0][1]:
            yy = y(v)
            parts.append(
                f'<rect x="{x(t) + 1:.1f}" y="{min(yy, base):.1f}" width="{bar:.1f}" height="{abs(base - yy):.1f}" '
                f'fill="#3d6fd6"><title>{escape(_utc(t)[:10])}: {v} {escape(unit)}</title></rect>'
            )
    else:
        for n, (label, points) in enumerate(lines):
            colour = _COLOURS[n % len(_COLOURS)]
            path: list[str] = []
            prev_y: float | None = None
            for t, v in points:
                xx, yy = x(t), y(v)
                path.append(f"M{xx:.1f},{yy:.1f}" if prev_y is None else f"L{xx:.1f},{prev_y:.1f} L{xx:.1f},{yy:.1f}")
                prev_y = yy
            if prev_y is not None:
                path.append(f"L{width - right:.1f},{prev_y:.1f}")
            dash = ' stroke-dasharray="4 3"' if n else ""
            parts.append(
                f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="{2 if n == 0 else 1.5}"{dash}>'
                f"<title>{escape(label)}</title></path>"
            )
            for t, v in points:
                parts.append(
                    f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="2" fill="{colour}">'
                    f"<title>{escape(label)}, {escape(_utc(t))}: {v} {escape(unit)}</title></circle>"
                )
            if legend:
                ly = height - legend + 16 * n + 4
                parts.append(
                    f'<rect x="{left}" y="{ly}" width="10" height="10" fill="{colour}"/>'
                    f'<text x="{left + 16}" y="{ly + 9}" font-size="11">{escape(label)}</text>'
                )
    parts.append(f'<line x1="{left}" y1="{base:.1f}" x2="{width - right}" y2="{base:.1f}" stroke="#8a93a3"/>')
    axis_y = height - legend - bottom + 16
    for t in (t0, t1 if kind == "steps" else t1 - _DAY):
        parts.append(
            f'<text x="{x(t):.1f}" y="{axis_y}" font-size="10" text-anchor="middle" fill="#5a6475">'
            f"{escape(_utc(t)[:10])}</text>"
        )
    parts.append(
        f'<text x="{width - right}" y="{axis_y + 14}" font-size="10" text-anchor="end" fill="#5a6475">'
        f"{escape(unit)}</text></svg>"
    )
    return "".join(parts)


def render_charts(series: Sequence[Series]) -> str:
    """The charts of a replay's ``series`` as inline SVG (every label escaped): activity (events per UTC day)
    and the value in escrow: every series in fen (one per escrow), and their total when there are several."""
    activity = _activity(series)
    escrows = [s for s in series if s is not activity and s.unit == "fen"]
    act = _svg(
        [(activity.name, _per_day(activity.points))] if activity else [],
        kind="bars",
        title="Activity: events per day (UTC)",
        unit="events",
        css_id="chart-activity",
    )
    lines: list[tuple[str, Sequence[tuple[int, int]]]] = [(s.name, s.points) for s in escrows]
    if len(escrows) > 1:
        lines.insert(0, ("total in escrow", _total(escrows)))
    esc = _svg(lines, kind="steps", title="Value in escrow over time", unit="fen", css_id="chart-escrow")
    others = [s for s in series if s is not activity and s.unit != "fen"]
    extra = "".join(
        f'<div class="chart">'
        f"{_svg([(s.name, s.points)], kind='steps', title=s.name, unit=s.unit, css_id=f'chart-{i}')}</div>"
        for i, s in enumerate(others)
    )
    return f'<div class="charts"><div class="chart">{act}</div><div class="chart">{esc}</div>{extra}</div>'


def _charts(report: ReplayReport) -> str:
    return render_charts(report.series)


def render_html(report: ReplayReport) -> str:
    """The report as one self-contained HTML page."""
    n = len(report.differences)
    if report.ok:
        verdict, cls = "OK: the chain, its events and the index agree; the event stream is intact", "ok"
    else:
        bits = [f"{n} difference{'s' * (n != 1)}"]
        if report.integrity:
            bits.append(f"{len(report.integrity)} integrity failure{'s' * (len(report.integrity) != 1)}")
        if report.anomalies:
            bits.append(f"{len(report.anomalies)} anomal{'ies' if len(report.anomalies) != 1 else 'y'}")
        verdict, cls = "NOT OK: " + ", ".join(bits), "bad"
    meta = [
        ("chain id", report.chain_id),
        ("RPC", report.rpc_url),
        ("deployments", report.deployments),
        ("blocks", f"{report.from_block} to {report.to_block}"),
        ("block hash", report.to_block_hash),
        ("events replayed", report.events),
        ("contracts", len(report.contracts)),
        ("gateway index", report.gateway or "not compared"),
        ("started", _utc(report.started_at)),
        ("took", f"{report.seconds:.1f} s"),
    ]
    diffs = _table(
        ["contract", "entity", "key", "field", "events", "chain", "index", "note"],
        (
            (d.contract, d.entity, d.key, d.field, d.events, d.chain, d.index, d.note)
            for d in sorted(report.differences, key=lambda d: (d.contract, d.entity, d.key, d.field))
        ),
        empty="No differences.",
    )
    integrity = _table(
        ["kind", "block", "key", "note"],
        ((i.kind, i.block, i.key, i.note) for i in report.integrity),
        empty="The event stream is intact.",
    )
    privileged = _table(
        ["who", "when (UTC)", "contract", "event", "category", "subject", "digest", "key", "tx"],
        (
            (p.actor, _utc(p.time), p.contract, p.event, p.category, p.subject, p.digest, p.key, p.tx_hash)
            for p in report.privileged
        ),
        empty="No privileged actions.",
    )
    categories: dict[str, int] = {}
    for p in report.privileged:
        categories[p.category] = categories.get(p.category, 0) + 1
    counts = _table(["category", "actions"], sorted(categories.items()), empty="")
    summaries = "".join(
        f"<h3>{escape(name)}</h3>" + _table(["", "value"], sorted(table.items()), empty="Nothing recorded.")
        for name, table in sorted(report.summaries.items())
    )
    contracts = _table(["contract", "address"], sorted(report.contracts.items()), empty="No contracts.")
    anomalies = (
        "<ul>" + "".join(f"<li>{escape(a)}</li>" for a in report.anomalies) + "</ul>"
        if report.anomalies
        else '<p class="empty">None.</p>'
    )
    title = f"Recourse replay report: chain {report.chain_id}, block {report.to_block}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<div id="verdict" class="verdict {cls}">{escape(verdict)}</div>'
        + _table(["", ""], meta, empty="")
        + "<h2>Activity and escrow</h2>"
        + _charts(report)
        + f'<h2 id="differences">Differences ({n})</h2>'
        + diffs
        + f'<h2 id="integrity">Integrity failures ({len(report.integrity)})</h2>'
        + integrity
        + f'<h2 id="anomalies">Anomalies ({len(report.anomalies)})</h2>'
        + anomalies
        + f'<h2 id="privileged">Privileged actions ({len(report.privileged)})</h2>'
        + counts
        + privileged
        + '<h2 id="summaries">Per contract</h2>'
        + contracts
        + summaries
        + "</body></html>\n"
    )


def write_html(report: ReplayReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")


# --- tables ---

Row = dict[str, Any]
#: a table: its name, its columns, and a function of all the states giving its rows
TableSpec = tuple[str, tuple[str, ...], Callable[[Mapping[str, Any]], Iterable[Row]]]


def _cell(value: Any) -> Any:
    if isinstance(value, Enum):
        label = getattr(value, "label", None)
        return label if isinstance(label, str) else value.name.lower()
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, set | frozenset):
        return json.dumps(sorted(_cell(v) for v in value))
    if isinstance(value, list | tuple):
        return json.dumps([_cell(v) for v in value], default=str)
    if isinstance(value, dict):
        return json.dumps({str(k): _cell(v) for k, v in value.items()}, default=str)
    if hasattr(value, "__dataclass_fields__"):
        return json.dumps({k: _cell(getattr(value, k)) for k in value.__dataclass_fields__}, default=str)
    return value


def _state(states: Mapping[str, Any], contract: str) -> Any:
    return states.get(contract)


def _members(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "Consortium")
    for m in s.members.values() if s else ():
        yield {
            "address": m.address,
            "name_digest": m.name_digest,
            "roles": ",".join(sorted(r.value for r in Role.from_mask(m.roles))),
            "role_mask": m.roles,
            "region": m.region,
            "licence_expiry": m.licence_expiry,
            "kyc_tier": m.kyc_tier,
            "suspended": m.suspended,
            "admitted_block": m.admitted_block,
            "updated_key": m.updated_key,
        }


def _governance(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "Consortium")
    if s:
        for g in sorted(s.governors):
            yield {"kind": "governor", "account": g, "enrolled_by": None}
        for c in sorted(s.system_contracts):
            yield {"kind": "system_contract", "account": c, "enrolled_by": s.enrolled_by.get(c)}


def _proposals(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "Consortium")
    for p in s.proposals.values() if s else ():
        yield {
            "proposal_id": p.proposal_id,
            "kind": p.kind,
            "target": p.target,
            "proposer": p.proposer,
            "deadline": p.deadline,
            "approvals": p.approvals,
            "executed": p.executed,
        }


def _balances(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "SettlementToken")
    for address, b in sorted(s.balances.items()) if s else ():
        yield {"address": address, "amount_fen": b.amount, "updated_key": b.updated_key}


def _roots(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "EvidenceRegistry")
    for a in s.roots.values() if s else ():
        yield {
            "root": a.root,
            "submitter": a.submitter,
            "leaf_count": a.leaf_count,
            "meta_digest": a.meta_digest,
            "block_time": a.block_time,
            "block_number": a.block_number,
            "key": a.key,
        }


def _batches(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "CaseDelegation")
    for b in s.batches.values() if s else ():
        yield {
            "batch_id": b.batch_id,
            "bank": b.bank,
            "root": b.root,
            "case_count": b.case_count,
            "closes_at": b.closes_at,
            "remaining_budget_fen": b.remaining_budget,
            "settled": b.settled,
        }


def _cases(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "CaseDelegation")
    for c in s.cases.values() if s else ():
        yield {
            "case_id": c.case_id,
            "batch_id": c.batch_id,
            "status": c.status,
            "collector": c.collector,
            "recovered_fen": c.recovered,
            "fees_fen": c.fees,
            "last_event": c.last_event,
        }


def _fees(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "CaseDelegation")
    for collector, owed in sorted(s.fees_owed.items()) if s else ():
        yield {"collector": collector, "owed_fen": owed}


def _reports(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "OracleHub")
    for r in s.latest.values() if s else ():
        yield {
            "feed_id": r.feed_id,
            "subject_id": r.subject_id,
            "value": r.value,
            "low": r.low,
            "high": r.high,
            "model_version": r.model_version,
            "feature_digest": r.feature_digest,
            "observed_at": r.observed_at,
            "signers": ",".join(r.signers),
            "key": r.key,
        }


_LOT_COLUMNS = (
    "lot_id",
    "seller",
    "asset_ref",
    "origin",
    "round",
    "kind",
    "status",
    "appraisal",
    "kyc_tier",
    "failures",
    "bidder_count",
    "court",
    "starts_at",
    "ends_at",
    "highest_code",
    "highest_bidder",
    "highest_bid",
    "start_price",
    "increment",
    "deposit",
    "paid",
    "payment_window",
    "payment_deadline",
    "closed_at_block",
    "forfeit_to",
    "suspended",
    "relisted_as",
    "extensions",
    "ruling_digest",
    "documents",
    "last_event",
)


def _lots(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "JudicialAuction")
    for lot in s.lots.values() if s else ():
        yield {c: getattr(lot, c) for c in _LOT_COLUMNS}


def _bidders(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "JudicialAuction")
    for (lot_id, address), b in s.bidders.items() if s else ():
        yield {
            "lot_id": lot_id,
            "address": address,
            "code": b.code,
            "deposit_fen": b.deposit,
            "preemption": b.preemption,
            "barred": (s.lots[lot_id].origin if lot_id in s.lots else lot_id, address) in s.barred,
        }


def _bids(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "JudicialAuction")
    for lot in s.lots.values() if s else ():
        for b in lot.history:
            yield {
                "lot_id": lot.lot_id,
                "key": b.key,
                "block_number": b.block_number,
                "code": b.code,
                "amount_fen": b.amount,
                "ends_at": b.ends_at,
                "preemption": b.preemption,
                "extended": b.extended,
            }


def _payees(states: Mapping[str, Any], contract: str) -> Iterable[Row]:
    s = _state(states, contract)
    for payee, owed in sorted(s.owed.items()) if s else ():
        yield {"payee": payee, "owed_fen": owed}


def _issues(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "FractionsFactory")
    tokens = states.get("AssetFractions") or {}
    for a in s.assets.values() if s else ():
        t = tokens.get(a.address)
        yield {
            "address": a.address,
            "issuer": a.issuer,
            "asset_ref": a.asset_ref,
            "index": a.index,
            "block_number": a.block_number,
            "key": a.key,
            "status": t.status if t else None,
            "price_fen": t.price if t else None,
            "sold": t.sold if t else None,
            "subscribers": t.subscribers if t else None,
            "total_supply": t.total_supply if t else None,
            "holder_count": t.holder_count if t else None,
            "subscription_escrow_fen": t.subscription_escrow if t else None,
            "proceeds_owed_fen": t.proceeds_owed if t else None,
            "total_paid_in_fen": t.total_paid_in if t else None,
            "total_claimed_fen": t.total_claimed if t else None,
            "paused": t.paused if t else None,
        }


def _tokens(states: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    tokens = states.get("AssetFractions") or {}
    return sorted(tokens.items())


def _holders(states: Mapping[str, Any]) -> Iterable[Row]:
    for asset, t in _tokens(states):
        for acc in t.accounts.values():
            yield {
                "asset": asset,
                "address": acc.address,
                "balance": acc.balance,
                "subscription": acc.subscription,
                "subscriber": acc.subscriber,
                "paid_fen": acc.paid,
                "refunded_fen": acc.refunded,
                "claimed_fen": acc.claimed,
                "claimable_fen": t.claimable(acc.address),
                "frozen": acc.frozen,
                "frozen_shares": acc.frozen_shares,
                "updated_key": acc.updated_key,
            }


def _offers(states: Mapping[str, Any]) -> Iterable[Row]:
    for asset, t in _tokens(states):
        for o in t.offers.values():
            yield {
                "asset": asset,
                "offer_id": o.offer_id,
                "seller": o.seller,
                "price_fen": o.price,
                "offered": o.offered,
                "shares": o.shares,
                "status": o.status,
                "paid_fen": o.paid,
            }


def _recoveries(states: Mapping[str, Any]) -> Iterable[Row]:
    for asset, t in _tokens(states):
        for r in t.recoveries:
            yield {
                "asset": asset,
                "key": r.key,
                "block_number": r.block_number,
                "payer": r.payer,
                "source_ref": r.source_ref,
                "amount_fen": r.amount,
                "total_paid_in_fen": r.total_paid_in,
            }


def _orders(states: Mapping[str, Any]) -> Iterable[Row]:
    for asset, t in _tokens(states):
        for o in t.court_orders:
            yield {
                "asset": asset,
                "key": o.key,
                "block_number": o.block_number,
                "kind": o.kind,
                "account": o.account,
                "court": o.court,
                "order_digest": o.order_digest,
                "amount": o.amount,
                "counterparty": o.counterparty,
            }


_DISPUTE_COLUMNS = (
    "dispute_id",
    "case_id",
    "opener",
    "bank",
    "collector",
    "claim_amount",
    "opened_at",
    "opened_block",
    "status",
    "ruling",
    "mediator",
    "mediator_by_bank",
    "court",
    "appeal_court",
    "appeal_deadline",
    "payee",
    "total",
    "paid",
    "relief",
    "grace",
    "agreed_at",
    "terms_digest",
    "commitment_digest",
    "plan_digest",
    "failure_digest",
    "ruling_digest",
    "appeal_digest",
    "defaulted_index",
    "last_event",
)


def _disputes(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "DisputeDesk")
    for d in s.disputes.values() if s else ():
        yield {c: getattr(d, c) for c in _DISPUTE_COLUMNS}


def _instalments(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "DisputeDesk")
    for d in s.disputes.values() if s else ():
        left = d.paid
        for index, i in enumerate(d.schedule):
            covered = min(i.amount, left)
            left -= covered
            yield {
                "dispute_id": d.dispute_id,
                "index": index,
                "amount_fen": i.amount,
                "due_at": i.due_at,
                "paid_fen": covered,
            }


def _dispute_evidence(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "DisputeDesk")
    for d in s.disputes.values() if s else ():
        for position, (party, root) in enumerate(d.evidence):
            yield {"dispute_id": d.dispute_id, "position": position, "party": party, "root": root}


def _collateral(states: Mapping[str, Any]) -> Iterable[Row]:
    s = _state(states, "DisputeDesk")
    for asset, case_id in sorted(s.collateral.items()) if s else ():
        yield {"asset_ref": asset, "case_id": case_id, "enforceable": case_id in s.enforceable}


#: every table ``export_tables`` writes, with its columns
TABLES: tuple[TableSpec, ...] = (
    ("members", ("address", "name_digest", "roles", "role_mask", "region", "licence_expiry", "kyc_tier",
                 "suspended", "admitted_block", "updated_key"), _members),
    ("governance", ("kind", "account", "enrolled_by"), _governance),
    ("proposals", ("proposal_id", "kind", "target", "proposer", "deadline", "approvals", "executed"), _proposals),
    ("balances", ("address", "amount_fen", "updated_key"), _balances),
    ("evidence_roots", ("root", "submitter", "leaf_count", "meta_digest", "block_time", "block_number", "key"),
     _roots),
    ("case_batches", ("batch_id", "bank", "root", "case_count", "closes_at", "remaining_budget_fen", "settled"),
     _batches),
    ("case_records", ("case_id", "batch_id", "status", "collector", "recovered_fen", "fees_fen", "last_event"),
     _cases),
    ("collector_fees", ("collector", "owed_fen"), _fees),
    ("oracle_reports", ("feed_id", "subject_id", "value", "low", "high", "model_version", "feature_digest",
                        "observed_at", "signers", "key"), _reports),
    ("lots", _LOT_COLUMNS, _lots),
    ("bidders", ("lot_id", "address", "code", "deposit_fen", "preemption", "barred"), _bidders),
    ("bids", ("lot_id", "key", "block_number", "code", "amount_fen", "ends_at", "preemption", "extended"), _bids),
    ("auction_payees", ("payee", "owed_fen"), lambda s: _payees(s, "JudicialAuction")),
    ("fraction_assets", ("address", "issuer", "asset_ref", "index", "block_number", "key", "status", "price_fen",
                         "sold", "subscribers", "total_supply", "holder_count", "subscription_escrow_fen",
                         "proceeds_owed_fen", "total_paid_in_fen", "total_claimed_fen", "paused"), _issues),
    ("fraction_holders", ("asset", "address", "balance", "subscription", "subscriber", "paid_fen", "refunded_fen",
                          "claimed_fen", "claimable_fen", "frozen", "frozen_shares", "updated_key"), _holders),
    ("fraction_offers", ("asset", "offer_id", "seller", "price_fen", "offered", "shares", "status", "paid_fen"),
     _offers),
    ("fraction_recoveries", ("asset", "key", "block_number", "payer", "source_ref", "amount_fen",
                             "total_paid_in_fen"), _recoveries),
    ("fraction_court_orders", ("asset", "key", "block_number", "kind", "account", "court", "order_digest", "amount",
                               "counterparty"), _orders),
    ("disputes", _DISPUTE_COLUMNS, _disputes),
    ("dispute_instalments", ("dispute_id", "index", "amount_fen", "due_at", "paid_fen"), _instalments),
    ("dispute_evidence", ("dispute_id", "position", "party", "root"), _dispute_evidence),
    ("dispute_collateral", ("asset_ref", "case_id", "enforceable"), _collateral),
    ("dispute_payees", ("payee", "owed_fen"), lambda s: _payees(s, "DisputeDesk")),
)  # fmt: skip


def _frame(columns: Sequence[str], rows: Sequence[Row]) -> Any:
    """A DataFrame with exact columns: integers as nullable Int64 (as decimal strings beyond 64 bits)."""
    import pandas as pd

    data: dict[str, Any] = {}
    for c in columns:
        values = [_cell(r.get(c)) for r in rows]
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, bool) for v in present):
            data[c] = pd.array(values, dtype="boolean")
        elif present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
            if all(-_INT64 <= v < _INT64 for v in present):
                data[c] = pd.array(values, dtype="Int64")
            else:
                data[c] = pd.array([None if v is None else str(v) for v in values], dtype="string")
        elif present and all(isinstance(v, str) for v in present):
            data[c] = pd.array(values, dtype="string")
        else:
            data[c] = pd.array([None if v is None else str(v) for v in values], dtype="string")
    return pd.DataFrame(data, columns=list(columns))


def export_tables(states: Mapping[str, Any], directory: Path, fmt: Literal["csv", "parquet"]) -> list[Path]:
    """Write one table per entity kind of ``states`` (``chain.reducers.replay``'s result) into ``directory``
    as ``<table>.<fmt>``; the paths written, in ``TABLES`` order."""
    if fmt not in ("csv", "parquet"):
        raise ExportError(f"unknown table format {fmt!r}: csv or parquet")
    if fmt == "parquet":
        if importlib.util.find_spec("pyarrow") is None:
            raise ExportError("Parquet tables need pyarrow (pip install pyarrow); CSV works without it")
    directory.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for name, columns, rows_of in TABLES:
        frame = _frame(columns, list(rows_of(states)))
        path = directory / f"{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
        out.append(path)
    return out
