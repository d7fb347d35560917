"""``OracleHub`` events → the latest accepted report per (feed, subject) and the signature threshold."""

from __future__ import annotations

from dataclasses import dataclass, field

from chain.reducers._base import Event, Reducer, dispatch, uint, word

__all__ = ["REDUCER", "OracleState", "Report"]

CONTRACT = "OracleHub"


@dataclass(frozen=True)
class Report:
    feed_id: str
    subject_id: str
    value: int
    low: int
    high: int
    model_version: str
    feature_digest: str
    observed_at: int
    signers: tuple[str, ...]
    key: str


@dataclass
class OracleState:
    #: (feed id, subject id) → the newest report accepted for it
    latest: dict[tuple[str, str], Report] = field(default_factory=dict)
    reports: int = 0
    threshold: int = 0
    anomalies: list[str] = field(default_factory=list)


def _report(s: OracleState, e: Event) -> None:
    a = e.args
    r = Report(
        word(a["feedId"]),
        word(a["subjectId"]),
        uint(a["value"]),
        uint(a["low"]),
        uint(a["high"]),
        word(a["modelVersion"]),
        word(a["featureDigest"]),
        uint(a["observedAt"]),
        tuple(a["signers"]),
        e.key,
    )
    s.latest[(r.feed_id, r.subject_id)] = r
    s.reports += 1


def _threshold(s: OracleState, e: Event) -> None:
    s.threshold = uint(e.args["current"])


_HANDLERS = {"ReportAccepted": _report, "ReportThresholdChanged": _threshold}

REDUCER: Reducer[OracleState] = Reducer(
    contract=CONTRACT, new_state=OracleState, apply=dispatch(_HANDLERS), events=frozenset(_HANDLERS)
)
