"""The background process (``api.background = "process"``, the default of ``recourse serve``): writers
and the evidence batcher run in a child process; outcomes reach ``?confirm=true`` waiters and the
operation cache through the pipe; ``/readyz`` reports the child; a child that dies is replaced; the
child never outlives the API."""

from __future__ import annotations

import os
import signal

import httpx
import pytest
from fastapi.testclient import TestClient

from node_api.app import create_app
from node_api.settings import ApiSettings
from tests.conftest import account, free_port
from tests.gateway.conftest import Gateway, gateway_settings, migrated_key, serve_env
from tests.support.serve_process import ServeProcess as GatewayProcess
from tests.support.waiting import wait_until

pytestmark = pytest.mark.chain


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its parent) is not alive either
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_writes_confirm_through_the_background_process_which_is_replaced_when_it_dies(
    gw_chain, chain_snapshot, db_url, tmp_path
):
    node, deployments = gw_chain
    settings = gateway_settings(node, deployments, tmp_path / "gw", db_url).model_copy(
        update={"api": ApiSettings(confirm_timeout=20, background="process")}
    )
    with TestClient(create_app(settings)) as client:
        gw = Gateway(client)
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        child = ready.json()["background_pid"]
        assert isinstance(child, int)
        assert child != os.getpid()
        assert _alive(child)
        headers = {**gw.key("bank"), "Idempotency-Key": "bg-1"}
        body = {"to": gw.address("collector"), "amount_fen": 7}
        r = client.post("/tokens/transfers?confirm=true", json=body, headers=headers)
        assert r.status_code == 200, r.text
        op = r.json()
        assert op["status"] == "succeeded"
        assert op["tx_hash"]
        assert op["block_number"] is not None
        # the same key and body: the original operation, not a second transfer
        again = client.post("/tokens/transfers", json=body, headers=headers)
        assert again.status_code == 202
        assert again.json()["id"] == op["id"]
        assert client.get(f"/operations/{op['id']}", headers=gw.key("bank")).json()["status"] == "succeeded"
        # a failing transfer (more than the balance) fails with the decoded revert, reported by the child
        huge = client.post(
            "/tokens/transfers?confirm=true",
            json={"to": gw.address("collector"), "amount_fen": 10**15},
            headers={**gw.key("bank"), "Idempotency-Key": "bg-2"},
        )
        assert huge.status_code == 200, huge.text
        assert huge.json()["status"] == "failed"
        assert huge.json()["error_code"] == "CHN-REVERT"
        # the writers' process dies: /readyz says so ...
        os.kill(child, signal.SIGKILL)
        assert wait_until(lambda: client.get("/readyz").status_code == 503, timeout=10)
        assert "background process" in client.get("/readyz").json()["detail"]
        # ... and the gateway starts a new one, which writes again
        assert wait_until(lambda: client.get("/readyz").status_code == 200, timeout=60)
        ready = client.get("/readyz").json()
        assert ready["background_pid"] != child
        assert ready["background_restarts"] == 1
        r = client.post(
            "/tokens/transfers?confirm=true",
            json={"to": gw.address("collector"), "amount_fen": 5},
            headers={**gw.key("bank"), "Idempotency-Key": "bg-3"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "succeeded"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_background_process_exits_when_the_gateway_is_killed(gw_chain, chain_snapshot, db_url, tmp_path):
    node, deployments_file = gw_chain
    token = migrated_key(db_url)
    env = serve_env(node, deployments_file, tmp_path / "gw", db_url)
    gw = GatewayProcess(env, free_port(), tmp_path / "gateway.log")
    try:
        gw.start()
        first = httpx.get(gw.url + "/readyz", timeout=10).json()["background_pid"]
        assert _alive(first)
        gw.kill()  # SIGKILL: no shutdown code runs in the API process
        assert wait_until(lambda: not _alive(first), timeout=10), "the background process outlived the gateway"
        # a restarted gateway gets the signing keys (the old child released them) and writes again
        gw.start()
        second = httpx.get(gw.url + "/readyz", timeout=10).json()["background_pid"]
        assert second != first
        assert _alive(second)
        r = httpx.post(
            gw.url + "/tokens/transfers?confirm=true",
            json={"to": account("collector").address, "amount_fen": 3},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "after-restart"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "succeeded"
    finally:
        gw.stop()
