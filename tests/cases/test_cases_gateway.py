"""The case workflow through a real gateway (uvicorn on a free port) on a real anvil: publication from a
CSV upload, a 50-way claim race, recovery with evidence, confirmation and fee withdrawal, problems for
bad input, and a scan of every transaction input and log for the debtors' personal data."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from chain.client import ChainClient
from chain.config import ChainSettings
from chain.contracts.case_delegation import CaseStatus
from chain.contracts.consortium import Role
from chain.network import Recourse
from chain.node import AnvilNode
from node_api.services.apikeys import create_api_key
from node_api.settings import ApiSettings, DbSettings, GatewaySettings, IndexerSettings
from scripts.case_samples import SampleDebtor, case_csv
from scripts.demo_gateway import GatewayHandle, running_gateway
from tests.conftest import account, free_port, fresh_pg_database
from tests.gateway.conftest import INSTITUTION_ROLES, PEPPER, admit, chain_snapshot, gw_chain  # noqa: F401

INSTITUTIONS = [*INSTITUTION_ROLES, "collector-2"]
PROBLEM = "application/problem+json"


@pytest.fixture
def case_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if getattr(request, "param", "sqlite") == "postgresql":
        return fresh_pg_database(request.getfixturevalue("pg_server"))
    return f"sqlite:///{tmp_path / 'gateway.sqlite'}"


@pytest.fixture
def case_gw(
    gw_chain: tuple[AnvilNode, Path],  # noqa: F811
    chain_snapshot: Callable[[], ChainClient],  # noqa: F811
    tmp_path: Path,
    case_db: str,
) -> Iterator[tuple[GatewayHandle, Recourse]]:
    node, deployments = gw_chain
    probe = chain_snapshot()
    recourse = Recourse.load(probe, deployments)
    admit(recourse, probe, "collector-2", (Role.COLLECTOR,))
    g1, g2 = probe.sender(account("governor-1")), probe.sender(account("governor-2"))
    pid = recourse.consortium.propose_system_contract(g1, recourse.cases.address, enabled=True)
    recourse.consortium.approve(g2, pid)
    recourse.consortium.execute(g2, pid)
    settings = GatewaySettings(
        data_dir=tmp_path / "gw",
        chain=ChainSettings(rpc_url=node.url, port=node.port, deployments_file=deployments),
        db=DbSettings(url=case_db),
        api=ApiSettings(host="127.0.0.1", port=free_port(), confirm_timeout=30, background="thread"),
        indexer=IndexerSettings(poll_interval=0.05),
        institutions=INSTITUTIONS,
        api_key_pepper=PEPPER,  # type: ignore[arg-type]
    )
    with running_gateway(settings) as gw:
        yield gw, recourse


def key_for(gw: GatewayHandle, institution: str) -> dict[str, str]:
    from node_api.db.engine import make_engine

    engine = make_engine(gw.settings.db_url)
    try:
        with Session(engine) as s:
            _, token = create_api_key(session=s, institution=institution, scopes=["*"], label="t", pepper=PEPPER)
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {token}"}


def publish(http: httpx.Client, bank: dict[str, str], data: bytes, key: str, budget: int = 500_000) -> dict[str, Any]:
    r = http.post(
        "/cases/batches",
        params={"confirm": "true"},
        headers={**bank, "Idempotency-Key": key},
        files={"file": ("cases.csv", data, "text/csv")},
        data={"fee_budget_fen": str(budget)},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [op["status"] for op in body["operations"]] == ["succeeded", "succeeded"], body
    return body


def wait_op(http: httpx.Client, headers: dict[str, str], op_id: str, timeout: float = 30) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        op = http.get(f"/operations/{op_id}", headers=headers).json()
        if op["status"] in ("succeeded", "failed"):
            return op
        time.sleep(0.05)
    raise AssertionError(f"operation {op_id} did not finish")


@pytest.mark.parametrize("case_db", ["sqlite", "postgresql"], indirect=True)
def test_publish_race_recover_and_no_pii_on_chain(case_gw: tuple[GatewayHandle, Recourse]) -> None:
    gw, recourse = case_gw
    bank, col1, col2 = key_for(gw, "bank"), key_for(gw, "collector"), key_for(gw, "collector-2")
    now = recourse.client.block_timestamp()
    data, debtors = case_csv(6, deadline=now + 30 * 86400)
    start_block = recourse.client.block_number()
    with httpx.Client(base_url=gw.url, timeout=60) as http:
        body = publish(http, bank, data, "pub-1")
        batch = body["batch"]
        assert batch["case_count"] == 6
        assert batch["chain_batch_id"] == 1
        assert batch["remaining_budget_fen"] == 500_000
        # the same key and file again: the same batch, no new operations
        again = http.post(
            "/cases/batches",
            headers={**bank, "Idempotency-Key": "pub-1"},
            files={"file": ("cases.csv", data, "text/csv")},
            data={"fee_budget_fen": "500000"},
        )
        assert again.status_code == 202
        assert again.json()["batch"]["id"] == batch["id"]

        listed = http.get("/cases", headers=col1, params={"batch": batch["id"]}).json()
        assert listed["count"] == 6
        assert all(c["case_ref"] is None for c in listed["data"])  # the bank's reference is the bank's
        text = http.get("/cases", headers=col1).text
        for d in debtors:
            assert d.name not in text
            assert d.id_number not in text
            assert d.phone not in text
        case_id = listed["data"][0]["case_id"]

    # --- 50 concurrent claims for one case through the gateway: exactly one wins ---
    async def race() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=gw.url, timeout=60) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        f"/cases/{case_id}/claim",
                        headers={**(col1 if i % 2 else col2), "Idempotency-Key": f"race-{i}"},
                    )
                    for i in range(50)
                )
            )

    responses = asyncio.run(race())
    won = [r for r in responses if r.status_code == 202]
    lost = [r for r in responses if r.status_code == 409]
    assert len(won) == 1, [r.text for r in responses if r.status_code not in (202, 409)]
    assert len(lost) == 49
    for r in lost:
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["code"] == "CAS-409"
        assert "already" in r.json()["detail"] or "being claimed" in r.json()["detail"]
        # the case's state is an extension member of its own: RFC 9457's numeric status stays the status
        assert r.json()["status"] == 409
        assert r.json()["case_status"] in ("claimed", "claiming", "offered")
    with httpx.Client(base_url=gw.url, timeout=60) as http:
        winner_headers = col1 if won[0].request.headers["Idempotency-Key"].endswith(("1", "3", "5", "7", "9")) else col2
        op = wait_op(http, winner_headers, won[0].json()["id"])
        assert op["status"] == "succeeded", op
        case = http.get(f"/cases/{case_id}", headers=bank).json()
        assert case["status"] == "claimed"
        assert case["source"] == "chain"
        winner = case["collector"]
        # a late claim gets the holder from the chain
        late = http.post(f"/cases/{case_id}/claim", headers={**col1, "Idempotency-Key": "late"})
        assert late.status_code == 409
        assert late.json()["collector"] == winner

        # --- recovery with an evidence digest (anchored by the gateway), confirmation, fee ---
        holder = col1 if winner == account("collector").address else col2
        digest = "0x" + hashlib.sha256(b"bank transfer receipt #1").hexdigest()
        r = http.post(
            f"/cases/{case_id}/recoveries",
            params={"confirm": "true"},
            headers={**holder, "Idempotency-Key": "rec-1"},
            json={"amount_fen": 40_001, "evidence_digest": digest},
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "succeeded", r.text
        r = http.post(
            f"/cases/{case_id}/recoveries/confirm",
            params={"confirm": "true"},
            headers={**bank, "Idempotency-Key": "conf-1"},
            json={"close_case": True},
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "succeeded", r.text
        fees = http.get(f"/cases/fees/{winner}", headers=holder).json()
        assert fees["owed_fen"] == 40_001 * 1500 // 10_000 == 6_000
        before = recourse.token.balance_of(winner)
        r = http.post(
            "/cases/fees/withdrawals", params={"confirm": "true"}, headers={**holder, "Idempotency-Key": "w-1"}
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "succeeded", r.text
        assert recourse.token.balance_of(winner) == before + 6_000
        batch_now = http.get(f"/cases/batches/{batch['id']}", headers=bank).json()
        assert batch_now["remaining_budget_fen"] == 500_000 - 6_000
        assert recourse.token.balance_of(recourse.cases.address) == 500_000 - 6_000
        # the index catches up from the indexer's events
        end = time.monotonic() + 15
        while time.monotonic() < end:
            row = http.get("/cases", headers=bank, params={"status": "recovered_partly"}).json()
            if row["count"] == 1:
                break
            time.sleep(0.1)
        assert row["data"][0]["case_id"] == case_id
        assert row["data"][0]["recovered_fen"] == 40_001
        assert row["data"][0]["fees_fen"] == 6_000
        assert row["data"][0]["case_ref"] == debtors[0].case_ref  # the bank sees its own reference

    _assert_no_pii(recourse.client, start_block, debtors)


def _assert_no_pii(client: ChainClient, start_block: int, debtors: list[SampleDebtor]) -> None:
    needles: list[bytes] = []
    for d in debtors:
        for text in (d.name, d.id_number, d.phone, d.address):
            raw = text.encode("utf-8")
            needles += [raw, raw.hex().encode()]
    end = client.block_number()
    scanned_txs = scanned_logs = 0
    for n in range(start_block, end + 1):
        block = client.rpc.call("eth_getBlockByNumber", [hex(n), True])
        for tx in block["transactions"]:
            blob = bytes.fromhex(tx["input"][2:])
            hexblob = tx["input"].lower().encode()
            for needle in needles:
                assert needle not in blob, f"personal data in tx {tx['hash']}"
                assert needle not in hexblob, f"personal data in tx {tx['hash']}"
            scanned_txs += 1
            receipt = client.rpc.call("eth_getTransactionReceipt", [tx["hash"]])
            for log in receipt["logs"]:
                data = bytes.fromhex(log["data"][2:]) + b"".join(bytes.fromhex(t[2:]) for t in log["topics"])
                for needle in needles:
                    assert needle not in data
                    assert needle not in log["data"].lower().encode()
                scanned_logs += 1
    assert scanned_txs >= 8
    assert scanned_logs >= 8


def test_bad_input_is_a_problem(case_gw: tuple[GatewayHandle, Recourse]) -> None:
    gw, recourse = case_gw
    bank, col1 = key_for(gw, "bank"), key_for(gw, "collector")
    now = recourse.client.block_timestamp()
    data, _ = case_csv(3, deadline=now + 86400)
    broken = data.replace(b"1500,", b"abc,", 1)
    with httpx.Client(base_url=gw.url, timeout=60) as http:
        r = http.post(
            "/cases/batches",
            headers={**bank, "Idempotency-Key": "bad-1"},
            files={"file": ("cases.csv", broken, "text/csv")},
            data={"fee_budget_fen": "1000"},
        )
        assert r.status_code == 422
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["code"] == "CIM-422"
        assert r.json()["errors"][0]["line"] == 2
        assert r.json()["errors"][0]["field"] == "fee_bps"
        # nothing was imported
        assert http.get("/cases", headers=bank).json()["count"] == 0
        # a collector cannot publish
        r = http.post(
            "/cases/batches",
            headers={**col1, "Idempotency-Key": "bad-2"},
            files={"file": ("cases.csv", data, "text/csv")},
            data={"fee_budget_fen": "1000"},
        )
        assert r.status_code == 403
        assert r.json()["code"] == "AUTH-003"
        r = http.post(f"/cases/0x{'ab' * 32}/claim", headers={**col1, "Idempotency-Key": "x"})
        assert r.status_code == 404
        assert r.json()["code"] == "CAS-404"
        body = publish(http, bank, data, "pub-ok", budget=1000)
        case_id = http.get("/cases", headers=col1).json()["data"][1]["case_id"]
        assert body["batch"]["case_count"] == 3
        # the bank cannot claim; confirming a recovery nobody reported is a state problem
        r = http.post(f"/cases/{case_id}/claim", headers={**bank, "Idempotency-Key": "b"})
        assert r.status_code == 403
        r = http.post(
            f"/cases/{case_id}/recoveries/confirm", headers={**bank, "Idempotency-Key": "c"}, json={"close_case": False}
        )
        assert r.status_code == 409
        assert r.json()["code"] == "CAS-412"


def test_cli_publish_list_claim_report(case_gw: tuple[GatewayHandle, Recourse], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from scripts.cli import app

    gw, recourse = case_gw
    runner = CliRunner()
    bank_env = {"RECOURSE_GATEWAY_URL": gw.url, "RECOURSE_API_KEY": key_for(gw, "bank")["Authorization"][7:]}
    col_env = {**bank_env, "RECOURSE_API_KEY": key_for(gw, "collector")["Authorization"][7:]}
    data, _ = case_csv(4, deadline=recourse.client.block_timestamp() + 86400 * 10)
    path = tmp_path / "cases.csv"
    path.write_bytes(data)
    out = runner.invoke(app, ["cases", "publish", str(path), "--budget", "1000.00"], env=bank_env)
    assert out.exit_code == 0, out.output
    assert "4 cases" in out.output
    assert "on chain as batch 1" in out.output
    assert "cases.publish: succeeded" in out.output
    listing = runner.invoke(app, ["cases", "list", "--status", "open"], env=col_env)
    assert listing.exit_code == 0, listing.output
    assert "4 case(s)" in listing.output
    case_id = http_first_case(gw, col_env["RECOURSE_API_KEY"])
    claimed = runner.invoke(app, ["cases", "claim", case_id], env=col_env)
    assert claimed.exit_code == 0, claimed.output
    assert f"claimed {case_id}" in claimed.output
    again = runner.invoke(
        app,
        ["cases", "claim", case_id],
        env={**col_env, "RECOURSE_API_KEY": key_for(gw, "collector-2")["Authorization"][7:]},
    )
    assert again.exit_code == 1
    assert "CAS-409" in again.output
    evidence = tmp_path / "receipt.pdf"
    evidence.write_bytes(b"%PDF receipt of a transfer")
    rep = runner.invoke(
        app, ["cases", "report", case_id, "--amount", "100.00", "--evidence", str(evidence)], env=col_env
    )
    assert rep.exit_code == 0, rep.output
    assert "reported recovery of ¥100.00" in rep.output
    assert recourse.cases.case(case_id).pending_amount == 10_000


def http_first_case(gw: GatewayHandle, token: str) -> str:
    with httpx.Client(base_url=gw.url, timeout=30) as http:
        body = http.get("/cases", headers={"Authorization": f"Bearer {token}"}).json()
    return str(body["data"][0]["case_id"])


def test_offer_decline_claim_return_and_settle(case_gw: tuple[GatewayHandle, Recourse]) -> None:
    gw, recourse = case_gw
    bank, col1, col2 = key_for(gw, "bank"), key_for(gw, "collector"), key_for(gw, "collector-2")
    investor = key_for(gw, "investor")
    now = recourse.client.block_timestamp()
    data, _ = case_csv(2, deadline=now + 1000)
    confirm = {"confirm": "true"}
    with httpx.Client(base_url=gw.url, timeout=60) as http:
        batch = publish(http, bank, data, "pub-offer", budget=2_000)["batch"]
        case_id = http.get("/cases", headers=col1, params={"batch": batch["id"]}).json()["data"][0]["case_id"]
        c2 = account("collector-2").address
        r = http.post(
            f"/cases/{case_id}/offer",
            params=confirm,
            headers={**bank, "Idempotency-Key": "offer-1"},
            json={"collector": c2, "window_seconds": 3600},
        )
        assert r.json()["status"] == "succeeded", r.text
        # while the offer stands, nobody else may claim it
        r = http.post(f"/cases/{case_id}/claim", headers={**col1, "Idempotency-Key": "early"})
        assert r.status_code == 409
        assert r.json()["collector"] == c2
        # only the offered collector answers
        r = http.post(f"/cases/{case_id}/decline", headers={**col1, "Idempotency-Key": "not-mine"})
        assert r.status_code == 403
        assert r.json()["code"] == "CAS-401"
        r = http.post(f"/cases/{case_id}/decline", params=confirm, headers={**col2, "Idempotency-Key": "decline-1"})
        assert r.json()["status"] == "succeeded", r.text
        r = http.post(f"/cases/{case_id}/claim", params=confirm, headers={**col1, "Idempotency-Key": "claim-after"})
        assert r.json()["status"] == "succeeded", r.text
        # the deadline has not passed: returning is a state problem
        r = http.post(f"/cases/{case_id}/return", headers={**investor, "Idempotency-Key": "ret-early"})
        assert r.status_code == 409
        assert r.json()["code"] == "CAS-412"
        recourse.client.rpc.call("evm_increaseTime", [1001])
        recourse.client.rpc.call("evm_mine")
        r = http.post(f"/cases/{case_id}/return", params=confirm, headers={**investor, "Idempotency-Key": "ret"})
        assert r.json()["status"] == "succeeded", r.text
        assert http.get(f"/cases/{case_id}", headers=bank).json()["status"] == "returned"
        before = recourse.token.balance_of(account("bank").address)
        r = http.post(
            f"/cases/batches/{batch['id']}/settlement", params=confirm, headers={**bank, "Idempotency-Key": "settle"}
        )
        assert r.json()["status"] == "succeeded", r.text
        assert recourse.token.balance_of(account("bank").address) == before + 2_000
        assert http.get(f"/cases/batches/{batch['id']}", headers=bank).json()["settled"] is True


def test_bank_recalls_a_never_claimed_case_and_a_held_one(case_gw: tuple[GatewayHandle, Recourse]) -> None:
    gw, recourse = case_gw
    bank, col1 = key_for(gw, "bank"), key_for(gw, "collector")
    now = recourse.client.block_timestamp()
    data, _ = case_csv(2, deadline=now + 1000)
    confirm = {"confirm": "true"}
    with httpx.Client(base_url=gw.url, timeout=60) as http:
        batch = publish(http, bank, data, "pub-recall", budget=2_000)["batch"]
        cases = http.get("/cases", headers=col1, params={"batch": batch["id"]}).json()["data"]
        untouched, held = cases[0]["case_id"], cases[1]["case_id"]
        # only the publishing bank recalls
        r = http.post(f"/cases/{untouched}/recall", headers={**col1, "Idempotency-Key": "not-bank"})
        assert r.status_code == 403
        # nobody ever touched it: recalled by proving its terms against the batch root
        r = http.post(f"/cases/{untouched}/recall", params=confirm, headers={**bank, "Idempotency-Key": "recall-1"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "succeeded", r.text
        assert recourse.cases.case(untouched).status is CaseStatus.RECALLED
        assert http.get(f"/cases/{untouched}", headers=bank).json()["status"] == "recalled"
        # and nobody can claim it any more
        r = http.post(f"/cases/{untouched}/claim", headers={**col1, "Idempotency-Key": "too-late"})
        assert r.status_code == 409
        assert r.json()["code"] == "CAS-410"
        # a claimed case is recalled by its id
        r = http.post(f"/cases/{held}/claim", params=confirm, headers={**col1, "Idempotency-Key": "claim-held"})
        assert r.json()["status"] == "succeeded", r.text
        r = http.post(f"/cases/{held}/recall", params=confirm, headers={**bank, "Idempotency-Key": "recall-2"})
        assert r.json()["status"] == "succeeded", r.text
        assert r.json()["kind"] == "cases.recall"
        assert recourse.cases.case(held).status is CaseStatus.RECALLED
        assert recourse.cases.open_cases_of(account("collector").address) == 0


def test_a_reorg_that_drops_a_claim_rewinds_the_case_index(case_gw: tuple[GatewayHandle, Recourse]) -> None:
    gw, recourse = case_gw
    bank, col1 = key_for(gw, "bank"), key_for(gw, "collector")
    now = recourse.client.block_timestamp()
    data, _ = case_csv(2, deadline=now + 1000)

    def indexed(http: httpx.Client, batch: str) -> dict[str, str]:
        rows = http.get("/cases", headers=bank, params={"batch": batch}).json()["data"]
        return {r["case_id"]: r["status"] for r in rows}

    with httpx.Client(base_url=gw.url, timeout=60) as http:
        batch = publish(http, bank, data, "pub-reorg", budget=2_000)["batch"]["id"]
        case_id = next(iter(indexed(http, batch)))
        r = http.post(f"/cases/{case_id}/claim", params={"confirm": "true"}, headers={**col1, "Idempotency-Key": "c"})
        assert r.json()["status"] == "succeeded", r.text
        claimed_in = r.json()["block_number"]
        assert recourse.client.block_number() == claimed_in  # the claim is the newest block
        deadline = time.monotonic() + 10
        while indexed(http, batch)[case_id] != "claimed":
            assert time.monotonic() < deadline, "the claim never reached the case index"
            time.sleep(0.05)
        # the block holding the claim is replaced by an empty one: on chain the case is back in the pool
        recourse.client.rpc.call("anvil_reorg", [1, []])
        assert recourse.cases.case(case_id).status is CaseStatus.NONE
        deadline = time.monotonic() + 10
        while indexed(http, batch)[case_id] != "open":
            assert time.monotonic() < deadline, f"the case index still says {indexed(http, batch)[case_id]}"
            time.sleep(0.05)
        # the gateway's reservation of the dropped claim does not hold the case: another collector gets it
        col2 = key_for(gw, "collector-2")
        r = http.post(f"/cases/{case_id}/claim", params={"confirm": "true"}, headers={**col2, "Idempotency-Key": "c2"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "succeeded", r.text
        assert recourse.cases.case(case_id).collector == account("collector-2").address


def test_case_file_over_the_batch_limits_is_413_and_imports_nothing(case_gw: tuple[GatewayHandle, Recourse]) -> None:
    """More rows than ``max_batch_rows`` or more bytes than ``max_batch_bytes``: a ``CIM-413`` problem
    saying how to fix it, nothing imported, no operation; exactly at the limit is accepted."""
    gw, recourse = case_gw
    bank = key_for(gw, "bank")
    now = recourse.client.block_timestamp()
    limits = gw.settings.casework
    limits.max_batch_rows = 3
    four, _ = case_csv(4, deadline=now + 86400)
    three, _ = case_csv(3, deadline=now + 86400)
    with httpx.Client(base_url=gw.url, timeout=60) as http:

        def refused(data: bytes, key: str) -> dict[str, Any]:
            r = http.post(
                "/cases/batches",
                headers={**bank, "Idempotency-Key": key},
                files={"file": ("cases.csv", data, "text/csv")},
                data={"fee_budget_fen": "1000"},
            )
            assert r.status_code == 413, r.text
            assert r.headers["content-type"].startswith(PROBLEM)
            assert r.json()["code"] == "CIM-413"
            assert "split" in r.json()["detail"]
            return r.json()

        assert "more than 3 cases" in refused(four, "rows")["detail"]
        limits.max_batch_bytes = len(three) - 1
        assert refused(three, "bytes")["max_bytes"] == len(three) - 1
        assert http.get("/cases", headers=bank).json()["count"] == 0
        assert http.get("/cases/batches", headers=bank).json()["count"] == 0
        limits.max_batch_bytes = len(three)
        body = publish(http, bank, three, "at-limit", budget=1000)
        assert body["batch"]["case_count"] == 3
