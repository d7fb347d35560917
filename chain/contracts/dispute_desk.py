"""Typed wrapper of ``DisputeDesk``: mediation of disputed cases, restructuring agreements paid in
instalments, and the court rulings that make a case enforceable.

The case's bank (or the collector holding it) opens a dispute; a MEDIATOR claims it or the bank assigns
one; the mediator records an agreement (an instalment schedule whose total plus the relief is the claim) or
a failure; a COURT confirms the agreement or rules on the claim, which opens an appeal window; a ruling on
appeal by another court is final at once, otherwise anyone finalises after the window. A final ruling for
the claimant, or a confirmed agreement that defaulted, makes the case enforceable: only then may its
collateral be listed in a judicial auction. Every amount is integer fen; every document a digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from chain.client import Receipt, Sender, TxRequest
from chain.contracts._base import BoundContract
from chain.merkle import Bytes32Like, to_bytes32

__all__ = [
    "MAX_GRACE_SECONDS",
    "MAX_INSTALMENTS",
    "Agreement",
    "AgreementRecord",
    "Dispute",
    "DisputeDesk",
    "DisputeStatus",
    "Instalment",
    "Ruling",
    "due_by",
    "first_default",
]

#: the longest instalment schedule an agreement may have
MAX_INSTALMENTS = 120
#: the longest grace period an agreement may grant, in seconds
MAX_GRACE_SECONDS = 90 * 24 * 3600


class DisputeStatus(IntEnum):
    """``IDisputeDesk.DisputeStatus``."""

    NONE = 0
    OPEN = 1
    MEDIATING = 2
    AGREED = 3
    FAILED = 4
    RULED = 5
    APPEALED = 6
    FINAL = 7
    PERFORMING = 8
    HONOURED = 9
    DEFAULTED = 10
    ABANDONED = 11

    @property
    def label(self) -> str:
        return self.name.lower()


class Ruling(IntEnum):
    """``IDisputeDesk.Ruling`` (ERC-792 style: ``NONE`` is "no ruling yet", ``REFUSED`` "refused to rule")."""

    NONE = 0
    REFUSED = 1
    CONFIRMED = 2
    FOR_CLAIMANT = 3
    DISMISSED = 4

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Instalment:
    """One instalment: ``amount`` fen due by ``due_at`` (block time, inclusive)."""

    amount: int
    due_at: int

    def as_abi(self) -> tuple[int, int]:
        return (self.amount, self.due_at)


@dataclass(frozen=True)
class Agreement:
    """``IDisputeDesk.Agreement``: what a mediator records (digests only; the schedule in fen)."""

    terms_digest: bytes
    commitment_digest: bytes
    plan_digest: bytes
    relief: int
    grace: int
    schedule: tuple[Instalment, ...]

    @property
    def total(self) -> int:
        return sum(i.amount for i in self.schedule)

    def as_abi(self) -> tuple[Any, ...]:
        return (
            self.terms_digest,
            self.commitment_digest,
            self.plan_digest,
            self.relief,
            self.grace,
            [i.as_abi() for i in self.schedule],
        )


@dataclass(frozen=True)
class Dispute:
    """``IDisputeDesk.Dispute`` as the contract returns it."""

    dispute_id: int
    status: DisputeStatus
    ruling: Ruling
    opened_at: int
    bank: str
    appeal_deadline: int
    collector: str
    opener: str
    mediator: str
    court: str
    appeal_court: str
    case_id: bytes
    claim_amount: int
    total: int
    paid: int
    payee: str

    @classmethod
    def from_abi(cls, dispute_id: int, t: Sequence[Any]) -> Dispute:
        return cls(
            dispute_id=dispute_id,
            status=DisputeStatus(int(t[0])),
            ruling=Ruling(int(t[1])),
            opened_at=int(t[2]),
            bank=t[3],
            appeal_deadline=int(t[4]),
            collector=t[5],
            opener=t[6],
            mediator=t[7],
            court=t[8],
            appeal_court=t[9],
            case_id=bytes(t[10]),
            claim_amount=int(t[11]),
            total=int(t[12]),
            paid=int(t[13]),
            payee=t[14],
        )


@dataclass(frozen=True)
class AgreementRecord:
    """``IDisputeDesk.AgreementRecord``."""

    terms_digest: bytes
    commitment_digest: bytes
    plan_digest: bytes
    relief: int
    grace: int
    agreed_at: int


def due_by(schedule: Sequence[Instalment], timestamp: int) -> int:
    """The cumulative amount due by ``timestamp`` (instalments due at or before it), as ``dueBy`` computes."""
    return sum(i.amount for i in schedule if i.due_at <= timestamp)


def first_default(schedule: Sequence[Instalment], grace: int, paid: int, now: int) -> int | None:
    """The index of the first instalment unpaid more than ``grace`` seconds after its due date at ``now``
    (``markDefault`` succeeds exactly when this is not ``None``)."""
    cumulative = 0
    for index, i in enumerate(schedule):
        cumulative += i.amount
        if i.due_at + grace >= now:
            return None
        if cumulative > paid:
            return index
    return None


class DisputeDesk(BoundContract):
    contract_name = "DisputeDesk"

    # --- requests (for a sender's burst or the gateway's outbox) ---

    def open_request(
        self,
        case_id: Bytes32Like,
        claim_amount: int,
        evidence_roots: Sequence[Bytes32Like] = (),
        collateral: Sequence[Bytes32Like] = (),
    ) -> TxRequest:
        return self.request(
            "open",
            to_bytes32(case_id),
            claim_amount,
            [to_bytes32(r) for r in evidence_roots],
            [to_bytes32(c) for c in collateral],
        )

    def claim_request(self, dispute_id: int) -> TxRequest:
        return self.request("claim", dispute_id)

    def assign_request(self, dispute_id: int, mediator: str) -> TxRequest:
        return self.request("assign", dispute_id, mediator)

    def submit_evidence_request(self, dispute_id: int, root: Bytes32Like) -> TxRequest:
        return self.request("submitEvidence", dispute_id, to_bytes32(root))

    def record_agreement_request(self, dispute_id: int, agreement: Agreement) -> TxRequest:
        return self.request("recordAgreement", dispute_id, agreement.as_abi())

    def record_failure_request(self, dispute_id: int, reason_digest: Bytes32Like) -> TxRequest:
        return self.request("recordFailure", dispute_id, to_bytes32(reason_digest))

    def rule_request(self, dispute_id: int, ruling: Ruling, document_digest: Bytes32Like) -> TxRequest:
        return self.request("rule", dispute_id, int(ruling), to_bytes32(document_digest))

    def appeal_request(self, dispute_id: int, reason_digest: Bytes32Like) -> TxRequest:
        return self.request("appeal", dispute_id, to_bytes32(reason_digest))

    def finalize_request(self, dispute_id: int) -> TxRequest:
        return self.request("finalize", dispute_id)

    def pay_request(self, dispute_id: int, amount: int) -> TxRequest:
        return self.request("pay", dispute_id, amount)

    def mark_default_request(self, dispute_id: int) -> TxRequest:
        return self.request("markDefault", dispute_id)

    def abandon_request(self, dispute_id: int, reason_digest: Bytes32Like) -> TxRequest:
        return self.request("abandon", dispute_id, to_bytes32(reason_digest))

    def set_payee_request(self, dispute_id: int, payee: str) -> TxRequest:
        return self.request("setPayee", dispute_id, payee)

    def withdraw_request(self) -> TxRequest:
        return self.request("withdraw")

    # --- writes that wait for their receipt ---

    def open(
        self,
        sender: Sender,
        case_id: Bytes32Like,
        claim_amount: int,
        evidence_roots: Sequence[Bytes32Like] = (),
        collateral: Sequence[Bytes32Like] = (),
    ) -> int:
        """Open a dispute; returns its id."""
        receipt = sender.transact(self.open_request(case_id, claim_amount, evidence_roots, collateral))
        return int(self.first(self.events(receipt), "DisputeOpened").args["disputeId"])

    def send(self, sender: Sender, request: TxRequest) -> Receipt:
        return sender.transact(request)

    # --- views ---

    def dispute(self, dispute_id: int, *, block: int | str = "latest") -> Dispute:
        return Dispute.from_abi(dispute_id, self.call("dispute", dispute_id, block=block))

    def agreement_of(self, dispute_id: int, *, block: int | str = "latest") -> AgreementRecord:
        t = self.call("agreementOf", dispute_id, block=block)
        return AgreementRecord(bytes(t[0]), bytes(t[1]), bytes(t[2]), int(t[3]), int(t[4]), int(t[5]))

    def schedule_of(self, dispute_id: int, *, block: int | str = "latest") -> tuple[Instalment, ...]:
        return tuple(Instalment(int(a), int(d)) for a, d in self.call("scheduleOf", dispute_id, block=block))

    def due_by(self, dispute_id: int, timestamp: int) -> int:
        return int(self.call("dueBy", dispute_id, timestamp))

    def dispute_of_case(self, case_id: Bytes32Like, *, block: int | str = "latest") -> int:
        return int(self.call("disputeOfCase", to_bytes32(case_id), block=block))

    def is_enforceable(self, case_id: Bytes32Like, *, block: int | str = "latest") -> bool:
        return bool(self.call("isEnforceable", to_bytes32(case_id), block=block))

    def enforcement_of(self, asset: Bytes32Like, *, block: int | str = "latest") -> tuple[bytes, bool]:
        """``(caseId, enforceable)`` of registered collateral (zero, false if never registered)."""
        case_id, enforceable = self.call("enforcementOf", to_bytes32(asset), block=block)
        return bytes(case_id), bool(enforceable)

    def dispute_count(self, *, block: int | str = "latest") -> int:
        return int(self.call("disputeCount", block=block))

    def owed(self, account: str, *, block: int | str = "latest") -> int:
        return int(self.call("owed", account, block=block))

    def total_owed(self, *, block: int | str = "latest") -> int:
        return int(self.call("totalOwed", block=block))

    def appeal_window(self, *, block: int | str = "latest") -> int:
        return int(self.call("appealWindow", block=block))

    def mediation_required(self, *, block: int | str = "latest") -> bool:
        return bool(self.call("mediationRequired", block=block))
