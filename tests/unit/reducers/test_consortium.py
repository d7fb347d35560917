from __future__ import annotations

from chain.contracts.consortium import Role
from chain.reducers import Event
from chain.reducers.consortium import REDUCER, ConsortiumState
from tests.unit.reducers._events import A, B, Script


def admitted(ev: Script, account: str, roles: int) -> Event:
    return ev(
        "MemberAdmitted",
        account=account,
        nameDigest=b"\x01" * 32,
        roles=roles,
        region=110000,
        licenceExpiry=9,
        kycTier=2,
    )


def test_member_lifecycle() -> None:
    ev = Script("Consortium")
    events = [
        admitted(ev, A, Role.BANK.bit),
        ev("MemberRoleGranted", account=A, role=Role.AUDITOR.id, proposalId=1),
        ev("MemberSuspended", account=A, reasonDigest=b"\x00" * 32, proposalId=2),
        ev("MemberProfileUpdated", account=A, region=320000, licenceExpiry=99, kycTier=3),
        ev("MemberRoleRevoked", account=A, role="0x" + Role.BANK.id.hex(), proposalId=3),  # JSON form
        ev("MemberReinstated", account=A, reasonDigest=b"\x00" * 32, proposalId=4),
    ]
    state = REDUCER.fold(events)
    m = state.members[A]
    assert m.roles == Role.AUDITOR.bit
    assert (m.suspended, m.region, m.licence_expiry, m.kyc_tier) == (False, 320000, 99, 3)
    assert m.name_digest == "0x" + "01" * 32
    assert (m.admitted_block, m.updated_key) == (1, events[-1].key)
    assert state.anomalies == []


def test_events_about_unknown_members_and_roles_are_anomalies_not_changes() -> None:
    ev = Script("Consortium")
    state = REDUCER.fold(
        [
            admitted(ev, A, 0),
            ev("MemberSuspended", account=B, reasonDigest=b"\x00" * 32, proposalId=1),
            ev("MemberRoleGranted", account=A, role=b"\x99" * 32, proposalId=2),
        ]
    )
    assert set(state.members) == {A}
    assert state.members[A].roles == 0
    assert len(state.anomalies) == 2
    assert "unknown member" in state.anomalies[0]
    assert "unknown role" in state.anomalies[1]


def test_governance() -> None:
    ev = Script("Consortium")
    state = REDUCER.fold(
        [
            ev("GovernorAdded", account=A),
            ev("GovernorAdded", account=B),
            ev("ThresholdChanged", previous=0, current=2),
            ev("ProposalCreated", proposalId=7, kind=1, target=B, proposer=A, deadline=100, data=b""),
            ev("ProposalApproved", proposalId=7, governor=A, approvals=1),
            ev("ProposalApproved", proposalId=7, governor=B, approvals=2),
            ev("ProposalExecuted", proposalId=7, kind=1, target=B, executor=A),
            ev("GovernorRemoved", account=A),
            ev("SystemContractSet", account=B, enabled=True),
        ]
    )
    assert state.governors == {B}
    assert state.threshold == 2
    p = state.proposals[7]
    assert (p.approvals, p.executed, p.target) == (2, True, B)
    assert state.system_contracts == {B}


def test_fold_continues_a_state_and_skips_other_contracts() -> None:
    ev = Script("Consortium")
    first = REDUCER.fold([admitted(ev, A, 1)])
    other = Script("SettlementToken")
    state = REDUCER.fold([other("Transfer", **{"from": A, "to": B, "value": 1}), admitted(ev, B, 2)], first)
    assert state is first
    assert isinstance(state, ConsortiumState)
    assert set(state.members) == {A, B}
