"""``POST /restructuring/offers`` on a live gateway: plans the debtor can afford, ranked by expected recovery and
explained on cards whose digest is what a mediation agreement anchors."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from tests.oracles.conftest import LiveGateway

LOAN: dict[str, int | str] = {
    "loan_id": "LN-DSP-1",
    "principal_fen": 8_000_000,
    "overdue_interest_fen": 1_200_000,
    "penalties_fen": 300_000,
    "annual_rate_bps": 600,
    "months_overdue": 7,
    "collateral_value_fen": 0,
    "monthly_capacity_fen": 450_000,
}


def _canonical_digest(card: dict[str, object]) -> str:
    text = json.dumps(card, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "0x" + hashlib.sha256(text.encode()).hexdigest()


def test_offers_are_affordable_ranked_dated_and_digested(live_gateway: LiveGateway) -> None:
    start = "2027-01-31T00:00:00+00:00"
    with live_gateway.http("bank", ["analytics:read"]) as http:
        r = http.post("/restructuring/offers", json={**LOAN, "default_probability": 0.35, "start": start})
    assert r.status_code == 200, r.text
    offer = r.json()
    claim = sum(int(LOAN[k]) for k in ("principal_fen", "overdue_interest_fen", "penalties_fen"))
    assert offer["claim_fen"] == claim
    assert offer["recommendation"] == "restructure"
    plans = offer["plans"]
    assert 1 <= len(plans) <= 3
    recoveries = [p["expected_recovery_fen"] for p in plans]
    assert recoveries == sorted(recoveries, reverse=True)
    litigation = offer["litigation"]["expected_recovery"]
    origin = int(dt.datetime.fromisoformat(start).timestamp())
    for p in plans:
        assert p["last_payment_fen"] <= int(LOAN["monthly_capacity_fen"])
        assert p["expected_recovery_fen"] > litigation
        assert p["total_fen"] + p["relief_fen"] == claim  # what DisputeDesk requires of an agreement
        amounts = [a for a, _ in p["schedule"]]
        dues = [d for _, d in p["schedule"]]
        assert sum(amounts) == p["total_fen"]
        assert len(amounts) == p["instalment_count"]
        assert dues == sorted(set(dues))
        assert dues[0] > origin
        assert dt.datetime.fromtimestamp(dues[0], tz=dt.UTC).date() == dt.date(2027, 2, 28)  # a month later
        assert p["digest"] == _canonical_digest(p["card"])
        assert p["card"]["explanation"]


def test_a_near_certain_default_with_ample_collateral_is_litigated(live_gateway: LiveGateway) -> None:
    body = {**LOAN, "collateral_value_fen": 50_000_000, "monthly_capacity_fen": 200_000, "default_probability": 1.0}
    with live_gateway.http("bank", ["analytics:read"]) as http:
        r = http.post("/restructuring/offers", json=body)
    assert r.status_code == 200, r.text
    assert (r.json()["recommendation"], r.json()["plans"]) == ("litigate", [])


def test_the_default_model_scores_the_probability_from_features(live_gateway: LiveGateway) -> None:
    from scripts.models_cli import ModelKind, load_dataset

    frame, schema, _, _ = load_dataset("lending_club", kind=ModelKind.risk)
    row = frame.iloc[0]
    features = {
        c: (None if row[c] != row[c] else (row[c].item() if hasattr(row[c], "item") else row[c]))
        for c in schema.features
    }
    with live_gateway.http("bank", ["analytics:read"]) as http:
        r = http.post("/restructuring/offers", json={**LOAN, "features": features})
    assert r.status_code == 200, r.text
    assert r.json()["model_version"].startswith("pd-")
    assert 0.0 <= r.json()["default_probability"] <= 1.0


def test_bad_offer_requests_are_422_problems(live_gateway: LiveGateway) -> None:
    with live_gateway.http("bank", ["analytics:read"]) as http:
        neither = http.post("/restructuring/offers", json=LOAN)
        both = http.post("/restructuring/offers", json={**LOAN, "default_probability": 0.2, "features": {}})
        no_capacity = http.post(
            "/restructuring/offers", json={**LOAN, "monthly_capacity_fen": 0, "default_probability": 0.2}
        )
        naive = http.post(
            "/restructuring/offers", json={**LOAN, "default_probability": 0.2, "start": "2027-01-31T00:00:00"}
        )
        nothing_owed = http.post(
            "/restructuring/offers",
            json={
                **LOAN,
                "principal_fen": 0,
                "overdue_interest_fen": 0,
                "penalties_fen": 0,
                "default_probability": 0.2,
            },
        )
    for r in (neither, both, no_capacity, naive):
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    assert (nothing_owed.status_code, nothing_owed.json()["code"]) == (422, "ANA-001"), nothing_owed.text
    assert "claim" in nothing_owed.json()["detail"]
