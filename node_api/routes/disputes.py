"""Disputes: a case's bank (or the collector holding it) opens a dispute, a mediator takes it and records an
agreement with an instalment schedule or a failure, a court confirms the agreement or rules on the claim, a
party appeals within the window to a different court, instalments are paid to the payee, and a final ruling for
the claimant or a defaulted agreement makes the case enforceable (its collateral may then be auctioned).

Every write is an operation (``Idempotency-Key``; 202, or 200 with ``?confirm=true``) whose rule the contract
holds: a refusal the chain gives before the operation is accepted is a problem now (``DSP-4xx``, naming the
contract's error as ``reverted``). Reads come from the index; whether a case is enforceable from the chain.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from node_api.deps import Caller, SessionDep, StateDep, authorize
from node_api.openapi import problem
from node_api.routes._writes import OPERATION_RESPONSES, WriteRequest, write_request
from node_api.schemas.disputes import (
    AbandonCreate,
    AgreementCreate,
    AppealCreate,
    DisputeCreate,
    DisputePublic,
    DisputesPublic,
    EnforcementPublic,
    EvidenceCreate,
    FailureCreate,
    MediatorAssign,
    MediatorRatingsPublic,
    PayeeSet,
    PaymentCreate,
    RulingCreate,
)
from node_api.services import disputes as svc
from node_api.services.auctions import chain_time_reader

router = APIRouter(prefix="/disputes", tags=["disputes"])

DISPUTE_WRITE: dict[int | str, dict[str, Any]] = {
    **OPERATION_RESPONSES,
    403: {
        "description": "`DSP-403` not the case's bank or collector, not the dispute's bank or mediator, not an "
        "active mediator, court or participant, or the first court ruling on appeal"
    },
    404: {"description": "`DSP-404` no such dispute, or the case has no on-chain record"},
    409: {
        "description": "`DSP-409` the dispute is not in the status this step needs, the case already has a "
        "dispute, the appeal window is closed (or still open), no instalment is late beyond the grace period"
    },
    422: {
        "description": "`DSP-422` invalid claim, schedule, grace, payment or payee (`field`), evidence not "
        "anchored, collateral of another case"
    },
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: problem(404, "DSP-404", "No such dispute or case", "no dispute 7 in this gateway's index")
}

DisputePath = Annotated[int, Path(ge=1, lt=2**53, description="the dispute id on chain")]
CasePath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="the CaseDelegation case id")]
Reader = Annotated[Caller, Depends(authorize("disputes:read"))]
Write = Annotated[WriteRequest, Depends(write_request("disputes:write"))]


# --- parties ---


@router.post("", status_code=202, responses=DISPUTE_WRITE)
async def open_dispute(body: DisputeCreate, w: Write) -> JSONResponse:
    """The case's bank, or the collector holding it, opens a dispute: the claim (at most what is still overdue),
    anchored evidence roots, and the assets pledged for the case. Find it with `GET /disputes?case_id=…`."""
    return await w.submit(svc.submit_open, **body.model_dump())


@router.post("/{dispute_id}/assignment", status_code=202, responses=DISPUTE_WRITE)
async def assign_mediator(dispute_id: DisputePath, body: MediatorAssign, w: Write) -> JSONResponse:
    """The dispute's bank assigns an active mediator to an open dispute (see `GET /disputes/mediators`)."""
    return await w.submit(svc.submit_assign, dispute_id=dispute_id, mediator=body.mediator)


@router.post("/{dispute_id}/evidence", status_code=202, responses=DISPUTE_WRITE)
async def submit_evidence(dispute_id: DisputePath, body: EvidenceCreate, w: Write) -> JSONResponse:
    """A party, the mediator or a court adds an anchored evidence root, before the dispute ends."""
    return await w.submit(svc.submit_evidence, dispute_id=dispute_id, root=body.root)


@router.post("/{dispute_id}/appeal", status_code=202, responses=DISPUTE_WRITE)
async def appeal_ruling(dispute_id: DisputePath, body: AppealCreate, w: Write) -> JSONResponse:
    """A party (or a court recording an appeal filed with it) appeals a ruling within its window."""
    return await w.submit(svc.submit_appeal, dispute_id=dispute_id, reason_digest=body.reason_digest)


@router.post("/{dispute_id}/abandonment", status_code=202, responses=DISPUTE_WRITE)
async def abandon_dispute(dispute_id: DisputePath, body: AbandonCreate, w: Write) -> JSONResponse:
    """The opener withdraws a dispute that is open or being mediated."""
    return await w.submit(svc.submit_abandon, dispute_id=dispute_id, reason_digest=body.reason_digest)


@router.post("/{dispute_id}/payee", status_code=202, responses=DISPUTE_WRITE)
async def set_payee(dispute_id: DisputePath, body: PayeeSet, w: Write) -> JSONResponse:
    """The dispute's bank names who is owed the instalments (e.g. an AssetFractions token holding the claim)."""
    return await w.submit(svc.submit_payee, dispute_id=dispute_id, payee=body.payee)


# --- mediators ---


@router.post("/{dispute_id}/claim", status_code=202, responses=DISPUTE_WRITE)
async def claim_dispute(dispute_id: DisputePath, w: Write) -> JSONResponse:
    """An active mediator who is no party to the case takes an open dispute; the first valid claim wins."""
    return await w.submit(svc.submit_claim, dispute_id=dispute_id)


@router.post("/{dispute_id}/agreement", status_code=202, responses=DISPUTE_WRITE)
async def record_agreement(dispute_id: DisputePath, body: AgreementCreate, w: Write) -> JSONResponse:
    """The mediator records the parties' agreement: digests of the agreement, the credit commitment and the
    plan, the relief, the grace period and the instalment schedule (its total plus the relief is the claim)."""
    terms = body.model_dump(exclude={"schedule"})
    schedule = [(i.amount_fen, i.unix()) for i in body.schedule]
    return await w.submit(svc.submit_agreement, dispute_id=dispute_id, schedule=schedule, **terms)


@router.post("/{dispute_id}/failure", status_code=202, responses=DISPUTE_WRITE)
async def record_failure(dispute_id: DisputePath, body: FailureCreate, w: Write) -> JSONResponse:
    """The mediator records that mediation failed; a court may then rule on the claim."""
    return await w.submit(svc.submit_failure, dispute_id=dispute_id, reason_digest=body.reason_digest)


# --- courts ---


@router.post("/{dispute_id}/ruling", status_code=202, responses=DISPUTE_WRITE)
async def rule(dispute_id: DisputePath, body: RulingCreate, w: Write) -> JSONResponse:
    """An active court rules (the appeal window opens); on an appealed dispute a different court's ruling is
    final at once."""
    return await w.submit(svc.submit_ruling, dispute_id=dispute_id, **body.model_dump())


# --- anyone ---


@router.post("/{dispute_id}/finalization", status_code=202, responses=DISPUTE_WRITE)
async def finalize_ruling(dispute_id: DisputePath, w: Write) -> JSONResponse:
    """Make a ruling final once its appeal window has passed."""
    return await w.submit(svc.submit_finalize, dispute_id=dispute_id)


@router.post("/{dispute_id}/payments", status_code=202, responses=DISPUTE_WRITE)
async def pay_instalment(dispute_id: DisputePath, body: PaymentCreate, w: Write) -> JSONResponse:
    """Pay toward the agreement (an exact rCNY approval first if needed); the amount is owed to the payee."""
    return await w.submit(svc.submit_payment, dispute_id=dispute_id, amount_fen=body.amount_fen)


@router.post("/{dispute_id}/default", status_code=202, responses=DISPUTE_WRITE)
async def mark_default(dispute_id: DisputePath, w: Write) -> JSONResponse:
    """Mark a performing agreement defaulted once an instalment is unpaid after its due time plus the grace
    period; the case becomes enforceable."""
    return await w.submit(svc.submit_mark_default, dispute_id=dispute_id)


@router.post("/owed/withdrawals", status_code=202, responses=DISPUTE_WRITE)
async def withdraw_owed(w: Write) -> JSONResponse:
    """Withdraw everything the caller is owed as a payee of instalments."""
    return await w.submit(svc.submit_withdrawal)


# --- reads ---


@router.get("")
async def read_disputes(
    session: SessionDep,
    _caller: Reader,
    case_id: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$")] = None,
    status: Annotated[str | None, Query(max_length=12, pattern=r"^[a-z_]+$")] = None,
    bank: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$")] = None,
    mediator: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> DisputesPublic:
    """Disputes from the index, newest first."""
    return await run_in_threadpool(
        lambda: svc.list_disputes(
            session=session, case_id=case_id, status=status, bank=bank, mediator=mediator, limit=limit, offset=offset
        )
    )


@router.get("/mediators")
async def read_mediator_ratings(session: SessionDep, _caller: Reader) -> MediatorRatingsPublic:
    """Mediators rated from the index, best first: settlement rate, median days to agreement, share of
    confirmed agreements honoured, open caseload."""
    return await run_in_threadpool(lambda: svc.mediator_ratings(session=session))


@router.get("/owed")
async def read_owed(session: SessionDep, caller: Reader) -> dict[str, Any]:
    """What the caller may withdraw with `POST /disputes/owed/withdrawals` (from the index)."""
    address = caller.institution.address
    owed = await run_in_threadpool(lambda: svc.owed_to(session=session, address=address))
    return {"address": address, "owed_fen": owed}


@router.get("/cases/{case_id}/enforcement", responses=_NOT_FOUND)
async def read_enforcement(
    case_id: CasePath, state: StateDep, session: SessionDep, _caller: Reader
) -> EnforcementPublic:
    """Whether the case is enforceable now (its collateral may be auctioned) and which dispute made it so."""
    recourse = state.recourse
    return await run_in_threadpool(lambda: svc.enforcement(session=session, recourse=recourse, case_id=case_id))


@router.get("/{dispute_id}", responses=_NOT_FOUND)
async def read_dispute(dispute_id: DisputePath, state: StateDep, session: SessionDep, _caller: Reader) -> DisputePublic:
    """One dispute with its schedule, evidence and collateral, and what is due at the chain's latest block time
    (due now, the next instalment, days overdue, whether it may be marked defaulted)."""
    now = await state.reads.get(("chain_time",), chain_time_reader(state.recourse))
    return await run_in_threadpool(lambda: svc.get_dispute(session=session, dispute_id=dispute_id, chain_time=now))
