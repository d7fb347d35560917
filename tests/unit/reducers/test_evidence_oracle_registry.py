from __future__ import annotations

from chain.events import DecodedEvent
from chain.reducers import REDUCERS, Event, as_event, replay
from chain.reducers.evidence_registry import REDUCER as EVIDENCE
from chain.reducers.oracle_hub import REDUCER as ORACLE
from tests.unit.reducers._events import A, B, Script

ROOT = b"\x07" * 32


def test_evidence_roots_are_never_overwritten() -> None:
    ev = Script("EvidenceRegistry")
    first = ev("EvidenceAnchored", root=ROOT, submitter=A, leafCount=3, metaDigest=b"\x00" * 32, blockTime=10)
    again = ev(
        "EvidenceAnchored", root="0x" + "07" * 32, submitter=B, leafCount=1, metaDigest=b"\x00" * 32, blockTime=11
    )
    state = EVIDENCE.fold([first, again])
    anchor = state.roots["0x" + "07" * 32]
    assert (anchor.submitter, anchor.leaf_count, anchor.block_number, anchor.key) == (A, 3, 1, first.key)
    assert len(state.anomalies) == 1


def test_oracle_latest_report_per_feed_and_subject() -> None:
    ev = Script("OracleHub")
    feed, subject = b"\x0f" * 32, b"\x05" * 32

    def report(value: int) -> Event:
        return ev(
            "ReportAccepted",
            feedId=feed,
            subjectId=subject,
            value=value,
            low=value - 1,
            high=value + 1,
            modelVersion=b"\x01" * 32,
            featureDigest=b"\x02" * 32,
            observedAt=value,
            signers=[A, B],
        )

    state = ORACLE.fold([ev("ReportThresholdChanged", previous=0, current=2), report(100), report(-5)])
    latest = state.latest[("0x" + "0f" * 32, "0x" + "05" * 32)]
    assert (latest.value, latest.low, latest.signers) == (-5, -6, (A, B))
    assert (state.reports, state.threshold) == (2, 2)


def test_registry_and_replay_accept_decoded_events_and_rows() -> None:
    assert set(REDUCERS) == {
        "Consortium",
        "SettlementToken",
        "EvidenceRegistry",
        "CaseDelegation",
        "OracleHub",
        "JudicialAuction",
        "DisputeDesk",
        "FractionsFactory",
        "AssetFractions",
        "GatewayDirectory",
    }
    decoded = DecodedEvent(
        key="000000000001/000000/000000",
        contract="SettlementToken",
        address=B,
        name="Transfer",
        args={"from": "0x" + "00" * 20, "to": A, "value": 5},
        block_number=1,
        block_hash="0x",
        tx_hash="0x",
        tx_index=0,
        log_index=0,
    )
    row = (
        "000000000002/000000/000000",
        2,
        "0x",
        "0x",
        0,
        0,
        "SettlementToken",
        B,
        "Transfer",
        {"from": A, "to": B, "value": 2},
    )
    unknown: tuple[object, ...] = ("000000000003/000000/000000", 3, "0x", "0x", 0, 0, "Elsewhere", B, "Thing", {})
    assert as_event(row).args == row[9]
    states = replay([decoded, row, unknown])
    token = states["SettlementToken"]
    assert {a: b.amount for a, b in token.balances.items()} == {A: 3, B: 2}
    assert token.total_supply == 5
    assert states["Consortium"].members == {}
