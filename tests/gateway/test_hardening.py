"""Hostile request shapes against a real ``recourse serve``: no body shape reaches a parser that could
crash the process, duplicate keys and ambiguous credentials are refused, 405s say what is allowed, and
``/metrics`` answers only to a key that may read it."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from node_api.app import create_app
from tests.conftest import account, free_port
from tests.gateway.conftest import Gateway, gateway_settings, migrated_key, serve_env
from tests.support.serve_process import ServeProcess

pytestmark = pytest.mark.chain

DEEP = b"[" * 100_000 + b"]" * 100_000  # 200 KB: overflowed the C stack before the limit was pinned
UNCLOSED = b'{"a": ' + b"[" * 100_000  # a parser recurses into it before finding it truncated
#: JSON shapes no route expects: wrong top-level types, nesting at and past the limit, values Python's
#: parser accepts but JSON does not (NaN), numbers past every range, strings that are not storable text
SHAPES = (
    b"",
    b"null",
    b"0",
    b'"x"',
    b"[]",
    b"[{}]",
    b"{}",
    b'{"a": ' * 31 + b"1" + b"}" * 31,  # 31 objects deep: within the limit, refused by the schemas
    b'{"a": ' * 33 + b"1" + b"}" * 33,
    b'{"amount_fen": NaN, "to": Infinity}',
    b'{"amount_fen": 1e999}',
    b'{"amount_fen": ' + b"9" * 5000 + b"}",  # more digits than Python converts to int
    b'{"amount_fen": 115792089237316195423570985008687907853269984665640564039457584007913129639936}',
    rb'{"reference": "a\u0000b", "memo": "\ud800"}',  # NUL and a lone surrogate, as JSON escapes
    b'{"x": "' + bytes([0xFF, 0xFE]) + b'"}',  # not UTF-8
    b"\xef\xbb\xbf{}",  # a byte-order mark
    b'{"to": "0x0000000000000000000000000000000000000000", "to": "0x0000000000000000000000000000000000000001"}',
)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
WRITES = ("POST", "PUT", "PATCH", "DELETE")
#: every body format a route parses: JSON, CSV (guarantee edge lists), multipart (case files, uploads)
MEDIA_TYPES = ("application/json", "text/csv", "multipart/form-data")


def _concrete(path: str) -> str:
    """A request path for an OpenAPI path template (any value: the body is refused before routing)."""
    return re.sub(r"\{[^}]+\}", "1", path)


def _write_operations(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """Every operation that may read a body, declared in the document or read raw by its route."""
    return [(m.upper(), path) for path, item in doc["paths"].items() for m in item if m.upper() in WRITES]


def _served(doc: dict[str, Any], url: str) -> set[str]:
    """Methods some documented operation serves at ``url``: a concrete path's own, else those of every
    template that matches it (OpenAPI matches concrete paths before templated ones, and so does the
    router: ``/cases/fees/withdrawals`` is not an ``/cases/fees/{address}``)."""
    if url in doc["paths"]:
        return {m.upper() for m in doc["paths"][url] if m.upper() in METHODS}
    served: set[str] = set()
    for path, item in doc["paths"].items():
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)), url):
            served.update(m.upper() for m in item if m.upper() in METHODS)
    return served


def _alive(http: httpx.Client) -> bool:
    return http.get("/healthz").status_code == 200


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_hostile_bodies_headers_and_methods_on_a_real_gateway(gw_chain, chain_snapshot, db_url, tmp_path):
    node, deployments = gw_chain
    token = migrated_key(db_url)
    env = serve_env(node, deployments, tmp_path / "gw", db_url)
    gw = ServeProcess(env, free_port(), tmp_path / "gateway.log")
    auth = {"Authorization": f"Bearer {token}"}
    try:
        gw.start()
        with httpx.Client(base_url=gw.url, timeout=60, headers=auth) as http:
            doc = http.get("/openapi.json").json()
            operations = _write_operations(doc)
            assert len(operations) >= 25, operations  # every write, upload, verification and analysis route
            for method, path in operations:
                for media in MEDIA_TYPES:
                    for n, body in enumerate((DEEP, UNCLOSED)):
                        r = _hostile(http, method, _concrete(path), media, body, key=f"deep-{n}-{path}-{media}")
                        # a document upload stores any bytes (2xx); everything else refuses them (4xx)
                        assert r.status_code < 500, (method, path, media, r.status_code, r.text[:300])
                        if r.status_code >= 400:
                            assert r.headers["content-type"].startswith("application/problem+json"), r.text[:200]
                        if media == "application/json":  # refused before routing, whatever the route
                            assert r.status_code == 422, r.text[:300]
                            assert r.json()["errors"][0]["type"] == "json_shape"
                        assert _alive(http), f"the gateway died on {method} {path} ({media})"
            # every route, every odd shape: a 4xx problem (or a stored document), never a 5xx or a crash
            for method, path in operations:
                for n, body in enumerate(SHAPES):
                    r = http.request(
                        method,
                        _concrete(path),
                        content=body,
                        headers={"Idempotency-Key": f"shape-{n}-{path}", "Content-Type": "application/json"},
                    )
                    assert r.status_code < 500, (method, path, body[:80], r.status_code, r.text[:300])
                assert _alive(http), f"the gateway died on {method} {path}"
            # no Content-Type: FastAPI does not parse it as JSON, so it is a validation error, never a crash
            bare = http.post("/tokens/transfers", content=DEEP, headers={"Idempotency-Key": "bare"})
            assert 400 <= bare.status_code < 500, bare.text[:300]

            # duplicate keys: refused naming the key; nothing is recorded under the Idempotency-Key
            to = account("collector").address
            dup = http.post(
                "/tokens/transfers",
                content=b'{"to": "%s", "amount_fen": 1, "amount_fen": 999999999999}' % to.encode(),
                headers={"Idempotency-Key": "dup", "Content-Type": "application/json"},
            )
            retry = http.post("/tokens/transfers", json={"to": to, "amount_fen": 1}, headers={"Idempotency-Key": "dup"})

            # two different keys in one request: which authority? refused, whichever header comes first
            other = migrated_key(db_url, "court")
            mixed = [
                httpx.get(gw.url + "/me", headers={"Authorization": f"Bearer {a}", "X-API-Key": b}, timeout=10)
                for a, b in ((token, other), (other, token))
            ]
            same = httpx.get(gw.url + "/me", headers={"Authorization": f"Bearer {token}", "X-API-Key": token})
            basic = httpx.get(gw.url + "/me", headers={"Authorization": "Basic dXNlcjpwdw=="}, timeout=10)

            # 405: every path, a method it does not serve; Allow lists every method that path serves
            refused_methods = {}
            for path in doc["paths"]:
                served = _served(doc, _concrete(path))  # other templates may match the same URL
                method = next(m for m in METHODS if m not in served)
                r = http.request(method, _concrete(path), headers={"Idempotency-Key": "m"})
                refused_methods[path] = (r, served)

            # /metrics needs a key with metrics:read (the default setting)
            anonymous = httpx.get(gw.url + "/metrics", timeout=10)
            keyed = http.get("/metrics")
    finally:
        gw.stop()

    assert (dup.status_code, dup.json()["code"]) == (422, "GEN-422"), dup.text
    assert dup.json()["errors"][0]["field"] == "amount_fen"
    assert "amount_fen" in dup.json()["detail"]
    assert retry.status_code == 202, retry.text
    assert retry.json()["request"]["amount_fen"] == 1

    for r in mixed:
        assert (r.status_code, r.json()["code"]) == (400, "AUTH-004"), r.text
    assert same.status_code == 200, same.text
    assert (basic.status_code, basic.json()["code"]) == (401, "AUTH-001")

    for path, (r, served) in refused_methods.items():
        assert r.status_code == 405, (path, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("application/problem+json")
        allowed = {m.strip() for m in r.headers["allow"].split(",")}
        assert allowed - {"HEAD"} == served, (path, allowed, served)
        assert ("HEAD" in allowed) == ("GET" in served)
        assert r.json()["code"] == "GEN-405"

    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "AUTH-001")
    assert keyed.status_code == 200
    assert "recourse_" in keyed.text


def _hostile(http: httpx.Client, method: str, path: str, media: str, body: bytes, *, key: str) -> httpx.Response:
    headers = {"Idempotency-Key": key[:200]}
    if media == "multipart/form-data":  # an upload whose file is the hostile JSON (a case batch file)
        files = {"file": ("cases.json", body, "application/json")}
        form = {"fee_budget_fen": "100", "format": "json"}
        return http.request(method, path, files=files, data=form, headers=headers)
    return http.request(method, path, content=body, headers={**headers, "Content-Type": media})


def test_metrics_can_be_opened_by_setting(gw_chain, chain_snapshot, tmp_path):
    """By default a key without ``metrics:read`` is refused; ``RECOURSE_API__METRICS_AUTH=open`` serves
    /metrics without a key (a scraper behind a firewall)."""
    node, deployments = gw_chain
    base = gateway_settings(node, deployments, tmp_path / "gw", f"sqlite:///{tmp_path / 'm.sqlite'}")
    with TestClient(create_app(base)) as client:
        gw = Gateway(client)
        reader = client.get("/metrics", headers=gw.key("auditor", ["metrics:read"]))
        other = client.get("/metrics", headers=gw.key("auditor", ["members:read"]))
    opened_settings = base.model_copy(update={"api": base.api.model_copy(update={"metrics_auth": "open"})})
    with TestClient(create_app(opened_settings)) as client:
        opened = client.get("/metrics")
    assert reader.status_code == 200
    assert (other.status_code, other.json()["code"]) == (403, "AUTH-002")
    assert opened.status_code == 200
    assert "recourse_" in opened.text


def test_json_shape_refusals_are_problems_in_process(gateway):
    """The same refusals through the app alone (no network), for the error body's shape."""
    r = gateway.http.post(
        "/tokens/transfers",
        content=json.dumps({"to": gateway.address("court")}).encode()[:-1] + b', "to": "x"}',
        headers={**gateway.key("bank"), "Idempotency-Key": "dup-to", "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    body = r.json()
    assert (body["status"], body["code"], body["errors"][0]["field"]) == (422, "GEN-422", "to")
