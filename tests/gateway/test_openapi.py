"""The OpenAPI document says what the gateway does: security schemes, required Idempotency-Key, problem+json
errors, examples that match their schemas, integer bounds; /docs works offline; request bodies are strict.

Most tests read the document of an app that was built but never started (that connects to nothing); the
last ones call a running gateway (chain fixtures)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from node_api.app import create_app
from node_api.schemas import MintCreate, TransferCreate
from node_api.schemas.analytics import RiskAssessmentCreate
from node_api.schemas.cases import ActionCreate, RecoveryConfirm
from node_api.schemas.oracles import OracleSubmitIn
from node_api.settings import GatewaySettings
from tests.gateway.conftest import PEPPER, Gateway

METHODS = ("get", "put", "post", "delete", "patch")
OPEN = {"GET /healthz", "GET /readyz"}
PROBLEM = "application/problem+json"
ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


@pytest.fixture(scope="module")
def unstarted() -> Iterator[TestClient]:
    """A gateway app that was built but not started: its document and docs pages need nothing else."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(GatewaySettings(data_dir=Path(tmp), api_key_pepper=PEPPER))  # type: ignore[arg-type]
        yield TestClient(app)  # no `with`: the lifespan (chain, database) never runs


@pytest.fixture(scope="module")
def doc(unstarted: TestClient) -> dict[str, Any]:
    response = unstarted.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def test_api_keys_are_security_schemes_not_parameters(doc: dict[str, Any]) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["apiKeyHeader"] == {**schemes["apiKeyHeader"], "type": "apiKey", "in": "header", "name": "X-API-Key"}
    for label, op in operations(doc):
        names = {p["name"].lower() for p in op.get("parameters", [])}
        assert not names & {"authorization", "x-api-key"}, label
        if label in OPEN:
            assert "security" not in op, label
        else:  # either scheme suffices
            assert op["security"] == [{"bearerAuth": []}, {"apiKeyHeader": []}], label
            assert {"401", "403"} <= set(op["responses"]), label
            assert "WWW-Authenticate" in op["responses"]["401"]["headers"], label


def test_writes_require_an_idempotency_key(doc: dict[str, Any]) -> None:
    writes = []
    for label, op in operations(doc):
        for p in op.get("parameters", []):
            if p["in"] == "header" and p["name"] == "Idempotency-Key":
                writes.append(label)
                assert p["required"] is True, label
                assert p["schema"] == {**p["schema"], "type": "string", "maxLength": 200}, label
                assert {"400", "409"} <= set(op["responses"]), label
                assert "OPS-400" in op["responses"]["400"]["description"], label
    assert "POST /tokens/transfers" in writes
    assert "POST /webhooks" in writes
    assert len(writes) >= 20


def test_every_refusal_is_a_documented_problem(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    problem = schemas["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance", "code"}
    assert problem["properties"]["status"]["type"] == "integer"
    assert problem["additionalProperties"] is True  # extension members (required_scope, violations, …)
    for label, op in operations(doc):
        responses = op["responses"]
        for status, response in responses.items():
            if int(status) >= 400:
                assert list(response["content"]) == [PROBLEM], (label, status)
                assert response["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
        if op.get("parameters") or "requestBody" in op:
            assert "422" in responses, label
        if "{" in label:
            assert "404" in responses, label
        if "requestBody" in op:
            assert "413" in responses, label


def _validator(doc: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A validator for ``schema`` whose ``#/components/...`` references resolve in the document."""
    return jsonschema_rs.Draft202012Validator({**schema, "components": doc["components"]})


def test_every_operation_has_examples_that_match_their_schemas(doc: dict[str, Any]) -> None:
    for label, op in operations(doc):
        media = [("request", t, m) for t, m in op.get("requestBody", {}).get("content", {}).items()]
        media += [(status, t, m) for status, r in op["responses"].items() for t, m in r.get("content", {}).items()]
        assert media, label
        for where, kind, m in media:
            assert "example" in m or "examples" in m, (label, where, kind)
            if kind in ("application/json", PROBLEM) and "example" in m:
                errors = [e.message for e in _validator(doc, m["schema"]).iter_errors(m["example"])]
                assert not errors, (label, where, errors[:3])


def test_integer_bounds_are_printed_as_integers(doc: dict[str, Any], unstarted: TestClient) -> None:
    text = unstarted.get("/openapi.json").text
    assert not re.search(r'"(minimum|maximum|exclusiveMinimum|exclusiveMaximum)":\s*-?[0-9.]+e[+-]?[0-9]+', text)
    schemas = doc["components"]["schemas"]
    assert schemas["TransferCreate"]["properties"]["amount_fen"]["exclusiveMaximum"] == 2**256
    assert schemas["RecoveryCreate"]["properties"]["amount_fen"]["exclusiveMaximum"] == 2**128
    value = schemas["OracleReportIn"]["properties"]["value"]
    assert (value["minimum"], value["exclusiveMaximum"]) == (-(2**63), 2**63)
    assert schemas["RiskAssessmentCreate"]["properties"]["loan_amount"]["exclusiveMaximum"] == 2**63


def test_json_request_bodies_refuse_unknown_fields(doc: dict[str, Any]) -> None:
    def closed(schema: dict[str, Any]) -> bool:
        if "$ref" in schema:
            schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        if schema.get("type") == "array":
            return closed(schema["items"])
        return schema.get("additionalProperties") is False

    # a guarantee edge list is a document (its CSV twin has columns, not fields): extra columns are data
    bodies = {
        label: op["requestBody"]["content"]["application/json"]["schema"]
        for label, op in operations(doc)
        if "application/json" in op.get("requestBody", {}).get("content", {}) and label != "POST /guarantees/analyses"
    }
    assert len(bodies) >= 15
    for label, schema in bodies.items():
        assert closed(schema), label


def test_docs_pages_load_only_local_assets(unstarted: TestClient) -> None:
    kinds = {".js": "javascript", ".css": "text/css", ".png": "image/png"}
    for page in ("/docs", "/redoc"):
        html = unstarted.get(page)
        assert html.status_code == 200
        assert html.headers["content-type"].startswith("text/html")
        assert "//" not in re.sub(r"<!--.*?-->", "", html.text.replace("://", "§"))  # no scheme-relative URLs
        assert "§" not in html.text.replace("'/openapi.json'", ""), "an absolute URL in " + page
        urls = re.findall(r'(?:src|href)="([^"]+)"', html.text)
        assert urls, page
        for url in urls:
            assert url.startswith("/docs/assets/"), url
            asset = unstarted.get(url)
            assert asset.status_code == 200, url
            assert kinds[Path(url).suffix] in asset.headers["content-type"], url
            assert len(asset.content) > 1000, url
    swagger = unstarted.get("/docs").text
    assert "SwaggerUIBundle" in swagger
    assert '"validatorUrl": null' in swagger  # no badge fetched from the online validator
    assert unstarted.get("/docs/assets/swagger-ui-bundle.js").text.count("SwaggerUIBundle") > 0


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (TransferCreate, {"to": ADDRESS, "amount_fen": 100, "memo": "x"}, "memo"),
        (TransferCreate, {"to": ADDRESS, "amount_fen": True}, "amount_fen"),
        (TransferCreate, {"to": ADDRESS, "amount_fen": "100"}, "amount_fen"),
        (TransferCreate, {"to": ADDRESS, "amount_fen": 100.5}, "amount_fen"),
        (TransferCreate, {"to": ADDRESS, "amount_fen": 0}, "amount_fen"),
        (TransferCreate, {"to": ADDRESS, "amount_fen": 2**256}, "amount_fen"),
        (TransferCreate, {"to": ADDRESS, "amount_fen": 1e17}, "amount_fen"),  # a double past 2**53: inexact
        (MintCreate, {"to": ADDRESS, "amount_fen": 1, "reference": 7}, "reference"),
        (RiskAssessmentCreate, {"loan_id": "L", "loan_amount": True}, "loan_amount"),
        (RiskAssessmentCreate, {"loan_id": "L", "loan_amount": 100, "overdue_amount": 101}, "overdue_amount"),
        (RiskAssessmentCreate, {"loan_id": "L", "loan_amount": 100, "days_overdue": -1}, "days_overdue"),
        (RiskAssessmentCreate, {"loan_id": "L", "loan_amount": 100, "rules": {"overdue_days": "5"}}, "rules"),
        (RiskAssessmentCreate, {"loan_id": "L", "loan_amount": 100, "rules": {"x": 1}}, "rules"),
        (ActionCreate, {"action_code": 1.5, "evidence_digest": "0x" + "a" * 64}, "action_code"),
        (RecoveryConfirm, {"close_case": 1}, "close_case"),
        (OracleSubmitIn, {"round": 1, "report": {}, "signatures": [], "extra": None}, "extra"),
    ],
)
def test_request_models_refuse_lenient_values(model: Any, body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    assert field in {str(e["loc"][0]) for e in refused.value.errors()}


def test_an_integral_json_number_is_an_integer() -> None:
    """JSON has one number type: 5.0 is the integer 5 (as JSON Schema's ``integer`` says), exactly."""
    body = TransferCreate.model_validate({"to": ADDRESS, "amount_fen": 12_500.0})
    assert body.amount_fen == 12_500
    assert type(body.amount_fen) is int


# --- through a running gateway ---


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:  # the rules here do not touch the database
    return f"sqlite:///{tmp_path / 'gateway.sqlite'}"


@pytest.mark.chain
def test_strict_bodies_and_missing_idempotency_key_over_http(gateway: Gateway) -> None:
    bank = gateway.key("bank")
    cases = [
        ({"loan_id": "L-1", "loan_amount": True}, "body.loan_amount"),
        ({"loan_id": "L-1", "loan_amount": 1_000, "overdue_amount": 1_001}, "body.overdue_amount"),
        ({"loan_id": "L-1", "loan_amount": 1_000, "colour": "red"}, "body.colour"),
    ]
    for body, field in cases:
        r = gateway.http.post("/risk/assessments", json=body, headers=bank)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith(PROBLEM)
        problem = r.json()
        assert problem["code"] == "GEN-422"
        assert [e["field"] for e in problem["errors"]] == [field]
    missing = gateway.http.post("/tokens/transfers", json={"to": ADDRESS, "amount_fen": 1}, headers=bank)
    assert missing.status_code == 400
    assert missing.headers["content-type"].startswith(PROBLEM)
    assert missing.json()["code"] == "OPS-400"
