"""Consortium and SettlementToken rules through the Python wrappers (the exhaustive rules are in Solidity)."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode

from chain import ContractReverted
from chain.client import ChainClient
from chain.contracts.consortium import ProposalKind, Role, name_digest
from chain.network import Recourse
from tests.chain.conftest import INITIAL_BANK_CASH, SignerFactory
from tests.conftest import account

pytestmark = pytest.mark.chain


def _reverted(excinfo: pytest.ExceptionInfo[ContractReverted]) -> tuple[str, dict[str, object]]:
    return excinfo.value.name, excinfo.value.arguments


def test_admission_by_two_of_three_governors(recourse: Recourse, signer: SignerFactory, client: ChainClient) -> None:
    consortium = recourse.consortium
    g1, g2 = signer("governor-1"), signer("governor-2")
    bank = account("bank").address
    start = client.block_number() + 1

    pid = consortium.propose_admission(
        g1, bank, name="Huaxia  Commercial Bank", roles=[Role.SETTLEMENT_BANK, Role.BANK], region=310000, kyc_tier=3
    )

    proposal = consortium.proposal(pid)
    assert (proposal.kind, proposal.target, proposal.proposer) == (ProposalKind.ADMIT, bank, g1.address)
    assert proposal.approvals == 1
    assert not proposal.executed
    assert not consortium.is_member(bank)

    approved = consortium.approve(g2, pid)
    (approval,) = consortium.events(approved)
    assert approval.name == "ProposalApproved"
    assert approval.args == {"proposalId": pid, "governor": g2.address, "approvals": 2}

    executed = consortium.execute(g1, pid)
    assert [e.name for e in consortium.events(executed)] == ["ProposalExecuted", "MemberAdmitted"]
    done = consortium.first(consortium.events(executed), "ProposalExecuted")
    assert done.args == {"proposalId": pid, "kind": int(ProposalKind.ADMIT), "target": bank, "executor": g1.address}
    admitted = consortium.first(consortium.events(executed), "MemberAdmitted")
    assert admitted.args == {
        "account": bank,
        "nameDigest": name_digest("Huaxia Commercial Bank"),
        "roles": Role.BANK.bit | Role.SETTLEMENT_BANK.bit,
        "region": 310000,
        "licenceExpiry": 0,
        "kycTier": 3,
    }

    # the whole story, in chain order, from the logs
    history = consortium.events_between(from_block=start)
    assert [e.name for e in history] == [
        "ProposalCreated",
        "ProposalApproved",
        "ProposalApproved",
        "ProposalExecuted",
        "MemberAdmitted",
    ]
    created = history[0]
    assert created.args["proposalId"] == pid
    assert created.args["proposer"] == g1.address
    assert created.args["target"] == bank
    assert created.args["data"] == proposal.data
    assert [e.key for e in history] == sorted({e.key for e in history})  # strictly increasing

    member = consortium.get_member(bank)
    assert member.roles == {Role.BANK, Role.SETTLEMENT_BANK}
    assert (member.region, member.kyc_tier, member.suspended, member.active) == (310000, 3, False, True)
    assert member.admitted_at == client.block_timestamp(executed.block_number)
    assert consortium.has_active_role(bank, Role.SETTLEMENT_BANK)
    assert not consortium.has_active_role(bank, Role.INVESTOR)
    assert consortium.proposal(pid).executed
    with pytest.raises(ContractReverted) as again:
        consortium.execute(g2, pid)
    assert _reverted(again) == ("ConsortiumProposalAlreadyExecuted", {"proposalId": pid})


def test_one_approval_is_not_enough(recourse: Recourse, signer: SignerFactory) -> None:
    g1 = signer("governor-1")
    pid = recourse.consortium.propose_admission(g1, account("bank").address, name="Bank", roles=[Role.BANK], region=1)

    with pytest.raises(ContractReverted) as excinfo:
        recourse.consortium.execute(g1, pid)

    assert _reverted(excinfo) == (
        "ConsortiumInsufficientApprovals",
        {"proposalId": pid, "approvals": 1, "threshold": 2},
    )
    assert not recourse.consortium.is_member(account("bank").address)


def test_suspended_member_loses_roles_and_cannot_move_tokens(members: Recourse, signer: SignerFactory) -> None:
    consortium, token = members.consortium, members.token
    bank, investor = signer("bank"), signer("investor")
    token.transfer(bank, investor.address, 500)
    g1, g2 = signer("governor-1"), signer("governor-2")

    pid = consortium.propose_suspension(g1, investor.address, reason="licence review 2024-17", suspend=True)
    consortium.approve(g2, pid)
    receipt = consortium.execute(g1, pid)

    assert [e.name for e in consortium.events(receipt)] == ["ProposalExecuted", "MemberSuspended"]
    assert consortium.is_member(investor.address)
    assert not consortium.is_active_member(investor.address)
    assert not consortium.has_active_role(investor.address, Role.INVESTOR)
    assert consortium.get_member(investor.address).suspended
    with pytest.raises(ContractReverted) as sending:
        token.transfer(investor, bank.address, 1)
    with pytest.raises(ContractReverted) as receiving:
        token.transfer(bank, investor.address, 1)
    assert _reverted(sending) == ("SettlementTokenNotMember", {"account": investor.address})
    assert _reverted(receiving) == ("SettlementTokenNotMember", {"account": investor.address})
    assert token.balance_of(investor.address) == 500

    pid = consortium.propose_suspension(g2, investor.address, reason="review closed", suspend=False)
    consortium.approve(g1, pid)
    consortium.execute(g2, pid)

    assert consortium.has_active_role(investor.address, Role.INVESTOR)
    token.transfer(investor, bank.address, 100)
    assert token.balance_of(investor.address) == 400


def test_regulator_pause_blocks_transfers(members: Recourse, signer: SignerFactory) -> None:
    token = members.token
    bank, regulator = signer("bank"), signer("regulator")
    investor = account("investor").address

    with pytest.raises(ContractReverted) as not_regulator:
        token.pause(bank)
    assert _reverted(not_regulator) == (
        "ConsortiumGatedUnauthorized",
        {"account": bank.address, "role": Role.REGULATOR.id},
    )

    token.pause(regulator)
    assert token.paused()

    with pytest.raises(ContractReverted) as transfer:
        token.transfer(bank, investor, 1)
    with pytest.raises(ContractReverted) as mint:
        token.mint(bank, investor, 1, reference="during pause")
    assert _reverted(transfer) == ("EnforcedPause", {})
    assert _reverted(mint) == ("EnforcedPause", {})
    assert token.balance_of(investor) == 0

    token.unpause(regulator)
    token.transfer(bank, investor, 1)
    assert token.balance_of(investor) == 1


def test_transfers_with_non_members_are_refused(members: Recourse, signer: SignerFactory) -> None:
    token = members.token
    bank, outsider = signer("bank"), signer("outsider")

    with pytest.raises(ContractReverted) as to_outsider:
        token.transfer(bank, outsider.address, 1)
    with pytest.raises(ContractReverted) as from_outsider:
        token.transfer(outsider, bank.address, 0)

    assert _reverted(to_outsider) == ("SettlementTokenNotMember", {"account": outsider.address})
    assert _reverted(from_outsider) == ("SettlementTokenNotMember", {"account": outsider.address})
    assert token.balance_of(bank.address) == INITIAL_BANK_CASH


def test_mint_requires_an_active_settlement_bank(members: Recourse, signer: SignerFactory) -> None:
    token = members.token
    supply = token.total_supply()

    for name in ("investor", "outsider", "governor-1"):
        with pytest.raises(ContractReverted) as excinfo:
            token.mint(signer(name), account("investor").address, 100, reference=f"forged by {name}")
        assert _reverted(excinfo) == (
            "ConsortiumGatedUnauthorized",
            {"account": account(name).address, "role": Role.SETTLEMENT_BANK.id},
        )

    assert token.total_supply() == supply
    receipt = token.mint(signer("bank"), account("investor").address, 100, reference="deposit 42")
    issued = token.first(token.events(receipt), "SettlementIssued")
    assert issued.args["to"] == account("investor").address
    assert issued.args["amount"] == 100
    assert token.total_supply() == supply + 100


def test_mint_to_non_member_and_zero_amount_refused(members: Recourse, signer: SignerFactory) -> None:
    bank = signer("bank")

    with pytest.raises(ContractReverted) as to_outsider:
        members.token.mint(bank, account("outsider").address, 1, reference="r")
    with pytest.raises(ContractReverted) as zero:
        members.token.mint(bank, bank.address, 0, reference="r")

    assert _reverted(to_outsider) == ("SettlementTokenNotMember", {"account": account("outsider").address})
    assert _reverted(zero) == ("SettlementTokenZeroAmount", {})


def test_role_grant_is_decoded_from_data(members: Recourse, signer: SignerFactory) -> None:
    consortium = members.consortium
    investor = account("investor").address
    g1, g2 = signer("governor-1"), signer("governor-2")

    pid = consortium.propose_role(g1, investor, Role.COLLECTOR, grant=True)
    assert consortium.proposal(pid).data == encode(["bytes32"], [Role.COLLECTOR.id])
    consortium.approve(g2, pid)
    receipt = consortium.execute(g2, pid)

    granted = consortium.first(consortium.events(receipt), "MemberRoleGranted")
    assert granted.args == {"account": investor, "role": Role.COLLECTOR.id, "proposalId": pid}
    assert consortium.get_member(investor).roles == {Role.INVESTOR, Role.COLLECTOR}
