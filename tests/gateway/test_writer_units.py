"""The writer's fast signer and the API's group commit, against the real libraries and a real database."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from eth_account import Account
from sqlmodel import Session, select

from chain.client import TxRequest
from node_api.db.engine import make_engine, migrate
from node_api.db.models import Operation
from node_api.outbox import FastSigner
from node_api.problems import IdempotencyConflictError, InvalidInputError
from node_api.services.operations import GroupCommitter, submit_operation
from tests.conftest import account

TRANSFER = bytes.fromhex("a9059cbb" + "00" * 12 + "11" * 20 + f"{1234:064x}")


@pytest.mark.parametrize(
    "fees",
    [
        {"maxFeePerGas": 2_000_000_000, "maxPriorityFeePerGas": 1_000_000_000},
        {"maxFeePerGas": 0, "maxPriorityFeePerGas": 0},
        {"gasPrice": 0},
        {"gasPrice": 7_000_000_000},
    ],
)
@pytest.mark.parametrize("to", ["0x" + "22" * 20, None])
@pytest.mark.parametrize("chain_id", [31337, 1337, 2**32 + 5])
def test_fast_signer_matches_eth_account_byte_for_byte(fees, to, chain_id):
    acct = account("bank")
    signer = FastSigner(acct, chain_id)
    for nonce, value, data in ((0, 0, TRANSFER), (1, 10**18, b""), (2**40, 1, TRANSFER * 3)):
        req = TxRequest(to, data, value=value)
        h, raw = signer.sign(req, nonce=nonce, gas=63_000, fees=fees)
        tx = {"chainId": chain_id, "nonce": nonce, "gas": 63_000, "value": value, "data": data, **fees}
        if to is not None:
            tx["to"] = to
        expected = acct.sign_transaction(tx)
        assert raw == "0x" + bytes(expected.raw_transaction).hex()
        assert h == "0x" + bytes(expected.hash).hex()
        assert Account.recover_transaction(raw) == acct.address


def _submit(session: Session, key: str, amount: int) -> tuple[Operation, bool]:
    return submit_operation(
        session=session,
        institution="bank",
        sender=account("bank").address,
        idempotency_key=key,
        kind="token.transfer",
        body={"amount_fen": amount},
        tx=TxRequest("0x" + "33" * 20, amount.to_bytes(32, "big")),
    )


@pytest.fixture
def committer(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'ops.sqlite'}")
    migrate(engine)
    gc = GroupCommitter(engine)
    yield gc
    gc.stop()
    engine.dispose()


def _run_together(committer: GroupCommitter, jobs):
    """Start every job at once from its own thread; returns results or exceptions in order."""
    out: list[object] = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = committer.run(jobs[i])
        except Exception as exc:  # noqa: BLE001 - compared by the test
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def test_group_commit_persists_every_job_and_dedupes_keys_within_a_group(committer):
    jobs = [lambda s, i=i: _submit(s, f"k{i % 20}", i % 20) for i in range(60)]
    results = _run_together(committer, jobs)
    assert all(isinstance(r, tuple) for r in results), results
    created = [r for r in results if r[1]]  # type: ignore[index]
    assert len(created) == 20  # the same key and body returns the original operation, never a second row
    ids = {r[0].id for r in results}  # type: ignore[index]
    assert len(ids) == 20
    assert committer.jobs == 60
    assert committer.groups < 60  # concurrent jobs shared transactions
    with Session(committer._engine) as s:
        rows = s.exec(select(Operation)).all()
    assert sorted(r.idempotency_key for r in rows) == sorted(f"k{i}" for i in range(20))
    assert all(r.status == "pending" for r in rows)


def test_group_commit_error_reaches_only_its_own_request(committer):
    committer.run(lambda s: _submit(s, "taken", 1))

    def dirty_then_fail(s: Session) -> tuple[Operation, bool]:
        # changes the session, then fails: the group is rerun job by job and this job's change is rolled back
        s.add(
            Operation(id="dirty", institution="bank", sender="0x", idempotency_key="dirty", request_hash="", kind="x")
        )
        s.flush()
        raise InvalidInputError("late failure")

    jobs = [
        lambda s: _submit(s, "taken", 2),  # same key, different body: 409, changes nothing
        dirty_then_fail,
        *[lambda s, i=i: _submit(s, f"fine{i}", i) for i in range(10)],
    ]
    results = _run_together(committer, jobs)
    assert isinstance(results[0], IdempotencyConflictError)
    assert isinstance(results[1], InvalidInputError)
    assert all(isinstance(r, tuple) and r[1] for r in results[2:]), results[2:]
    with Session(committer._engine) as s:
        keys = sorted(r.idempotency_key for r in s.exec(select(Operation)).all())
    assert keys == sorted(["taken", *[f"fine{i}" for i in range(10)]])  # nothing of the failed job
