"""Exactly once across SIGKILL: kill the gateway while acknowledged writes are in flight, restart it,
and every acknowledged operation is on chain exactly once — none lost, none doubled."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from chain.network import Recourse
from tests.conftest import account, free_port
from tests.gateway.conftest import migrated_key, serve_env
from tests.support.serve_process import ServeProcess as GatewayProcess

pytestmark = pytest.mark.chain
TOTAL = 500
ERRORS: list[str] = []


HTTP = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=32))


@pytest.fixture(scope="module", autouse=True)
def _close_http():
    yield
    HTTP.close()


def _post(url: str, headers: dict[str, str], to: str, amount: int) -> str | None:
    """One write; returns the operation id if it was acknowledged, None if the connection died."""
    try:
        r = HTTP.post(
            f"{url}/tokens/transfers",
            json={"to": to, "amount_fen": amount},
            headers={**headers, "Idempotency-Key": f"crash-{amount}"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        ERRORS.append(repr(exc))
        return None
    assert r.status_code in (200, 202), r.text
    return str(r.json()["id"])


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_sigkill_with_acknowledged_writes_in_flight_executes_each_exactly_once(
    gw_chain, chain_snapshot, db_url, tmp_path
):
    node, deployments_file = gw_chain
    token = migrated_key(db_url)
    headers = {"Authorization": f"Bearer {token}"}
    port = free_port()
    env = serve_env(node, deployments_file, tmp_path / "gw", db_url)
    gw = GatewayProcess(env, port, tmp_path / "gateway.log")
    client = chain_snapshot()
    start_block = client.block_number()
    to = account("collector").address
    acked: dict[int, str] = {}
    try:
        gw.start()
        # round 1: 250 concurrent writes, SIGKILL while they are being acknowledged and sent
        with ThreadPoolExecutor(max_workers=16) as pool:
            futures = {pool.submit(_post, gw.url, headers, to, amount): amount for amount in range(1, 251)}
            while sum(f.done() for f in futures) < 150:
                time.sleep(0.005)
            gw.kill()
            for f, amount in futures.items():
                if (op := f.result()) is not None:
                    acked[amount] = op
        assert 150 <= len(acked) <= 250, ERRORS[:5]
        # round 2: restart; send the rest and retry the unacknowledged ones with the same keys; kill right
        # after the last acknowledgement, while the writer is still sending
        gw.start()
        with ThreadPoolExecutor(max_workers=16) as pool:
            missing = [a for a in range(1, TOTAL + 1) if a not in acked]
            for amount, op in zip(missing, pool.map(lambda a: _post(gw.url, headers, to, a), missing), strict=True):
                assert op is not None
                acked[amount] = op
        gw.kill()
        assert len(acked) == TOTAL
        # round 3: restart and let everything finish
        gw.start()
        deadline = time.monotonic() + 120
        pending = set(acked.values())
        while pending and time.monotonic() < deadline:
            for op in list(pending):
                status = HTTP.get(f"{gw.url}/operations/{op}", headers=headers).json()["status"]
                assert status != "failed", op
                if status == "succeeded":
                    pending.discard(op)
            time.sleep(0.2)
        assert not pending, f"{len(pending)} operations never finished"
    finally:
        gw.stop()
    # the chain is the judge: each amount transferred bank -> collector exactly once
    recourse = Recourse.load(client, deployments_file)
    events = recourse.token.events_between(from_block=start_block + 1)
    amounts = [
        e.args["value"]
        for e in events
        if e.name == "Transfer" and e.args["from"] == account("bank").address and e.args["to"] == to
    ]
    assert sorted(amounts) == list(range(1, TOTAL + 1))
