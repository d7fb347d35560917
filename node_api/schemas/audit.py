"""Schemas of the auditor's replay run by the gateway (``node_api.routes.audit``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["REPLAY_EXAMPLE", "ReplayPublic"]

REPLAY_EXAMPLE: dict[str, Any] = {
    "id": "5c1f0e9a2b7d4c3e",
    "status": "succeeded",
    "requested_by": "auditor",
    "started_at": "2026-12-07T22:10:04+00:00",
    "finished_at": "2026-12-07T22:10:09+00:00",
    "to_block": 412,
    "events": 1874,
    "ok": True,
    "differences": 0,
    "integrity_failures": 0,
    "privileged_actions": 37,
    "error": None,
}


class ReplayPublic(BaseModel):
    """One replay the gateway ran or runs."""

    model_config = ConfigDict(json_schema_extra={"examples": [REPLAY_EXAMPLE]})

    id: str = Field(description="the replay id (GET /audit/replays/{id})")
    status: str = Field(description="running | succeeded | failed")
    requested_by: str = Field(description="the institution that asked for it")
    started_at: str = Field(description="ISO 8601, UTC")
    finished_at: str | None = None
    to_block: int | None = Field(default=None, description="the block replayed to")
    events: int | None = Field(default=None, description="events replayed")
    ok: bool | None = Field(default=None, description="no difference, the stream intact, no anomaly")
    differences: int | None = None
    integrity_failures: int | None = None
    privileged_actions: int | None = None
    error: str | None = Field(default=None, description="why a failed replay failed")
