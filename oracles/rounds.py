"""Persistent round state of one operator (SQLite by default, any SQLAlchemy URL).

A round of a (feed, subject) goes ``signed`` → ``posted`` → ``submitted`` → ``done``, or ends ``skipped``
(the policy said no) or ``superseded`` (another report for the observation, or a newer one, reached the
chain and this one never did). The report and this operator's signature are committed *before* the
signature leaves the process, so a restarted operator resumes the same report (never signs a second,
different one for the round) and never skips a round it had started.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    create_engine,
    select,
    update,
)

from chain.eip712 import FeedId, Report, ReportSignature, SubjectId

__all__ = ["TERMINAL", "RoundState", "RoundStore"]

TERMINAL = ("done", "skipped", "superseded")

_meta = MetaData()
_rounds = Table(
    "oracle_rounds",
    _meta,
    Column("feed", String(66), nullable=False),
    Column("subject", String(66), nullable=False),
    Column("round", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("report", Text, nullable=True),
    Column("signature", Text, nullable=True),
    Column("operation_id", String(64), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("feed", "subject", "round"),
)


def _report_json(report: Report) -> str:
    return json.dumps(
        {
            "feed_id": report.feed_id.hex(),
            "subject_id": report.subject_id.hex(),
            "value": str(report.value),
            "low": str(report.low),
            "high": str(report.high),
            "model_version": report.model_version.hex(),
            "feature_digest": report.feature_digest.hex(),
            "observed_at": report.observed_at,
        }
    )


def _report_of(text: str) -> Report:
    d: dict[str, Any] = json.loads(text)
    return Report(
        FeedId(bytes.fromhex(d["feed_id"])),
        SubjectId(bytes.fromhex(d["subject_id"])),
        int(d["value"]),
        int(d["low"]),
        int(d["high"]),
        bytes.fromhex(d["model_version"]),
        bytes.fromhex(d["feature_digest"]),
        int(d["observed_at"]),
    )


@dataclass(frozen=True)
class RoundState:
    feed: bytes
    subject: bytes
    round: int
    status: str
    reason: str
    report: Report | None
    signature: ReportSignature | None
    operation_id: str | None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RoundStore:
    """Round state of one operator, keyed by (feed, subject, round)."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
        _meta.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @staticmethod
    def _state(row: Any) -> RoundState:
        sig = None
        if row.signature:
            s = json.loads(row.signature)
            sig = ReportSignature(s["signer"], bytes.fromhex(s["r"]), bytes.fromhex(s["vs"]))
        return RoundState(
            feed=bytes.fromhex(row.feed),
            subject=bytes.fromhex(row.subject),
            round=int(row.round),
            status=row.status,
            reason=row.reason or "",
            report=_report_of(row.report) if row.report else None,
            signature=sig,
            operation_id=row.operation_id,
        )

    def get(self, feed: bytes, subject: bytes, round_: int) -> RoundState | None:
        with self.engine.connect() as c:
            row = c.execute(
                select(_rounds).where(
                    _rounds.c.feed == feed.hex(), _rounds.c.subject == subject.hex(), _rounds.c.round == round_
                )
            ).first()
        return None if row is None else self._state(row)

    def open_rounds(self) -> list[RoundState]:
        """Every round not yet finished, oldest first."""
        with self.engine.connect() as c:
            rows = c.execute(
                select(_rounds).where(_rounds.c.status.not_in(TERMINAL)).order_by(_rounds.c.round)
            ).fetchall()
        return [self._state(r) for r in rows]

    def all_rounds(self) -> list[RoundState]:
        with self.engine.connect() as c:
            rows = c.execute(select(_rounds).order_by(_rounds.c.round)).fetchall()
        return [self._state(r) for r in rows]

    def create(
        self,
        feed: bytes,
        subject: bytes,
        round_: int,
        *,
        status: str,
        reason: str = "",
        report: Report | None = None,
        signature: ReportSignature | None = None,
    ) -> RoundState:
        """Record a new round (committed before this returns); an existing round is returned unchanged."""
        with self.engine.begin() as c:
            exists = c.execute(
                select(_rounds.c.round).where(
                    _rounds.c.feed == feed.hex(), _rounds.c.subject == subject.hex(), _rounds.c.round == round_
                )
            ).first()
            if exists is None:
                c.execute(
                    _rounds.insert().values(
                        feed=feed.hex(),
                        subject=subject.hex(),
                        round=round_,
                        status=status,
                        reason=reason,
                        report=_report_json(report) if report is not None else None,
                        signature=json.dumps(
                            {"signer": signature.signer, "r": signature.r.hex(), "vs": signature.vs.hex()}
                        )
                        if signature is not None
                        else None,
                        updated_at=_now(),
                    )
                )
        state = self.get(feed, subject, round_)
        assert state is not None  # noqa: S101 - just written
        return state

    def set_status(
        self,
        feed: bytes,
        subject: bytes,
        round_: int,
        status: str,
        *,
        reason: str = "",
        operation_id: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status, "reason": reason, "updated_at": _now()}
        if operation_id is not None:
            values["operation_id"] = operation_id
        with self.engine.begin() as c:
            c.execute(
                update(_rounds)
                .where(_rounds.c.feed == feed.hex(), _rounds.c.subject == subject.hex(), _rounds.c.round == round_)
                .values(**values)
            )
