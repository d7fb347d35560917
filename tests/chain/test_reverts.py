"""Reverts surface as ContractReverted with the Solidity error name and decoded arguments."""

from __future__ import annotations

import pytest
from eth_utils.crypto import keccak

from chain import ContractPanic, ContractReverted
from chain.client import ChainClient
from chain.contracts.consortium import ProposalId, Role
from chain.network import Recourse
from tests.chain.conftest import SignerFactory
from tests.conftest import account

pytestmark = pytest.mark.chain


def _nonce(client: ChainClient, address: str) -> int:
    return int(client.rpc.call("eth_getTransactionCount", [address, "latest"]), 16)


@pytest.fixture
def proposal(recourse: Recourse, signer: SignerFactory) -> ProposalId:
    """An admission of ``bank`` approved only by its proposer (1 of the 2 approvals needed)."""
    return recourse.consortium.propose_admission(
        signer("governor-1"), account("bank").address, name="Bank", roles=[Role.BANK], region=1
    )


def test_execute_with_too_few_approvals_is_decoded_before_sending(
    recourse: Recourse, signer: SignerFactory, proposal: ProposalId, client: ChainClient
) -> None:
    g1 = signer("governor-1")
    nonce = _nonce(client, g1.address)

    with pytest.raises(ContractReverted) as excinfo:
        recourse.consortium.execute(g1, proposal)

    err = excinfo.value
    assert not isinstance(err, ContractPanic)
    assert err.name == "ConsortiumInsufficientApprovals"
    assert err.arguments == {"proposalId": proposal, "approvals": 1, "threshold": 2}
    assert err.selector == "0x" + keccak(text="ConsortiumInsufficientApprovals(uint256,uint256,uint256)")[:4].hex()
    assert _nonce(client, g1.address) == nonce  # estimation failed: nothing was signed or sent
    assert g1.next_nonce == nonce


def test_revert_mined_on_chain_is_explained(
    recourse: Recourse, signer: SignerFactory, proposal: ProposalId, client: ChainClient
) -> None:
    g1 = signer("governor-1")
    nonce, block = _nonce(client, g1.address), client.block_number()

    with pytest.raises(ContractReverted) as excinfo:
        # explicit gas skips estimation, so the transaction is mined and fails (status 0)
        recourse.consortium.transact(g1, "execute", proposal, gas=300_000)

    assert excinfo.value.name == "ConsortiumInsufficientApprovals"
    assert excinfo.value.arguments == {"proposalId": proposal, "approvals": 1, "threshold": 2}
    assert _nonce(client, g1.address) == nonce + 1
    assert client.block_number() == block + 1
    mined = client.rpc.call("eth_getBlockByNumber", [hex(block + 1), False])["transactions"]
    assert len(mined) == 1
    receipt = client.rpc.call("eth_getTransactionReceipt", [mined[0]])
    assert int(receipt["status"], 16) == 0
    assert receipt["from"].lower() == g1.address.lower()
    assert recourse.consortium.proposal(proposal).executed is False


def test_non_member_transfer_names_the_account(recourse: Recourse, signer: SignerFactory) -> None:
    outsider = signer("outsider")

    with pytest.raises(ContractReverted) as excinfo:
        recourse.token.transfer(outsider, account("investor").address, 1)

    assert excinfo.value.name == "SettlementTokenNotMember"
    assert excinfo.value.arguments == {"account": outsider.address}


def test_non_member_transfer_mined_on_chain_is_explained(
    recourse: Recourse, signer: SignerFactory, client: ChainClient
) -> None:
    outsider = signer("outsider")
    request = recourse.token.transfer_request(account("investor").address, 1, gas=200_000)
    nonce = _nonce(client, outsider.address)

    with pytest.raises(ContractReverted) as excinfo:
        outsider.transact(request)

    assert excinfo.value.name == "SettlementTokenNotMember"
    assert excinfo.value.arguments == {"account": outsider.address}
    assert _nonce(client, outsider.address) == nonce + 1  # it was mined (and failed), not refused


def test_eth_call_revert_is_decoded(recourse: Recourse) -> None:
    outsider = account("outsider").address

    with pytest.raises(ContractReverted) as excinfo:
        recourse.consortium.get_member(outsider)

    assert excinfo.value.name == "ConsortiumNotMember"
    assert excinfo.value.arguments == {"account": outsider}


def test_non_governor_and_unknown_proposal(recourse: Recourse, signer: SignerFactory, proposal: ProposalId) -> None:
    with pytest.raises(ContractReverted) as not_governor:
        recourse.consortium.approve(signer("bank"), proposal)
    with pytest.raises(ContractReverted) as unknown:
        recourse.consortium.approve(signer("governor-2"), 999)
    with pytest.raises(ContractReverted) as twice:
        recourse.consortium.approve(signer("governor-1"), proposal)

    assert (not_governor.value.name, not_governor.value.arguments) == (
        "ConsortiumNotGovernor",
        {"account": account("bank").address},
    )
    assert (unknown.value.name, unknown.value.arguments) == ("ConsortiumUnknownProposal", {"proposalId": 999})
    assert (twice.value.name, twice.value.arguments) == (
        "ConsortiumAlreadyApproved",
        {"proposalId": proposal, "governor": account("governor-1").address},
    )
