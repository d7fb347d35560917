"""Matching of collection cases and collectors (pure: no I/O).

Two rankings, each entry with a score in ``[0, 1]``, its components and a one-line explanation:

* :func:`rank_cases_for_collector` — open cases a collector may claim, best first, **at most the
  collector's spare capacity** of them;
* :func:`rank_collectors_for_case` — collectors who may take a case, best first.

**Hard constraints** (never violated; an excluded candidate is listed with its reasons):
the collector is active (not suspended), its licence is valid at ``now`` (as on chain: expiry 0 never
expires, else ``now <= expiry``), it is licensed for the case's region (as
``CaseDelegation.regionCovers``: the exact 6-digit code, or the province ``XX0000`` or city ``XXYY00``
that contains it), and it has spare capacity (``open_cases < capacity``). The case must still be open
(deadline after ``now``).

**Score** = ``w_track · track + w_capacity · spare/capacity + w_region · region_fit`` with default weights
0.6 / 0.25 / 0.15:

* *track record* on similar cases: the collector's closed cases are weighted by similarity to the
  case (same overdue-days bucket and same principal bucket: 1; one of the two: 0.5; neither: 0.1),
  the recovery ratio ``min(recovered / principal, 1)`` is averaged with those weights and smoothed
  towards a prior (``prior_rate`` 0.3 with ``prior_strength`` 5 pseudo-cases), so a newcomer
  starts at the prior and a long record dominates;
* *capacity*: the share of capacity still free;
* *region fit*: 1 for the exact region code, 0.85 through a city licence, 0.7 through a province one.

Buckets: overdue days ``[0,30) [30,90) [90,180) [180,365) [365,∞)``; principal (fen)
``< ¥10k, < ¥50k, < ¥200k, ≥ ¥200k``. Ties break on the id, so a ranking is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "AMOUNT_BUCKETS_FEN",
    "OVERDUE_BUCKETS_DAYS",
    "CaseOutcome",
    "CollectorProfile",
    "Exclusion",
    "Match",
    "MatchingConfig",
    "OpenCase",
    "Ranking",
    "eligibility",
    "rank_cases_for_collector",
    "rank_collectors_for_case",
    "region_covers",
    "score_pair",
]

OVERDUE_BUCKETS_DAYS: tuple[int, ...] = (30, 90, 180, 365)
AMOUNT_BUCKETS_FEN: tuple[int, ...] = (1_000_000, 5_000_000, 20_000_000)
_OVERDUE_LABELS = ("0-29 d", "30-89 d", "90-179 d", "180-364 d", "365+ d")
_AMOUNT_LABELS = ("< ¥10k", "¥10k-50k", "¥50k-200k", "≥ ¥200k")


@dataclass(frozen=True)
class OpenCase:
    case_id: str
    region: int
    principal_fen: int
    overdue_fen: int
    overdue_days: int
    fee_bps: int
    deadline: int


@dataclass(frozen=True)
class CaseOutcome:
    """A case the collector has closed: how much of the principal it recovered."""

    region: int
    principal_fen: int
    overdue_days: int
    recovered_fen: int


@dataclass(frozen=True)
class CollectorProfile:
    address: str
    regions: frozenset[int]
    licence_expiry: int
    active: bool
    open_cases: int
    capacity: int
    history: tuple[CaseOutcome, ...] = ()

    @property
    def spare(self) -> int:
        return max(self.capacity - self.open_cases, 0)


@dataclass(frozen=True)
class MatchingConfig:
    prior_rate: float = 0.3
    prior_strength: float = 5.0
    w_track: float = 0.6
    w_capacity: float = 0.25
    w_region: float = 0.15
    province_fit: float = 0.7
    city_fit: float = 0.85

    def __post_init__(self) -> None:
        weights = (self.w_track, self.w_capacity, self.w_region)
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError("matching weights must be non-negative and not all zero")
        if not 0 <= self.prior_rate <= 1 or self.prior_strength <= 0:
            raise ValueError("prior_rate must be in [0, 1] and prior_strength positive")


@dataclass(frozen=True)
class Match:
    case_id: str
    collector: str
    score: float
    track: float
    similar_cases: float
    capacity: float
    region_fit: float
    explanation: str


@dataclass(frozen=True)
class Exclusion:
    id: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Ranking:
    matches: list[Match]
    excluded: list[Exclusion] = field(default_factory=list)


def _bucket(value: int, edges: Sequence[int]) -> int:
    for i, edge in enumerate(edges):
        if value < edge:
            return i
    return len(edges)


def region_covers(collector_region: int, case_region: int) -> bool:
    """``CaseDelegation.regionCovers``: the same code, or a province ``XX0000`` / city ``XXYY00`` containing it."""
    if collector_region == case_region:
        return True
    if collector_region % 10_000 == 0:
        return collector_region // 10_000 == case_region // 10_000
    if collector_region % 100 == 0:
        return collector_region // 100 == case_region // 100
    return False


def _region_fit(collector: CollectorProfile, region: int, cfg: MatchingConfig) -> float:
    if region in collector.regions:
        return 1.0
    fit = 0.0
    for r in collector.regions:
        if region_covers(r, region):
            fit = max(fit, cfg.province_fit if r % 10_000 == 0 else cfg.city_fit)
    return fit


def eligibility(collector: CollectorProfile, case: OpenCase, now: int) -> list[str]:
    """Why ``collector`` may not take ``case`` (empty: eligible)."""
    reasons = []
    if not collector.active:
        reasons.append("collector is not an active member (suspended or removed)")
    if collector.licence_expiry != 0 and collector.licence_expiry < now:
        reasons.append(f"licence expired at {collector.licence_expiry}")
    if _region_fit(collector, case.region, MatchingConfig()) == 0.0:
        reasons.append(f"not licensed for region {case.region}")
    if collector.spare <= 0:
        reasons.append(f"at capacity ({collector.open_cases}/{collector.capacity} open cases)")
    if case.deadline <= now:
        reasons.append("case deadline has passed")
    return reasons


def _similarity(a: OpenCase, b: CaseOutcome) -> float:
    same_days = _bucket(a.overdue_days, OVERDUE_BUCKETS_DAYS) == _bucket(b.overdue_days, OVERDUE_BUCKETS_DAYS)
    same_amount = _bucket(a.principal_fen, AMOUNT_BUCKETS_FEN) == _bucket(b.principal_fen, AMOUNT_BUCKETS_FEN)
    if same_days and same_amount:
        return 1.0
    if same_days or same_amount:
        return 0.5
    return 0.1


def _track(collector: CollectorProfile, case: OpenCase, cfg: MatchingConfig) -> tuple[float, float, float]:
    """(smoothed rate, weighted number of similar cases, raw weighted rate)."""
    weight = 0.0
    recovered = 0.0
    for h in collector.history:
        w = _similarity(case, h)
        ratio = min(h.recovered_fen / h.principal_fen, 1.0) if h.principal_fen > 0 else 0.0
        weight += w
        recovered += w * max(ratio, 0.0)
    smoothed = (recovered + cfg.prior_rate * cfg.prior_strength) / (weight + cfg.prior_strength)
    raw = recovered / weight if weight > 0 else 0.0
    return smoothed, weight, raw


def score_pair(collector: CollectorProfile, case: OpenCase, cfg: MatchingConfig | None = None) -> Match:
    """Score of an (eligible) pair with its explanation; eligibility is checked by the rankers."""
    cfg = cfg or MatchingConfig()
    track, similar, raw = _track(collector, case, cfg)
    capacity = collector.spare / collector.capacity if collector.capacity > 0 else 0.0
    region = _region_fit(collector, case.region, cfg)
    total = cfg.w_track + cfg.w_capacity + cfg.w_region
    score = (cfg.w_track * track + cfg.w_capacity * capacity + cfg.w_region * region) / total
    score = min(max(score, 0.0), 1.0)
    days = _OVERDUE_LABELS[_bucket(case.overdue_days, OVERDUE_BUCKETS_DAYS)]
    amount = _AMOUNT_LABELS[_bucket(case.principal_fen, AMOUNT_BUCKETS_FEN)]
    if similar > 0:
        record = f"recovered {raw:.0%} on {similar:g} weighted similar cases ({days}, {amount}), smoothed {track:.0%}"
    else:
        record = f"no track record yet ({days}, {amount}): prior {track:.0%}"
    how = "exact region" if region == 1.0 else ("city licence" if region == cfg.city_fit else "province licence")
    explanation = (
        f"score {score:.2f}: {record}; spare capacity {collector.spare}/{collector.capacity}; "
        f"region {case.region} ({how})"
    )
    return Match(
        case_id=case.case_id,
        collector=collector.address,
        score=round(score, 6),
        track=round(track, 6),
        similar_cases=round(similar, 3),
        capacity=round(capacity, 6),
        region_fit=region,
        explanation=explanation,
    )


def rank_cases_for_collector(
    collector: CollectorProfile,
    cases: Iterable[OpenCase],
    *,
    now: int,
    limit: int | None = None,
    config: MatchingConfig | None = None,
) -> Ranking:
    """Eligible open cases for ``collector``, best first, never more than its spare capacity."""
    matches: list[Match] = []
    excluded: list[Exclusion] = []
    for case in cases:
        reasons = eligibility(collector, case, now)
        if reasons:
            excluded.append(Exclusion(case.case_id, tuple(reasons)))
        else:
            matches.append(score_pair(collector, case, config))
    matches.sort(key=lambda m: (-m.score, m.case_id))
    cap = collector.spare if limit is None else min(limit, collector.spare)
    return Ranking(matches=matches[: max(cap, 0)], excluded=excluded)


def rank_collectors_for_case(
    case: OpenCase,
    collectors: Iterable[CollectorProfile],
    *,
    now: int,
    limit: int | None = None,
    config: MatchingConfig | None = None,
) -> Ranking:
    """Collectors who may take ``case``, best first."""
    matches: list[Match] = []
    excluded: list[Exclusion] = []
    for c in collectors:
        reasons = eligibility(c, case, now)
        if reasons:
            excluded.append(Exclusion(c.address, tuple(reasons)))
        else:
            matches.append(score_pair(c, case, config))
    matches.sort(key=lambda m: (-m.score, m.collector))
    return Ranking(matches=matches if limit is None else matches[:limit], excluded=excluded)
