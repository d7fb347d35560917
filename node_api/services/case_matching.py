"""Matching use cases: feed :mod:`analytics.matching` from the gateway's index.

Port :class:`CaseMarketPort` gives the open cases and the collectors' profiles; :class:`SqlCaseMarket`
reads them from the gateway database: collectors from the member projection (``members``: COLLECTOR
role, region licence, licence expiry, suspension), open cases, open-case counts and track records
(closed cases: recovered / principal) from the case index (``case_entries``, which the indexer's
case projection keeps as fresh as the indexed events), and the per-collector cap from
``CaseDelegation.maxOpenCases``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine, or_
from sqlmodel import Session, col, select

from analytics.matching import (
    CaseOutcome,
    CollectorProfile,
    Exclusion,
    Match,
    OpenCase,
    rank_cases_for_collector,
    rank_collectors_for_case,
)
from chain import ChainError
from chain.contracts.consortium import Role
from chain.network import Recourse
from node_api.db.models import MemberRow
from node_api.problems import ChainUnavailableError, NotFoundError

__all__ = ["CaseMarketPort", "MatchingResult", "SqlCaseMarket", "matches_for_case", "matches_for_collector"]

HOLDING_STATUSES = ("claimed", "recovery_reported")
#: closed cases that count in a track record (a recall is the bank's decision, not the collector's result)
OUTCOME_STATUSES = ("recovered_full", "recovered_partly", "returned")


class CaseMarketPort(Protocol):
    def open_cases(self, now: int, regions: frozenset[int] | None = None) -> list[OpenCase]:
        """Open cases (deadline after ``now``), only those some region in ``regions`` covers if given."""
        ...

    def open_case(self, case_id: str) -> OpenCase | None: ...

    def collectors(self) -> list[CollectorProfile]: ...

    def collector(self, address: str) -> CollectorProfile | None: ...


@dataclass(frozen=True)
class MatchingResult:
    subject: str
    matches: list[Match]
    excluded: list[Exclusion]
    generated_at: int


def matches_for_collector(*, market: CaseMarketPort, address: str, now: int, limit: int) -> MatchingResult:
    profile = market.collector(address)
    if profile is None:
        raise NotFoundError(f"{address} is not a known collector")
    ranking = rank_cases_for_collector(profile, market.open_cases(now, profile.regions), now=now, limit=limit)
    return MatchingResult(address, ranking.matches, ranking.excluded, now)


def matches_for_case(*, market: CaseMarketPort, case_id: str, now: int, limit: int) -> MatchingResult:
    case = market.open_case(case_id)
    if case is None:
        raise NotFoundError(f"no open case {case_id}")
    ranking = rank_collectors_for_case(case, market.collectors(), now=now, limit=limit)
    return MatchingResult(case_id, ranking.matches, ranking.excluded, now)


def _covered(column: Any, region: int) -> Any:
    """SQL for "``region`` covers the case's region" (``CaseDelegation.regionCovers``)."""
    if region % 10_000 == 0:
        return column.between(region, region + 9_999)
    if region % 100 == 0:
        return column.between(region, region + 99)
    return column == region


def _case_model() -> Any:
    """The case index table (``node_api.db.cases_models.CaseEntry``), or None if it is not installed."""
    try:
        from node_api.db.cases_models import CaseEntry
    except ImportError:  # pragma: no cover - the case index ships with the case-delegation API
        return None
    return CaseEntry


class SqlCaseMarket:
    """:class:`CaseMarketPort` over the gateway database (and one chain read for the capacity cap)."""

    def __init__(self, engine: Engine, recourse: Recourse, *, cap_ttl: float = 30.0) -> None:
        self._engine = engine
        self._recourse = recourse
        self._cap: tuple[float, int] | None = None
        self._cap_ttl = cap_ttl

    def _capacity(self) -> int:
        now = time.monotonic()
        if self._cap is None or now - self._cap[0] > self._cap_ttl:
            try:
                self._cap = (now, self._recourse.cases.max_open_cases())
            except ChainError as exc:
                raise ChainUnavailableError(f"cannot read the open-case cap: {exc}") from exc
        return self._cap[1]

    @staticmethod
    def _to_open(e: Any) -> OpenCase:
        return OpenCase(
            case_id=e.case_id,
            region=int(e.region),
            principal_fen=int(e.principal_fen),
            overdue_fen=int(e.overdue_fen),
            overdue_days=int(e.overdue_days),
            fee_bps=int(e.fee_bps),
            deadline=int(e.deadline),
        )

    def open_cases(self, now: int, regions: frozenset[int] | None = None) -> list[OpenCase]:
        entry = _case_model()
        if entry is None:
            return []
        stmt = select(entry).where(entry.status == "open", entry.deadline > now)
        if regions is not None:
            if not regions:
                return []
            stmt = stmt.where(or_(*(_covered(col(entry.region), r) for r in sorted(regions))))
        with Session(self._engine) as s:
            rows = s.exec(stmt).all()
            return [self._to_open(e) for e in rows]

    def open_case(self, case_id: str) -> OpenCase | None:
        entry = _case_model()
        if entry is None:
            return None
        with Session(self._engine) as s:
            e = s.get(entry, case_id.lower())
            return self._to_open(e) if e is not None and e.status == "open" else None

    def _profiles(self, address: str | None) -> list[CollectorProfile]:
        cap = self._capacity()
        entry = _case_model()
        with Session(self._engine) as s:
            stmt = select(MemberRow)
            if address is not None:
                stmt = stmt.where(col(MemberRow.address) == address)
            members = [m for m in s.exec(stmt).all() if m.roles & Role.COLLECTOR.bit]
            open_counts: dict[str, int] = defaultdict(int)
            history: dict[str, list[CaseOutcome]] = defaultdict(list)
            if entry is not None and members:
                addrs = [m.address for m in members]
                for e in s.exec(select(entry).where(col(entry.collector).in_(addrs))).all():
                    if e.status in HOLDING_STATUSES:
                        open_counts[e.collector] += 1
                    elif e.status in OUTCOME_STATUSES:
                        history[e.collector].append(
                            CaseOutcome(
                                region=int(e.region),
                                principal_fen=int(e.principal_fen),
                                overdue_days=int(e.overdue_days),
                                recovered_fen=int(e.recovered_fen),
                            )
                        )
            return [
                CollectorProfile(
                    address=m.address,
                    regions=frozenset({m.region}),
                    licence_expiry=m.licence_expiry,
                    active=not m.suspended,
                    open_cases=open_counts[m.address],
                    capacity=cap,
                    history=tuple(history[m.address]),
                )
                for m in members
            ]

    def collectors(self) -> list[CollectorProfile]:
        return self._profiles(None)

    def collector(self, address: str) -> CollectorProfile | None:
        found = self._profiles(address)
        return found[0] if found else None
