"""CaseDelegation through its typed wrapper on a real anvil: publication, claim race, eligibility,
forged terms, direct delegation timeout, deadline return, recoveries, fees and their conservation."""

from __future__ import annotations

import pytest

from chain import ContractReverted
from chain.contracts.case_delegation import CaseStatus, fee_for
from chain.contracts.consortium import Role
from chain.merkle import leaf_hash
from tests.cases.conftest import FEE_BPS, CaseWorld
from tests.conftest import account


def _anchor(world: CaseWorld, who: str, document: bytes) -> tuple[bytes, bytes]:
    import hashlib

    digest = hashlib.sha256(document).digest()
    root = leaf_hash(digest)
    world.recourse.evidence.anchor(world.signer(who), root, 1)
    return digest, root


def _conserved(world: CaseWorld, batch_ids: list[int], collectors: list[str]) -> None:
    cases = world.recourse.cases
    balance = world.recourse.token.balance_of(cases.address)
    remaining = sum(cases.batch(b).remaining_budget for b in batch_ids)
    owed = sum(cases.fees_owed(account(c).address) for c in collectors)
    assert owed == cases.total_fees_owed()
    assert balance == remaining + owed


def test_terms_digest_and_tree_match_the_contract(world: CaseWorld) -> None:
    terms = world.terms(5)
    batch_id, tree = world.publish(terms)
    cases = world.recourse.cases
    assert cases.terms_digest(terms[2]) == terms[2].digest()
    batch = cases.batch(batch_id)
    assert batch.root == tree.root
    assert batch.case_count == 5
    assert batch.remaining_budget == 100_000
    assert world.recourse.token.balance_of(cases.address) == 100_000
    assert tree.verify(terms[3], tree.proof(3))
    assert not tree.verify(terms[3], tree.proof(2))


def test_first_claim_wins_and_second_gets_holder(world: CaseWorld) -> None:
    terms = world.terms(3)
    batch_id, tree = world.publish(terms)
    cases = world.recourse.cases
    cases.claim(world.signer("collector"), batch_id, terms[1], tree.proof(1))
    record = cases.case(terms[1].case_id)
    assert record.status is CaseStatus.CLAIMED
    assert record.collector == account("collector").address
    assert record.batch_id == batch_id
    with pytest.raises(ContractReverted) as exc:
        cases.claim(world.signer("collector-2"), batch_id, terms[1], tree.proof(1))
    assert exc.value.name == "CaseDelegationAlreadyClaimed"
    assert exc.value.arguments["collector"] == account("collector").address
    assert cases.open_cases_of(account("collector").address) == 1
    assert cases.open_cases_of(account("collector-2").address) == 0


def test_forged_terms_refused(world: CaseWorld) -> None:
    terms = world.terms(4)
    batch_id, tree = world.publish(terms)
    forged = terms[0].__class__(**{**terms[0].__dict__, "overdue_amount": 1})
    with pytest.raises(ContractReverted) as exc:
        world.recourse.cases.claim(world.signer("collector"), batch_id, forged, tree.proof(0))
    assert exc.value.name == "CaseDelegationInvalidProof"
    assert world.recourse.cases.case(forged.case_id).status is CaseStatus.NONE


def test_ineligible_collectors_refused(world: CaseWorld) -> None:
    cases, consortium = world.recourse.cases, world.recourse.consortium
    terms = world.terms(4)
    batch_id, tree = world.publish(terms)
    # region: an agency licensed in Guangdong cannot take a Pudong case
    world.admit("oracle-2", [Role.COLLECTOR], region=440000)
    with pytest.raises(ContractReverted) as exc:
        cases.claim(world.signer("oracle-2"), batch_id, terms[0], tree.proof(0))
    assert exc.value.name == "CaseDelegationRegionIneligible"
    # suspended
    pid = consortium.propose_suspension(
        world.signer("governor-1"), account("collector-2").address, reason="review", suspend=True
    )
    consortium.approve(world.signer("governor-2"), pid)
    consortium.execute(world.signer("governor-1"), pid)
    with pytest.raises(ContractReverted) as exc:
        cases.claim(world.signer("collector-2"), batch_id, terms[0], tree.proof(0))
    assert exc.value.name == "CaseDelegationCollectorSuspended"
    # licence expired
    expiry = world.now() + 100
    pid = consortium.propose_admission(
        world.signer("governor-1"),
        account("oracle-3").address,
        name="short licence",
        roles=[Role.COLLECTOR],
        region=310000,
        licence_expiry=expiry,
        kyc_tier=2,
    )
    consortium.approve(world.signer("governor-2"), pid)
    consortium.execute(world.signer("governor-1"), pid)
    world.advance(200)
    with pytest.raises(ContractReverted) as exc:
        cases.claim(world.signer("oracle-3"), batch_id, terms[0], tree.proof(0))
    assert exc.value.name == "CaseDelegationLicenceExpired"
    # at capacity
    cases.set_max_open_cases(world.signer("regulator"), 2)
    cases.claim(world.signer("collector"), batch_id, terms[0], tree.proof(0))
    cases.claim(world.signer("collector"), batch_id, terms[1], tree.proof(1))
    with pytest.raises(ContractReverted) as exc:
        cases.claim(world.signer("collector"), batch_id, terms[2], tree.proof(2))
    assert exc.value.name == "CaseDelegationAtCapacity"
    assert exc.value.arguments["maxOpenCases"] == 2


def test_offer_timeout_returns_case_to_pool(world: CaseWorld) -> None:
    cases = world.recourse.cases
    terms = world.terms(2)
    batch_id, tree = world.publish(terms)
    cases.offer(world.signer("bank"), batch_id, terms[0], tree.proof(0), account("collector-2").address, 3600)
    assert cases.case(terms[0].case_id).status is CaseStatus.OFFERED
    with pytest.raises(ContractReverted) as exc:
        cases.claim(world.signer("collector"), batch_id, terms[0], tree.proof(0))
    assert exc.value.name == "CaseDelegationAlreadyClaimed"
    world.advance(3601)
    with pytest.raises(ContractReverted) as exc:
        cases.accept(world.signer("collector-2"), terms[0].case_id)
    assert exc.value.name == "CaseDelegationOfferExpired"
    receipt = cases.claim(world.signer("collector"), batch_id, terms[0], tree.proof(0))
    names = [e.name for e in cases.events(receipt)]
    assert names == ["OfferLapsed", "CaseClaimed"]
    assert cases.case(terms[0].case_id).collector == account("collector").address


def test_deadline_return_by_anyone(world: CaseWorld) -> None:
    cases = world.recourse.cases
    terms = world.terms(2, deadline=world.now() + 1000)
    batch_id, tree = world.publish(terms)
    cases.claim(world.signer("collector"), batch_id, terms[0], tree.proof(0))
    with pytest.raises(ContractReverted) as exc:
        cases.return_case(world.signer("investor"), terms[0].case_id)
    assert exc.value.name == "CaseDelegationDeadlineNotReached"
    world.advance(1001)
    cases.return_case(world.signer("investor"), terms[0].case_id)
    assert cases.case(terms[0].case_id).status is CaseStatus.RETURNED
    assert cases.open_cases_of(account("collector").address) == 0
    # the batch is closed and no case is open: the bank takes its unspent budget back
    before = world.recourse.token.balance_of(account("bank").address)
    cases.withdraw_unspent(world.signer("bank"), batch_id)
    assert world.recourse.token.balance_of(account("bank").address) == before + 100_000
    assert cases.batch(batch_id).settled


def test_recovery_fee_arithmetic_and_conservation(world: CaseWorld) -> None:
    cases, token = world.recourse.cases, world.recourse.token
    terms = world.terms(3, overdue=50_000)
    batch_id, tree = world.publish(terms, budget=20_000)
    collector = account("collector").address
    cases.claim(world.signer("collector"), batch_id, terms[0], tree.proof(0))
    cases.claim(world.signer("collector-2"), batch_id, terms[1], tree.proof(1))
    _conserved(world, [batch_id], ["collector", "collector-2"])

    digest, root = _anchor(world, "collector", b"bank statement 1")
    cases.report_action(world.signer("collector"), terms[0].case_id, 1, digest, root)
    with pytest.raises(ContractReverted) as exc:
        cases.report_recovery(world.signer("collector"), terms[0].case_id, 20_001, b"\x01" * 32, root)
    assert exc.value.name == "CaseDelegationEvidenceNotAnchored"
    cases.report_recovery(world.signer("collector"), terms[0].case_id, 20_001, digest, root)
    cases.confirm_recovery(world.signer("bank"), terms[0].case_id)
    assert cases.fees_owed(collector) == fee_for(20_001, FEE_BPS) == 3_000
    _conserved(world, [batch_id], ["collector", "collector-2"])

    rest = terms[0].overdue_amount - 20_001
    digest2, root2 = _anchor(world, "collector", b"bank statement 2")
    cases.report_recovery(world.signer("collector"), terms[0].case_id, rest, digest2, root2)
    cases.confirm_recovery(world.signer("bank"), terms[0].case_id)
    total_fee = fee_for(terms[0].overdue_amount, FEE_BPS)
    assert cases.fees_owed(collector) == total_fee
    assert cases.case(terms[0].case_id).status is CaseStatus.RECOVERED_FULL
    _conserved(world, [batch_id], ["collector", "collector-2"])

    # rejected report on the other case: nothing credited
    digest3, root3 = _anchor(world, "collector-2", b"claimed receipt")
    cases.report_recovery(world.signer("collector-2"), terms[1].case_id, 5_000, digest3, root3)
    cases.reject_recovery(world.signer("bank"), terms[1].case_id, 1)
    assert cases.case(terms[1].case_id).status is CaseStatus.CLAIMED
    assert cases.fees_owed(account("collector-2").address) == 0

    before = token.balance_of(collector)
    cases.withdraw_fees(world.signer("collector"))
    assert token.balance_of(collector) == before + total_fee
    assert token.balance_of(cases.address) == 20_000 - total_fee
    _conserved(world, [batch_id], ["collector", "collector-2"])


def test_claim_snapshot_reads_everything_eligibility_needs(world: CaseWorld) -> None:
    cases = world.recourse.cases
    terms = world.terms(2)
    batch_id, tree = world.publish(terms)
    cases.claim(world.signer("collector"), batch_id, terms[0], tree.proof(0))
    snap = cases.claim_snapshot(terms[0].case_id, account("collector").address)
    assert snap.record.status is CaseStatus.CLAIMED
    assert snap.record.collector == account("collector").address
    assert snap.open_cases == 1
    assert snap.max_open_cases == cases.max_open_cases() == 50
    assert snap.member is not None
    assert snap.member.region == 310000
    assert snap.member.roles_mask & Role.COLLECTOR.bit
    assert not snap.member.suspended
    assert snap.block_time == world.now()
    outsider = cases.claim_snapshot(terms[1].case_id, account("outsider").address)
    assert outsider.member is None
    assert outsider.record.status is CaseStatus.NONE


def test_the_gateway_asks_the_contract_and_maps_its_refusal(world: CaseWorld) -> None:
    """The gateway's eligibility check is an eth_call of the claim from the collector's address: the
    contract's own rule decides, and its decoded error becomes the problem a user sees."""
    from node_api.problems import CaseAlreadyClaimedError, CaseIneligibleError
    from node_api.services.chain_errors import dry_run

    cases = world.recourse.cases
    terms = world.terms(2)
    batch_id, tree = world.publish(terms)
    claim = cases.claim_request(batch_id, terms[0], tree.proof(0))
    dry_run(world.client, account("collector").address, claim)  # eligible: nothing raised, nothing sent
    assert cases.case(terms[0].case_id).status is CaseStatus.NONE
    world.admit("oracle-2", [Role.COLLECTOR], region=440000)  # Guangdong cannot take a Pudong case
    with pytest.raises(CaseIneligibleError) as refused:
        dry_run(world.client, account("oracle-2").address, claim)
    assert (refused.value.code, refused.value.extra["rule"]) == ("CAS-403", "region")
    assert (refused.value.extra["collector_region"], refused.value.extra["case_region"]) == (440000, terms[0].region)
    with pytest.raises(CaseIneligibleError) as outsider:
        dry_run(world.client, account("outsider").address, claim)
    assert outsider.value.extra["rule"] == "collector"
    cases.claim(world.signer("collector"), batch_id, terms[0], tree.proof(0))
    with pytest.raises(CaseAlreadyClaimedError) as taken:
        dry_run(world.client, account("collector-2").address, claim)
    assert (taken.value.code, taken.value.extra["collector"]) == ("CAS-409", account("collector").address)
