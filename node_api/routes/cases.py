"""Case delegation: banks publish batches and settle recoveries; collectors browse, claim and report.

Every write is an operation (``Idempotency-Key``; 202, or 200 with ``?confirm=true``). No response ever
carries a debtor's personal data: collectors read contact data through ``/cases/{id}/contact`` (PII vault)
only after claiming.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import JSONResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from chain.contracts.consortium import Role
from node_api.deps import Caller, CaseworkDep, IdempotencyKey, StateDep, authorize, in_session
from node_api.routes import _paths  # noqa: F401 - registers the {address:fee_collector} segment
from node_api.routes._writes import OPERATION_RESPONSES, ConfirmQuery, WriteRequest, write_request
from node_api.schemas import OperationPublic
from node_api.schemas.cases import (
    ActionCreate,
    BatchesPublic,
    BatchPublic,
    BatchPublished,
    BudgetTopUp,
    CasePublic,
    CasesPublic,
    FeesPublic,
    OfferCreate,
    RecoveryConfirm,
    RecoveryCreate,
    RecoveryReject,
)
from node_api.services import cases as svc
from node_api.services.case_import import CaseFileTooLargeError
from node_api.services.confirm import to_public, wait_for_operation

router = APIRouter(prefix="/cases", tags=["case delegation"])
#: a case write's own refusals, beside those every write has
CASE_WRITE: dict[int | str, dict[str, Any]] = {
    **OPERATION_RESPONSES,
    409: {
        "description": "`CAS-409` claimed first by another, `CAS-410` closed, `CAS-412` not in the state this "
        "action needs, `CAS-425` batch not published yet"
    },
}

CaseIdPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="bytes32 case id")]
BatchIdPath = Annotated[str, Path(max_length=36, description="gateway batch id")]
Bank = Annotated[Caller, Depends(authorize("cases:write", Role.BANK))]
BankWrite = Annotated[WriteRequest, Depends(write_request("cases:write", Role.BANK))]
CollectorWrite = Annotated[WriteRequest, Depends(write_request("cases:write", Role.COLLECTOR))]
MemberWrite = Annotated[WriteRequest, Depends(write_request("cases:write"))]
Reader = Annotated[Caller, Depends(authorize("cases:read"))]


# --- banks ---


def _read_upload(file: UploadFile) -> bytes:
    """The whole upload (spooled to a temporary file by Starlette; at most ``max_batch_bytes``)."""
    file.file.seek(0)
    return file.file.read()


@router.post(
    "/batches",
    status_code=202,
    responses={
        202: {"model": BatchPublished, "description": "imported and persisted; the publication is an operation"},
        200: {"model": BatchPublished, "description": "with confirm=true: published (or failed)"},
        413: {"description": "`CIM-413`: more rows or bytes than one batch takes (split the file)"},
        422: {"description": "`CIM-422`: the case file was refused; `errors` lists every bad row by line and field"},
    },
)
async def publish_batch(
    key: IdempotencyKey,
    state: StateDep,
    casework: CaseworkDep,
    caller: Bank,
    file: Annotated[UploadFile, File(description="case file: CSV (header in README) or JSON array")],
    fee_budget_fen: Annotated[int, Form(gt=0, lt=2**128, description="fee budget escrowed for the batch, fen")],
    format: Annotated[Literal["csv", "json"] | None, Form()] = None,  # noqa: A002 - the form field's name
    closes_at: Annotated[
        int | None, Form(gt=0, lt=2**64, description="block time; default: the latest case deadline")
    ] = None,
    confirm: ConfirmQuery = False,
) -> JSONResponse:
    """Import a case file (personal data to the PII vault only) and publish its Merkle root on chain.

    One batch takes at most ``RECOURSE_CASEWORK__MAX_BATCH_ROWS`` cases (default 100,000) and
    ``RECOURSE_CASEWORK__MAX_BATCH_BYTES`` bytes (default 64 MiB); larger files get ``CIM-413``."""
    limits = state.settings.casework
    if file.size is not None and file.size > limits.max_batch_bytes:
        raise CaseFileTooLargeError(
            f"the case file is {file.size:,} bytes; one batch takes at most {limits.max_batch_bytes:,}: "
            "split the file into several batches",
            max_bytes=limits.max_batch_bytes,
        )
    fmt: Literal["csv", "json"] = format or (
        "json" if (file.filename or "").lower().endswith(".json") or file.content_type == "application/json" else "csv"
    )

    def run(session: Session) -> tuple[dict[str, Any], list[OperationPublic], bool]:
        result = svc.publish_batch(
            session=session,
            recourse=state.recourse,
            vault=casework.vault,
            institution=caller.institution,
            key=key,
            data=_read_upload(file),  # no reference kept here: the service drops the bytes once parsed
            fmt=fmt,
            fee_budget_fen=fee_budget_fen,
            closes_at=closes_at,
            now=state.client.block_timestamp(),
            max_rows=limits.max_batch_rows,
        )
        return svc.get_batch_public(session, result.batch), [to_public(o) for o in result.operations], result.created

    batch, ops, created = await in_session(state, run)
    if created:
        state.writer_for(caller.institution.name).wake()
    if confirm and ops[-1].status not in ("succeeded", "failed"):
        ops = [await wait_for_operation(state, o.id, state.settings.api.confirm_timeout) for o in ops]
        batch = await in_session(
            state, lambda s: svc.get_batch(session=s, recourse=state.recourse, batch_id=batch["id"])
        )
    body = BatchPublished(batch=BatchPublic(**batch), operations=ops)
    done = ops[-1].status in ("succeeded", "failed")
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if confirm and done else 202)


@router.get("/batches")
async def list_batches(
    state: StateDep,
    caller: Reader,
    mine: Annotated[bool, Query(description="only batches published by the caller")] = True,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> BatchesPublic:
    rows, count = await in_session(
        state,
        lambda s: svc.list_batches(
            session=s, institution=caller.institution if mine else None, limit=limit, offset=offset
        ),
    )
    return BatchesPublic(data=[BatchPublic(**r) for r in rows], count=count)


@router.get("/batches/{batch_id}")
async def get_batch(batch_id: BatchIdPath, state: StateDep, _caller: Reader) -> BatchPublic:
    """A batch with its remaining fee budget and open cases read from the chain now."""
    row = await in_session(state, lambda s: svc.get_batch(session=s, recourse=state.recourse, batch_id=batch_id))
    return BatchPublic(**row)


@router.post("/batches/{batch_id}/budget", status_code=202, responses=CASE_WRITE)
async def top_up_budget(batch_id: BatchIdPath, body: BudgetTopUp, w: BankWrite) -> JSONResponse:
    """Add to a batch's fee budget (approve + top-up operations)."""
    return await w.submit(svc.submit_top_up, batch_id=batch_id, **body.model_dump())


@router.post("/batches/{batch_id}/settlement", status_code=202, responses=CASE_WRITE)
async def withdraw_unspent(batch_id: BatchIdPath, w: BankWrite) -> JSONResponse:
    """Withdraw the unspent budget of a closed batch with no open case."""
    return await w.submit(svc.submit_withdraw_unspent, batch_id=batch_id)


@router.post("/{case_id}/offer", status_code=202, responses=CASE_WRITE)
async def offer_case(case_id: CaseIdPath, body: OfferCreate, w: BankWrite) -> JSONResponse:
    """Delegate a case directly to one collector, who answers within the window."""
    return await w.submit(svc.submit_offer, case_id=case_id, **body.model_dump())


@router.post("/{case_id}/recoveries/confirm", status_code=202, responses=CASE_WRITE)
async def confirm_recovery(case_id: CaseIdPath, body: RecoveryConfirm, w: BankWrite) -> JSONResponse:
    """Confirm the reported recovery: the fee is credited to the collector."""
    return await w.submit(svc.submit_answer, case_id=case_id, **body.model_dump())


@router.post("/{case_id}/recoveries/reject", status_code=202, responses=CASE_WRITE)
async def reject_recovery(case_id: CaseIdPath, body: RecoveryReject, w: BankWrite) -> JSONResponse:
    """Reject the reported recovery with a reason code."""
    return await w.submit(svc.submit_answer, case_id=case_id, **body.model_dump())


@router.post("/{case_id}/recall", status_code=202, responses=CASE_WRITE)
async def recall_case(case_id: CaseIdPath, w: BankWrite) -> JSONResponse:
    """Recall a case for good."""
    return await w.submit(svc.submit_recall, case_id=case_id)


# --- collectors ---


@router.get("")
async def list_cases(
    state: StateDep,
    caller: Reader,
    status: Annotated[str | None, Query(max_length=24, description="open, offered, claimed, …")] = None,
    region: Annotated[int | None, Query(ge=0, le=999_999)] = None,
    batch: Annotated[str | None, Query(max_length=36)] = None,
    collector: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$")] = None,
    min_overdue_fen: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    max_overdue_fen: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> CasesPublic:
    """Browse cases: terms and indexed state, never personal data."""
    f = svc.CaseFilter(
        status=status,
        region=region,
        batch_id=batch,
        collector=collector,
        min_overdue_fen=min_overdue_fen,
        max_overdue_fen=max_overdue_fen,
        limit=limit,
        offset=offset,
    )
    rows, count = await in_session(state, lambda s: svc.list_cases(session=s, viewer=caller.institution, filters=f))
    return CasesPublic(data=[CasePublic(**r) for r in rows], count=count)


@router.get("/fees/{address:fee_collector}")
async def get_fees(
    address: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")], state: StateDep, _caller: Reader
) -> FeesPublic:
    """Fees owed to a collector (read from the chain now)."""
    owed, block = await run_in_threadpool(svc.read_fees, recourse=state.recourse, collector=address)
    return FeesPublic(collector=address, owed_fen=owed, block_number=block)


@router.post("/fees/withdrawals", status_code=202, responses=CASE_WRITE)
async def withdraw_fees(w: CollectorWrite) -> JSONResponse:
    """Withdraw every fee owed to the caller (pull payment)."""
    return await w.submit(svc.submit_withdraw_fees)


@router.get("/{case_id}")
async def get_case(case_id: CaseIdPath, state: StateDep, caller: Reader) -> CasePublic:
    """One case: terms, Merkle proof, and its state read from the chain now."""
    row = await in_session(
        state, lambda s: svc.get_case(session=s, recourse=state.recourse, viewer=caller.institution, case_id=case_id)
    )
    return CasePublic(**row)


@router.post("/{case_id}/claim", status_code=202, responses=CASE_WRITE)
async def claim_case(case_id: CaseIdPath, w: CollectorWrite) -> JSONResponse:
    """Claim a case from the open pool; the first claim wins, the others get a CAS-409 problem."""
    return await w.submit(svc.submit_claim, case_id=case_id)


@router.post("/{case_id}/accept", status_code=202, responses=CASE_WRITE)
async def accept_offer(case_id: CaseIdPath, w: CollectorWrite) -> JSONResponse:
    return await w.submit(svc.submit_accept, case_id=case_id)


@router.post("/{case_id}/decline", status_code=202, responses=CASE_WRITE)
async def decline_offer(case_id: CaseIdPath, w: CollectorWrite) -> JSONResponse:
    return await w.submit(svc.submit_decline, case_id=case_id)


@router.post("/{case_id}/actions", status_code=202, responses=CASE_WRITE)
async def report_action(case_id: CaseIdPath, body: ActionCreate, w: CollectorWrite) -> JSONResponse:
    """Report a collection action with an evidence digest (anchored first if needed)."""
    return await w.submit(svc.submit_report, case_id=case_id, **body.model_dump())


@router.post("/{case_id}/recoveries", status_code=202, responses=CASE_WRITE)
async def report_recovery(case_id: CaseIdPath, body: RecoveryCreate, w: CollectorWrite) -> JSONResponse:
    """Report a recovery with an evidence digest, for the bank to confirm."""
    return await w.submit(svc.submit_report, case_id=case_id, **body.model_dump())


@router.post("/{case_id}/return", status_code=202, responses=CASE_WRITE)
async def return_case(case_id: CaseIdPath, w: MemberWrite) -> JSONResponse:
    """Return an unresolved case after its deadline (any member)."""
    return await w.submit(svc.submit_return, case_id=case_id)
