"""The whole off-chain flow on top of the case-delegation API (real gateway, real anvil): a bank publishes a
CSV through ``POST /cases/batches``; matching ranks the indexed open cases; the collector claims the top
one, reads the debtor (holder only) and logs contacts under the conduct rules; the bank reviews the late
logs among them."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from chain.client import ChainClient
from chain.config import ChainSettings
from chain.contracts.consortium import Role
from chain.network import Recourse
from chain.node import AnvilNode
from node_api.app import create_app
from node_api.settings import ApiSettings, DbSettings, GatewaySettings, IndexerSettings
from scripts.case_samples import case_csv
from tests.casework.conftest import stop_clock, yesterday
from tests.conftest import account, fresh_pg_database
from tests.gateway.conftest import INSTITUTION_ROLES, PEPPER, Gateway, admit, chain_snapshot, gw_chain  # noqa: F401

pytestmark = pytest.mark.chain


@pytest.fixture(params=["sqlite", "postgresql"])
def flow_gw(
    request: pytest.FixtureRequest,
    gw_chain: tuple[AnvilNode, Path],  # noqa: F811
    chain_snapshot: Callable[[], ChainClient],  # noqa: F811
    tmp_path: Path,
) -> Iterator[Gateway]:
    node, deployments = gw_chain
    if request.param == "sqlite":
        db_url = f"sqlite:///{tmp_path / 'gw.sqlite'}"
    else:
        db_url = fresh_pg_database(request.getfixturevalue("pg_server"))
    client = ChainClient(ChainSettings(rpc_url=node.url, port=node.port), data_dir=tmp_path / "setup")
    try:
        recourse = Recourse.load(client, deployments)
        admit(recourse, client, "collector-2", (Role.COLLECTOR,))
        g1, g2 = client.sender(account("governor-1")), client.sender(account("governor-2"))
        pid = recourse.consortium.propose_system_contract(g1, recourse.cases.address, enabled=True)
        recourse.consortium.approve(g2, pid)
        recourse.consortium.execute(g2, pid)
    finally:
        client.close()
    settings = GatewaySettings(
        data_dir=tmp_path / "gw",
        chain=ChainSettings(rpc_url=node.url, port=node.port, deployments_file=deployments),
        db=DbSettings(url=db_url),
        api=ApiSettings(confirm_timeout=30, background="thread"),
        indexer=IndexerSettings(poll_interval=0.05),
        institutions=[*INSTITUTION_ROLES, "collector-2"],
        api_key_pepper=PEPPER,  # type: ignore[arg-type]
    )
    with TestClient(create_app(settings)) as http:
        yield Gateway(http)


def _until(fn: Callable[[], object], timeout: float = 30.0) -> object:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not reached")


def test_publish_match_claim_read_and_contact(flow_gw: Gateway):
    gw = flow_gw
    bank, col, col2 = gw.key("bank"), gw.key("collector"), gw.key("collector-2")
    now = gw.state.recourse.client.block_timestamp()
    data, debtors = case_csv(4, deadline=now + 30 * 86_400, prefix="FLOW")
    pub = gw.http.post(
        "/cases/batches",
        params={"confirm": "true"},
        headers={**bank, "Idempotency-Key": "flow-pub"},
        files={"file": ("cases.csv", data, "text/csv")},
        data={"fee_budget_fen": "500000"},
    )
    assert pub.status_code == 200, pub.text

    def ranked() -> list[dict[str, object]]:
        r = gw.http.get("/cases/matches", headers=col)
        return r.json()["data"] if r.status_code == 200 else []

    matches = _until(ranked)
    assert isinstance(matches, list)
    top = matches[0]
    assert "no track record yet" in str(top["explanation"])
    case_id = str(top["case_id"])
    for_case = gw.http.get(f"/cases/{case_id}/matches", headers=bank)
    assert for_case.status_code == 200
    assert {m["collector"] for m in for_case.json()["data"]} == {gw.address("collector"), gw.address("collector-2")}

    # before the claim nobody may read the debtor
    assert gw.http.get(f"/cases/{case_id}/debtor", headers=col).status_code == 403
    claim = gw.http.post(
        f"/cases/{case_id}/claim", params={"confirm": "true"}, headers={**col, "Idempotency-Key": "f1"}
    )
    assert claim.status_code == 200, claim.text
    assert claim.json()["status"] == "succeeded"

    debtor = gw.http.get(f"/cases/{case_id}/debtor", headers=col)
    assert debtor.status_code == 200, debtor.text
    names = {d.name for d in debtors}
    assert debtor.json()["name"] in names
    assert gw.http.get(f"/cases/{case_id}/debtor", headers=col2).status_code == 403

    sh = ZoneInfo("Asia/Shanghai")  # the gateway's clock at 15:00 debtor time today, the late logs yesterday
    stop_clock(gw, dt.datetime.combine(dt.datetime.now(sh).date(), dt.time(15), sh))
    ok = gw.http.post(
        f"/cases/{case_id}/contacts",
        headers={**col, "Idempotency-Key": "fc1"},
        json={"channel": "phone", "attempted_at": yesterday("Asia/Shanghai", 10, 0), "note": "约定下周一还款。"},
    )
    assert (ok.status_code, ok.json()["outcome"]) == (201, "logged")
    quiet = gw.http.post(
        f"/cases/{case_id}/contacts",
        headers={**col, "Idempotency-Key": "fc2"},
        json={"channel": "phone", "attempted_at": yesterday("Asia/Shanghai", 22, 30)},
    )
    assert (quiet.status_code, quiet.json()["code"]) == (422, "CND-001")
    live = gw.http.post(
        f"/cases/{case_id}/contacts", headers={**col, "Idempotency-Key": "fc3"}, json={"channel": "sms"}
    )
    assert (live.status_code, live.json()["local_time"], live.json()["backdated"]) == (201, "15:00", False)

    # the bank reviews its collectors' late logs across all its cases (both of the above were back-dated)
    feed = gw.http.get("/cases/contacts", params={"backdated": "true"}, headers=bank)
    assert feed.status_code == 200, feed.text
    late = feed.json()["data"]
    assert [(c["case_id"], c["local_time"], c["outcome"]) for c in late] == [
        (case_id, "22:30", "refused"),
        (case_id, "10:00", "logged"),
    ]
    assert all(c["backdated"] and c["note"] is None for c in late)
    everything = gw.http.get("/cases/contacts", headers=bank).json()
    assert everything["count"] == 3
    assert everything["data"][0]["backdated"] is False
    assert gw.http.get("/cases/contacts", headers=col).json()["code"] == "AUTH-003"  # banks only

    # once the claim is indexed, the case leaves the open pool of the ranking
    _until(lambda: case_id not in {m["case_id"] for m in ranked()})
