"""Typed wrapper of the ``Consortium`` contract: membership, roles and k-of-n governance.

Governance also reaches other contracts: a ``CALL`` proposal carries the exact calldata of another contract's
``onlyConsortium`` setting (for example ``OracleHub.setThreshold``), and the consortium makes that call when
k-of-n governors approved it and one executes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any, NewType

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from chain.client import Receipt, Sender
from chain.contracts._base import BoundContract

__all__ = [
    "EVIDENCE_ANCHORER_ROLE",
    "GOVERNANCE_ROLE",
    "CallExecuted",
    "Consortium",
    "Member",
    "Proposal",
    "ProposalId",
    "ProposalKind",
    "Role",
    "name_digest",
]

ProposalId = NewType("ProposalId", int)


class Role(StrEnum):
    """Consortium roles; on chain each is ``keccak256("<NAME>_ROLE")``."""

    BANK = "BANK"
    COLLECTOR = "COLLECTOR"
    MEDIATOR = "MEDIATOR"
    COURT = "COURT"
    INVESTOR = "INVESTOR"
    AUDITOR = "AUDITOR"
    ORACLE = "ORACLE"
    REGULATOR = "REGULATOR"
    SETTLEMENT_BANK = "SETTLEMENT_BANK"

    @property
    def id(self) -> bytes:
        return keccak(text=f"{self.value}_ROLE")

    @property
    def bit(self) -> int:
        return 1 << list(Role).index(self)

    @classmethod
    def from_mask(cls, mask: int) -> frozenset[Role]:
        return frozenset(r for r in cls if mask & r.bit)

    @classmethod
    def parse(cls, text: str) -> Role:
        key = text.strip().upper().removesuffix("_ROLE").replace("-", "_")
        try:
            return cls[key]
        except KeyError as exc:
            raise ValueError(f"unknown role {text!r}; choose from {', '.join(r.value for r in cls)}") from exc


#: Not member roles: what ``ConsortiumGatedUnauthorized(account, role)`` names when a caller is not the
#: consortium executing an approved proposal (``onlyConsortium``), or is none of BANK, COLLECTOR and COURT
#: (anchoring evidence).
GOVERNANCE_ROLE = keccak(text="GOVERNANCE_ROLE")
EVIDENCE_ANCHORER_ROLE = keccak(text="EVIDENCE_ANCHORER_ROLE")


class ProposalKind(IntEnum):
    ADMIT = 0
    GRANT_ROLE = 1
    REVOKE_ROLE = 2
    SUSPEND = 3
    REINSTATE = 4
    UPDATE_PROFILE = 5
    ADD_GOVERNOR = 6
    REMOVE_GOVERNOR = 7
    SET_THRESHOLD = 8
    SET_SYSTEM_CONTRACT = 9
    CALL = 10


def name_digest(name: str) -> bytes:
    """Digest of an institution's legal name (the name itself never goes on chain)."""
    return keccak(text=" ".join(name.split()))


@dataclass(frozen=True)
class Member:
    address: str
    name_digest: bytes
    roles: frozenset[Role]
    region: int
    licence_expiry: int
    kyc_tier: int
    suspended: bool
    admitted_at: int
    active: bool


@dataclass(frozen=True)
class CallExecuted:
    """A ``ProposalCallExecuted`` event: the call an executed ``CALL`` proposal made, and what it returned."""

    proposal_id: ProposalId
    target: str
    selector: bytes
    result: bytes


@dataclass(frozen=True)
class Proposal:
    id: ProposalId
    kind: ProposalKind
    target: str
    proposer: str
    deadline: int
    executed: bool
    data: bytes
    approvals: int


class Consortium(BoundContract):
    contract_name = "Consortium"

    # --- governance writes ---

    def propose(self, sender: Sender, kind: ProposalKind, target: str, data: bytes = b"") -> ProposalId:
        receipt = self.transact(sender, "propose", int(kind), target, data)
        return ProposalId(int(self.first(self.events(receipt), "ProposalCreated").args["proposalId"]))

    def propose_admission(
        self,
        sender: Sender,
        account: str,
        *,
        name: str,
        roles: Iterable[Role],
        region: int,
        licence_expiry: int = 0,
        kyc_tier: int = 0,
    ) -> ProposalId:
        data = abi_encode(
            ["bytes32", "bytes32[]", "uint32", "uint64", "uint8"],
            [name_digest(name), [r.id for r in sorted(roles)], region, licence_expiry, kyc_tier],
        )
        return self.propose(sender, ProposalKind.ADMIT, account, data)

    def propose_role(self, sender: Sender, account: str, role: Role, *, grant: bool) -> ProposalId:
        kind = ProposalKind.GRANT_ROLE if grant else ProposalKind.REVOKE_ROLE
        return self.propose(sender, kind, account, abi_encode(["bytes32"], [role.id]))

    def propose_suspension(self, sender: Sender, account: str, *, reason: str, suspend: bool) -> ProposalId:
        kind = ProposalKind.SUSPEND if suspend else ProposalKind.REINSTATE
        return self.propose(sender, kind, account, abi_encode(["bytes32"], [keccak(text=reason)]))

    def propose_profile(
        self, sender: Sender, account: str, *, region: int, licence_expiry: int, kyc_tier: int
    ) -> ProposalId:
        data = abi_encode(["uint32", "uint64", "uint8"], [region, licence_expiry, kyc_tier])
        return self.propose(sender, ProposalKind.UPDATE_PROFILE, account, data)

    def propose_governor(self, sender: Sender, account: str, *, add: bool) -> ProposalId:
        return self.propose(sender, ProposalKind.ADD_GOVERNOR if add else ProposalKind.REMOVE_GOVERNOR, account)

    def propose_threshold(self, sender: Sender, threshold: int) -> ProposalId:
        return self.propose(sender, ProposalKind.SET_THRESHOLD, sender.address, abi_encode(["uint256"], [threshold]))

    def propose_system_contract(self, sender: Sender, contract: str, *, enabled: bool) -> ProposalId:
        return self.propose(sender, ProposalKind.SET_SYSTEM_CONTRACT, contract, abi_encode(["bool"], [enabled]))

    def propose_call(self, sender: Sender, target: str, data: bytes) -> ProposalId:
        """Propose that the consortium call ``target`` with ``data`` (a contract's ``onlyConsortium`` setting)."""
        return self.propose(sender, ProposalKind.CALL, target, data)

    def call_executed(self, receipt: Receipt) -> CallExecuted:
        """The ``ProposalCallExecuted`` event of an ``execute`` receipt of a ``CALL`` proposal."""
        a = self.first(self.events(receipt), "ProposalCallExecuted").args
        return CallExecuted(
            proposal_id=ProposalId(int(a["proposalId"])),
            target=a["target"],
            selector=bytes(a["selector"]),
            result=bytes(a["result"]),
        )

    def approve(self, sender: Sender, proposal_id: int) -> Receipt:
        return self.transact(sender, "approve", proposal_id)

    def execute(self, sender: Sender, proposal_id: int) -> Receipt:
        return self.transact(sender, "execute", proposal_id)

    # --- reads ---

    def has_active_role(self, account: str, role: Role, *, block: int | str = "latest") -> bool:
        return bool(self.call("hasActiveRole", account, role.id, block=block))

    def is_active_member(self, account: str, *, block: int | str = "latest") -> bool:
        return bool(self.call("isActiveMember", account, block=block))

    def is_member(self, account: str, *, block: int | str = "latest") -> bool:
        return bool(self.call("isMember", account, block=block))

    def is_system_contract(self, account: str, *, block: int | str = "latest") -> bool:
        return bool(self.call("isSystemContract", account, block=block))

    def get_member(self, account: str, *, block: int | str = "latest") -> Member:
        raw: tuple[Any, ...] = self.call("getMember", account, block=block)
        name, roles, region, licence, kyc, suspended, admitted = raw
        return Member(
            address=account,
            name_digest=name,
            roles=Role.from_mask(roles),
            region=region,
            licence_expiry=licence,
            kyc_tier=kyc,
            suspended=suspended,
            admitted_at=admitted,
            active=self.is_active_member(account, block=block),
        )

    def members(self, *, block: int | str = "latest") -> list[Member]:
        count = int(self.call("memberCount", block=block))
        return [self.get_member(self.call("memberAt", i, block=block), block=block) for i in range(count)]

    def governors(self, *, block: int | str = "latest") -> list[str]:
        return list(self.call("governors", block=block))

    def threshold(self, *, block: int | str = "latest") -> int:
        return int(self.call("threshold", block=block))

    def proposal_count(self, *, block: int | str = "latest") -> int:
        return int(self.call("proposalCount", block=block))

    def proposal(self, proposal_id: int, *, block: int | str = "latest") -> Proposal:
        kind, target, proposer, deadline, executed, data = self.call("getProposal", proposal_id, block=block)
        return Proposal(
            id=ProposalId(proposal_id),
            kind=ProposalKind(kind),
            target=target,
            proposer=proposer,
            deadline=deadline,
            executed=executed,
            data=data,
            approvals=int(self.call("approvalCount", proposal_id, block=block)),
        )
