"""``recourse serve``'s supervisor against a real gateway: an API process that crashes (SIGKILL, SIGSEGV)
is replaced on the same port, ``/readyz`` and the log say so, an acknowledged write made just before
the crash is on chain exactly once, a write after it works, and killing the supervisor stops the tree."""

from __future__ import annotations

import os
import signal

import httpx
import pytest

from chain.network import Recourse
from tests.conftest import account, free_port
from tests.gateway.conftest import migrated_key, serve_env
from tests.support.serve_process import ServeProcess
from tests.support.waiting import wait_until

pytestmark = pytest.mark.chain


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except OSError:
        return False


def _ready(url: str) -> dict | None:
    try:
        r = httpx.get(url + "/readyz", timeout=2)
    except httpx.HTTPError:
        return None
    return r.json() if r.status_code == 200 else None


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV], ids=["sigkill", "sigsegv"])
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_crashed_api_process_is_restarted_and_acknowledged_writes_land_once(
    gw_chain, chain_snapshot, db_url, tmp_path, sig
):
    node, deployments_file = gw_chain
    token = migrated_key(db_url)
    auth = {"Authorization": f"Bearer {token}"}
    gw = ServeProcess(serve_env(node, deployments_file, tmp_path / "gw", db_url), free_port(), tmp_path / "gw.log")
    client = chain_snapshot()
    start_block = client.block_number()
    to = account("collector").address
    before_amount, after_amount = 4_101, 4_102
    try:
        gw.start()
        first = _ready(gw.url)
        assert first is not None
        assert first["api_restarts"] == 0
        assert first["api_last_exit"] is None
        api, background = first["api_pid"], first["background_pid"]
        assert api == gw.pid  # what benchmarks measure: the API process, not the supervisor
        assert api != gw.supervisor_pid

        # acknowledged (202: committed to the outbox), then the API process crashes at once
        before = httpx.post(
            gw.url + "/tokens/transfers",
            json={"to": to, "amount_fen": before_amount},
            headers={**auth, "Idempotency-Key": "before-crash"},
            timeout=30,
        )
        assert before.status_code == 202, before.text
        assert gw.kill_api(sig) == api

        # its background process exits by itself (it must not keep sending beside its successor) ...
        assert wait_until(lambda: not _alive(background), timeout=5), "the orphaned background process lived on"
        # ... and the supervisor, still the same process, starts a new API process on the same port
        assert wait_until(lambda: (r := _ready(gw.url)) is not None and r["api_restarts"] == 1, timeout=60), gw.tail()
        after_ready = _ready(gw.url)
        assert after_ready is not None
        assert after_ready["api_pid"] != api
        assert after_ready["api_last_exit"].startswith(f"signal {sig.name} at ")
        assert after_ready["background_pid"] != background
        assert gw.proc is not None
        assert gw.proc.poll() is None
        log = gw.tail(20_000)
        assert f"serve.api.died pid={api} exit=signal {sig.name} restarts=1 action=restart" in log
        assert "Traceback" not in log

        # the write acknowledged before the crash completes; replaying its key returns the same operation
        op = before.json()["id"]
        assert wait_until(
            lambda: httpx.get(f"{gw.url}/operations/{op}", headers=auth, timeout=10).json()["status"] == "succeeded",
            timeout=60,
        )
        replay = httpx.post(
            gw.url + "/tokens/transfers",
            json={"to": to, "amount_fen": before_amount},
            headers={**auth, "Idempotency-Key": "before-crash"},
            timeout=30,
        )
        assert replay.json()["id"] == op
        # a new write after the restart works
        after = httpx.post(
            gw.url + "/tokens/transfers?confirm=true",
            json={"to": to, "amount_fen": after_amount},
            headers={**auth, "Idempotency-Key": "after-crash"},
            timeout=30,
        )
        assert after.status_code == 200, after.text
        assert after.json()["status"] == "succeeded"

        # SIGKILL to the supervisor's PID stops everything it started
        survivors = [after_ready["api_pid"], after_ready["background_pid"]]
        gw.kill()
        assert wait_until(lambda: not any(_alive(p) for p in survivors), timeout=10), "a gateway process outlived it"
    finally:
        gw.stop()
    recourse = Recourse.load(client, deployments_file)
    amounts = [
        e.args["value"]
        for e in recourse.token.events_between(from_block=start_block + 1)
        if e.name == "Transfer" and e.args["from"] == account("bank").address and e.args["to"] == to
    ]
    assert sorted(amounts) == [before_amount, after_amount]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sigterm_stops_the_gateway_gracefully_with_exit_zero(gw_chain, chain_snapshot, db_url, tmp_path):
    node, deployments_file = gw_chain
    migrated_key(db_url)
    gw = ServeProcess(serve_env(node, deployments_file, tmp_path / "gw", db_url), free_port(), tmp_path / "gw.log")
    try:
        gw.start()
        ready = _ready(gw.url)
        assert ready is not None
        tree = [ready["api_pid"], ready["background_pid"]]
        assert gw.proc is not None
        os.kill(gw.supervisor_pid, signal.SIGTERM)
        assert gw.proc.wait(timeout=30) == 0, gw.tail()
        assert not any(_alive(p) for p in tree)
        assert "serve.api.died" not in gw.tail(20_000)
    finally:
        gw.stop()
