from __future__ import annotations

from chain.contracts.case_delegation import CaseStatus
from chain.reducers.case_delegation import REDUCER, case_of
from tests.unit.reducers._events import A, B, Script

CASE = b"\x42" * 32
CASE_HEX = "0x" + "42" * 32
BANK = "0x" + "ba" * 20


def test_claim_recover_close_and_fees() -> None:
    ev = Script("CaseDelegation")
    events = [
        ev(
            "BatchPublished",
            batchId=1,
            bank=BANK,
            root=b"\x01" * 32,
            caseCount=2,
            closesAt=50,
            feeBudget=10_000,
            metaDigest=b"\x00" * 32,
        ),
        ev("CaseClaimed", caseId=CASE, batchId=1, collector=A.lower(), region=110000, deadline=99),
        ev("ActionReported", caseId=CASE, collector=A, actionCode=1, evidenceDigest=b"\x02" * 32),
        ev("RecoveryReported", caseId=CASE, collector=A, amount=40_001, evidenceDigest=b"\x03" * 32),
        ev("RecoveryConfirmed", caseId=CASE, collector=A, amount=40_001, fee=6_000, recoveredTotal=40_001),
        ev("CaseClosed", caseId=CASE, collector=A, status=int(CaseStatus.RECOVERED_PARTLY), recovered=40_001, by=BANK),
        ev("FeesWithdrawn", collector=A, amount=6_000),
        ev("BudgetToppedUp", batchId=1, amount=1, remainingBudget=4_001),
    ]
    state = REDUCER.fold(events)
    c = state.cases[CASE_HEX]
    assert (c.status, c.recovered, c.fees, c.batch_id) == ("recovered_partly", 40_001, 6_000, 1)
    assert c.collector is not None
    assert c.collector.lower() == A
    assert c.last_event == events[5].key
    assert state.fees_owed[c.collector] == 0
    assert state.batches[1].remaining_budget == 4_001
    assert state.anomalies == []


def test_offers_and_rejections() -> None:
    ev = Script("CaseDelegation")
    steps = [
        (ev("CaseOffered", caseId=CASE_HEX, batchId=1, collector=A, offerExpiry=9), ("offered", A)),
        (ev("OfferDeclined", caseId=CASE_HEX, collector=A), ("open", None)),
        (ev("CaseOffered", caseId=CASE_HEX, batchId=1, collector=B, offerExpiry=9), ("offered", B)),
        (ev("OfferAccepted", caseId=CASE_HEX, collector=B), ("claimed", B)),
        (
            ev("RecoveryReported", caseId=CASE_HEX, collector=B, amount=1, evidenceDigest=b"\x00" * 32),
            ("recovery_reported", B),
        ),
        (ev("RecoveryRejected", caseId=CASE_HEX, collector=B, amount=1, reasonCode=2), ("claimed", B)),
        (
            ev("CaseClosed", caseId=CASE_HEX, collector=B, status=int(CaseStatus.RETURNED), recovered=0, by=B),
            ("returned", B),
        ),
    ]
    state = REDUCER.new_state()
    for event, (status, collector) in steps:
        state = REDUCER.apply(state, event)
        c = state.cases[CASE_HEX]
        assert c.status == status, event.name
        assert (c.collector.lower() if c.collector else None) == collector, event.name


def test_reapplying_events_changes_nothing() -> None:
    ev = Script("CaseDelegation")
    events = [
        ev("CaseClaimed", caseId=CASE, batchId=1, collector=A, region=1, deadline=9),
        ev("RecoveryConfirmed", caseId=CASE, collector=A, amount=5, fee=1, recoveredTotal=5),
    ]
    once = REDUCER.fold(events)
    twice = REDUCER.fold(events, REDUCER.fold(events))
    assert twice.cases == once.cases
    assert case_of(events[0]) == CASE_HEX
    assert case_of(ev("FeesWithdrawn", collector=A, amount=1)) is None


def test_batch_events_about_unknown_batches_are_anomalies() -> None:
    ev = Script("CaseDelegation")
    state = REDUCER.fold([ev("BatchSettled", batchId=9, bank=BANK, refund=0)])
    assert state.batches == {}
    assert state.anomalies
    assert "unknown batch 9" in state.anomalies[0]
