"""The auditor's replay run by the gateway: one at a time, in a thread, its report kept as files.

``AuditRunner.start`` runs ``chain.replay.run.run_replay`` against the gateway's own JSON-RPC URL and deployments
file (the chain against its events and the contracts' views; the gateway's index is not compared from inside:
an auditor does that from outside with ``recourse audit replay --gateway``, with a key of its own). A replay is
not a chain write: no operation, no idempotency key. While one runs, another is ``AuditReplayRunningError``
(AUD-409).

Files under ``<data_dir>/audit/``: ``replays/<id>.json`` (the replay's status record), ``reports/<id>.json`` and
``reports/<id>.html`` (the report), ``latest`` (the id of the newest finished report). Each is written to a
temporary file and renamed, so a reader never sees half a file. A record still ``running`` when the gateway
starts was interrupted by a restart: it is marked ``failed``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from chain.replay.model import ReplayReport
from chain.replay.render import write_html, write_json
from chain.replay.run import run_replay
from node_api.problems import AuditNotFoundError, AuditReplayRunningError

__all__ = ["AuditRunner", "ReplayFn", "ReplayRecord"]

logger = logging.getLogger(__name__)

#: ``run_replay``'s shape (keyword arguments; returns the report and the rebuilt states)
ReplayFn = Callable[..., tuple[ReplayReport, dict[str, Any]]]
Status = Literal["running", "succeeded", "failed"]


@dataclass
class ReplayRecord:
    """One replay the gateway ran (or runs): who asked, when, and what it found."""

    id: str
    status: Status
    requested_by: str
    started_at: str
    finished_at: str | None = None
    to_block: int | None = None
    events: int | None = None
    ok: bool | None = None
    differences: int | None = None
    integrity_failures: int | None = None
    privileged_actions: int | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class AuditRunner:
    """Runs the gateway's replays one at a time and serves their reports (see the module docstring)."""

    def __init__(self, *, rpc_url: str, deployments: Path, directory: Path, replay: ReplayFn | None = None) -> None:
        self.rpc_url, self.deployments, self.directory = rpc_url, deployments, directory
        self.replay: ReplayFn = replay or run_replay
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._running: str | None = None
        self._recover()

    # --- files ---

    def _record_path(self, replay_id: str) -> Path:
        return self.directory / "replays" / f"{replay_id}.json"

    def _save(self, record: ReplayRecord) -> None:
        _write(self._record_path(record.id), json.dumps(record.as_json(), indent=2))

    def _recover(self) -> None:
        """Records left ``running`` by a gateway that stopped mid-replay are failed now."""
        folder = self.directory / "replays"
        if not folder.is_dir():
            return
        for path in folder.glob("*.json"):
            try:
                record = ReplayRecord(**json.loads(path.read_text(encoding="utf-8")))
            except (ValueError, TypeError):
                continue
            if record.status == "running":
                record.status, record.finished_at = "failed", _now()
                record.error = "interrupted: the gateway stopped while it ran"
                self._save(record)

    # --- replays ---

    def start(self, *, requested_by: str) -> ReplayRecord:
        """Start a replay in a thread; ``AuditReplayRunningError`` while one runs."""
        with self._lock:
            if self._running is not None:
                raise AuditReplayRunningError(
                    f"replay {self._running} is still running: one replay at a time", replay_id=self._running
                )
            record = ReplayRecord(
                id=uuid.uuid4().hex[:16], status="running", requested_by=requested_by, started_at=_now()
            )
            self._save(record)
            self._running = record.id
            self._thread = threading.Thread(target=self._run, args=(record,), name=f"audit-{record.id}", daemon=True)
            self._thread.start()
        logger.info("audit.replay.started replay_id=%s requested_by=%s", record.id, requested_by)
        return record

    def _run(self, record: ReplayRecord) -> None:
        try:
            report, _ = self.replay(rpc_url=self.rpc_url, deployments=self.deployments)
            reports = self.directory / "reports"
            write_json(report, reports / f"{record.id}.json")
            write_html(report, reports / f"{record.id}.html")
            _write(self.directory / "latest", record.id)
            record.status = "succeeded"
            record.to_block, record.events, record.ok = report.to_block, report.events, report.ok
            record.differences, record.integrity_failures = len(report.differences), len(report.integrity)
            record.privileged_actions = len(report.privileged)
        except Exception as exc:  # noqa: BLE001 - a failed replay is recorded, never lost with the thread
            logger.exception("audit.replay.failed replay_id=%s", record.id)
            record.status, record.error = "failed", f"{type(exc).__name__}: {exc}"
        record.finished_at = _now()
        with self._lock:
            self._save(record)
            self._running = None
        logger.info("audit.replay.finished replay_id=%s status=%s ok=%s", record.id, record.status, record.ok)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running replay (if any) to finish; whether none runs now."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self._running is None

    def get(self, replay_id: str) -> ReplayRecord:
        path = self._record_path(replay_id)
        if not replay_id.isalnum() or not path.is_file():
            raise AuditNotFoundError(f"no replay {replay_id} on this gateway", replay_id=replay_id)
        return ReplayRecord(**json.loads(path.read_text(encoding="utf-8")))

    def latest_report(self, fmt: Literal["json", "html"]) -> Path:
        """The newest finished report's file; ``AuditNotFoundError`` before the first replay has finished."""
        latest = self.directory / "latest"
        if not latest.is_file():
            raise AuditNotFoundError("no replay report yet: start one with POST /audit/replays")
        replay_id = latest.read_text(encoding="utf-8").strip()
        path = self.directory / "reports" / f"{replay_id}.{fmt}"
        if not path.is_file():
            raise AuditNotFoundError(f"the report of replay {replay_id} is missing on this gateway")
        return path
