"""The evidence flow on PostgreSQL (bulk writes go through the psycopg driver's own executemany)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from node_api.app import create_app
from node_api.settings import EvidenceSettings
from tests.conftest import fresh_pg_database
from tests.evidence.conftest import EvidenceGateway, gateway_settings, sha

pytestmark = pytest.mark.chain


def test_submit_anchor_verify_and_replay_on_postgresql(gw_chain, chain_snapshot, pg_server, tmp_path):
    node, deployments = gw_chain
    settings = gateway_settings(
        node,
        deployments,
        tmp_path / "gw",
        fresh_pg_database(pg_server),
        evidence=EvidenceSettings(batch_size=50, batch_seconds=0.2),
    )
    with TestClient(create_app(settings)) as client:
        egw = EvidenceGateway(client)
        bank = egw.key("bank")
        items = [{"digest": sha(f"pg-{i}".encode()), "case_ref": "PG-1"} for i in range(120)]
        r = client.post("/evidence/digests", json={"items": items}, headers={**bank, "Idempotency-Key": "pg"})
        assert r.status_code == 202, r.text
        ids = [e["id"] for e in r.json()["evidence"]]
        again = client.post("/evidence/digests", json={"items": items}, headers={**bank, "Idempotency-Key": "pg"})
        assert [e["id"] for e in again.json()["evidence"]] == ids
        anchored = egw.wait_anchored(bank, ids)
        roots = {a["receipt"]["root"] for a in anchored.values()}
        assert len(roots) == 3  # 50 + 50 + 20
        v = client.post("/evidence/verify", json={"digests": [sha(b"pg-7"), sha(b"nope")]}, headers=bank).json()
        assert [x["result"] for x in v["results"]] == ["verified", "not_anchored"]
        assert v["results"][0]["case_ref"] == "PG-1"
