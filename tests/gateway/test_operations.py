"""Operations: 202 + id, confirm, idempotent replay, 409 on conflicting reuse, decoded failures."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from sqlmodel import Session

from node_api import outbox
from node_api.db.models import Operation
from node_api.services.operations import submit_operation
from tests.conftest import account
from tests.support.waiting import wait_until

pytestmark = pytest.mark.chain


def test_transfer_is_accepted_then_confirmed(gateway):
    bank = gateway.key("bank")
    body = {"to": gateway.address("collector"), "amount_fen": 12_345}
    r = gateway.http.post("/tokens/transfers", json=body, headers={**bank, "Idempotency-Key": "pay-1"})
    assert r.status_code == 202
    op_id = r.json()["id"]
    assert r.json()["status"] in ("pending", "sent", "succeeded")
    done = gateway.http.post("/tokens/transfers?confirm=true", json=body, headers={**bank, "Idempotency-Key": "pay-1"})
    assert done.status_code == 200
    assert done.json()["id"] == op_id
    assert done.json()["status"] == "succeeded"
    assert done.json()["tx_hash"].startswith("0x")
    assert done.json()["block_number"] > 0
    bal = gateway.http.get(f"/tokens/balances/{gateway.address('collector')}", headers=bank).json()
    assert bal["balance_fen"] == 12_345


def test_same_key_same_body_returns_the_original_and_sends_once(gateway):
    bank = gateway.key("bank")
    body = {"to": gateway.address("investor"), "amount_fen": 700}
    ids = {
        gateway.http.post("/tokens/transfers?confirm=true", json=body, headers={**bank, "Idempotency-Key": "k"}).json()[
            "id"
        ]
        for _ in range(3)
    }
    assert len(ids) == 1
    bal = gateway.http.get(f"/tokens/balances/{gateway.address('investor')}", headers=bank).json()
    assert bal["balance_fen"] == 700


def test_same_key_different_body_is_409_problem(gateway):
    bank = gateway.key("bank")
    to = gateway.address("investor")
    first = gateway.http.post(
        "/tokens/transfers", json={"to": to, "amount_fen": 1}, headers={**bank, "Idempotency-Key": "x"}
    )
    assert first.status_code == 202
    r = gateway.http.post(
        "/tokens/transfers", json={"to": to, "amount_fen": 2}, headers={**bank, "Idempotency-Key": "x"}
    )
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "OPS-409"
    assert r.json()["operation_id"] == first.json()["id"]


def test_idempotency_keys_are_per_institution(gateway):
    to = gateway.address("court")
    a = gateway.http.post(
        "/tokens/transfers",
        json={"to": to, "amount_fen": 1},
        headers={**gateway.key("bank"), "Idempotency-Key": "same"},
    )
    b = gateway.http.post(
        "/tokens/transfers",
        json={"to": to, "amount_fen": 1},
        headers={**gateway.key("investor"), "Idempotency-Key": "same"},
    )
    assert a.status_code == b.status_code == 202
    assert a.json()["id"] != b.json()["id"]


def test_missing_idempotency_key_is_400_problem(gateway):
    r = gateway.http.post(
        "/tokens/transfers", json={"to": gateway.address("court"), "amount_fen": 1}, headers=gateway.key("bank")
    )
    assert r.status_code == 400
    assert r.json()["code"] == "OPS-400"


def test_revert_is_decoded_on_the_operation(gateway):
    bank = gateway.key("bank")
    outsider = "0x" + "12" * 20
    r = gateway.http.post(
        "/tokens/transfers?confirm=true",
        json={"to": outsider, "amount_fen": 5},
        headers={**bank, "Idempotency-Key": "o"},
    )
    assert r.status_code == 200
    op = r.json()
    assert op["status"] == "failed"
    assert op["error_name"] == "SettlementTokenNotMember"
    assert op["error_args"] == {"account": "0x1212121212121212121212121212121212121212"}
    fetched = gateway.http.get(f"/operations/{op['id']}", headers=bank).json()
    assert fetched["error_name"] == "SettlementTokenNotMember"


def test_revert_integer_arguments_are_always_decimal_strings(gateway):
    """A small and a large amount of the same kind look the same: decimal strings, never a number for one
    and a string for the other."""
    court = gateway.key("court")
    r = gateway.http.post(
        "/tokens/transfers?confirm=true",
        json={"to": gateway.address("collector"), "amount_fen": 5},
        headers={**court, "Idempotency-Key": "poor"},
    )
    assert r.status_code == 200, r.text
    op = r.json()
    assert (op["status"], op["error_name"]) == ("failed", "ERC20InsufficientBalance")
    assert op["error_args"] == {"sender": gateway.address("court"), "balance": "0", "needed": "5"}


def test_operations_are_private_to_their_institution(gateway):
    r = gateway.http.post(
        "/tokens/transfers", json={"to": gateway.address("court"), "amount_fen": 1},
        headers={**gateway.key("bank"), "Idempotency-Key": "p"},
    )  # fmt: skip
    other = gateway.http.get(f"/operations/{r.json()['id']}", headers=gateway.key("investor"))
    assert other.status_code == 404
    assert other.json()["code"] == "GEN-404"
    # once finished, the operation is served from memory: still private, still the same answer
    done = gateway.http.post(
        "/tokens/transfers?confirm=true", json={"to": gateway.address("court"), "amount_fen": 1},
        headers={**gateway.key("bank"), "Idempotency-Key": "p"},
    )  # fmt: skip
    assert done.json()["status"] == "succeeded"
    first = gateway.http.get(f"/operations/{r.json()['id']}", headers=gateway.key("bank")).json()
    assert gateway.state.finished.get("bank", first["id"]) is not None
    assert gateway.http.get(f"/operations/{first['id']}", headers=gateway.key("bank")).json() == first
    assert gateway.http.get(f"/operations/{first['id']}", headers=gateway.key("investor")).status_code == 404


def test_burst_of_writes_all_succeed_in_order(gateway):
    bank = gateway.key("bank")
    to = gateway.address("collector")
    ids = [
        gateway.http.post(
            "/tokens/transfers", json={"to": to, "amount_fen": i + 1}, headers={**bank, "Idempotency-Key": f"b-{i}"}
        ).json()["id"]
        for i in range(60)
    ]
    last = gateway.http.post(
        "/tokens/transfers?confirm=true", json={"to": to, "amount_fen": 60}, headers={**bank, "Idempotency-Key": "b-59"}
    ).json()
    assert last["status"] == "succeeded"
    ops = [gateway.http.get(f"/operations/{i}", headers=bank).json() for i in ids]
    assert {o["status"] for o in ops} == {"succeeded"}
    nonces = [o["nonce"] for o in ops]
    assert nonces == sorted(nonces)
    assert len(set(nonces)) == len(nonces)
    bal = gateway.http.get(f"/tokens/balances/{to}", headers=bank).json()
    assert bal["balance_fen"] == sum(range(1, 61))


def test_chain_reads_are_shared_per_block_and_follow_new_blocks(gateway):
    """Balances are remembered per head block; a write of this gateway is visible right after it is confirmed."""
    bank = gateway.key("bank")
    court = gateway.address("court")
    first = gateway.http.get(f"/tokens/balances/{court}", headers=bank).json()
    assert gateway.state.roles.wait_for_block(first["block_number"])
    same = gateway.http.get(f"/tokens/balances/{court}", headers=bank).json()
    assert same["balance_fen"] == first["balance_fen"]
    body = {"to": court, "amount_fen": 7}
    op = gateway.http.post("/tokens/transfers?confirm=true", json=body, headers={**bank, "Idempotency-Key": "hc"})
    assert op.json()["status"] == "succeeded"
    now = gateway.http.get(f"/tokens/balances/{court}", headers=bank).json()  # read your writes, at once
    assert now["balance_fen"] == first["balance_fen"] + 7
    assert now["block_number"] >= op.json()["block_number"]
    me = gateway.http.get("/me", headers=gateway.key("court")).json()
    assert me["balance_fen"] == now["balance_fen"]


def _planned_transfer(gateway, key: str, gas: int) -> str:
    """A 1-fen transfer to the investor persisted through the write path with ``gas`` as its limit, as a
    planner that asked the chain leaves it; its writer is woken. Returns the operation id."""
    state = gateway.state
    tx = replace(state.recourse.token.request("transfer", gateway.address("investor"), 1), gas=gas)
    with Session(state.engine, expire_on_commit=False) as s:
        op, _ = submit_operation(
            session=s,
            institution="bank",
            sender=gateway.address("bank"),
            idempotency_key=key,
            kind="token.transfer",
            body={"amount_fen": 1},
            tx=tx,
        )
    state.writer_for("bank").wake()
    return op.id


def _finished(gateway, op_id: str) -> Operation:
    def done() -> Operation | None:
        with Session(gateway.state.engine, expire_on_commit=False) as s:
            op = s.get(Operation, op_id)
            return op if op is not None and op.status in ("succeeded", "failed") else None

    assert wait_until(done, timeout=20)
    op = done()
    assert op is not None
    return op


def test_a_gas_limit_from_the_planner_is_sent_without_estimating_again(gateway):
    op = _finished(gateway, _planned_transfer(gateway, "planned", 300_000))
    assert (op.status, op.gas, op.attempts) == ("succeeded", 300_000, 1)  # the writer's estimate would be ~65k


def test_a_transaction_out_of_gas_is_estimated_and_sent_once_more(gateway):
    bank = gateway.key("bank")
    investor = gateway.address("investor")
    before = gateway.http.get(f"/tokens/balances/{investor}", headers=bank).json()["balance_fen"]
    op = _finished(gateway, _planned_transfer(gateway, "short", 30_000))  # a transfer needs more than 30k
    assert (op.status, op.attempts) == ("succeeded", 2)
    assert (op.gas or 0) > 30_000
    after = gateway.http.get(f"/tokens/balances/{investor}", headers=bank).json()["balance_fen"]
    assert after == before + 1  # exactly once: the first transaction was mined void


def test_a_transaction_the_node_holds_but_never_mines_is_sent_again_without_new_blocks(
    gateway, chain_snapshot, monkeypatch, caplog
):
    """An automining node with no other sender mines no further block by itself: a transaction stuck in
    its pool must be cleared and sent again after a while even though the head never moved."""
    monkeypatch.setattr(outbox, "STUCK_SECONDS", 1.0)
    probe = chain_snapshot()
    bank = gateway.key("bank")
    investor = gateway.address("investor")
    before = gateway.http.get(f"/tokens/balances/{investor}", headers=bank).json()["balance_fen"]
    probe.rpc.call("evm_setAutomine", [False])
    try:
        op_id = _planned_transfer(gateway, "held", 100_000)
        head = probe.block_number()
        caplog.set_level(logging.WARNING, logger="node_api.outbox")
        assert wait_until(lambda: "action=clear-pool-rebroadcast" in caplog.text, timeout=20), caplog.text
        assert probe.block_number() == head  # nothing was mined meanwhile
    finally:
        probe.rpc.call("evm_setAutomine", [True])
    probe.rpc.call("evm_mine")
    op = _finished(gateway, op_id)
    assert op.status == "succeeded"
    after = gateway.http.get(f"/tokens/balances/{investor}", headers=bank).json()["balance_fen"]
    assert after == before + 1


def test_an_operation_whose_nonce_the_key_used_elsewhere_is_sent_again(gateway, chain_snapshot, caplog):
    """The bank's key signs a transaction outside the gateway (a script, the CLI): the writer's next nonce is
    then taken. Its transaction is refused as "nonce too low" and can never be mined, so the operation goes
    out again with the next free nonce instead of being rebroadcast forever."""
    probe = chain_snapshot()
    state = gateway.state
    investor = gateway.address("investor")
    bank = gateway.key("bank")
    before = gateway.http.get(f"/tokens/balances/{investor}", headers=bank).json()["balance_fen"]
    _finished(gateway, _planned_transfer(gateway, "warm", 100_000))  # the writer knows its next nonce now
    outside = probe.sender(account("bank"))
    outside.transact(state.recourse.token.request("transfer", investor, 10))
    caplog.set_level(logging.WARNING, logger="node_api.outbox")
    op = _finished(gateway, _planned_transfer(gateway, "after-outside", 100_000))
    assert "writer.nonce-taken" in caplog.text
    assert (op.status, op.attempts) == ("succeeded", 2)
    after = gateway.http.get(f"/tokens/balances/{investor}", headers=bank).json()["balance_fen"]
    assert after == before + 1 + 10 + 1  # each transfer exactly once
