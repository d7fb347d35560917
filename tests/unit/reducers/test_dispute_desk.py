"""The DisputeDesk reducer on hand-built events (three disputes' lives: an agreement honoured, a failed
mediation ruled for the claimant and appealed, an agreement defaulted; anomalies it must not hide), its
projection on SQLite (applying a chunk twice changes nothing, chunks equal one batch, a rewind rebuilds the index
from the stored events), and the mediator ratings read from that index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select
from sqlmodel import Session

from chain.contracts.dispute_desk import DisputeStatus, Instalment, Ruling
from chain.reducers import Event, replay
from chain.reducers._base import checksum
from chain.reducers.dispute_desk import REDUCER, DisputeDeskState
from node_api.db.disputes_models import (
    DisputeCase,
    DisputeCollateral,
    DisputeEvidence,
    DisputeInstalment,
    DisputePayee,
    DisputeRow,
    DisputeTotals,
)
from node_api.db.engine import make_engine, migrate
from node_api.db.models import ChainEvent
from node_api.projections import DisputeProjection
from node_api.projections._base import table_of
from node_api.services.disputes import get_dispute, mediator_ratings
from tests.unit.reducers._events import A, B, C, Script

BANK, COURT, COURT_2 = (checksum("0x" + b * 20) for b in ("ba", "c0", "c2"))
MEDIATOR_A, MEDIATOR_B, COLLECTOR = (checksum(x) for x in (A, B, C))
CASE_1, CASE_2, CASE_3 = ("0x" + f"{n:02x}" * 32 for n in (1, 2, 3))
ASSET, ROOT, DOC = "0x" + "11" * 32, "0x" + "22" * 32, "0x" + "33" * 32
DAY = 86_400
TABLES = [
    table_of(m)
    for m in (
        DisputeRow,
        DisputeInstalment,
        DisputeEvidence,
        DisputeCollateral,
        DisputeCase,
        DisputePayee,
        DisputeTotals,
    )
]


def _opened(s: Script, did: int, case: str, at: int, claim: int = 1000) -> Event:
    return s(
        "DisputeOpened",
        disputeId=did,
        caseId=case,
        opener=BANK,
        bank=BANK,
        collector=COLLECTOR,
        claimAmount=claim,
        openedAt=at,
    )


def _agreed(s: Script, did: int, mediator: str, at: int, schedule: list[tuple[int, int]], relief: int) -> Event:
    return s(
        "AgreementRecorded",
        disputeId=did,
        mediator=mediator,
        termsDigest=DOC,
        commitmentDigest=DOC,
        planDigest=DOC,
        total=sum(a for a, _ in schedule),
        relief=relief,
        grace=DAY,
        agreedAt=at,
        schedule=schedule,
    )


def life() -> list[Event]:
    """Dispute 1 (mediator A, 2 days to agree): confirmed, paid in two instalments, honoured, the bank withdraws.
    Dispute 2 (mediator A): mediation fails, for the claimant, the bank appeals, court 2 upholds it: enforceable.
    Dispute 3 (mediator B, assigned, 4 days to agree): confirmed, half paid, defaulted: enforceable."""
    s = Script("DisputeDesk")
    return [
        s("AppealWindowChanged", previous=0, current=15 * DAY),
        s("MediationRequirementChanged", required=True),
        _opened(s, 1, CASE_1, 0),
        s("EvidenceSubmitted", disputeId=1, party=BANK, root=ROOT),
        s("CollateralRegistered", disputeId=1, assetRef=ASSET, caseId=CASE_1),
        s("MediatorAssigned", disputeId=1, mediator=MEDIATOR_A, byBank=False),
        _agreed(s, 1, MEDIATOR_A, 2 * DAY, [(400, 10 * DAY), (500, 20 * DAY)], relief=100),
        s(
            "RulingGiven",
            disputeId=1,
            court=COURT,
            ruling=2,
            documentDigest=DOC,
            appealDeadline=17 * DAY,
            onAppeal=False,
        ),
        s("InstalmentPaid", disputeId=1, payer=COLLECTOR, payee=BANK, amount=400, paid=400),
        s("RulingFinal", disputeId=1, ruling=2, status=int(DisputeStatus.PERFORMING)),
        s("InstalmentPaid", disputeId=1, payer=COLLECTOR, payee=BANK, amount=500, paid=900),
        s("AgreementHonoured", disputeId=1, paid=900),
        s("PaymentWithdrawn", payee=BANK, amount=600),
        _opened(s, 2, CASE_2, 0),
        s("MediatorAssigned", disputeId=2, mediator=MEDIATOR_A, byBank=False),
        s("MediationFailed", disputeId=2, mediator=MEDIATOR_A, reasonDigest=DOC),
        s(
            "RulingGiven",
            disputeId=2,
            court=COURT,
            ruling=3,
            documentDigest=DOC,
            appealDeadline=15 * DAY,
            onAppeal=False,
        ),
        s("RulingAppealed", disputeId=2, by=BANK, reasonDigest=DOC),
        s("RulingGiven", disputeId=2, court=COURT_2, ruling=3, documentDigest=DOC, appealDeadline=0, onAppeal=True),
        s("RulingFinal", disputeId=2, ruling=3, status=int(DisputeStatus.FINAL)),
        s("CaseEnforceable", caseId=CASE_2, disputeId=2),
        _opened(s, 3, CASE_3, DAY),
        s("MediatorAssigned", disputeId=3, mediator=MEDIATOR_B, byBank=True),
        s("PayeeChanged", disputeId=3, previous=BANK, current=COLLECTOR),
        _agreed(s, 3, MEDIATOR_B, 5 * DAY, [(500, 10 * DAY), (500, 20 * DAY)], relief=0),
        s(
            "RulingGiven",
            disputeId=3,
            court=COURT,
            ruling=2,
            documentDigest=DOC,
            appealDeadline=20 * DAY,
            onAppeal=False,
        ),
        s("RulingFinal", disputeId=3, ruling=2, status=int(DisputeStatus.PERFORMING)),
        s("InstalmentPaid", disputeId=3, payer=BANK, payee=COLLECTOR, amount=300, paid=300),
        s("AgreementDefaulted", disputeId=3, index=0, due=500, paid=300),
        s("CaseEnforceable", caseId=CASE_3, disputeId=3),
    ]


def test_three_disputes_fold_into_the_contracts_state() -> None:
    state: DisputeDeskState = replay(life())["DisputeDesk"]
    assert state.anomalies == []
    one, two, three = state.disputes[1], state.disputes[2], state.disputes[3]
    assert (one.status, one.ruling, one.paid, one.total, one.relief) == (
        DisputeStatus.HONOURED,
        Ruling.CONFIRMED,
        900,
        900,
        100,
    )
    assert one.schedule == (Instalment(400, 10 * DAY), Instalment(500, 20 * DAY))
    assert (one.agreed_at, one.appeal_deadline, one.court) == (2 * DAY, 17 * DAY, COURT)
    assert one.evidence == [(BANK, ROOT)]
    assert one.collateral == [ASSET]
    assert (two.status, two.ruling, two.court, two.appeal_court) == (
        DisputeStatus.FINAL,
        Ruling.FOR_CLAIMANT,
        COURT,
        COURT_2,
    )
    assert two.failure_digest == DOC
    assert two.appeal_deadline == 15 * DAY  # a ruling on appeal leaves the first ruling's window as it was
    assert (three.status, three.defaulted_index, three.payee, three.mediator_by_bank) == (
        DisputeStatus.DEFAULTED,
        0,
        COLLECTOR,
        True,
    )
    assert state.enforceable == {CASE_2, CASE_3}
    assert state.enforcement_of(ASSET) == (CASE_1, False)
    assert state.owed == {BANK: 300, COLLECTOR: 300}
    assert (state.total_owed, state.appeal_window, state.dispute_count) == (600, 15 * DAY, 3)


def test_what_cannot_happen_is_reported_not_hidden() -> None:
    s = Script("DisputeDesk")
    events = [
        _opened(s, 1, CASE_1, 0),
        s("MediatorAssigned", disputeId=1, mediator=MEDIATOR_A, byBank=False),
        s("MediatorAssigned", disputeId=1, mediator=MEDIATOR_B, byBank=True),
        _agreed(s, 1, MEDIATOR_B, DAY, [(400, 10 * DAY)], relief=0),
        s("InstalmentPaid", disputeId=1, payer=BANK, payee=BANK, amount=500, paid=400),
        s("PaymentWithdrawn", payee=COLLECTOR, amount=1),
        s("MediationFailed", disputeId=9, mediator=MEDIATOR_A, reasonDigest=DOC),
    ]
    anomalies = REDUCER.fold(events).anomalies
    assert any("MediatorAssigned: dispute 1 was mediating" in a for a in anomalies)
    assert any("total + relief is not the claim 1000" in a for a in anomalies)
    assert any("InstalmentPaid: paid 400 but the payments sum to 500" in a for a in anomalies)
    assert any("withdrew 1, more than it was owed" in a for a in anomalies)
    assert any("unknown dispute 9" in a for a in anomalies)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    e = make_engine(f"sqlite:///{tmp_path / 'p.sqlite'}")
    migrate(e)
    yield e
    e.dispose()


def _dump(engine: Engine) -> list[list[dict[str, Any]]]:
    with engine.connect() as conn:
        return [sorted((dict(r) for r in conn.execute(select(t)).mappings()), key=str) for t in TABLES]


def _store(engine: Engine, events: list[Event]) -> None:
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
        conn.execute(insert(table_of(ChainEvent)), rows)


def test_the_projection_is_idempotent_chunked_and_rewinds_from_stored_events(engine: Engine) -> None:
    events, p = life(), DisputeProjection()
    with engine.begin() as conn:
        p.apply(conn, events)
    whole = _dump(engine)
    with engine.begin() as conn:
        for table in TABLES:
            conn.execute(table.delete())
    with engine.begin() as conn:
        for i in range(0, len(events), 4):  # the indexer's chunks
            p.apply(conn, events[i : i + 4])
    chunked = _dump(engine)
    assert chunked == whole
    with engine.begin() as conn:
        p.apply(conn, events)  # delivered again: nothing changes
    assert _dump(engine) == chunked
    disputes = {r["dispute_id"]: r for r in chunked[0]}
    assert [disputes[i]["status"] for i in (1, 2, 3)] == ["honoured", "final", "defaulted"]
    assert {(r["dispute_id"], r["index"], r["amount_fen"]) for r in chunked[1]} == {
        (1, 0, 400),
        (1, 1, 500),
        (3, 0, 500),
        (3, 1, 500),
    }
    assert {(r["case_id"], r["enforceable"]) for r in chunked[4]} == {(CASE_1, False), (CASE_2, True), (CASE_3, True)}
    assert {r["address"]: r["owed_fen"] for r in chunked[5]} == {BANK: 300, COLLECTOR: 300}

    _store(engine, events)
    with engine.begin() as conn:
        p.rewind(conn, 0)
    assert _dump(engine) == chunked


def test_mediator_ratings_from_the_index(engine: Engine) -> None:
    with engine.begin() as conn:
        DisputeProjection().apply(conn, life())
    with Session(engine) as s:
        ratings = mediator_ratings(session=s).model_dump()["data"]
    common = {"honoured": 0, "defaulted": 0, "open_caseload": 0}
    assert ratings == [
        # B settles every dispute it took (1.0) and comes first; its one confirmed agreement defaulted
        common
        | {
            "mediator": MEDIATOR_B,
            "disputes_taken": 1,
            "agreements": 1,
            "failures": 0,
            "settlement_rate": 1.0,
            "median_days_to_agreement": 4.0,
            "defaulted": 1,
            "honoured_rate": 0.0,
        },
        # A: one agreement (in 2 days, honoured) and one failure
        common
        | {
            "mediator": MEDIATOR_A,
            "disputes_taken": 2,
            "agreements": 1,
            "failures": 1,
            "settlement_rate": 0.5,
            "median_days_to_agreement": 2.0,
            "honoured": 1,
            "honoured_rate": 1.0,
        },
    ]


def test_a_disputes_schedule_at_a_block_time(engine: Engine) -> None:
    with engine.begin() as conn:
        DisputeProjection().apply(conn, life()[:-3])  # dispute 3 performing, nothing paid yet
    with Session(engine) as s:
        early = get_dispute(session=s, dispute_id=3, chain_time=10 * DAY)
        late = get_dispute(session=s, dispute_id=3, chain_time=11 * DAY + 1)
    assert (early.due_now_fen, early.days_overdue, early.in_default) == (500, 0, False)
    assert early.next_instalment is not None
    assert (early.next_instalment.index, early.next_instalment.status) == (0, "upcoming")
    assert (late.due_now_fen, late.days_overdue, late.in_default) == (500, 1, True)
    assert [i.status for i in late.schedule] == ["overdue", "upcoming"]
