"""``Consortium`` events → members (roles, region, licence, KYC tier, suspension) and governance
(governors, threshold, proposals, system contracts).

A system contract is set by a governed proposal (``SystemContractSet``) or enrolled by a system contract
that deployed it (``SystemContractEnrolled``: a fractions factory enrols each asset token): the governors
approved the enrolling contract's code, so they approved what it creates."""

from __future__ import annotations

from dataclasses import dataclass, field

from chain.contracts.consortium import Role
from chain.reducers._base import Event, Reducer, dispatch, uint, word

__all__ = ["MEMBER_EVENTS", "REDUCER", "ROLE_BITS", "ConsortiumState", "Member", "Proposal"]

CONTRACT = "Consortium"
MEMBER_EVENTS = frozenset(
    {
        "MemberAdmitted",
        "MemberRoleGranted",
        "MemberRoleRevoked",
        "MemberSuspended",
        "MemberReinstated",
        "MemberProfileUpdated",
    }
)
#: role id (lower-case 0x-hex) → bit in the member's role mask (the same order as ``Consortium``)
ROLE_BITS = {"0x" + r.id.hex(): r.bit for r in Role}


@dataclass(slots=True)
class Member:
    address: str
    name_digest: str
    roles: int
    region: int
    licence_expiry: int
    kyc_tier: int
    suspended: bool = False
    admitted_block: int = 0
    #: key of the last event that changed this member
    updated_key: str = ""


@dataclass
class Proposal:
    proposal_id: int
    kind: int
    target: str
    proposer: str
    deadline: int
    approvals: int = 0
    executed: bool = False


@dataclass
class ConsortiumState:
    members: dict[str, Member] = field(default_factory=dict)
    governors: set[str] = field(default_factory=set)
    threshold: int = 0
    proposals: dict[int, Proposal] = field(default_factory=dict)
    system_contracts: set[str] = field(default_factory=set)
    #: enrolled system contract → the system contract that enrolled it
    enrolled_by: dict[str, str] = field(default_factory=dict)
    anomalies: list[str] = field(default_factory=list)


def _admitted(s: ConsortiumState, e: Event) -> None:
    a = e.args
    s.members[a["account"]] = Member(
        address=a["account"],
        name_digest=word(a["nameDigest"]),
        roles=uint(a["roles"]),
        region=uint(a["region"]),
        licence_expiry=uint(a["licenceExpiry"]),
        kyc_tier=uint(a["kycTier"]),
        admitted_block=e.block_number,
        updated_key=e.key,
    )


def _member(s: ConsortiumState, e: Event) -> Member | None:
    m = s.members.get(e.args["account"])
    if m is None:
        s.anomalies.append(f"{e.key} {e.name}: unknown member {e.args['account']}")
    else:
        m.updated_key = e.key
    return m


def _role(s: ConsortiumState, e: Event) -> None:
    bit = ROLE_BITS.get(word(e.args["role"]))
    if bit is None:
        s.anomalies.append(f"{e.key} {e.name}: unknown role {word(e.args['role'])}")
        return
    m = _member(s, e)
    if m is not None:
        m.roles = m.roles | bit if e.name == "MemberRoleGranted" else m.roles & ~bit


def _suspension(s: ConsortiumState, e: Event) -> None:
    m = _member(s, e)
    if m is not None:
        m.suspended = e.name == "MemberSuspended"


def _profile(s: ConsortiumState, e: Event) -> None:
    m = _member(s, e)
    if m is not None:
        m.region, m.licence_expiry, m.kyc_tier = (
            uint(e.args["region"]),
            uint(e.args["licenceExpiry"]),
            uint(e.args["kycTier"]),
        )


def _governor(s: ConsortiumState, e: Event) -> None:
    (s.governors.add if e.name == "GovernorAdded" else s.governors.discard)(e.args["account"])


def _threshold(s: ConsortiumState, e: Event) -> None:
    s.threshold = uint(e.args["current"])


def _proposal_created(s: ConsortiumState, e: Event) -> None:
    a = e.args
    pid = uint(a["proposalId"])
    s.proposals[pid] = Proposal(pid, uint(a["kind"]), a["target"], a["proposer"], uint(a["deadline"]))


def _proposal(s: ConsortiumState, e: Event) -> None:
    p = s.proposals.get(uint(e.args["proposalId"]))
    if p is None:
        s.anomalies.append(f"{e.key} {e.name}: unknown proposal {e.args['proposalId']}")
    elif e.name == "ProposalApproved":
        p.approvals = uint(e.args["approvals"])
    else:
        p.executed = True


def _system_contract(s: ConsortiumState, e: Event) -> None:
    (s.system_contracts.add if e.args["enabled"] else s.system_contracts.discard)(e.args["account"])


def _enrolled(s: ConsortiumState, e: Event) -> None:
    """Only a system contract may enrol one, and only a contract that is not one yet."""
    account, by = e.args["account"], e.args["enrolledBy"]
    if by not in s.system_contracts:
        s.anomalies.append(f"{e.key} SystemContractEnrolled: {account} enrolled by {by}, not a system contract")
    elif account in s.system_contracts:
        s.anomalies.append(f"{e.key} SystemContractEnrolled: {account} was already a system contract")
    s.system_contracts.add(account)
    s.enrolled_by[account] = by


_HANDLERS = {
    "MemberAdmitted": _admitted,
    "MemberRoleGranted": _role,
    "MemberRoleRevoked": _role,
    "MemberSuspended": _suspension,
    "MemberReinstated": _suspension,
    "MemberProfileUpdated": _profile,
    "GovernorAdded": _governor,
    "GovernorRemoved": _governor,
    "ThresholdChanged": _threshold,
    "ProposalCreated": _proposal_created,
    "ProposalApproved": _proposal,
    "ProposalExecuted": _proposal,
    "SystemContractSet": _system_contract,
    "SystemContractEnrolled": _enrolled,
}

REDUCER: Reducer[ConsortiumState] = Reducer(
    contract=CONTRACT, new_state=ConsortiumState, apply=dispatch(_HANDLERS), events=frozenset(_HANDLERS)
)
