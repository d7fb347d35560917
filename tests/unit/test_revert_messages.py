"""The CLI's one-line sentences for the shared access-control refusal ``ConsortiumGatedUnauthorized``."""

from __future__ import annotations

from chain import ContractReverted
from chain.contracts.consortium import EVIDENCE_ANCHORER_ROLE, GOVERNANCE_ROLE, Role
from scripts.messages import explain

ACCOUNT = "0x00000000000000000000000000000000000000aa"


def _unauthorized(role: bytes) -> ContractReverted:
    return ContractReverted("ConsortiumGatedUnauthorized", {"account": ACCOUNT, "role": role}, "0x00000000")


def test_member_role_is_named() -> None:
    assert explain(_unauthorized(Role.REGULATOR.id)) == (
        f"refused: {ACCOUNT} is not an active member holding the REGULATOR role"
    )


def test_anchoring_names_the_three_roles() -> None:
    assert explain(_unauthorized(EVIDENCE_ANCHORER_ROLE)) == (
        f"refused: {ACCOUNT} is not an active member holding the BANK, COLLECTOR or COURT role"
    )


def test_governed_setting_asks_for_a_proposal() -> None:
    assert explain(_unauthorized(GOVERNANCE_ROLE)) == (
        f"refused: {ACCOUNT} is not the consortium; only an approved governance proposal may do this"
    )
