"""Dispute use cases: every step a durable operation through the one write path; disputes, mediator ratings
and enforcement read from the index the ``DisputeDesk`` projection keeps (enforcement from the chain itself).

The contract holds every rule. Before accepting a write, the planner asks the chain (a gas estimate of the very
transaction from the caller's address) and a refusal becomes its problem through
``chain_errors.REVERT_PROBLEMS`` (``DSP-4xx``, naming the contract's error as ``reverted``); a missing consortium
role here is ``DSP-403`` with the role the contract asked for. A payment first approves the dispute desk for
exactly that amount when the allowance does not cover it; then the chain cannot run the payment before the
approval is mined, so the planner checks what a view can answer first (the dispute takes payments, the amount is
at most what is outstanding, the payer holds it) and the payment itself is checked when it runs.

A replayed ``Idempotency-Key`` is answered with the original operations before the chain is asked again (it
might now refuse the step it already took, e.g. a claim); a different body under it is ``OPS-409``.

Reads: a dispute's ``due_now_fen``, ``next_instalment``, ``days_overdue`` and ``in_default`` are computed from
its schedule and payments at the chain's latest block time, as ``dueBy`` and ``markDefault`` compute them.
Mediator ratings: per mediator, the disputes it took, its agreements and failures, the settlement rate
(agreements ÷ (agreements + failures)), the median days from opening to agreement, the share of confirmed
agreements honoured (honoured ÷ (honoured + defaulted)) and its open caseload.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from eth_utils.address import to_checksum_address
from sqlmodel import Session, col, select

from chain import ContractPanic, ContractReverted
from chain.client import TxRequest
from chain.contracts.dispute_desk import (
    Agreement,
    DisputeDesk,
    DisputeStatus,
    Instalment,
    Ruling,
    due_by,
    first_default,
)
from chain.contracts.judicial_auction import asset_ref
from chain.network import Recourse
from chain.reducers._base import ZERO_ADDRESS
from node_api.db.disputes_models import (
    DisputeCase,
    DisputeCollateral,
    DisputeEvidence,
    DisputeInstalment,
    DisputePayee,
    DisputeRow,
)
from node_api.institutions import Institution
from node_api.problems import DisputeNotAllowedError, DisputeNotFoundError, DisputeStateError, DisputeTermsError
from node_api.schemas.disputes import (
    DisputePublic,
    DisputesPublic,
    DisputeSummary,
    EnforcementPublic,
    EvidencePublic,
    InstalmentPublic,
    MediatorRatingPublic,
    MediatorRatingsPublic,
)
from node_api.services._planning import Step, bytes32, one, paying, planner, read
from node_api.services.chain_errors import raise_problem, role_name
from node_api.services.operations import Submission, reads_chain

__all__ = [
    "DISPUTE_CONTRACT",
    "enforcement",
    "get_dispute",
    "list_disputes",
    "mediator_ratings",
    "owed_to",
    "submit_abandon",
    "submit_agreement",
    "submit_appeal",
    "submit_assign",
    "submit_claim",
    "submit_evidence",
    "submit_failure",
    "submit_finalize",
    "submit_mark_default",
    "submit_open",
    "submit_payee",
    "submit_payment",
    "submit_ruling",
    "submit_withdrawal",
]

DISPUTE_CONTRACT = "DisputeDesk"
_DAY = 86_400
#: statuses in which ``pay`` is taken (RULED and APPEALED only on an agreement, i.e. with a schedule)
_PAYABLE = (DisputeStatus.AGREED, DisputeStatus.RULED, DisputeStatus.APPEALED, DisputeStatus.PERFORMING)


# --- planning helpers -------------------------------------------------------------------------------------


def _refused(exc: ContractReverted) -> NoReturn:
    """A refusal of the dry run as its problem; a missing consortium role here is ``DSP-403``."""
    if not isinstance(exc, ContractPanic) and exc.name == "ConsortiumGatedUnauthorized":
        name = role_name(exc.arguments["role"])
        raise DisputeNotAllowedError(
            f"{exc.arguments['account']} may not take this step: it needs {name} on chain now",
            required_role=name,
            reverted=exc.name,
        ) from exc
    raise_problem(exc)


@dataclass(frozen=True)
class _Step(Step):
    """One planner's request (see :class:`~node_api.services._planning.Step`)."""

    def one(self, build: Callable[[DisputeDesk], TxRequest]) -> Submission:
        """The replay, else a request of one operation, asked of the chain first."""
        again = self.again()
        if again is not None:
            return again
        tx = build(self.recourse.disputes)
        return one(self.recourse, self.institution, self.key, self.kind, self.body, tx, refused=_refused)


def _step(kind: str, session: Session, recourse: Recourse, institution: Institution, key: str, **body: Any) -> _Step:
    return _Step(session, recourse, institution, key, kind, body)


# --- writes -----------------------------------------------------------------------------------------------


@reads_chain
def submit_open(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    case_id: str,
    claim_amount_fen: int,
    evidence_roots: Sequence[str],
    collateral: Sequence[str],
) -> Submission:
    """The case's bank, or the collector holding it, opens a dispute (claim, anchored evidence, collateral)."""
    step = _step(
        "dispute.open",
        session,
        recourse,
        institution,
        key,
        case_id=case_id.lower(),
        claim_amount_fen=claim_amount_fen,
        evidence_roots=[r.lower() for r in evidence_roots],
        collateral=list(collateral),
    )
    return step.one(
        lambda d: d.open_request(
            bytes32(case_id), claim_amount_fen, [bytes32(r) for r in evidence_roots], [asset_ref(c) for c in collateral]
        )
    )


def _simple(kind: str, build: Callable[[DisputeDesk, int], TxRequest]) -> Callable[..., Submission]:
    """A planner of a step that takes only the dispute id."""

    @planner(kind)
    def plan(
        *, session: Session, recourse: Recourse, institution: Institution, key: str, dispute_id: int
    ) -> Submission:
        step = _step(kind, session, recourse, institution, key, dispute_id=dispute_id)
        return step.one(lambda d: build(d, dispute_id))

    return plan


submit_claim = _simple("dispute.claim", DisputeDesk.claim_request)
submit_finalize = _simple("dispute.finalize", DisputeDesk.finalize_request)
submit_mark_default = _simple("dispute.mark_default", DisputeDesk.mark_default_request)


def _reasoned(
    kind: str, field: str, build: Callable[[DisputeDesk, int, bytes], TxRequest]
) -> Callable[..., Submission]:
    """A planner of a step that takes the dispute id and one document's digest (named ``field``)."""

    @planner(kind)
    def plan(
        *, session: Session, recourse: Recourse, institution: Institution, key: str, dispute_id: int, **given: str
    ) -> Submission:
        digest = given[field].lower()
        step = _step(kind, session, recourse, institution, key, dispute_id=dispute_id, **{field: digest})
        return step.one(lambda d: build(d, dispute_id, bytes32(digest)))

    return plan


submit_evidence = _reasoned("dispute.evidence", "root", DisputeDesk.submit_evidence_request)
submit_failure = _reasoned("dispute.failure", "reason_digest", DisputeDesk.record_failure_request)
submit_appeal = _reasoned("dispute.appeal", "reason_digest", DisputeDesk.appeal_request)
submit_abandon = _reasoned("dispute.abandon", "reason_digest", DisputeDesk.abandon_request)


def _addressed(kind: str, field: str, build: Callable[[DisputeDesk, int, str], TxRequest]) -> Callable[..., Submission]:
    """A planner of a step that takes the dispute id and one address (named ``field``)."""

    @planner(kind)
    def plan(
        *, session: Session, recourse: Recourse, institution: Institution, key: str, dispute_id: int, **given: str
    ) -> Submission:
        address = to_checksum_address(given[field])
        step = _step(kind, session, recourse, institution, key, dispute_id=dispute_id, **{field: address})
        return step.one(lambda d: build(d, dispute_id, address))

    return plan


submit_assign = _addressed("dispute.assign", "mediator", DisputeDesk.assign_request)
submit_payee = _addressed("dispute.set_payee", "payee", DisputeDesk.set_payee_request)


@reads_chain
def submit_agreement(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    dispute_id: int,
    terms_digest: str,
    commitment_digest: str,
    plan_digest: str,
    relief_fen: int,
    grace_seconds: int,
    schedule: Sequence[tuple[int, int]],
) -> Submission:
    """The mediator records the parties' agreement; ``schedule`` is ``(amount_fen, due_at)`` in Unix seconds."""
    agreement = Agreement(
        terms_digest=bytes32(terms_digest),
        commitment_digest=bytes32(commitment_digest),
        plan_digest=bytes32(plan_digest),
        relief=relief_fen,
        grace=grace_seconds,
        schedule=tuple(Instalment(amount, due_at) for amount, due_at in schedule),
    )
    step = _step(
        "dispute.agreement",
        session,
        recourse,
        institution,
        key,
        dispute_id=dispute_id,
        terms_digest=terms_digest.lower(),
        commitment_digest=commitment_digest.lower(),
        plan_digest=plan_digest.lower(),
        relief_fen=relief_fen,
        grace_seconds=grace_seconds,
        schedule=[{"amount_fen": amount, "due_at": due_at} for amount, due_at in schedule],
    )
    return step.one(lambda d: d.record_agreement_request(dispute_id, agreement))


@reads_chain
def submit_ruling(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    dispute_id: int,
    ruling: str,
    document_digest: str,
) -> Submission:
    """An active COURT rules; on an appealed dispute a different court's ruling is final at once."""
    chosen = Ruling[ruling.upper()]
    digest = document_digest.lower()
    step = _step(
        "dispute.rule",
        session,
        recourse,
        institution,
        key,
        dispute_id=dispute_id,
        ruling=chosen.label,
        document_digest=digest,
    )
    return step.one(lambda d: d.rule_request(dispute_id, chosen, bytes32(digest)))


@reads_chain
def submit_payment(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    dispute_id: int,
    amount_fen: int,
) -> Submission:
    """Pay ``amount_fen`` toward the agreement (an exact rCNY approval of the dispute desk first if needed)."""
    step = _step("dispute.pay", session, recourse, institution, key, dispute_id=dispute_id, amount_fen=amount_fen)
    again = step.again()
    if again is not None:
        return again
    desk = recourse.disputes

    def precheck() -> None:
        d = read(f"dispute {dispute_id}", lambda: desk.dispute(dispute_id))
        if d.status not in _PAYABLE or (d.status is not DisputeStatus.PERFORMING and d.total == 0):
            raise DisputeStateError(
                f"dispute {dispute_id} is {d.status.label}: it takes payments only toward an agreement",
                dispute_status=d.status.label,
                reverted="DisputeWrongStatus",
            )
        outstanding = d.total - d.paid
        if amount_fen > outstanding:
            raise DisputeTermsError(
                f"a payment of {amount_fen} fen must be at most the {outstanding} fen outstanding",
                field="amount_fen",
                outstanding_fen=outstanding,
                reverted="DisputeInvalidPayment",
            )
        balance = int(read("the rCNY balance", lambda: recourse.token.balance_of(institution.address)))
        if balance < amount_fen:
            raise DisputeTermsError(
                f"{institution.address} holds {balance} fen of rCNY; this payment moves {amount_fen} fen",
                field="amount_fen",
                balance_fen=balance,
            )

    tx = desk.pay_request(dispute_id, amount_fen)
    args = (recourse, institution, desk.address, key, step.kind, step.body, tx, amount_fen)
    return paying(*args, precheck=precheck, refused=_refused)


@reads_chain
def submit_withdrawal(*, session: Session, recourse: Recourse, institution: Institution, key: str) -> Submission:
    """Everything the caller is owed (instalments paid to it as a payee)."""
    return _step("dispute.withdraw", session, recourse, institution, key).one(DisputeDesk.withdraw_request)


# --- reads ------------------------------------------------------------------------------------------------


def _addr(value: str) -> str | None:
    return None if value == ZERO_ADDRESS else value


def _summary(row: DisputeRow) -> DisputeSummary:
    return DisputeSummary(
        dispute_id=row.dispute_id,
        case_id=row.case_id,
        status=row.status,
        ruling=row.ruling,
        bank=row.bank,
        opener=row.opener,
        mediator=_addr(row.mediator),
        claim_amount_fen=row.claim_amount_fen,
        total_fen=row.total_fen,
        paid_fen=row.paid_fen,
        opened_at=row.opened_at,
        agreed_at=row.agreed_at or None,
    )


def list_disputes(
    *,
    session: Session,
    case_id: str | None,
    status: str | None,
    bank: str | None,
    mediator: str | None,
    limit: int,
    offset: int,
) -> DisputesPublic:
    """Disputes from the index, newest first."""
    stmt = select(DisputeRow)
    if case_id:
        stmt = stmt.where(DisputeRow.case_id == case_id.lower())
    if status:
        stmt = stmt.where(DisputeRow.status == status)
    if bank:
        stmt = stmt.where(DisputeRow.bank == to_checksum_address(bank))
    if mediator:
        stmt = stmt.where(DisputeRow.mediator == to_checksum_address(mediator))
    rows = session.exec(stmt.order_by(col(DisputeRow.dispute_id).desc()).offset(offset).limit(limit)).all()
    data = [_summary(r) for r in rows]
    return DisputesPublic(data=data, count=len(data))


def _instalments(schedule: Sequence[Instalment], paid: int, now: int) -> list[InstalmentPublic]:
    """The schedule with each instalment's share of the payments (oldest first) and its status at ``now``."""
    out, left = [], paid
    for index, i in enumerate(schedule):
        covered = min(i.amount, left)
        left -= covered
        if covered == i.amount:
            status = "paid"
        elif i.due_at < now:
            status = "overdue"
        elif covered:
            status = "partly_paid"
        else:
            status = "upcoming"
        out.append(InstalmentPublic(index=index, amount_fen=i.amount, due_at=i.due_at, paid_fen=covered, status=status))
    return out


def get_dispute(*, session: Session, dispute_id: int, chain_time: int) -> DisputePublic:
    """One dispute with its schedule, evidence and collateral, and what is due at ``chain_time``."""
    row = session.get(DisputeRow, dispute_id)
    if row is None:
        raise DisputeNotFoundError(f"no dispute {dispute_id} in this gateway's index (is it mined and indexed?)")
    schedule = [
        Instalment(r.amount_fen, r.due_at)
        for r in session.exec(
            select(DisputeInstalment)
            .where(DisputeInstalment.dispute_id == dispute_id)
            .order_by(col(DisputeInstalment.index))
        ).all()
    ]
    evidence = session.exec(
        select(DisputeEvidence).where(DisputeEvidence.dispute_id == dispute_id).order_by(col(DisputeEvidence.position))
    ).all()
    collateral = session.exec(
        select(DisputeCollateral.asset_ref)
        .where(DisputeCollateral.dispute_id == dispute_id)
        .order_by(col(DisputeCollateral.asset_ref))
    ).all()
    case = session.get(DisputeCase, row.case_id)
    items = _instalments(schedule, row.paid_fen, chain_time)
    late = next((i for i in items if i.status == "overdue"), None)
    performing = row.status == DisputeStatus.PERFORMING.label
    return DisputePublic(
        **_summary(row).model_dump(),
        collector=_addr(row.collector),
        mediator_assigned_by_bank=row.mediator_by_bank,
        court=_addr(row.court),
        appeal_court=_addr(row.appeal_court),
        payee=row.payee,
        relief_fen=row.relief_fen,
        outstanding_fen=row.total_fen - row.paid_fen,
        grace_seconds=row.grace,
        appeal_deadline=row.appeal_deadline or None,
        defaulted_index=row.defaulted_index,
        terms_digest=row.terms_digest,
        commitment_digest=row.commitment_digest,
        plan_digest=row.plan_digest,
        failure_digest=row.failure_digest,
        ruling_digest=row.ruling_digest,
        appeal_digest=row.appeal_digest,
        schedule=items,
        evidence=[EvidencePublic(party=e.party, root=e.root) for e in evidence],
        collateral=list(collateral),
        enforceable=case is not None and case.enforceable and case.dispute_id == dispute_id,
        chain_time=chain_time,
        due_now_fen=max(due_by(schedule, chain_time) - row.paid_fen, 0),
        next_instalment=next((i for i in items if i.status != "paid"), None),
        days_overdue=0 if late is None else (chain_time - late.due_at) // _DAY,
        in_default=performing and first_default(schedule, row.grace, row.paid_fen, chain_time) is not None,
    )


def enforcement(*, session: Session, recourse: Recourse, case_id: str) -> EnforcementPublic:
    """Whether the case is enforceable now (read from the chain, as the JudicialAuction reads it) and which
    dispute made it so; the collateral from the index."""
    desk, case = recourse.disputes, bytes32(case_id)
    dispute_id = read("the case's dispute", lambda: desk.dispute_of_case(case))
    if dispute_id == 0:
        raise DisputeNotFoundError(f"case {case_id.lower()} has no dispute: it is not enforceable")
    enforceable = read("the case's enforcement", lambda: desk.is_enforceable(case))
    d = read(f"dispute {dispute_id}", lambda: desk.dispute(dispute_id))
    collateral = session.exec(
        select(DisputeCollateral.asset_ref)
        .where(DisputeCollateral.case_id == case_id.lower())
        .order_by(col(DisputeCollateral.asset_ref))
    ).all()
    return EnforcementPublic(
        case_id=case_id.lower(),
        enforceable=enforceable,
        dispute_id=dispute_id,
        dispute_status=d.status.label,
        ruling=d.ruling.label,
        collateral=list(collateral),
    )


def _rate(part: int, other: int) -> float | None:
    return None if part + other == 0 else part / (part + other)


def _rating(mediator: str, rows: Sequence[DisputeRow]) -> MediatorRatingPublic:
    agreed = [r for r in rows if r.agreed_at]
    failures = sum(1 for r in rows if r.failure_digest is not None)
    honoured = sum(1 for r in rows if r.status == DisputeStatus.HONOURED.label)
    defaulted = sum(1 for r in rows if r.status == DisputeStatus.DEFAULTED.label)
    days = [(r.agreed_at - r.opened_at) / _DAY for r in agreed]
    return MediatorRatingPublic(
        mediator=mediator,
        disputes_taken=len(rows),
        agreements=len(agreed),
        failures=failures,
        settlement_rate=_rate(len(agreed), failures),
        median_days_to_agreement=statistics.median(days) if days else None,
        honoured=honoured,
        defaulted=defaulted,
        honoured_rate=_rate(honoured, defaulted),
        open_caseload=sum(1 for r in rows if r.status == DisputeStatus.MEDIATING.label),
    )


def _rank(r: MediatorRatingPublic) -> tuple[bool, float, bool, float, str]:
    """Settlement rate highest first, then median days fewest first, then address; unknowns last."""
    rate, days = r.settlement_rate, r.median_days_to_agreement
    return (rate is None, -(rate or 0.0), days is None, days or 0.0, r.mediator.lower())


def mediator_ratings(*, session: Session) -> MediatorRatingsPublic:
    """Every mediator that took a dispute, rated from the index and sorted best first (see ``_rank``)."""
    by_mediator: dict[str, list[DisputeRow]] = {}
    for row in session.exec(select(DisputeRow).where(DisputeRow.mediator != ZERO_ADDRESS)).all():
        by_mediator.setdefault(row.mediator, []).append(row)
    data = sorted((_rating(m, rows) for m, rows in by_mediator.items()), key=_rank)
    return MediatorRatingsPublic(data=data, count=len(data))


def owed_to(*, session: Session, address: str) -> int:
    row = session.get(DisputePayee, to_checksum_address(address))
    return 0 if row is None else row.owed_fen
