"""Request-body limits on a real ``recourse serve``: JSON and CSV bodies over their limit get 413 GEN-413
before they are read (declared length) or at the first byte over it (chunked), and nothing is recorded."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import account, free_port
from tests.gateway.conftest import migrated_key, serve_env
from tests.support.serve_process import ServeProcess

pytestmark = pytest.mark.chain

LIMIT = 2048
EDGE_LIMIT = 8192


def _csv(rows: int) -> bytes:
    return (
        "guarantor,borrower,amount_fen\n" + "".join(f"firm-{i},firm-{i + 1},{100 + i}\n" for i in range(rows))
    ).encode()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_bodies_over_their_limit_are_413_problems_and_change_nothing(gw_chain, chain_snapshot, db_url, tmp_path):
    node, deployments = gw_chain
    token = migrated_key(db_url)
    env = serve_env(node, deployments, tmp_path / "gw", db_url)
    env.update(RECOURSE_API__MAX_BODY_BYTES=str(LIMIT), RECOURSE_ANALYTICS__MAX_EDGE_LIST_BYTES=str(EDGE_LIMIT))
    gw = ServeProcess(env, free_port(), tmp_path / "gateway.log")
    auth = {"Authorization": f"Bearer {token}"}
    transfer = {"to": account("collector").address, "amount_fen": 7, "memo": "x" * (LIMIT + 100)}
    padded = b'{"to": "%s", "amount_fen": 7}' % account("collector").address.encode() + b" " * (LIMIT + 100)
    try:
        gw.start()
        with httpx.Client(base_url=gw.url, timeout=30, headers=auth) as http:
            declared = http.post("/tokens/transfers", json=transfer, headers={"Idempotency-Key": "big-1"})

            def chunks() -> Iterator[bytes]:
                for i in range(0, len(padded), 512):
                    yield padded[i : i + 512]

            chunked = http.post(
                "/tokens/transfers",
                content=chunks(),
                headers={"Idempotency-Key": "big-2", "Content-Type": "application/json"},
            )
            # the same keys with a body under the limit: nothing was recorded under them before
            small = {"to": account("collector").address, "amount_fen": 7}
            after = [
                http.post("/tokens/transfers", json=small, headers={"Idempotency-Key": k}) for k in ("big-1", "big-2")
            ]
            # guarantee edge lists have their own, larger limit (CSV and JSON alike)
            edges_ok = http.post("/guarantees/analyses", content=_csv(120), headers={"Content-Type": "text/csv"})
            edges_big = http.post("/guarantees/analyses", content=_csv(400), headers={"Content-Type": "text/csv"})
            wrong_type = http.post("/guarantees/analyses", content=_csv(2), headers={"Content-Type": "text/plain"})
    finally:
        gw.stop()

    assert len(padded) > LIMIT
    assert LIMIT < len(_csv(120)) < EDGE_LIMIT < len(_csv(400))
    for r in (declared, chunked, edges_big):
        assert r.status_code == 413, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "GEN-413"
    assert declared.json()["max_body_bytes"] == LIMIT
    assert "2,048-byte limit of /tokens/transfers" in declared.json()["detail"]
    assert "chunked" in chunked.json()["detail"]
    assert edges_big.json()["max_body_bytes"] == EDGE_LIMIT
    assert [r.status_code for r in after] == [202, 202], [r.text for r in after]
    assert edges_ok.status_code == 201, edges_ok.text
    assert edges_ok.json()["summary"]["firms"] == 121
    assert (wrong_type.status_code, wrong_type.json()["code"]) == (422, "GEN-422")
