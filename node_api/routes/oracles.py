"""Oracle endpoints: signature exchange between operators, report submission, latest on-chain values."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from chain.contracts.consortium import Role
from node_api.deps import Caller, SessionDep, StateDep, authorize
from node_api.openapi import problem
from node_api.routes._writes import OPERATION_RESPONSES, WriteRequest, write_request
from node_api.schemas.oracles import (
    OracleSignatureIn,
    OracleSignaturePublic,
    OracleSignaturesPublic,
    OracleSubmitIn,
    OracleValuePublic,
)
from node_api.services.oracles import list_signatures, parse_id, post_signature, read_value, submit_report

router = APIRouter(prefix="/oracle", tags=["oracles"])

_NAME = r"^(0x[0-9a-fA-F]{64}|[A-Za-z0-9:._\-/]{1,200})$"


@router.post(
    "/signatures",
    status_code=201,
    responses={
        201: {"model": OracleSignaturePublic, "description": "stored"},
        200: {"model": OracleSignaturePublic, "description": "already stored (the same signature)"},
        422: {"description": "`ORC-001`: the signature does not recover to the caller"},
    },
)
def create_signature(
    body: OracleSignatureIn,
    state: StateDep,
    session: SessionDep,
    caller: Annotated[Caller, Depends(authorize("oracles:write", Role.ORACLE))],
) -> JSONResponse:
    """Post this oracle's signature over a round's report (verified: it must recover to the caller, an active
    ORACLE member). 201 when stored, 200 when it was already there."""
    public, created = post_signature(
        session=session,
        recourse=state.recourse,
        institution=caller.institution,
        round_=body.round,
        report_in=body.report,
        signature=body.signature,
    )
    return JSONResponse(public.model_dump(mode="json"), status_code=201 if created else 200)


@router.get("/signatures/{feed}/{subject}/{round_}")
def get_signatures(
    feed: Annotated[str, Path(pattern=_NAME)],
    subject: Annotated[str, Path(pattern=_NAME)],
    round_: Annotated[int, Path(ge=0, lt=2**63)],
    session: SessionDep,
    _caller: Annotated[Caller, Depends(authorize("oracles:read", Role.ORACLE))],
    digest: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$")] = None,
) -> OracleSignaturesPublic:
    """The signatures collected so far for a round (optionally only those over one report digest)."""
    rows: list[OracleSignaturePublic] = list_signatures(
        session=session, feed=parse_id(feed), subject=parse_id(subject), round_=round_, digest=digest
    )
    return OracleSignaturesPublic(data=rows, count=len(rows))


@router.post("/reports", status_code=202, responses=OPERATION_RESPONSES)
async def create_report(
    body: OracleSubmitIn, w: Annotated[WriteRequest, Depends(write_request("oracles:write", Role.ORACLE))]
) -> JSONResponse:
    """Submit a report with its signatures to the OracleHub (operation kind ``oracle.report``)."""
    return await w.submit(submit_report, round_=body.round, report_in=body.report, signatures=body.signatures)


@router.get(
    "/values/{feed}/{subject}",
    responses={409: problem(409, "ORC-003", "Oracle value is stale", "the latest value is older than max_age")},
)
def get_value(
    feed: Annotated[str, Path(pattern=_NAME)],
    subject: Annotated[str, Path(pattern=_NAME)],
    state: StateDep,
    _caller: Annotated[Caller, Depends(authorize("oracles:read"))],
    max_age: Annotated[int, Query(ge=0, le=10 * 365 * 24 * 3600, description="seconds")] = 24 * 3600,
) -> OracleValuePublic:
    """The latest on-chain value (feed and subject: names or 0x ids); stale or absent → problem."""
    return read_value(recourse=state.recourse, feed=parse_id(feed), subject=parse_id(subject), max_age=max_age)
