"""Guarantee networks on hand-built graphs with known answers, and properties against networkx."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import analytics.guarantees as guarantees_module
from analytics import (
    Guarantee,
    GuaranteeInputError,
    GuaranteeNetwork,
    analyse_network,
    cascade,
    chain_hops,
    contagion_exposure,
    find_circles,
    guarantee_chains,
)


def net_of(*edges: tuple[str, str, int]) -> GuaranteeNetwork:
    return GuaranteeNetwork(edges)


# --- circles ----------------------------------------------------------------------------------------


def test_mutual_guarantee_is_a_two_firm_circle() -> None:
    circles = find_circles(net_of(("A", "B", 100), ("B", "A", 40), ("C", "A", 5)))
    assert len(circles) == 1
    assert circles[0].firms == ("A", "B")
    assert circles[0].cycles == (("A", "B"),)
    assert circles[0].internal_fen == 140
    assert circles[0].guarantees == 2


def test_figure_eight_has_one_circle_and_two_cycles() -> None:
    # A->B->C->A and C->D->E->C share C; F hangs off the circle
    net = net_of(
        ("A", "B", 1), ("B", "C", 1), ("C", "A", 1), ("C", "D", 1), ("D", "E", 1), ("E", "C", 1), ("E", "F", 1)
    )
    circles = find_circles(net, max_cycle_length=4)
    assert [c.firms for c in circles] == [("A", "B", "C", "D", "E")]
    assert set(circles[0].cycles) == {("A", "B", "C"), ("C", "D", "E")}


def test_cycle_length_bound_is_respected() -> None:
    square = net_of(("A", "B", 1), ("B", "C", 1), ("C", "D", 1), ("D", "A", 1))
    assert find_circles(square, max_cycle_length=3)[0].cycles == ()
    assert find_circles(square, max_cycle_length=4)[0].cycles == (("A", "B", "C", "D"),)
    assert find_circles(square, max_cycle_length=4)[0].size == 4


def test_two_separate_circles_largest_first_and_a_plain_chain_has_none() -> None:
    net = net_of(("X", "Y", 1), ("Y", "X", 1), ("A", "B", 1), ("B", "C", 1), ("C", "A", 1), ("C", "Q", 9))
    assert [c.firms for c in find_circles(net)] == [("A", "B", "C"), ("X", "Y")]
    assert find_circles(net_of(("A", "B", 1), ("B", "C", 1))) == []


def test_cycle_listing_can_be_truncated() -> None:
    net = net_of(("A", "B", 1), ("B", "A", 1), ("B", "C", 1), ("C", "B", 1), ("C", "A", 1), ("A", "C", 1))
    full = find_circles(net, max_cycle_length=3)[0]
    assert len(full.cycles) == 5
    assert not full.cycles_truncated
    cut = find_circles(net, max_cycle_length=3, max_cycles=2)[0]
    assert len(cut.cycles) == 2
    assert cut.cycles_truncated


# --- chains -----------------------------------------------------------------------------------------


def line(n: int) -> GuaranteeNetwork:
    """F0 guarantees F1, F1 guarantees F2, ... (n firms, n - 1 hops)."""
    return GuaranteeNetwork([(f"F{i}", f"F{i + 1}", 10 * (i + 1)) for i in range(n - 1)])


def test_chains_stop_at_six_hops() -> None:
    net = line(9)  # F0 -> ... -> F8: 8 hops
    assert guarantee_chains(net, "F8", max_hops=6) == [("F2", "F3", "F4", "F5", "F6", "F7", "F8")]
    assert guarantee_chains(net, "F0", direction="borrowers", max_hops=6) == [tuple(f"F{i}" for i in range(7))]
    assert guarantee_chains(net, "F3", max_hops=6) == [("F0", "F1", "F2", "F3")]
    hops = chain_hops(net, max_hops=6)
    assert hops.loc["F8", "chain_hops_up"] == 6
    assert hops.loc["F3", "chain_hops_up"] == 3
    assert hops.loc["F3", "chain_hops_down"] == 5
    assert hops.loc["F0", "chain_hops_down"] == 6


def test_chains_branch_and_do_not_revisit_firms() -> None:
    net = net_of(("A", "C", 1), ("B", "C", 1), ("C", "D", 1), ("D", "C", 1))
    assert sorted(guarantee_chains(net, "D")) == [("A", "C", "D"), ("B", "C", "D")]
    assert guarantee_chains(net, "A") == []
    with pytest.raises(GuaranteeInputError, match="not in the network"):
        guarantee_chains(net, "nobody")


# --- exposure ---------------------------------------------------------------------------------------


def test_full_contagion_exposure_on_known_graph() -> None:
    # A guarantees B (100), B guarantees C (50), D guarantees C (30); C defaulting calls B and D, then A
    net = net_of(("A", "B", 100), ("B", "C", 50), ("D", "C", 30))
    exp = contagion_exposure(net)
    assert exp.loc["C"].tolist() == [3, 180]
    assert exp.loc["B"].tolist() == [1, 100]
    assert exp.loc["A"].tolist() == [0, 0]
    result = cascade(net, "C")
    assert result.defaulted == (("C", 0), ("B", 1), ("D", 1), ("A", 2))
    assert result.triggered_fen == 180
    assert result.cascade_firms == 3
    assert set(result.guarantors_called) == {"A", "B", "D"}


def test_capacity_rule_default_is_strictly_above_capacity() -> None:
    net = net_of(("A", "B", 100), ("B", "C", 50), ("D", "C", 30))
    # B is called for 50: capacity 50 survives, capacity 49 defaults and drags A in
    survives = cascade(net, "C", capacity_fen={"B": 50, "D": 30, "A": 0})
    assert [f for f, _ in survives.defaulted] == ["C"]
    assert survives.triggered_fen == 80
    fails = cascade(net, "C", capacity_fen={"B": 49, "D": 30, "A": 100})
    assert [f for f, _ in fails.defaulted] == ["C", "B"]
    assert fails.triggered_fen == 180
    table = contagion_exposure(net, capacity_fen={"B": 49, "D": 30, "A": 100})
    assert table.loc["C"].tolist() == [1, 180]


def test_called_amounts_accumulate_across_borrowers() -> None:
    # G guarantees X (60) and Y (60); capacity 100: one default is absorbed, two are not
    net = net_of(("G", "X", 60), ("G", "Y", 60), ("X", "Y", 1))
    one = cascade(net, "X", capacity_fen={"G": 100}, default_capacity_fen=10**9)
    assert [f for f, _ in one.defaulted] == ["X"]
    both = cascade(net, "Y", capacity_fen={"G": 100, "X": 0})
    assert [f for f, _ in both.defaulted] == ["Y", "X", "G"]


def test_members_of_a_circle_share_full_contagion_exposure() -> None:
    net = net_of(("A", "B", 10), ("B", "A", 20), ("E", "A", 5), ("B", "Z", 7))
    exp = contagion_exposure(net)
    assert exp.loc["A"].tolist() == exp.loc["B"].tolist() == [2, 35]
    assert exp.loc["Z"].tolist() == [3, 42]
    assert exp.loc["E"].tolist() == [0, 0]


def test_analyse_network_table_and_summary() -> None:
    net = net_of(("A", "B", 10), ("B", "A", 20), ("E", "A", 5), ("B", "Z", 7))
    report = analyse_network(net)
    firms = report.firms
    assert firms.loc["A", "circle_id"] == firms.loc["B", "circle_id"] == 0
    assert firms.loc["Z", "circle_id"] == -1
    assert firms.loc["A", "guaranteed_fen"] == 25
    assert firms.loc["B", "guaranteeing_fen"] == 27
    assert firms.loc["A", "short_cycles"] == 1
    assert report.summary["circles"] == 1
    assert report.summary["firms_in_circles"] == 2
    assert report.summary["total_fen"] == 42
    assert report.summary["max_cascade_firms"] == 3
    assert set(report.timings) == {"circles_s", "chains_s", "exposure_s"}


def test_invalid_guarantees_are_refused() -> None:
    with pytest.raises(GuaranteeInputError, match="integer number of fen"):
        GuaranteeNetwork([("A", "B", 10.5)])
    with pytest.raises(GuaranteeInputError, match="positive"):
        GuaranteeNetwork([Guarantee("A", "B", 0)])
    with pytest.raises(GuaranteeInputError, match="its own debt"):
        GuaranteeNetwork([("A", "A", 5)])
    with pytest.raises(GuaranteeInputError, match="must hold integer fen"):
        GuaranteeNetwork.from_frame(pd.DataFrame({"guarantor": ["A"], "borrower": ["B"], "amount_fen": [1.5]}))
    with pytest.raises(GuaranteeInputError, match="non-negative"):
        cascade(net_of(("A", "B", 1)), "B", capacity_fen={"A": -1})


def test_duplicate_guarantees_are_summed_and_frames_accepted() -> None:
    frame = pd.DataFrame({"guarantor": ["A", "A", "B"], "borrower": ["B", "B", "C"], "amount_fen": [5, 7, 1]})
    net = GuaranteeNetwork.from_frame(frame)
    assert net.n_guarantees == 2
    assert net.total_fen == 13
    assert net.graph["A"]["B"]["amount_fen"] == 12


# --- properties against networkx --------------------------------------------------------------------

edge_lists = st.lists(
    st.tuples(st.integers(0, 14), st.integers(0, 14), st.integers(1, 1_000)).filter(lambda e: e[0] != e[1]),
    min_size=1,
    max_size=45,
)


@settings(max_examples=60, deadline=None)
@given(edges=edge_lists, bound=st.integers(2, 5))
def test_circles_and_cycles_match_networkx(edges: list[tuple[int, int, int]], bound: int) -> None:
    net = GuaranteeNetwork(edges)
    g = net.graph
    circles = find_circles(net, max_cycle_length=bound)
    expected_sccs = sorted(sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1)
    assert sorted(sorted(c.firms) for c in circles) == expected_sccs
    expected_cycles = sorted(tuple(sorted(c)) + (len(c),) for c in nx.simple_cycles(g, length_bound=bound))
    got = sorted(tuple(sorted(c)) + (len(c),) for circle in circles for c in circle.cycles)
    assert got == expected_cycles


@settings(max_examples=25, deadline=None)
@given(edges=edge_lists)
def test_large_circle_search_path_agrees(edges: list[tuple[int, int, int]]) -> None:
    net = GuaranteeNetwork(edges)
    direct = [c.cycles for c in find_circles(net, max_cycle_length=4)]
    saved = guarantees_module._DIRECT_CYCLE_SEARCH_MAX
    guarantees_module._DIRECT_CYCLE_SEARCH_MAX = 0  # force the per-firm neighbourhood search
    try:
        searched = [c.cycles for c in find_circles(net, max_cycle_length=4)]
    finally:
        guarantees_module._DIRECT_CYCLE_SEARCH_MAX = saved
    assert searched == direct


@settings(max_examples=60, deadline=None)
@given(edges=edge_lists)
def test_full_contagion_exposure_matches_ancestors(edges: list[tuple[int, int, int]]) -> None:
    net = GuaranteeNetwork(edges)
    g = net.graph
    exp = contagion_exposure(net)
    simulated = contagion_exposure(net, capacity_fen={}, default_capacity_fen=0)
    assert exp.equals(simulated)
    for firm in net.firms:
        defaulted = nx.ancestors(g, firm) | {firm}
        assert exp.loc[firm, "cascade_firms"] == len(defaulted) - 1
        triggered = sum(a for u, v, a in g.edges(data="amount_fen") if v in defaulted)
        assert exp.loc[firm, "triggered_fen"] == triggered


@settings(max_examples=40, deadline=None)
@given(edges=edge_lists, limit=st.integers(0, 3))
def test_shared_closure_bases_give_exact_exposure(edges: list[tuple[int, int, int]], limit: int) -> None:
    net = GuaranteeNetwork(edges)
    expected = contagion_exposure(net, capacity_fen={})
    saved = guarantees_module._CLOSURE_EXTRA_LIMIT
    guarantees_module._CLOSURE_EXTRA_LIMIT = limit  # fold extras into shared bases almost every step
    try:
        shared = contagion_exposure(net)
    finally:
        guarantees_module._CLOSURE_EXTRA_LIMIT = saved
    assert shared.equals(expected)


@settings(max_examples=40, deadline=None)
@given(edges=edge_lists, capacity=st.integers(0, 3_000))
def test_more_capacity_never_spreads_a_cascade_further(edges: list[tuple[int, int, int]], capacity: int) -> None:
    net = GuaranteeNetwork(edges)
    tight = contagion_exposure(net, capacity_fen={}, default_capacity_fen=capacity)
    loose = contagion_exposure(net, capacity_fen={}, default_capacity_fen=capacity + 500)
    assert (loose["cascade_firms"] <= tight["cascade_firms"]).all()
    assert (loose["triggered_fen"] <= tight["triggered_fen"]).all()
