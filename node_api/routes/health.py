from __future__ import annotations

import os

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlmodel import Session

from chain import ChainError
from node_api.deps import MetricsDep, StateDep, metrics_access
from node_api.openapi import problem
from node_api.problems import problem_response

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=None,
    responses={
        200: {
            "description": "ready: the checks that passed",
            "content": {
                "application/json": {
                    "schema": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ready"}}},
                    "example": {"status": "ready", "chain_block": 1234, "database": "ok", "indexer_lag": 0},
                }
            },
        },
        503: problem(503, "GEN-503", "Not ready", "chain: connection refused (`checks` holds what was measured)"),
    },
)
def readyz(state: StateDep) -> JSONResponse | dict[str, object]:
    """Ready when the chain and the database answer and the indexer is close to the head."""
    checks: dict[str, object] = {}
    problems: list[str] = []
    try:
        checks["chain_block"] = state.client.block_number()
    except ChainError as exc:
        problems.append(f"chain: {exc}")
    try:
        with Session(state.engine) as s:
            s.exec(text("SELECT 1"))  # type: ignore[call-overload]
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any database failure means not ready
        problems.append(f"database: {exc.__class__.__name__}")
    indexer = state.services.indexer
    if indexer is not None:
        lag = indexer.lag()
        checks["indexer_lag"] = lag
        if lag > state.settings.indexer.max_lag:
            problems.append(f"indexer: {lag} blocks behind (max {state.settings.indexer.max_lag})")
    head = state.roles.head()
    checks["roles_block"] = head[0] if head is not None else None  # None: the role refresher is behind
    unhealthy = [n for n, w in state.writers.items() if not w.healthy]
    if unhealthy:
        problems.append(f"writers unhealthy: {', '.join(unhealthy)}")
    background = state.services.background
    evidence = state.services.evidence
    if background is not None:
        checks["background_pid"] = background.pid
        checks["background_restarts"] = background.restarts
        if not background.healthy():
            problems.append("background process (writers, evidence batcher) not running or not reporting")
        batcher_ok = background.batcher_healthy
    else:
        batcher_ok = evidence is None or evidence.batcher is None or evidence.batcher.healthy
    if not batcher_ok:
        problems.append("evidence batcher: its last step failed (see the log)")
    # under `recourse serve`'s supervisor (scripts/serve_supervisor.py), which passes these to each API
    # process it starts: how many API processes died and were replaced, and how the last one ended
    restarts = os.environ.get("RECOURSE_SERVE_RESTARTS")
    if restarts is not None:
        checks["api_pid"] = os.getpid()
        checks["api_restarts"] = int(restarts)
        checks["api_last_exit"] = os.environ.get("RECOURSE_SERVE_LAST_EXIT")
    if problems:
        return problem_response(
            status=503,
            code="GEN-503",
            title="Not ready",
            detail="; ".join(problems),
            instance="/readyz",
            extra={"checks": checks},
        )
    return {"status": "ready", **checks}


@router.get(
    "/metrics",
    dependencies=[Depends(metrics_access)],
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format",
            "content": {"text/plain": {"schema": {"type": "string"}, "example": "gateway_requests_total 1\n"}},
        }
    },
)
def metrics(gateway_metrics: MetricsDep) -> Response:
    """Prometheus text format."""
    return Response(generate_latest(gateway_metrics.registry), media_type=CONTENT_TYPE_LATEST)
