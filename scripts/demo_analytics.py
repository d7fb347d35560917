"""The risk part of the demo: early warnings and a default probability for a loan, and a guarantee network.

1. the default-probability model (the newest artefact in the model dir, or a small one trained once on
   the Lending Club loans and cached);
2. a loan 45 days overdue with 6 % of it overdue and its rating cut from A to B: every early-warning rule
   fires, each with its explanation, beside the calibrated probability of default and its top factors;
3. the same loan exactly at the thresholds (30 days, 5 %, no downgrade): no rule fires (thresholds are
   strict);
4. a guarantee network of eleven firms (担保圈): the circles, the firm whose default triggers the most
   guarantees in cascade, its guarantee chains, and the PNG drawing of the riskiest circles, saved to the
   data dir.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from node_api.services.analytics import latest_artefact
from scripts.demo_common import step as _step
from scripts.demo_gateway import GatewayHandle, fresh_api_key
from scripts.oracles_cli import ensure_small_model

__all__ = ["GUARANTEES", "analytics_demo_steps", "demo_model"]

#: (guarantor, borrower, amount in fen): a four-firm circle, a two-firm circle, and chains hanging off them
GUARANTEES = (
    ("Jiangyin Steel", "Wuxi Wire", 80_000_000_00),
    ("Wuxi Wire", "Changzhou Cable", 60_000_000_00),
    ("Changzhou Cable", "Suzhou Copper", 50_000_000_00),
    ("Suzhou Copper", "Jiangyin Steel", 90_000_000_00),
    ("Nantong Textiles", "Haimen Dyeworks", 20_000_000_00),
    ("Haimen Dyeworks", "Nantong Textiles", 25_000_000_00),
    ("Nantong Textiles", "Jiangyin Steel", 30_000_000_00),
    ("Kunshan Motors", "Nantong Textiles", 15_000_000_00),
    ("Taicang Logistics", "Kunshan Motors", 10_000_000_00),
    ("Yangzhou Foods", "Taicang Logistics", 5_000_000_00),
    ("Zhenjiang Glass", "Yangzhou Foods", 4_000_000_00),
    ("Changzhou Cable", "Jintan Paper", 12_000_000_00),
)

#: a loan's terms for the rules (amounts in fen; ratings on the default AAA … D scale)
LOAN_FEN = 1_000_000_00


def _yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


def _loan_features() -> dict[str, Any]:
    """One Lending Club loan's features (a loan the data marks ``bad``), JSON-ready."""
    from scripts.models_cli import ModelKind, load_dataset

    frame, schema, _, _ = load_dataset("lending_club", kind=ModelKind.risk)
    row = frame[frame[schema.target].astype(str) == "bad"].iloc[0]
    out: dict[str, Any] = {}
    for c in schema.features:
        value = row[c]
        out[c] = None if value != value else (value.item() if hasattr(value, "item") else value)
    return out


def demo_model(gw: GatewayHandle, console: Console, kind: str, data: str) -> tuple[Path, str]:
    """The newest ``kind`` artefact in the demo gateway's model dir (a small model trained on ``data`` once
    when there is none) and a few words on where it came from."""
    settings = gw.settings
    model_dir = settings.analytics.model_dir or settings.data_dir / "models"
    cached = latest_artefact(model_dir, kind) is not None
    with console.status(f"{kind} model: training a small one on the {data} (once)…"):
        t0 = time.perf_counter()
        path = ensure_small_model(model_dir, kind)
    took = time.perf_counter() - t0
    return path, "artefact in the model dir" if cached else f"small model ready in {took:.1f}s, trained once and cached"


def analytics_demo_steps(gw: GatewayHandle, console: Console) -> None:
    """Assess a loan (rules and probability of default) and analyse a guarantee network via the gateway."""
    settings = gw.settings
    _, how = demo_model(gw, console, "risk", "Lending Club loans")
    features = _loan_features()
    _step(console, f"risk: default-probability model ({how})")

    key = fresh_api_key(settings, "bank", ["analytics:read"])
    with httpx.Client(base_url=gw.url, timeout=60, headers={"Authorization": f"Bearer {key}"}) as http:
        overdue = LOAN_FEN * 6 // 100
        late: dict[str, Any] = {
            "loan_id": "LOAN-2026-0042",
            "loan_amount": LOAN_FEN,
            "days_overdue": 45,
            "overdue_amount": overdue,
            "rating": "B",
            "previous_rating": "A",
            "features": features,
        }
        r = _ok(http.post("/risk/assessments", json=late))
        factors = ", ".join(f"{f['feature']} {f['percent']:+.0f}%" for f in r["top_factors"][:3])
        _step(
            console,
            f"POST /risk/assessments {late['loan_id']} ({_yuan(LOAN_FEN)}, 45 days and {_yuan(overdue)} "
            f"overdue, rating A → B) → {len(r['warnings'])} early warnings; probability of default "
            f"{r['probability']:.1%} (model {r['model_version']}; top factors {factors})",
        )
        for w in r["warnings"]:
            console.print(f"    {w['code']} {w['rule']}: {w['message']}")
        edge = {**late, "loan_id": "LOAN-2026-0043", "days_overdue": 30, "overdue_amount": LOAN_FEN * 5 // 100}
        edge.update(rating="A", features=None)
        r = _ok(http.post("/risk/assessments", json=edge))
        _step(
            console,
            f"the same loan exactly at the thresholds (30 days, 5 % overdue, no downgrade) → "
            f"{len(r['warnings'])} warnings (thresholds are strict)",
        )

        csv = "guarantor,borrower,amount_fen\n" + "".join(f"{g},{b},{f}\n" for g, b, f in GUARANTEES)
        a = _ok(http.post("/guarantees/analyses", content=csv, headers={"Content-Type": "text/csv"}))
        s = a["summary"]
        circles = "; ".join(
            f"{' → '.join(c['firms'])} ({_yuan(c['internal_fen'])} guaranteed inside)" for c in a["circles"]
        )
        _step(
            console,
            f"POST /guarantees/analyses ({s['firms']} firms, {s['guarantees']} guarantees) → {s['circles']} guarantee "
            f"circles: {circles}",
        )
        worst = a["riskiest_firms"][0]
        chain: list[str] = next(iter(a["chains"].get(worst["firm"], [])), [])
        _step(
            console,
            f"riskiest firm: {worst['firm']} — its default calls in the guarantees of {worst['cascade_firms']} firms "
            f"in cascade ({_yuan(int(worst['triggered_fen']))} in all); a guarantee chain ending at it: "
            f"{' → '.join(chain) or '—'}",
        )
        png = http.get(a["drawing"])
        png.raise_for_status()
        out = settings.data_dir / "analytics-demo" / "guarantee-circles.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(png.content)
        _step(console, f"drawing of the riskiest circles ({len(png.content):,} bytes PNG) saved to {out}")


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} → {response.status_code}: {response.text}"
        )
    body: dict[str, Any] = response.json()
    return body
