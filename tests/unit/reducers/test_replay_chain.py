"""What the auditor will do, on a real chain: replay every event since the deployment through
``chain.reducers`` and compare the state with the contracts' view functions (case delegation with
offers, recoveries, fees and a settled batch; evidence anchors)."""

from __future__ import annotations

import hashlib

import pytest

from chain.contracts.case_delegation import CaseStatus
from chain.merkle import leaf_hash
from chain.reducers import replay
from tests.cases.conftest import CaseWorld, world  # noqa: F401 - the fixture
from tests.chain.conftest import admit, members, signer  # noqa: F401 - fixtures the world fixture uses
from tests.conftest import account

pytestmark = pytest.mark.chain


def anchored(w: CaseWorld, who: str, document: bytes) -> tuple[bytes, bytes]:
    digest = hashlib.sha256(document).digest()
    root = leaf_hash(digest)
    w.recourse.evidence.anchor(w.signer(who), root, 1)
    return digest, root


def test_case_delegation_and_evidence_replay_equals_the_views(world: CaseWorld) -> None:  # noqa: F811
    w = world
    cases = w.recourse.cases
    terms = w.terms(4)
    batch_id, tree = w.publish(terms, budget=50_000)
    cases.claim(w.signer("collector"), batch_id, terms[0], tree.proof(0))
    cases.claim(w.signer("collector-2"), batch_id, terms[1], tree.proof(1))
    cases.offer(w.signer("bank"), batch_id, terms[2], tree.proof(2), account("collector").address, 3600)
    cases.decline(w.signer("collector"), terms[2].case_id)
    digest, root = anchored(w, "collector", b"statement 1")
    cases.report_recovery(w.signer("collector"), terms[0].case_id, 20_001, digest, root)
    cases.confirm_recovery(w.signer("bank"), terms[0].case_id, close_case=True)
    digest, root = anchored(w, "collector-2", b"statement 2")
    cases.report_recovery(w.signer("collector-2"), terms[1].case_id, 5_000, digest, root)
    cases.reject_recovery(w.signer("bank"), terms[1].case_id, 1)
    cases.withdraw_fees(w.signer("collector"))
    other, _ = w.publish(w.terms(1, deadline=w.now() + 1_000), budget=1_000)
    w.advance(1_001)  # closed, nothing claimed: the bank takes the budget back
    cases.withdraw_unspent(w.signer("bank"), other)

    deployments = w.recourse.deployments
    logs = w.client.get_logs(
        address=[c.address for c in deployments.contracts.values()],
        from_block=deployments.start_block,
        to_block=w.client.block_number(),
    )
    states = replay(w.recourse.event_decoder().decode_all(logs))
    state, evidence = states["CaseDelegation"], states["EvidenceRegistry"]
    assert state.anomalies == evidence.anomalies == []

    for t in terms:
        record = cases.case(t.case_id)
        replayed = state.cases.get("0x" + t.case_id.hex())
        if record.status is CaseStatus.NONE:
            assert replayed is None or (replayed.status, replayed.collector) == ("open", None)
            continue
        assert replayed is not None
        assert replayed.status == record.status.label
        assert replayed.collector == record.collector
        assert replayed.recovered == record.recovered
    assert state.cases["0x" + terms[0].case_id.hex()].status == "recovered_partly"
    for name in ("collector", "collector-2"):
        address = account(name).address
        assert state.fees_owed.get(address, 0) == cases.fees_owed(address), name
    for b in (batch_id, other):
        on_chain = cases.batch(b)
        assert (state.batches[b].remaining_budget, state.batches[b].settled) == (
            on_chain.remaining_budget,
            on_chain.settled,
        )
    assert len(evidence.roots) == 2
    for r, anchor in evidence.roots.items():
        view = w.recourse.evidence.anchor_of(r)
        assert view is not None
        assert (anchor.submitter, anchor.leaf_count, anchor.block_number, anchor.block_time) == (
            view.submitter,
            view.leaf_count,
            view.block_number,
            view.block_time,
        )
