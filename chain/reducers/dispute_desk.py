"""``DisputeDesk`` events → disputes (status, parties, ruling, agreement and schedule, payments), the
collateral each case registered, which cases are enforceable, what each payee is owed, and the governed
settings.

The reducer mirrors the contract's transitions event by event, so the auditor can compare every dispute with
``DisputeDesk.dispute`` and the owed total with ``totalOwed`` (which the contract's token balance must equal),
and the gateway's index (mediator ratings, a bank's disputes) reads the same state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chain.contracts.dispute_desk import DisputeStatus, Instalment, Ruling
from chain.reducers._base import ZERO_ADDRESS, Event, Reducer, checksum, dispatch, uint, word

__all__ = ["CONTRACT", "DISPUTE_EVENTS", "REDUCER", "DisputeDeskState", "DisputeState", "dispute_of", "schedule"]

CONTRACT = "DisputeDesk"


@dataclass(slots=True)
class DisputeState:
    """A dispute as the contract stores it (``IDisputeDesk.Dispute`` and its agreement), plus its evidence
    and collateral as the events list them."""

    dispute_id: int
    case_id: str
    opener: str
    bank: str
    collector: str
    claim_amount: int
    opened_at: int
    opened_block: int
    status: DisputeStatus = DisputeStatus.OPEN
    ruling: Ruling = Ruling.NONE
    mediator: str = ZERO_ADDRESS
    mediator_by_bank: bool = False
    court: str = ZERO_ADDRESS
    appeal_court: str = ZERO_ADDRESS
    appeal_deadline: int = 0
    payee: str = ZERO_ADDRESS
    total: int = 0
    paid: int = 0
    relief: int = 0
    grace: int = 0
    agreed_at: int = 0
    terms_digest: str | None = None
    commitment_digest: str | None = None
    plan_digest: str | None = None
    failure_digest: str | None = None
    ruling_digest: str | None = None
    appeal_digest: str | None = None
    schedule: tuple[Instalment, ...] = ()
    evidence: list[tuple[str, str]] = field(default_factory=list)
    collateral: list[str] = field(default_factory=list)
    #: index of the instalment whose default was marked (``None`` unless DEFAULTED)
    defaulted_index: int | None = None
    last_event: str | None = None


@dataclass
class DisputeDeskState:
    disputes: dict[int, DisputeState] = field(default_factory=dict)
    #: case id → its latest dispute
    case_disputes: dict[str, int] = field(default_factory=dict)
    #: asset ref → the case it is collateral of
    collateral: dict[str, str] = field(default_factory=dict)
    enforceable: set[str] = field(default_factory=set)
    owed: dict[str, int] = field(default_factory=dict)
    total_owed: int = 0
    appeal_window: int = 0
    mediation_required: bool = True
    anomalies: list[str] = field(default_factory=list)

    @property
    def dispute_count(self) -> int:
        return max(self.disputes, default=0)

    def enforcement_of(self, asset: str) -> tuple[str | None, bool]:
        """``enforcementOf``: the case ``asset`` is collateral of and whether it is enforceable."""
        case = self.collateral.get(asset.lower())
        return case, case is not None and case in self.enforceable


def dispute_of(event: Event) -> int | None:
    """The dispute an event is about, or ``None`` for withdrawals and settings."""
    value = event.args.get("disputeId")
    return None if value is None else uint(value)


def schedule(value: Sequence[Any]) -> tuple[Instalment, ...]:
    """An ``Instalment[]`` argument, decoded (tuples) or stored (lists, decimal strings)."""
    return tuple(Instalment(uint(item[0]), uint(item[1])) for item in value)


def _dispute(s: DisputeDeskState, e: Event) -> DisputeState | None:
    did = uint(e.args["disputeId"])
    d = s.disputes.get(did)
    if d is None:
        s.anomalies.append(f"{e.key} {e.name}: unknown dispute {did}")
    else:
        d.last_event = e.key
    return d


def _opened(s: DisputeDeskState, e: Event) -> None:
    a = e.args
    did = uint(a["disputeId"])
    if did in s.disputes:
        s.anomalies.append(f"{e.key} DisputeOpened: dispute {did} opened twice")
    bank = checksum(a["bank"])
    case_id = word(a["caseId"])
    s.disputes[did] = DisputeState(
        dispute_id=did,
        case_id=case_id,
        opener=checksum(a["opener"]),
        bank=bank,
        collector=checksum(a["collector"]),
        claim_amount=uint(a["claimAmount"]),
        opened_at=uint(a["openedAt"]),
        opened_block=e.block_number,
        payee=bank,
        last_event=e.key,
    )
    s.case_disputes[case_id] = did


def _collateral(s: DisputeDeskState, e: Event) -> None:
    d = _dispute(s, e)
    asset, case_id = word(e.args["assetRef"]), word(e.args["caseId"])
    held = s.collateral.get(asset)
    if held is not None and held != case_id:
        s.anomalies.append(f"{e.key} CollateralRegistered: {asset} is collateral of {held}, not {case_id}")
    s.collateral[asset] = case_id
    if d is not None and asset not in d.collateral:
        d.collateral.append(asset)


def _evidence(s: DisputeDeskState, e: Event) -> None:
    d = _dispute(s, e)
    if d is not None:
        d.evidence.append((checksum(e.args["party"]), word(e.args["root"])))


def _mediator(s: DisputeDeskState, e: Event) -> None:
    d = _dispute(s, e)
    if d is None:
        return
    if d.status is not DisputeStatus.OPEN:
        s.anomalies.append(f"{e.key} MediatorAssigned: dispute {d.dispute_id} was {d.status.label}")
    d.mediator = checksum(e.args["mediator"])
    d.mediator_by_bank = bool(e.args["byBank"])
    d.status = DisputeStatus.MEDIATING


def _agreement(s: DisputeDeskState, e: Event) -> None:
    d = _dispute(s, e)
    if d is None:
        return
    a = e.args
    d.schedule = schedule(a["schedule"])
    d.total = uint(a["total"])
    if d.total != sum(i.amount for i in d.schedule):
        s.anomalies.append(f"{e.key} AgreementRecorded: total {d.total} is not the schedule's sum")
    d.relief = uint(a["relief"])
    if d.total + d.relief != d.claim_amount:
        s.anomalies.append(f"{e.key} AgreementRecorded: total + relief is not the claim {d.claim_amount}")
    d.grace = uint(a["grace"])
    d.agreed_at = uint(a["agreedAt"])
    d.terms_digest = word(a["termsDigest"])
    d.commitment_digest = word(a["commitmentDigest"])
    d.plan_digest = word(a["planDigest"])
    d.status = DisputeStatus.AGREED


def _failed(s: DisputeDeskState, e: Event) -> None:
    d = _dispute(s, e)
    if d is not None:
        d.failure_digest = word(e.args["reasonDigest"])
        d.status = DisputeStatus.FAILED


def _ruling(s: DisputeDeskState, e: Event) -> None:
    d = _dispute(s, e)
    if d is None:
        return
    a = e.args
    d.ruling = Ruling(uint(a["ruling"]))
    d.ruling_digest = word(a["documentDigest"])
    if bool(a["onAppeal"]):
        d.appeal_court = checksum(a["court"])
    else:
        d.court = checksum(a["court"])
        d.appeal_deadline = uint(a["appealDeadline"])
        d.status = DisputeStatus.RULED


def _appealed(s: DisputeDeskState, e: Event) -> None:
    d = _dispute(s, e)
    if d is not None:
        d.appeal_digest = word(e.args["reasonDigest"])
        d.status = DisputeStatus.APPEALED


def _final(s: DisputeDeskState, e: Event) -> None:
    d = _dispute(s, e)
    if d is not None:
        ruling = Ruling(uint(e.args["ruling"]))
        if ruling is not d.ruling:
            s.anomalies.append(f"{e.key} RulingFinal: {ruling.label} but the ruling given was {d.ruling.label}")
        d.status = DisputeStatus(uint(e.args["status"]))


def _enforceable(s: DisputeDeskState, e: Event) -> None:
    d = _dispute(s, e)
    case_id = word(e.args["caseId"])
    if d is not None and d.case_id != case_id:
        s.anomalies.append(f"{e.key} CaseEnforceable: dispute {d.dispute_id} is about {d.case_id}")
    s.enforceable.add(case_id)


def _paid(s: DisputeDeskState, e: Event) -> None:
    d = _dispute(s, e)
    a = e.args
    amount, payee = uint(a["amount"]), checksum(a["payee"])
    if d is not None:
        d.paid += amount
        if d.paid != uint(a["paid"]):
            s.anomalies.append(f"{e.key} InstalmentPaid: paid {uint(a['paid'])} but the payments sum to {d.paid}")
            d.paid = uint(a["paid"])
        if d.paid > d.total:
            s.anomalies.append(f"{e.key} InstalmentPaid: {d.paid} paid on a total of {d.total}")
        if payee != d.payee:
            s.anomalies.append(f"{e.key} InstalmentPaid: owed to {payee} but the payee is {d.payee}")
    s.owed[payee] = s.owed.get(payee, 0) + amount
    s.total_owed += amount


def _honoured(s: DisputeDeskState, e: Event) -> None:
    d = _dispute(s, e)
    if d is not None:
        d.status = DisputeStatus.HONOURED


def _defaulted(s: DisputeDeskState, e: Event) -> None:
    d = _dispute(s, e)
    if d is not None:
        d.status = DisputeStatus.DEFAULTED
        d.defaulted_index = uint(e.args["index"])


def _abandoned(s: DisputeDeskState, e: Event) -> None:
    d = _dispute(s, e)
    if d is not None:
        d.status = DisputeStatus.ABANDONED


def _payee(s: DisputeDeskState, e: Event) -> None:
    d = _dispute(s, e)
    if d is not None:
        d.payee = checksum(e.args["current"])


def _withdrawn(s: DisputeDeskState, e: Event) -> None:
    payee, amount = checksum(e.args["payee"]), uint(e.args["amount"])
    left = s.owed.get(payee, 0) - amount
    if left < 0:
        s.anomalies.append(f"{e.key} PaymentWithdrawn: {payee} withdrew {amount}, more than it was owed")
    s.owed[payee] = max(left, 0)
    s.total_owed -= amount


def _appeal_window(s: DisputeDeskState, e: Event) -> None:
    s.appeal_window = uint(e.args["current"])


def _mediation_required(s: DisputeDeskState, e: Event) -> None:
    s.mediation_required = bool(e.args["required"])


_HANDLERS = {
    "DisputeOpened": _opened,
    "CollateralRegistered": _collateral,
    "EvidenceSubmitted": _evidence,
    "MediatorAssigned": _mediator,
    "AgreementRecorded": _agreement,
    "MediationFailed": _failed,
    "RulingGiven": _ruling,
    "RulingAppealed": _appealed,
    "RulingFinal": _final,
    "CaseEnforceable": _enforceable,
    "InstalmentPaid": _paid,
    "AgreementHonoured": _honoured,
    "AgreementDefaulted": _defaulted,
    "DisputeAbandoned": _abandoned,
    "PayeeChanged": _payee,
    "PaymentWithdrawn": _withdrawn,
    "AppealWindowChanged": _appeal_window,
    "MediationRequirementChanged": _mediation_required,
}

#: every event of the contract
DISPUTE_EVENTS = frozenset(_HANDLERS)

REDUCER: Reducer[DisputeDeskState] = Reducer(
    contract=CONTRACT,
    new_state=DisputeDeskState,
    apply=dispatch(_HANDLERS),
    events=DISPUTE_EVENTS,
)
