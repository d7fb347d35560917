"""Routes: the auditor's replay run by the gateway, and its latest report (AUDITOR and REGULATOR members).

``POST /audit/replays`` starts a replay of the chain against its events and the contracts' views (not a chain
write: no Idempotency-Key; 202 with the replay's id; one at a time, AUD-409 while one runs);
``GET /audit/replays/{id}`` shows its status; ``GET /audit/report`` serves the newest report as JSON, or as
one self-contained HTML page with ``?format=html``. Every route needs the scope ``audit:read`` and the AUDITOR
or the REGULATOR role on chain (AUD-403 otherwise).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from chain.contracts.consortium import Role
from node_api.deps import Caller, StateDep, authorize, holds_role
from node_api.openapi import problem
from node_api.problems import AuditNotAllowedError
from node_api.schemas.audit import REPLAY_EXAMPLE, ReplayPublic
from node_api.services.audit import AuditRunner
from node_api.state import GatewayState

__all__ = ["audit_runner", "router"]

router = APIRouter(prefix="/audit", tags=["audit"])

_DENIED: dict[int | str, dict[str, Any]] = {
    403: problem(403, "AUD-403", "Audit reports are for auditors and regulators", "AUDITOR or REGULATOR")
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: problem(404, "AUD-404", "No such replay or report", "no replay report yet")
}
_RUNNING: dict[int | str, dict[str, Any]] = {
    409: problem(409, "AUD-409", "A replay is already running", "replay 1f2e… is still running")
}


def audit_runner(state: GatewayState) -> AuditRunner:
    """The gateway's replay runner, built on first use (its files under ``<data_dir>/audit``)."""
    runner = state.services.audit
    if runner is None:
        settings = state.settings
        runner = state.services.audit = AuditRunner(
            rpc_url=settings.chain.rpc_url,
            deployments=settings.deployments_file,
            directory=settings.data_dir / "audit",
        )
    return runner


async def auditor(caller: Annotated[Caller, Depends(authorize("audit:read"))], state: StateDep) -> Caller:
    """The caller holds the AUDITOR or the REGULATOR role on chain now."""
    for role in (Role.AUDITOR, Role.REGULATOR):
        if await holds_role(state, caller.institution, role):
            return caller
    raise AuditNotAllowedError(
        f"{caller.institution.name} ({caller.institution.address}) holds neither the AUDITOR nor the REGULATOR role",
        required_role="AUDITOR or REGULATOR",
    )


Auditor = Annotated[Caller, Depends(auditor)]


_STARTED: dict[int | str, dict[str, Any]] = {
    202: {
        "model": ReplayPublic,
        "description": "the replay started (its `id`; `Location` is its status)",
        "content": {
            "application/json": {
                "example": {**REPLAY_EXAMPLE, "status": "running", "finished_at": None, "to_block": None}
                | dict.fromkeys(("events", "ok", "differences", "integrity_failures", "privileged_actions"))
            }
        },
    }
}
_REPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the newest replay report",
        "content": {
            "application/json": {
                "schema": {"type": "object", "description": "ReplayReport.as_json() (chain.replay.model)"},
                "example": {"ok": True, "chain_id": 31337, "to_block": 412, "events": 1874, "differences": []},
            },
            "text/html": {"example": '<!DOCTYPE html><html lang="en">…</html>'},
        },
    }
}


@router.post("/replays", status_code=202, responses={**_STARTED, **_DENIED, **_RUNNING})
async def start_replay(caller: Auditor, state: StateDep) -> JSONResponse:
    """Replay the chain from its deployment: every event folded into the contracts' state, checked against their
    views, the stream's integrity and conservation; privileged actions listed. Returns 202 with the replay
    (`id`); `GET /audit/replays/{id}` shows its progress, `GET /audit/report` the report once it is done."""
    record = await run_in_threadpool(audit_runner(state).start, requested_by=caller.institution.name)
    body = ReplayPublic(**record.as_json()).model_dump(mode="json")
    return JSONResponse(body, status_code=202, headers={"Location": f"/audit/replays/{record.id}"})


@router.get("/replays/{replay_id}", responses={**_DENIED, **_NOT_FOUND})
async def read_replay(
    replay_id: Annotated[str, Path(pattern=r"^[0-9a-f]{1,32}$")], _caller: Auditor, state: StateDep
) -> ReplayPublic:
    """One replay: running, succeeded (with its verdict and counts) or failed (with the error)."""
    record = await run_in_threadpool(audit_runner(state).get, replay_id)
    return ReplayPublic(**record.as_json())


@router.get(
    "/report",
    response_class=Response,
    responses={
        **_REPORT,
        **_DENIED,
        **_NOT_FOUND,
    },
)
async def read_report(
    _caller: Auditor,
    state: StateDep,
    format: Annotated[Literal["json", "html"], Query(description="json (default) or html")] = "json",  # noqa: A002
) -> Response:
    """The newest finished replay's report: JSON (as `recourse audit replay` writes it), or with `?format=html`
    one self-contained HTML page (charts, differences, privileged actions, per-contract summaries)."""
    path = await run_in_threadpool(audit_runner(state).latest_report, format)
    media = "text/html; charset=utf-8" if format == "html" else "application/json"
    return Response(path.read_bytes(), media_type=media)
