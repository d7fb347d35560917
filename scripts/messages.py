"""Human sentences for decoded contract reverts (the CLI's one-line errors)."""

from __future__ import annotations

from typing import Any

from chain import ContractReverted
from chain.contracts.consortium import EVIDENCE_ANCHORER_ROLE, GOVERNANCE_ROLE, Role

__all__ = ["explain"]


def _role(value: Any) -> str:
    if value == EVIDENCE_ANCHORER_ROLE:
        return "BANK, COLLECTOR or COURT"
    if isinstance(value, bytes):
        for r in Role:
            if r.id == value:
                return r.value
        return "0x" + value.hex()
    return str(value)


def explain(err: ContractReverted) -> str:
    """One line: what the contract refused and why, in words."""
    a = err.arguments
    match err.name:
        case "SettlementTokenNotMember":
            return f"refused: {a['account']} is not an active consortium member, so it cannot hold or move rCNY"
        case "ConsortiumGatedUnauthorized":
            if a["role"] == GOVERNANCE_ROLE:
                return (
                    f"refused: {a['account']} is not the consortium; only an approved governance proposal may do this"
                )
            return f"refused: {a['account']} is not an active member holding the {_role(a['role'])} role"
        case "SettlementTokenZeroAmount":
            return "refused: the amount must be greater than zero"
        case "EnforcedPause":
            return "refused: settlement token transfers are paused by the regulator"
        case "ERC20InsufficientBalance":
            return f"refused: {a['sender']} holds {a['balance']} fen but {a['needed']} fen are needed"
        case "ConsortiumNotGovernor":
            return f"refused: {a['account']} is not a governor"
        case "ConsortiumInsufficientApprovals":
            return f"refused: proposal {a['proposalId']} has {a['approvals']} of the {a['threshold']} approvals needed"
        case "ConsortiumAlreadyApproved":
            return f"refused: {a['governor']} has already approved proposal {a['proposalId']}"
        case "ConsortiumProposalExpired":
            return f"refused: proposal {a['proposalId']} expired at block time {a['deadline']}"
        case "ConsortiumProposalAlreadyExecuted":
            return f"refused: proposal {a['proposalId']} has already been executed"
        case "ConsortiumUnknownProposal":
            return f"refused: there is no proposal {a['proposalId']}"
        case "ConsortiumAlreadyMember":
            return f"refused: {a['account']} is already a member"
        case "ConsortiumNotMember":
            return f"refused: {a['account']} is not a member"
        case _:
            return f"refused by the contract: {err}"
