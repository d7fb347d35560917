"""Oracle and analytics endpoints on a real gateway (uvicorn) over a real anvil, with trained models."""

from __future__ import annotations

import time

import pytest

from chain.eip712 import Report, ReportSignature, sign_report
from oracles.gateway import report_json
from tests.conftest import account
from tests.oracles.conftest import LiveGateway
from tests.support.oracle_reports import valuation_report

FEED = "valuation:test"


def _report(gw: LiveGateway, subject: str, value: int = 20_000_000, observed_at: int | None = None) -> Report:
    client, recourse = gw.chain()
    try:
        now = client.block_timestamp()
    finally:
        client.close()
    return valuation_report(FEED, subject, value=value, observed_at=observed_at if observed_at is not None else now - 5)


def _sign(gw: LiveGateway, name: str, report: Report) -> ReportSignature:
    client, recourse = gw.chain()
    try:
        return sign_report(account(name), recourse.oracle_hub.domain(), report)
    finally:
        client.close()


def _sig_json(sig: ReportSignature) -> dict[str, str]:
    return {"signer": sig.signer, "r": "0x" + sig.r.hex(), "vs": "0x" + sig.vs.hex()}


# --- signature exchange ---


def test_signature_exchange_stores_verified_signatures_and_peers_read_them(live_gateway: LiveGateway) -> None:
    report = _report(live_gateway, "asset:exchange")
    with live_gateway.http("oracle") as o1, live_gateway.http("oracle-2") as o2:
        for http, name in ((o1, "oracle"), (o2, "oracle-2")):
            body = {
                "round": 7,
                "report": report_json(report),
                "signature": _sig_json(_sign(live_gateway, name, report)),
            }
            first = http.post("/oracle/signatures", json=body)
            assert first.status_code == 201, first.text
            again = http.post("/oracle/signatures", json=body)
            assert again.status_code == 200
        path = f"/oracle/signatures/0x{report.feed_id.hex()}/0x{report.subject_id.hex()}/7"
        got = o1.get(path).json()
    assert got["count"] == 2
    assert {row["signer"] for row in got["data"]} == {account("oracle").address, account("oracle-2").address}
    assert len({row["digest"] for row in got["data"]}) == 1


def test_signature_from_a_non_oracle_signer_is_refused(live_gateway: LiveGateway) -> None:
    report = _report(live_gateway, "asset:non-oracle")
    body = {"round": 1, "report": report_json(report), "signature": _sig_json(_sign(live_gateway, "investor", report))}
    with live_gateway.http("oracle") as http:
        refused = http.post("/oracle/signatures", json=body)
        listed = http.get(f"/oracle/signatures/{FEED}/asset:non-oracle/1").json()
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "ORC-002"
    assert listed["count"] == 0


def test_a_non_oracle_caller_cannot_post_signatures(live_gateway: LiveGateway) -> None:
    report = _report(live_gateway, "asset:caller")
    body = {"round": 1, "report": report_json(report), "signature": _sig_json(_sign(live_gateway, "oracle", report))}
    with live_gateway.http("investor") as http:
        refused = http.post("/oracle/signatures", json=body)
    assert refused.status_code == 403
    assert refused.json()["code"] == "AUTH-003"


@pytest.mark.parametrize("tamper", ["other_report", "wrong_signer", "garbage"])
def test_bad_signature_is_refused(live_gateway: LiveGateway, tamper: str) -> None:
    report = _report(live_gateway, f"asset:bad-{tamper}")
    sig = _sign(live_gateway, "oracle", report)
    if tamper == "other_report":
        sig = _sign(live_gateway, "oracle", _report(live_gateway, f"asset:bad-{tamper}", value=1))
    elif tamper == "wrong_signer":
        sig = ReportSignature(account("oracle-2").address, sig.r, sig.vs)
    else:
        sig = ReportSignature(sig.signer, b"\x00" * 32, b"\x00" * 32)
    body = {"round": 1, "report": report_json(report), "signature": _sig_json(sig)}
    with live_gateway.http("oracle") as http:
        refused = http.post("/oracle/signatures", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "ORC-001"


# --- submission, replay, latest value ---


def _submit(http, report: Report, sigs: list[ReportSignature], key: str) -> dict:  # type: ignore[no-untyped-def]
    body = {"round": 1, "report": report_json(report), "signatures": [_sig_json(s) for s in sigs]}
    response = http.post("/oracle/reports", params={"confirm": "true"}, json=body, headers={"Idempotency-Key": key})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_k_minus_one_signatures_are_refused_end_to_end(live_gateway: LiveGateway) -> None:
    report = _report(live_gateway, "asset:k-minus-one")
    with live_gateway.http("oracle") as http:
        op = _submit(http, report, [_sign(live_gateway, "oracle", report)], "k-minus-one")
        missing = http.get(f"/oracle/values/{FEED}/asset:k-minus-one")
    assert op["kind"] == "oracle.report"
    assert op["status"] == "failed"
    assert op["error_name"] == "OracleHubInsufficientSignatures"
    assert missing.status_code == 404
    assert missing.json()["code"] == "ORC-004"


def test_report_accepted_then_replays_and_older_reports_refused(live_gateway: LiveGateway) -> None:
    report = _report(live_gateway, "asset:replay")
    sigs = [_sign(live_gateway, n, report) for n in ("oracle-3", "oracle")]
    older = _report(live_gateway, "asset:replay", observed_at=report.observed_at - 1)
    older_sigs = [_sign(live_gateway, n, older) for n in ("oracle", "oracle-2")]
    with live_gateway.http("oracle") as http:
        op = _submit(http, report, sigs, "replay-1")
        same_key = _submit(http, report, sigs, "replay-1")
        replay = _submit(http, report, sigs, "replay-2")
        too_old = _submit(http, older, older_sigs, "replay-3")
        value = http.get(f"/oracle/values/{FEED}/asset:replay", params={"max_age": 3600})
    assert op["status"] == "succeeded", op
    assert same_key["id"] == op["id"]
    assert replay["status"] == "failed"
    assert replay["error_name"] == "OracleHubOutdatedReport"
    assert too_old["status"] == "failed"
    assert too_old["error_name"] == "OracleHubOutdatedReport"
    assert value.status_code == 200, value.text
    v = value.json()
    assert (v["value"], v["low"], v["high"], v["observed_at"]) == (
        report.value,
        report.low,
        report.high,
        report.observed_at,
    )
    assert sorted(v["signers"]) == sorted([account("oracle").address, account("oracle-3").address])
    assert v["accepted_block"] == op["block_number"]
    assert v["block_number"] >= op["block_number"]
    assert v["block_time"] >= report.observed_at


def test_stale_value_is_a_problem(live_gateway: LiveGateway) -> None:
    report = _report(live_gateway, "asset:stale")
    sigs = [_sign(live_gateway, n, report) for n in ("oracle", "oracle-2")]
    with live_gateway.http("oracle") as http:
        assert _submit(http, report, sigs, "stale-1")["status"] == "succeeded"
        time.sleep(1.1)
        client, _ = live_gateway.chain()
        try:
            client.rpc.call("evm_mine")
        finally:
            client.close()
        fresh = http.get(f"/oracle/values/{FEED}/asset:stale", params={"max_age": 3600})
        stale = http.get(f"/oracle/values/{FEED}/asset:stale", params={"max_age": 2})
    assert fresh.status_code == 200
    age = fresh.json()["age_s"]
    assert age > 2
    assert stale.status_code == 409
    assert stale.json()["code"] == "ORC-003"
    assert stale.json()["max_age_s"] == 2
    assert stale.json()["age_s"] >= age


# --- analytics ---


def test_valuation_returns_estimate_inside_its_interval(
    live_gateway: LiveGateway, demo_features: dict[str, object]
) -> None:
    with live_gateway.http("bank", ["analytics:read"]) as http:
        r = http.post("/valuations", json={"asset_ref": "ames-1", "features": demo_features, "top": 3})
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["low"] <= v["estimate"] <= v["high"]
    assert v["low_minor"] <= v["estimate_minor"] <= v["high_minor"]
    assert v["model_version"].startswith("val-")
    assert len(v["contributions"]) == 3
    assert len(v["feature_digest"]) == 64
    assert 50_000 < v["estimate"] < 1_000_000


def test_valuation_explains_only_when_asked(live_gateway: LiveGateway, demo_features: dict[str, object]) -> None:
    with live_gateway.http("bank", ["analytics:read"]) as http:
        default = http.post("/valuations", json={"features": demo_features})
        none = http.post("/valuations", json={"features": demo_features, "top": 0})
    assert default.status_code == 200, default.text
    assert none.status_code == 200, none.text
    assert len(default.json()["contributions"]) == 5  # the documented default
    assert none.json()["contributions"] == []
    assert none.json()["estimate_minor"] == default.json()["estimate_minor"]


def test_valuation_refuses_leaked_and_unknown_features(
    live_gateway: LiveGateway, demo_features: dict[str, object]
) -> None:
    with live_gateway.http("bank", ["analytics:read"]) as http:
        leaked = http.post("/valuations", json={"features": {**demo_features, "price": 215000}})
        unknown = http.post("/valuations", json={"features": {**demo_features, "colour": "red"}})
        too_few = http.post("/valuations", json={"features": {"area": 1500}})
        bad_type = http.post("/valuations", json={"features": {**demo_features, "area": "big"}})
    assert (leaked.status_code, leaked.json()["code"]) == (422, "ANA-002")
    assert (unknown.status_code, unknown.json()["code"]) == (422, "GEN-422")
    assert (too_few.status_code, too_few.json()["code"]) == (422, "GEN-422")
    assert (bad_type.status_code, bad_type.json()["code"]) == (422, "GEN-422")


def test_risk_assessment_rules_and_probability(live_gateway: LiveGateway) -> None:
    from scripts.models_cli import ModelKind, load_dataset

    frame, schema, _, _ = load_dataset("lending_club", kind=ModelKind.risk)
    row = frame.iloc[0]
    features = {
        c: (None if row[c] != row[c] else (row[c].item() if hasattr(row[c], "item") else row[c]))
        for c in schema.features
    }
    body = {
        "loan_id": "L-1",
        "loan_amount": 1_000_000,
        "days_overdue": 31,
        "overdue_amount": 50_000,
        "rating": "BB",
        "previous_rating": "BBB",
        "features": features,
    }
    with live_gateway.http("bank", ["analytics:read"]) as http:
        fired = http.post("/risk/assessments", json=body)
        at_threshold = http.post(
            "/risk/assessments",
            json={"loan_id": "L-2", "loan_amount": 1_000_000, "days_overdue": 30, "overdue_amount": 50_000},
        )
        bad_rating = http.post(
            "/risk/assessments", json={"loan_id": "L-3", "loan_amount": 100, "rating": "ZZ", "previous_rating": "A"}
        )
    assert fired.status_code == 200, fired.text
    f = fired.json()
    assert [w["code"] for w in f["warnings"]] == ["EW-001", "EW-003"]
    assert all(w["message"] for w in f["warnings"])
    assert 0.0 <= f["probability"] <= 1.0
    assert f["model_version"].startswith("pd-")
    assert f["top_factors"]
    assert at_threshold.json()["warnings"] == []
    assert at_threshold.json()["probability"] is None
    assert (bad_rating.status_code, bad_rating.json()["code"]) == (422, "ANA-004")


CSV = "guarantor,borrower,amount_fen\nA,B,100\nB,C,200\nC,A,300\nD,A,50\nE,D,70\nX,Y,10\n"


def test_guarantee_analysis_finds_the_circle_and_draws_it(live_gateway: LiveGateway) -> None:
    with live_gateway.http("bank", ["analytics:read"]) as http:
        created = http.post("/guarantees/analyses", content=CSV, headers={"Content-Type": "text/csv"})
        assert created.status_code == 201, created.text
        a = created.json()
        png = http.get(a["drawing"])
        again = http.get(f"/guarantees/analyses/{a['id']}")
        as_json = http.post(
            "/guarantees/analyses",
            json={
                "guarantees": [
                    {"guarantor": "P", "borrower": "Q", "amount_fen": 5},
                    {"guarantor": "Q", "borrower": "P", "amount_fen": 6},
                ]
            },
        )
    assert a["summary"]["circles"] == 1
    assert a["summary"]["firms"] == 7
    assert sorted(a["circles"][0]["firms"]) == ["A", "B", "C"]
    assert a["circles"][0]["internal_fen"] == 600
    # A's default calls B's guarantee... every firm upstream of A defaults under full contagion
    worst = a["riskiest_firms"][0]
    assert worst["firm"] in {"A", "B", "C"}
    assert worst["cascade_firms"] == 4
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png.content) > 1000
    assert again.json()["id"] == a["id"]
    assert as_json.status_code == 201
    assert sorted(as_json.json()["circles"][0]["firms"]) == ["P", "Q"]


@pytest.mark.parametrize(
    ("content", "ctype"),
    [
        ("guarantor,borrower\nA,B\n", "text/csv"),
        ("guarantor,borrower,amount_fen\nA,A,5\n", "text/csv"),
        ("guarantor,borrower,amount_fen\nA,B,1.5\n", "text/csv"),
        ("{not json", "application/json"),
        ("A,B,5", "text/plain"),
    ],
)
def test_bad_guarantee_input_is_a_problem(live_gateway: LiveGateway, content: str, ctype: str) -> None:
    with live_gateway.http("bank", ["analytics:read"]) as http:
        r = http.post("/guarantees/analyses", content=content, headers={"Content-Type": ctype})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] in {"GEN-422", "ANA-005"}


def test_unknown_analysis_is_not_found(live_gateway: LiveGateway) -> None:
    with live_gateway.http("bank", ["analytics:read"]) as http:
        r = http.get("/guarantees/analyses/00000000-0000-0000-0000-000000000000/drawing.png")
    assert (r.status_code, r.json()["code"]) == (404, "GEN-404")


# --- scopes and roles of every oracle/analytics route ---

ROUTES = [
    ("POST", "/oracle/signatures", "oracles:write", True),
    ("GET", f"/oracle/signatures/{FEED}/asset:x/1", "oracles:read", True),
    ("POST", "/oracle/reports", "oracles:write", True),
    ("GET", f"/oracle/values/{FEED}/asset:x", "oracles:read", False),
    ("POST", "/valuations", "analytics:read", False),
    ("POST", "/risk/assessments", "analytics:read", False),
    ("POST", "/restructuring/offers", "analytics:read", False),
    ("POST", "/guarantees/analyses", "analytics:read", False),
    ("GET", "/guarantees/analyses/00000000-0000-0000-0000-000000000000", "analytics:read", False),
]


@pytest.mark.parametrize(("method", "path", "scope", "oracle_only"), ROUTES)
def test_every_route_needs_its_scope_and_role(
    live_gateway: LiveGateway, method: str, path: str, scope: str, oracle_only: bool
) -> None:
    headers = {"Idempotency-Key": f"matrix-{path}"}
    with live_gateway.http("oracle", ["members:read"]) as no_scope:
        refused = no_scope.request(method, path, json={}, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "AUTH-002")
    with live_gateway.http("investor", [scope]) as investor:
        as_investor = investor.request(method, path, json={}, headers=headers)
    if oracle_only:
        assert (as_investor.status_code, as_investor.json()["code"]) == (403, "AUTH-003")
    else:
        assert as_investor.status_code != 403


def test_missing_model_is_a_404_problem(live_gateway: LiveGateway, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from node_api.problems import ModelUnavailableError
    from node_api.schemas.analytics import ValuationCreate
    from node_api.services.analytics import ModelRegistry, value_asset

    with pytest.raises(ModelUnavailableError) as exc:
        value_asset(registry=ModelRegistry(tmp_path), body=ValuationCreate(features={"area": 1}))
    assert exc.value.http_status == 404
    assert "recourse models train valuation" in exc.value.detail
