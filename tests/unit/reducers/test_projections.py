"""The gateway's projections on SQLite, without a chain: apply is idempotent and writes only what
changed, events about rows the gateway does not own are ignored, and rewind replays the stored events
that survive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from chain.events import event_key
from chain.reducers import Event
from chain.reducers._base import ZERO_ADDRESS
from node_api.db.cases_models import CaseBatch, CaseEntry
from node_api.db.engine import make_engine, migrate
from node_api.db.models import BalanceRow, ChainEvent, MemberRow
from node_api.projections import BalanceProjection, CaseProjection, MemberProjection
from node_api.projections._base import table_of
from tests.unit.reducers._events import A, B

EVENTS, CASES, BALANCES, MEMBERS = (table_of(m) for m in (ChainEvent, CaseEntry, BalanceRow, MemberRow))
MINE, OTHERS = "0x" + "11" * 32, "0x" + "22" * 32


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    e = make_engine(f"sqlite:///{tmp_path / 'p.sqlite'}")
    migrate(e)
    yield e
    e.dispose()


def ev(block: int, contract: str, name: str, **args: Any) -> Event:
    return Event(event_key(block, 0, 0), block, contract, name, args)


def stored(engine: Engine, *events: Event) -> None:
    """Store events as the indexer does (for replays)."""
    rows = [
        {
            "key": e.key,
            "block_number": e.block_number,
            "block_hash": "0x",
            "tx_hash": "0x",
            "tx_index": 0,
            "log_index": 0,
            "contract": e.contract,
            "address": A,
            "name": e.name,
            "args": dict(e.args),
        }
        for e in events
    ]
    with engine.begin() as conn:
        conn.execute(insert(EVENTS), rows)


def published_case(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(table_of(CaseBatch)),
            [
                {
                    "id": "b1",
                    "institution": "bank",
                    "bank": B,
                    "salt": "0x00",
                    "root": "0x01",
                    "case_count": 1,
                    "closes_at": 9,
                    "fee_budget_fen": 100,
                    "meta_digest": "0x02",
                    "source_format": "csv",
                    "approve_operation_id": "op-1",
                    "publish_operation_id": "op-2",
                }
            ],
        )
        conn.execute(
            insert(CASES),
            [
                {
                    "case_id": MINE,
                    "batch_id": "b1",
                    "position": 0,
                    "case_ref": "LN-1",
                    "debtor_commitment": "0x03",
                    "principal_fen": 10,
                    "overdue_fen": 10,
                    "overdue_days": 90,
                    "region": 310115,
                    "fee_bps": 1500,
                    "deadline": 99,
                }
            ],
        )


def case_row(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(select(CASES).where(CASES.c.case_id == MINE)).mappings().one()
    return {k: row[k] for k in ("status", "collector", "recovered_fen", "fees_fen", "last_event")}


def test_case_projection_updates_own_cases_only_and_rewinds(engine: Engine) -> None:
    published_case(engine)
    p = CaseProjection()
    claimed = ev(1, "CaseDelegation", "CaseClaimed", caseId=MINE, batchId=1, collector=A, region=1, deadline=9)
    elsewhere = ev(2, "CaseDelegation", "CaseClaimed", caseId=OTHERS, batchId=1, collector=A, region=1, deadline=9)
    confirmed = ev(
        3, "CaseDelegation", "RecoveryConfirmed", caseId=MINE, collector=A, amount=7, fee=1, recoveredTotal=7
    )
    stored(engine, claimed, elsewhere, confirmed)
    with engine.begin() as conn:
        p.apply(conn, [claimed, elsewhere, confirmed])
        p.apply(conn, [claimed, confirmed])  # delivered again: no change
        assert conn.execute(select(CASES.c.case_id)).scalars().all() == [MINE]
    row = case_row(engine)
    assert row["collector"].lower() == A
    assert (row["status"], row["recovered_fen"], row["fees_fen"], row["last_event"]) == ("claimed", 7, 1, confirmed.key)

    # a reorg drops block 3: the case goes back to its published state and replays block 1
    with engine.begin() as conn:
        conn.execute(EVENTS.delete().where(EVENTS.c.block_number > 2))
        p.rewind(conn, 2)
    row = case_row(engine)
    assert (row["status"], row["recovered_fen"], row["fees_fen"], row["last_event"]) == ("claimed", 0, 0, claimed.key)
    # rewinding to before everything leaves the published terms
    with engine.begin() as conn:
        conn.execute(EVENTS.delete())
        p.rewind(conn, -1)
    assert case_row(engine) == {
        "status": "open",
        "collector": None,
        "recovered_fen": 0,
        "fees_fen": 0,
        "last_event": None,
    }


def test_balance_and_member_projections_rebuild_from_the_stored_events(engine: Engine) -> None:
    mint = ev(1, "SettlementToken", "Transfer", **{"from": ZERO_ADDRESS, "to": A, "value": 2**60})
    pay = ev(2, "SettlementToken", "Transfer", **{"from": A, "to": B, "value": 5})
    admitted = ev(
        3,
        "Consortium",
        "MemberAdmitted",
        account=B,
        nameDigest="0x" + "01" * 32,
        roles=4,
        region=1,
        licenceExpiry=0,
        kycTier=1,
    )
    stored(engine, mint, pay, admitted)
    balances, members = BalanceProjection(), MemberProjection()
    with engine.begin() as conn:
        balances.apply(conn, [mint])
        balances.apply(conn, [pay])
        members.apply(conn, [admitted])
    with engine.connect() as conn:
        before = {a: (int(v), k) for a, v, k in conn.execute(select(BALANCES))}
        member = conn.execute(select(MEMBERS)).mappings().one()
    assert before == {A: (2**60 - 5, pay.key), B: (5, pay.key)}
    assert (member["address"], member["roles"], member["admitted_block"], member["suspended"]) == (B, 4, 3, False)
    with engine.begin() as conn:
        conn.execute(EVENTS.delete().where(EVENTS.c.block_number > 1))
        balances.rewind(conn, 1)
        members.rewind(conn, 1)
    with engine.connect() as conn:
        assert {a: int(v) for a, v, _ in conn.execute(select(BALANCES))} == {A: 2**60}
        assert conn.execute(select(MEMBERS)).all() == []
