"""Matching: hard constraints never violated (Hypothesis), track record with a prior, explanations."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.matching import (
    CaseOutcome,
    CollectorProfile,
    MatchingConfig,
    OpenCase,
    eligibility,
    rank_cases_for_collector,
    rank_collectors_for_case,
    region_covers,
)

NOW = 1_800_000_000
REGIONS = [310000, 310101, 310100, 310115, 320000, 320500, 110000]


def case(cid: str, *, region=310101, principal=2_000_000, days=100, deadline=NOW + 86_400) -> OpenCase:
    return OpenCase(cid, region, principal, principal // 10, days, 1500, deadline)


def collector(addr: str, **kw) -> CollectorProfile:
    base = {
        "regions": frozenset({310101}),
        "licence_expiry": NOW + 1000,
        "active": True,
        "open_cases": 0,
        "capacity": 10,
        "history": (),
    }
    base.update(kw)
    return CollectorProfile(address=addr, **base)


def test_each_hard_constraint_excludes_with_a_reason():
    c = case("0x01")
    assert eligibility(collector("a"), c, NOW) == []
    assert "licence expired" in eligibility(collector("a", licence_expiry=NOW - 1), c, NOW)[0]
    assert eligibility(collector("a", licence_expiry=NOW), c, NOW) == []  # valid through its last second
    assert eligibility(collector("a", licence_expiry=0), c, NOW) == []  # 0: no expiry
    assert "not an active member" in eligibility(collector("a", active=False), c, NOW)[0]
    assert "region" in eligibility(collector("a", regions=frozenset({320000})), c, NOW)[0]
    assert "capacity" in eligibility(collector("a", open_cases=10), c, NOW)[0]
    assert "deadline" in eligibility(collector("a"), case("0x02", deadline=NOW), NOW)[0]
    # a province (or city) licence covers the districts in it, as CaseDelegation.regionCovers
    assert eligibility(collector("a", regions=frozenset({310000})), c, NOW) == []
    assert eligibility(collector("a", regions=frozenset({310100})), c, NOW) == []
    assert eligibility(collector("a", regions=frozenset({310102})), c, NOW) != []
    assert region_covers(310000, 310115)
    assert region_covers(310100, 310115)
    assert not region_covers(310115, 310100)
    assert not region_covers(320000, 310115)


def test_track_record_on_similar_cases_ranks_higher_and_prior_smooths():
    c = case("0x01", principal=2_000_000, days=100)
    good = tuple(CaseOutcome(310101, 2_000_000, 120, 1_800_000) for _ in range(20))
    bad = tuple(CaseOutcome(310101, 2_000_000, 120, 100_000) for _ in range(20))
    lucky_once = (CaseOutcome(310101, 2_000_000, 120, 2_000_000),)
    ranking = rank_collectors_for_case(
        c,
        [
            collector("new"),
            collector("good", history=good),
            collector("bad", history=bad),
            collector("one", history=lucky_once),
        ],
        now=NOW,
    )
    order = [m.collector for m in ranking.matches]
    assert order == ["good", "one", "new", "bad"]
    by = {m.collector: m for m in ranking.matches}
    assert by["new"].track == 0.3  # the prior
    assert 0.3 < by["one"].track < 0.5  # one lucky case barely moves it
    assert by["good"].track == 0.78  # (20 x 0.9 + 5 x 0.3) / (20 + 5)
    assert "recovered 90% on 20 weighted similar cases" in by["good"].explanation
    assert "no track record yet" in by["new"].explanation


def test_dissimilar_history_counts_less():
    c = case("0x01", principal=2_000_000, days=100)
    similar = (CaseOutcome(310101, 2_000_000, 100, 2_000_000),) * 5
    dissimilar = (CaseOutcome(310101, 90_000_000, 800, 90_000_000),) * 5
    r = rank_collectors_for_case(c, [collector("s", history=similar), collector("d", history=dissimilar)], now=NOW)
    assert [m.collector for m in r.matches] == ["s", "d"]
    assert r.matches[1].similar_cases == 0.5


def test_cases_for_collector_never_exceed_spare_capacity_and_are_explained():
    cases = [case(f"0x{i:02x}", days=30 * i) for i in range(1, 12)]
    r = rank_cases_for_collector(collector("a", open_cases=7, capacity=10), cases, now=NOW)
    assert len(r.matches) == 3
    assert all("spare capacity 3/10" in m.explanation for m in r.matches)
    assert rank_cases_for_collector(collector("a", open_cases=10), cases, now=NOW).matches == []
    assert len(rank_cases_for_collector(collector("a"), cases, now=NOW, limit=2).matches) == 2


outcomes = st.builds(
    CaseOutcome,
    region=st.sampled_from(REGIONS),
    principal_fen=st.integers(0, 10**9),
    overdue_days=st.integers(0, 2000),
    recovered_fen=st.integers(0, 2 * 10**9),
)
collectors = st.builds(
    CollectorProfile,
    address=st.text("abcdef0123456789", min_size=4, max_size=8),
    regions=st.frozensets(st.sampled_from(REGIONS), max_size=3),
    licence_expiry=st.sampled_from([0, NOW - 1, NOW, NOW + 1]) | st.integers(NOW - 10, NOW + 10),
    active=st.booleans(),
    open_cases=st.integers(0, 12),
    capacity=st.integers(0, 10),
    history=st.lists(outcomes, max_size=8).map(tuple),
)
cases_st = st.builds(
    OpenCase,
    case_id=st.text("0123456789abcdef", min_size=4, max_size=8),
    region=st.sampled_from(REGIONS),
    principal_fen=st.integers(1, 10**9),
    overdue_fen=st.integers(0, 10**9),
    overdue_days=st.integers(0, 2000),
    fee_bps=st.integers(1, 10_000),
    deadline=st.integers(NOW - 10, NOW + 10),
)


def _respects_hard_constraints(c: CollectorProfile, k: OpenCase) -> bool:
    region_ok = any(region_covers(r, k.region) for r in c.regions)
    licence_ok = c.licence_expiry == 0 or c.licence_expiry >= NOW
    return c.active and licence_ok and region_ok and c.open_cases < c.capacity and k.deadline > NOW


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(collectors, max_size=8), cases_st)
def test_property_collectors_for_case_respect_hard_constraints(cs, k):
    r = rank_collectors_for_case(k, cs, now=NOW)
    assert len(r.matches) + len(r.excluded) == len(cs)
    by_addr = {}
    for c in cs:
        by_addr.setdefault(c.address, []).append(c)
    for m in r.matches:
        assert any(_respects_hard_constraints(c, k) for c in by_addr[m.collector])
        assert 0.0 <= m.score <= 1.0
    assert [m.score for m in r.matches] == sorted((m.score for m in r.matches), reverse=True)
    assert rank_collectors_for_case(k, cs, now=NOW) == r  # deterministic


@settings(max_examples=300, deadline=None, derandomize=True)
@given(collectors, st.lists(cases_st, max_size=15, unique_by=lambda k: k.case_id), st.none() | st.integers(0, 20))
def test_property_cases_for_collector_respect_hard_constraints_and_capacity(c, ks, limit):
    r = rank_cases_for_collector(c, ks, now=NOW, limit=limit, config=MatchingConfig())
    assert len(r.matches) <= max(c.capacity - c.open_cases, 0)
    if limit is not None:
        assert len(r.matches) <= limit
    ids = {k.case_id: k for k in ks}
    for m in r.matches:
        assert _respects_hard_constraints(c, ids[m.case_id])
        assert 0.0 <= m.score <= 1.0
        assert m.explanation
