"""The matching adapter over the gateway database: members projection + case index -> rankings."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlmodel import Session

from chain.contracts.consortium import Role
from node_api.db.models import MemberRow
from node_api.problems import NotFoundError
from node_api.services.case_matching import SqlCaseMarket, matches_for_case, matches_for_collector

cases_models = pytest.importorskip("node_api.db.cases_models")
NOW = 1_800_000_000
A, B, C, BANK = ("0x" + c * 40 for c in "abcd")


def member(address: str, roles: int, region: int, *, suspended=False, expiry=0) -> MemberRow:
    return MemberRow(
        address=address, name_digest="0x" + "00" * 32, roles=roles, region=region, licence_expiry=expiry,
        kyc_tier=1, suspended=suspended, admitted_block=1, updated_key="0" * 27,
    )  # fmt: skip


def entry(i: int, *, status="open", collector=None, recovered=0, region=310115, days=120) -> object:
    return cases_models.CaseEntry(
        case_id=f"0x{i:064x}", batch_id="b1", position=i, case_ref=f"R{i}", debtor_commitment="0x" + "11" * 32,
        principal_fen=2_000_000, overdue_fen=100_000, overdue_days=days, region=region, fee_bps=1500,
        deadline=NOW + 86_400, status=status, collector=collector, recovered_fen=recovered,
    )  # fmt: skip


@pytest.fixture
def market(engine):
    with Session(engine) as s:
        s.add(
            cases_models.CaseBatch(
                id="b1", institution="bank", bank=BANK, salt="0x" + "22" * 32, root="0x" + "33" * 32, case_count=9,
                closes_at=NOW + 86_400, fee_budget_fen=1, meta_digest="0x" + "00" * 32, source_format="csv",
                approve_operation_id="op1", publish_operation_id="op2",
            )
        )  # fmt: skip
        s.add_all(
            [
                member(A, Role.COLLECTOR.bit, 310000),
                member(B, Role.COLLECTOR.bit, 310115),
                member(C, Role.COLLECTOR.bit, 440000),  # Guangdong: not eligible for Shanghai cases
                member(BANK, Role.BANK.bit, 310000),
            ]
        )
        s.add_all([entry(i) for i in range(4)])
        # A: two open cases held, three good recoveries; B: three failures (returned)
        s.add_all([entry(10 + i, status="claimed", collector=A) for i in range(2)])
        s.add_all([entry(20 + i, status="recovered_full", collector=A, recovered=2_000_000) for i in range(3)])
        s.add_all([entry(30 + i, status="returned", collector=B) for i in range(3)])
        s.commit()
    fake_chain = SimpleNamespace(cases=SimpleNamespace(max_open_cases=lambda: 3))
    return SqlCaseMarket(engine, fake_chain)


def test_collectors_for_a_case_from_the_index(market):
    r = matches_for_case(market=market, case_id=f"0x{0:064x}", now=NOW, limit=10)
    assert [m.collector for m in r.matches] == [A, B]
    assert "recovered 100% on 3 weighted similar cases" in r.matches[0].explanation
    assert "spare capacity 1/3" in r.matches[0].explanation
    assert {e.id for e in r.excluded} == {C}
    with pytest.raises(NotFoundError):
        matches_for_case(market=market, case_id=f"0x{10:064x}", now=NOW, limit=10)  # claimed: not open


def test_cases_for_a_collector_limited_by_spare_capacity(market):
    a = matches_for_collector(market=market, address=A, now=NOW, limit=10)
    assert len(a.matches) == 1  # cap 3, two held
    b = matches_for_collector(market=market, address=B, now=NOW, limit=10)
    assert len(b.matches) == 3
    assert matches_for_collector(market=market, address=C, now=NOW, limit=10).matches == []
    with pytest.raises(NotFoundError):
        matches_for_collector(market=market, address=BANK, now=NOW, limit=10)


def test_open_cases_are_filtered_by_region_coverage_in_sql(market, engine):
    with Session(engine) as s:
        s.add_all([entry(40, region=440300), entry(41, region=310101), entry(42, region=320500)])
        s.commit()
    everything = {c.case_id for c in market.open_cases(NOW)}
    assert {f"0x{i:064x}" for i in (0, 1, 2, 3, 40, 41, 42)} == everything
    province = {c.case_id for c in market.open_cases(NOW, frozenset({310000}))}
    assert province == {f"0x{i:064x}" for i in (0, 1, 2, 3, 41)}
    city = {c.case_id for c in market.open_cases(NOW, frozenset({310100}))}
    assert city == province  # 310115 and 310101 are both in the city 3101xx
    assert {c.case_id for c in market.open_cases(NOW, frozenset({310101}))} == {f"0x{41:064x}"}
    exact = {c.case_id for c in market.open_cases(NOW, frozenset({320500, 440300}))}
    assert exact == {f"0x{i:064x}" for i in (40, 42)}
    assert market.open_cases(NOW, frozenset()) == []
