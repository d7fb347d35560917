"""Analytics endpoints: valuations, risk assessments, guarantee-network analyses and their drawings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from node_api.deps import Caller, ModelsDep, SessionDep, StateDep, authorize
from node_api.limits import parsed_in_memory
from node_api.openapi import problem
from node_api.problems import InvalidInputError
from node_api.schemas.analytics import (
    GuaranteeAnalysisPublic,
    RestructuringOfferCreate,
    RestructuringOfferPublic,
    RiskAssessmentCreate,
    RiskAssessmentPublic,
    ValuationCreate,
    ValuationPublic,
)
from node_api.services.analytics import (
    analyse_guarantees,
    assess_risk,
    drawing_png,
    get_analysis,
    offer_plans,
    value_asset,
)

router = APIRouter(tags=["analytics"])

_ID = r"^[0-9a-f\-]{36}$"
NO_MODEL = problem(404, "ANA-404", "Model not installed", "no trained model of this kind is installed on this gateway")
#: firm names: the service takes any JSON value in its text form (``7`` names the firm "7"), so the
#: document says no more than that; amounts are integer fen
_FIRM = {"description": "the firm's name (a string; another JSON value is taken in its text form)"}
_EDGE_COLUMNS: dict[str, Any] = {"guarantor": _FIRM, "borrower": _FIRM, "amount_fen": {"type": "integer"}}
_EDGE = {"type": "object", "required": list(_EDGE_COLUMNS), "properties": _EDGE_COLUMNS}
EDGE_LIST_DOC = {
    "requestBody": {
        "required": True,
        "description": "the guarantee edges: CSV with a header row, or JSON (a list of edges or "
        '`{"guarantees": [...]}`); amounts in integer fen',
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": "guarantor,borrower,amount_fen\nACME Steel,Beta Foundry,5000000\n"
                "Beta Foundry,ACME Steel,3000000\n",
            },
            "application/json": {
                "schema": {
                    "anyOf": [
                        {"type": "array", "items": _EDGE},
                        {
                            "type": "object",
                            "required": ["guarantees"],
                            "properties": {"guarantees": {"type": "array", "items": _EDGE}},
                        },
                    ]
                },
                "example": [
                    {"guarantor": "ACME Steel", "borrower": "Beta Foundry", "amount_fen": 5_000_000},
                    {"guarantor": "Beta Foundry", "borrower": "ACME Steel", "amount_fen": 3_000_000},
                ],
            },
        },
    }
}


@router.post("/valuations", responses={404: NO_MODEL})
async def create_valuation(
    body: ValuationCreate, registry: ModelsDep, _caller: Annotated[Caller, Depends(authorize("analytics:read"))]
) -> ValuationPublic:
    """Value an asset from its features: estimate, 80 % interval, top contributions, model version."""
    return await run_in_threadpool(value_asset, registry=registry, body=body)


@router.post("/risk/assessments", responses={404: NO_MODEL})
async def create_risk_assessment(
    body: RiskAssessmentCreate, registry: ModelsDep, _caller: Annotated[Caller, Depends(authorize("analytics:read"))]
) -> RiskAssessmentPublic:
    """Early-warning rules fired (each explained) and, with features, the calibrated default probability."""
    return await run_in_threadpool(assess_risk, registry=registry, body=body)


@router.post("/restructuring/offers", responses={404: NO_MODEL})
async def create_restructuring_offer(
    body: RestructuringOfferCreate,
    registry: ModelsDep,
    _caller: Annotated[Caller, Depends(authorize("analytics:read"))],
) -> RestructuringOfferPublic:
    """Restructuring plans (instalments, interest relief, principal haircut) the debtor can afford, ranked by
    expected recovery and each compared with litigating plus auctioning now; every figure explained on the plan
    card, whose digest a mediation agreement anchors."""
    return await run_in_threadpool(offer_plans, registry=registry, body=body)


@router.post(
    "/guarantees/analyses",
    status_code=201,
    openapi_extra=EDGE_LIST_DOC,
    responses={
        413: problem(413, "ANA-006", "Analytics refused the input", "the exact computation would need too much memory")
    },
)
async def create_guarantee_analysis(
    request: Request,
    state: StateDep,
    session: SessionDep,
    caller: Annotated[Caller, Depends(authorize("analytics:read"))],
) -> GuaranteeAnalysisPublic:
    """Analyse an edge list (body: text/csv or application/json with guarantor, borrower, amount_fen).

    Bodies over ``RECOURSE_ANALYTICS__MAX_EDGE_LIST_BYTES`` (32 MiB) get 413 ``GEN-413`` unread."""
    content_type = request.headers.get("content-type", "")
    if not parsed_in_memory(content_type):  # checked before the body is read
        raise InvalidInputError(f"send the edge list as text/csv or application/json, not {content_type or 'nothing'}")
    content = await request.body()
    return await run_in_threadpool(
        analyse_guarantees,
        session=session,
        institution=caller.institution.name,
        content=content,
        content_type=content_type,
        limit=state.settings.analytics.max_guarantees,
    )


@router.get("/guarantees/analyses/{analysis_id}")
def read_guarantee_analysis(
    analysis_id: Annotated[str, Path(pattern=_ID)],
    session: SessionDep,
    caller: Annotated[Caller, Depends(authorize("analytics:read"))],
) -> GuaranteeAnalysisPublic:
    return get_analysis(session=session, institution=caller.institution.name, analysis_id=analysis_id)


@router.get(
    "/guarantees/analyses/{analysis_id}/drawing.png",
    response_class=Response,
    responses={
        200: {
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}, "example": "<PNG bytes>"}},
            "description": "the riskiest circles",
        }
    },
)
async def read_guarantee_drawing(
    analysis_id: Annotated[str, Path(pattern=_ID)],
    session: SessionDep,
    caller: Annotated[Caller, Depends(authorize("analytics:read"))],
) -> Response:
    png = await run_in_threadpool(
        drawing_png, session=session, institution=caller.institution.name, analysis_id=analysis_id
    )
    return Response(png, media_type="image/png")
