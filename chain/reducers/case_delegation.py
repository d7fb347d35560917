"""``CaseDelegation`` events → cases (status, collector, recovered, fees), batches (budget, settlement)
and the fees owed to each collector.

A case exists on chain from its batch's publication (status ``open``, i.e. ``CaseStatus.NONE``) but
appears in events only from its first claim or offer, so a case is created on its first event. Each case
remembers the key of the last event applied to it and ignores events up to that key, so re-applying
events (delivery is at-least-once) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chain.contracts.case_delegation import CaseStatus
from chain.reducers._base import Event, Reducer, checksum, dispatch, uint, word

__all__ = ["CASE_EVENTS", "REDUCER", "Batch", "Case", "CaseDelegationState", "case_of"]

CONTRACT = "CaseDelegation"


@dataclass(slots=True)
class Case:
    case_id: str
    status: str = "open"
    collector: str | None = None
    recovered: int = 0
    #: fees confirmed for this case so far
    fees: int = 0
    batch_id: int | None = None
    #: key of the last event applied (``None``: none yet)
    last_event: str | None = None


@dataclass
class Batch:
    batch_id: int
    bank: str
    root: str
    case_count: int
    closes_at: int
    remaining_budget: int
    settled: bool = False


@dataclass
class CaseDelegationState:
    cases: dict[str, Case] = field(default_factory=dict)
    batches: dict[int, Batch] = field(default_factory=dict)
    fees_owed: dict[str, int] = field(default_factory=dict)
    max_open_cases: int = 0
    anomalies: list[str] = field(default_factory=list)


def case_of(event: Event) -> str | None:
    """The case an event is about (lower-case 0x-hex), or ``None`` for batch and fee events."""
    case_id = event.args.get("caseId")
    return None if case_id is None else word(case_id)


#: what each case event sets (status; "collector": the event's collector or none)
_STATUS = {
    "CaseClaimed": "claimed",
    "CaseOffered": "offered",
    "OfferAccepted": "claimed",
    "OfferDeclined": "open",
    "OfferLapsed": "open",
    "RecoveryReported": "recovery_reported",
    "RecoveryConfirmed": "claimed",
    "RecoveryRejected": "claimed",
}
CASE_EVENTS = frozenset({*_STATUS, "ActionReported", "CaseClosed"})


def _change(s: CaseDelegationState, c: Case, e: Event) -> None:
    a, name = e.args, e.name
    if name in ("CaseClaimed", "CaseOffered"):
        c.collector, c.batch_id = checksum(a["collector"]), uint(a["batchId"])
    elif name in ("OfferDeclined", "OfferLapsed"):
        c.collector = None
    elif name == "RecoveryConfirmed":
        fee = uint(a["fee"])
        c.recovered, c.fees = uint(a["recoveredTotal"]), c.fees + fee
        collector = checksum(a["collector"])
        s.fees_owed[collector] = s.fees_owed.get(collector, 0) + fee
        batch = s.batches.get(c.batch_id) if c.batch_id is not None else None
        if batch is not None:
            batch.remaining_budget -= fee
    elif name == "CaseClosed":
        c.status, c.recovered = CaseStatus(uint(a["status"])).label, uint(a["recovered"])
    status = _STATUS.get(name)
    if status is not None:
        c.status = status


def _case_event(s: CaseDelegationState, e: Event) -> None:
    case_id = word(e.args["caseId"])
    c = s.cases.get(case_id)
    if c is None:
        c = s.cases[case_id] = Case(case_id)
    if c.last_event is not None and e.key <= c.last_event:
        return  # already applied
    _change(s, c, e)
    c.last_event = e.key


def _published(s: CaseDelegationState, e: Event) -> None:
    a = e.args
    s.batches[uint(a["batchId"])] = Batch(
        uint(a["batchId"]), a["bank"], word(a["root"]), uint(a["caseCount"]), uint(a["closesAt"]), uint(a["feeBudget"])
    )


def _batch(s: CaseDelegationState, e: Event) -> Batch | None:
    b = s.batches.get(uint(e.args["batchId"]))
    if b is None:
        s.anomalies.append(f"{e.key} {e.name}: unknown batch {e.args['batchId']}")
    return b


def _topped_up(s: CaseDelegationState, e: Event) -> None:
    b = _batch(s, e)
    if b is not None:
        b.remaining_budget = uint(e.args["remainingBudget"])


def _settled(s: CaseDelegationState, e: Event) -> None:
    b = _batch(s, e)
    if b is not None:
        b.remaining_budget, b.settled = 0, True


def _withdrawn(s: CaseDelegationState, e: Event) -> None:
    collector = checksum(e.args["collector"])
    owed = s.fees_owed.get(collector, 0) - uint(e.args["amount"])
    if owed < 0:
        s.anomalies.append(f"{e.key} FeesWithdrawn: {collector} withdrew more than it was owed")
    s.fees_owed[collector] = owed


def _max_open(s: CaseDelegationState, e: Event) -> None:
    s.max_open_cases = uint(e.args["current"])


_HANDLERS = {
    **dict.fromkeys(CASE_EVENTS, _case_event),
    "BatchPublished": _published,
    "BudgetToppedUp": _topped_up,
    "BatchSettled": _settled,
    "FeesWithdrawn": _withdrawn,
    "MaxOpenCasesSet": _max_open,
}

REDUCER: Reducer[CaseDelegationState] = Reducer(
    contract=CONTRACT, new_state=CaseDelegationState, apply=dispatch(_HANDLERS), events=frozenset(_HANDLERS)
)
