"""Guarantee networks (担保圈): circles, chains and contagion exposure, with networkx.

A guarantee ``(guarantor, borrower, amount_fen)`` is a directed edge ``guarantor -> borrower``: if the
borrower defaults, the guarantor is called to pay ``amount_fen`` (integer minor units). Several
guarantees between the same pair are summed.

* **Circle**: a strongly connected component with two or more firms (every member guarantees, directly
  or through others, every other member). Within each circle the short simple cycles of at most
  ``max_cycle_length`` firms are listed (mutual guarantees are 2-cycles).
* **Chain**: a sequence of distinct firms each guaranteeing the next. :func:`guarantee_chains` lists
  the maximal chains of at most ``max_hops`` hops through one firm; for every firm,
  ``chain_hops_up`` / ``chain_hops_down`` give the longest chain of guarantors above it / of borrowers
  below it, counted on the condensation (a circle counts as one link), capped at ``max_hops``.
* **Cascade rule**: when a firm defaults, every guarantee on its debts is triggered (its guarantors are
  called for the full amount). A called guarantor defaults when the total it is called for exceeds its
  capacity (strictly greater); firms missing from ``capacity_fen`` get ``default_capacity_fen``. With
  no capacities (the default) every called guarantor defaults: full contagion along guarantee edges,
  the worst case. The cascade repeats until no new firm defaults; the result does not depend on order.
  For each firm the **exposure** is ``cascade_firms`` (firms that default because it did, itself
  excluded) and ``triggered_fen`` (the sum of all guarantees triggered in its cascade).

Scaling: circles use ``strongly_connected_components``; short cycles are enumerated with
``simple_cycles(length_bound=...)`` only on firms that lie on a closed walk of at most that length
(found with sparse matrix products), and very large circles are searched one firm at a time inside its
bounded neighbourhood (networkx's own driver recomputes components after every firm, which is quadratic).
Full-contagion exposure for every firm is accumulated over the condensation DAG in topological order,
so members of a circle share one computation; ancestor sets are sorted arrays split into a shared
base and a small private part (see ``_Closures``), freed once their last successor has used them.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from analytics._exceptions import CapacityExceededError, GuaranteeInputError

__all__ = [
    "Cascade",
    "Guarantee",
    "GuaranteeCircle",
    "GuaranteeNetwork",
    "NetworkReport",
    "analyse_network",
    "cascade",
    "chain_hops",
    "contagion_exposure",
    "find_circles",
    "guarantee_chains",
]

logger = logging.getLogger(__name__)

Firm = Hashable
_DIRECT_CYCLE_SEARCH_MAX = 400
_CLOSURE_EXTRA_LIMIT = 1024


@dataclass(frozen=True)
class Guarantee:
    """``guarantor`` guarantees ``amount_fen`` (integer minor units, > 0) of ``borrower``'s debt."""

    guarantor: Firm
    borrower: Firm
    amount_fen: int


def _check_amount(amount: object, where: str) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int | np.integer):
        raise GuaranteeInputError(f"{where}: amount_fen must be an integer number of fen, got {amount!r}")
    value = int(amount)
    if value <= 0:
        raise GuaranteeInputError(f"{where}: amount_fen must be positive, got {value}")
    return value


class GuaranteeNetwork:
    """The guarantee graph. Firms are numbered internally in first-seen order, which fixes every output order."""

    def __init__(self, guarantees: Iterable[Guarantee | tuple[Firm, Firm, int]], *, firms: Iterable[Firm] = ()) -> None:
        self._index: dict[Firm, int] = {}
        self._labels: list[Firm] = []
        for firm in firms:
            self._add_firm(firm)
        amounts: dict[tuple[int, int], int] = {}
        for n, item in enumerate(guarantees):
            g, b, amount = (item.guarantor, item.borrower, item.amount_fen) if isinstance(item, Guarantee) else item
            where = f"guarantee #{n} ({g!r} -> {b!r})"
            value = _check_amount(amount, where)
            if g == b:
                raise GuaranteeInputError(f"{where}: a firm cannot guarantee its own debt")
            key = (self._add_firm(g), self._add_firm(b))
            amounts[key] = amounts.get(key, 0) + value
        graph = nx.DiGraph()
        graph.add_nodes_from(range(len(self._labels)))
        graph.add_weighted_edges_from(((u, v, a) for (u, v), a in amounts.items()), weight="amount_fen")
        self._g = graph

    def _add_firm(self, firm: Firm) -> int:
        if firm is None:
            raise GuaranteeInputError("a firm id cannot be None")
        idx = self._index.get(firm)
        if idx is None:
            idx = self._index[firm] = len(self._labels)
            self._labels.append(firm)
        return idx

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        guarantor: str = "guarantor",
        borrower: str = "borrower",
        amount: str = "amount_fen",
    ) -> GuaranteeNetwork:
        """Build from a frame with one guarantee per row; the amount column must hold integers."""
        missing = [c for c in (guarantor, borrower, amount) if c not in frame.columns]
        if missing:
            raise GuaranteeInputError(f"guarantee frame lacks columns {missing}")
        if not pd.api.types.is_integer_dtype(frame[amount].dtype):
            raise GuaranteeInputError(f"column {amount!r} must hold integer fen, has dtype {frame[amount].dtype}")
        rows = zip(frame[guarantor].tolist(), frame[borrower].tolist(), frame[amount].tolist(), strict=True)
        return cls(rows)

    # --- read-only accessors ---------------------------------------------------------------------

    @property
    def graph(self) -> nx.DiGraph:
        """A read-only view with the firms' own labels (edge attribute ``amount_fen``)."""
        return nx.relabel_nodes(self._g, dict(enumerate(self._labels)), copy=True).copy(as_view=True)

    @property
    def firms(self) -> list[Firm]:
        return list(self._labels)

    @property
    def n_firms(self) -> int:
        return len(self._labels)

    @property
    def n_guarantees(self) -> int:
        return int(self._g.number_of_edges())

    @property
    def total_fen(self) -> int:
        return sum(int(a) for _, _, a in self._g.edges(data="amount_fen"))

    def index_of(self, firm: Firm) -> int:
        try:
            return self._index[firm]
        except KeyError:
            raise GuaranteeInputError(f"firm {firm!r} is not in the network") from None

    def label(self, idx: int) -> Firm:
        return self._labels[idx]

    def guarantees(self) -> Iterator[Guarantee]:
        for u, v, a in self._g.edges(data="amount_fen"):
            yield Guarantee(self._labels[u], self._labels[v], int(a))


# --- circles --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuaranteeCircle:
    """A strongly connected group of firms, the guarantees among them and its short simple cycles."""

    circle_id: int
    firms: tuple[Firm, ...]
    internal_fen: int
    guarantees: int
    cycles: tuple[tuple[Firm, ...], ...]
    cycles_truncated: bool = False

    @property
    def size(self) -> int:
        return len(self.firms)


def _canonical(cycle: list[int]) -> tuple[int, ...]:
    start = cycle.index(min(cycle))
    return tuple(cycle[start:] + cycle[:start])


def _short_cycle_nodes(h: nx.DiGraph, max_length: int) -> np.ndarray:
    """Nodes of ``h`` lying on a closed walk of length 2..max_length (hence on a simple cycle that short)."""
    n = h.number_of_nodes()
    nodes = np.fromiter(h.nodes, dtype=np.int64, count=n)
    if n == 0 or max_length < 2:
        return np.zeros(0, dtype=np.int64)
    pos = {int(v): i for i, v in enumerate(nodes)}
    edges = np.array([(pos[u], pos[v]) for u, v in h.edges], dtype=np.int64).reshape(-1, 2)
    a = sp.csr_matrix((np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(n, n))
    powers = [a]
    for _ in range(1, math.ceil(max_length / 2)):
        nxt = (powers[-1] @ a).tocsr()
        nxt.data[:] = 1
        powers.append(nxt)
    on_cycle = np.zeros(n, dtype=bool)
    for k in range(2, max_length + 1):
        hi, lo = math.ceil(k / 2), k // 2
        closed = powers[hi - 1].multiply(powers[lo - 1].T.tocsr())
        on_cycle |= np.asarray(closed.sum(axis=1)).ravel() > 0
    return nodes[on_cycle]


def _cycles_in_component(w: nx.DiGraph, max_length: int) -> Iterator[list[int]]:
    if w.number_of_nodes() <= _DIRECT_CYCLE_SEARCH_MAX:
        yield from nx.simple_cycles(w, length_bound=max_length)
        return
    work = nx.DiGraph(w)
    reverse = work.reverse(copy=False)
    for v in sorted(work.nodes):
        ahead = nx.single_source_shortest_path_length(work, v, cutoff=max_length - 1)
        if len(ahead) > 1:
            behind = nx.single_source_shortest_path_length(reverse, v, cutoff=max_length - 1)
            near = [u for u, d in ahead.items() if u != v and d + behind.get(u, max_length) <= max_length]
            if near:
                for cyc in nx.simple_cycles(work.subgraph([v, *near]), length_bound=max_length):
                    if v in cyc:
                        yield cyc
        work.remove_node(v)


def _circles(
    net: GuaranteeNetwork, *, max_cycle_length: int, max_cycles: int
) -> tuple[list[list[int]], list[list[tuple[int, ...]]], bool]:
    g = net._g
    comps = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    comps.sort(key=lambda c: (-len(c), c[0]))
    member = {v: i for i, c in enumerate(comps) for v in c}
    cycles: list[list[tuple[int, ...]]] = [[] for _ in comps]
    truncated = False
    if max_cycle_length >= 2 and comps:
        internal = nx.DiGraph()
        internal.add_nodes_from(member)
        internal.add_edges_from((u, v) for u, v in g.edges(member) if member.get(v) == member[u])
        candidates = _short_cycle_nodes(internal, max_cycle_length)
        w = internal.subgraph(candidates.tolist())
        found = 0
        for part in sorted((sorted(c) for c in nx.strongly_connected_components(w) if len(c) > 1), key=lambda c: c[0]):
            for cyc in _cycles_in_component(w.subgraph(part), max_cycle_length):
                if found >= max_cycles:
                    truncated = True
                    break
                cycles[member[cyc[0]]].append(_canonical(cyc))
                found += 1
            if truncated:
                break
        for lst in cycles:
            lst.sort(key=lambda c: (len(c), c))
    return comps, cycles, truncated


def find_circles(
    net: GuaranteeNetwork, *, max_cycle_length: int = 4, max_cycles: int = 100_000
) -> list[GuaranteeCircle]:
    """Every circle (largest first) with its simple cycles of at most ``max_cycle_length`` firms.

    At most ``max_cycles`` cycles are listed in total; ``cycles_truncated`` marks circles cut short.
    """
    if max_cycle_length < 0:
        raise GuaranteeInputError(f"max_cycle_length must be >= 0, got {max_cycle_length}")
    comps, cycles, truncated = _circles(net, max_cycle_length=max_cycle_length, max_cycles=max_cycles)
    g = net._g
    out = []
    for i, (members, cyc) in enumerate(zip(comps, cycles, strict=True)):
        inside = set(members)
        edges = [(u, v, a) for u, v, a in g.edges(members, data="amount_fen") if v in inside]
        out.append(
            GuaranteeCircle(
                circle_id=i,
                firms=tuple(net.label(v) for v in members),
                internal_fen=sum(int(a) for _, _, a in edges),
                guarantees=len(edges),
                cycles=tuple(tuple(net.label(v) for v in c) for c in cyc),
                cycles_truncated=truncated,
            )
        )
    return out


# --- chains ---------------------------------------------------------------------------------------


def guarantee_chains(
    net: GuaranteeNetwork,
    firm: Firm,
    *,
    max_hops: int = 6,
    direction: Literal["guarantors", "borrowers"] = "guarantors",
    limit: int = 1000,
) -> list[tuple[Firm, ...]]:
    """Maximal chains of at most ``max_hops`` hops ending at ``firm`` (its guarantors, their guarantors...)
    or starting at it (``direction="borrowers"``), each written guarantor first.

    A chain is maximal when it has ``max_hops`` hops or cannot be extended by a firm not already on it.
    """
    if max_hops < 1:
        raise GuaranteeInputError(f"max_hops must be >= 1, got {max_hops}")
    start = net.index_of(firm)
    g = net._g if direction == "borrowers" else net._g.reverse(copy=False)
    reach = set(nx.single_source_shortest_path_length(g, start, cutoff=max_hops)) - {start}
    chains: list[tuple[Firm, ...]] = []
    if not reach:
        return chains
    for path in nx.all_simple_paths(g, start, reach, cutoff=max_hops):
        on_path = set(path)
        if len(path) - 1 < max_hops and any(s not in on_path for s in g.successors(path[-1])):
            continue
        ordered = path if direction == "borrowers" else path[::-1]
        chains.append(tuple(net.label(v) for v in ordered))
        if len(chains) >= limit:
            break
    return chains


def _condensation(net: GuaranteeNetwork) -> tuple[nx.DiGraph, np.ndarray, list[int]]:
    cond = nx.condensation(net._g)
    unit_of = np.empty(net.n_firms, dtype=np.int64)
    for firm, unit in cond.graph["mapping"].items():
        unit_of[firm] = unit
    return cond, unit_of, list(nx.topological_sort(cond))


def chain_hops(net: GuaranteeNetwork, *, max_hops: int = 6) -> pd.DataFrame:
    """Per firm, the longest chain of guarantors above it and of borrowers below it (capped, circles = one link)."""
    cond, unit_of, order = _condensation(net)
    up = _longest(cond, order, max_hops, forward=True)
    down = _longest(cond, order, max_hops, forward=False)
    return pd.DataFrame(
        {"chain_hops_up": up[unit_of], "chain_hops_down": down[unit_of]}, index=pd.Index(net.firms, name="firm")
    )


def _longest(cond: nx.DiGraph, order: list[int], cap: int, *, forward: bool) -> np.ndarray:
    depth = np.zeros(cond.number_of_nodes(), dtype=np.int64)
    sequence = order if forward else order[::-1]
    neighbours = cond.predecessors if forward else cond.successors
    for u in sequence:
        best = 0
        for p in neighbours(u):
            best = max(best, int(depth[p]) + 1)
            if best >= cap:
                best = cap
                break
        depth[u] = best
    return depth


# --- contagion ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cascade:
    """What one firm's default sets off: firms defaulting by round, and every guarantee triggered."""

    firm: Firm
    defaulted: tuple[tuple[Firm, int], ...]
    triggered: tuple[Guarantee, ...]

    @property
    def cascade_firms(self) -> int:
        return len(self.defaulted) - 1

    @property
    def triggered_fen(self) -> int:
        return sum(g.amount_fen for g in self.triggered)

    @property
    def guarantors_called(self) -> tuple[Firm, ...]:
        seen: dict[Firm, None] = {}
        for g in self.triggered:
            seen.setdefault(g.guarantor, None)
        return tuple(seen)


def _capacities(
    net: GuaranteeNetwork, capacity_fen: Mapping[Any, int] | None, default_capacity_fen: int
) -> np.ndarray | None:
    if capacity_fen is None:
        return None
    _check_capacity(default_capacity_fen, "default_capacity_fen")
    cap = np.full(net.n_firms, default_capacity_fen, dtype=np.int64)
    for firm, value in capacity_fen.items():
        cap[net.index_of(firm)] = _check_capacity(value, f"capacity of {firm!r}")
    return cap


def _check_capacity(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < 0:
        raise GuaranteeInputError(f"{where} must be a non-negative integer number of fen, got {value!r}")
    return int(value)


def _simulate(
    g: nx.DiGraph, start: int, cap: Callable[[int], int] | None
) -> tuple[list[tuple[int, int]], list[tuple[int, int, int]]]:
    defaulted = {start: 0}
    order = [(start, 0)]
    triggered: list[tuple[int, int, int]] = []
    called: dict[int, int] = {}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        step = defaulted[v] + 1
        for u, _, amount in g.in_edges(v, data="amount_fen"):
            triggered.append((u, v, int(amount)))
            if u in defaulted:
                continue
            called[u] = called.get(u, 0) + int(amount)
            if cap is None or called[u] > cap(u):
                defaulted[u] = step
                order.append((u, step))
                queue.append(u)
    return order, triggered


def cascade(
    net: GuaranteeNetwork,
    firm: Firm,
    *,
    capacity_fen: Mapping[Any, int] | None = None,
    default_capacity_fen: int = 0,
) -> Cascade:
    """Simulate ``firm``'s default under the module's cascade rule (capacities are checked as they are read)."""
    start = net.index_of(firm)
    cap_of: Callable[[int], int] | None = None
    if capacity_fen is not None:
        default = _check_capacity(default_capacity_fen, "default_capacity_fen")
        capacities = capacity_fen

        def cap_of(u: int) -> int:
            label = net.label(u)
            return _check_capacity(capacities.get(label, default), f"capacity of {label!r}")

    order, triggered = _simulate(net._g, start, cap_of)
    return Cascade(
        firm=firm,
        defaulted=tuple((net.label(v), r) for v, r in order),
        triggered=tuple(Guarantee(net.label(u), net.label(v), a) for u, v, a in triggered),
    )


def contagion_exposure(
    net: GuaranteeNetwork,
    *,
    capacity_fen: Mapping[Any, int] | None = None,
    default_capacity_fen: int = 0,
    max_closure_entries: int = 300_000_000,
) -> pd.DataFrame:
    """``cascade_firms`` and ``triggered_fen`` for every firm (index: firm).

    Without capacities (full contagion) this is exact and runs over the condensation DAG; with
    capacities each firm's cascade is simulated (cost: the sum of all cascade sizes).
    """
    cap = _capacities(net, capacity_fen, default_capacity_fen)
    n = net.n_firms
    firms_out = np.zeros(n, dtype=np.int64)
    fen_out = np.zeros(n, dtype=np.int64)
    if cap is not None:
        caps = cap

        def cap_of(u: int) -> int:
            return int(caps[u])

        for v in range(n):
            defaulted, triggered = _simulate(net._g, v, cap_of)
            firms_out[v] = len(defaulted) - 1
            fen_out[v] = sum(a for _, _, a in triggered)
    else:
        cond, unit_of, order = _condensation(net)
        size = np.bincount(unit_of, minlength=cond.number_of_nodes()).astype(np.int64)
        in_fen = np.zeros(cond.number_of_nodes(), dtype=np.int64)
        for _, v, a in net._g.edges(data="amount_fen"):
            in_fen[unit_of[v]] += int(a)
        unit_firms, unit_fen = _ancestor_sums(cond, order, size, in_fen, max_closure_entries)
        firms_out = unit_firms[unit_of] - 1
        fen_out = unit_fen[unit_of]
    return pd.DataFrame({"cascade_firms": firms_out, "triggered_fen": fen_out}, index=pd.Index(net.firms, name="firm"))


class _Closures:
    """Ancestor closures of DAG units, each held as a shared *base* (a sorted array, reused by every unit
    downstream of it) plus a small private *extra* array disjoint from the base.

    Guarantee networks funnel through a few big circles, so most closures are "everything upstream of
    that circle, plus a handful of local firms": storing that part once keeps the work near-linear where
    plain sets would cost the sum of all closure sizes. A unit's extras are folded into a new base when
    they exceed ``limit``; unions of several bases are computed once per combination (bases known to
    contain one another are not re-merged).
    """

    def __init__(self, size: np.ndarray, in_fen: np.ndarray, *, limit: int, max_entries: int) -> None:
        self.size, self.in_fen, self.limit, self.max_entries = size, in_fen, limit, max_entries
        self.bases: list[np.ndarray] = []
        self.sums: list[tuple[int, int]] = []
        self.contains: list[frozenset[int]] = []
        self.merged: dict[frozenset[int], int] = {}
        self.stored = 0

    def _count(self, n: int) -> None:
        self.stored += n
        if self.stored > self.max_entries:
            raise CapacityExceededError(
                f"full-contagion exposure needs more than {self.max_entries} ancestor entries in memory; "
                "pass capacities (capacity_fen) or raise max_closure_entries"
            )

    def new_base(self, arr: np.ndarray, contains: Iterable[int]) -> int:
        bid = len(self.bases)
        self.bases.append(arr)
        self.sums.append((int(self.size[arr].sum()), int(self.in_fen[arr].sum())))
        self.contains.append(frozenset(contains) | {bid})
        self._count(len(arr))
        return bid

    def merge(self, ids: set[int]) -> int:
        """A base equal to the union of the bases ``ids``."""
        kept = {i for i in ids if not any(j != i and i in self.contains[j] for j in ids)}
        if len(kept) == 1:
            return next(iter(kept))
        key = frozenset(kept)
        bid = self.merged.get(key)
        if bid is None:
            arr = np.unique(np.concatenate([self.bases[i] for i in sorted(kept)]))
            bid = self.new_base(arr, frozenset().union(*(self.contains[i] for i in kept)))
            self.merged[key] = bid
        return bid

    def outside(self, bid: int, values: np.ndarray) -> np.ndarray:
        """``values`` (sorted) without the members of base ``bid``."""
        if bid < 0 or len(values) == 0:
            return values
        base = self.bases[bid]
        pos = np.minimum(np.searchsorted(base, values), len(base) - 1)
        return np.asarray(values[base[pos] != values])


def _ancestor_sums(
    cond: nx.DiGraph, order: list[int], size: np.ndarray, in_fen: np.ndarray, max_entries: int
) -> tuple[np.ndarray, np.ndarray]:
    """For every unit of the DAG, sums of ``size`` and ``in_fen`` over itself and all its ancestors."""
    k = cond.number_of_nodes()
    closures = _Closures(size, in_fen, limit=_CLOSURE_EXTRA_LIMIT, max_entries=max_entries)
    remaining = np.array([cond.out_degree(u) for u in range(k)], dtype=np.int64)
    held: dict[int, tuple[int, np.ndarray]] = {}
    total_size = np.zeros(k, dtype=np.int64)
    total_fen = np.zeros(k, dtype=np.int64)
    for u in order:
        preds = list(cond.predecessors(u))
        own = np.array([u], dtype=np.int32)
        bases = {held[p][0] for p in preds if held[p][0] >= 0}
        bid = closures.merge(bases) if bases else -1
        if not preds:
            extra = own
        elif len(preds) == 1:
            extra = np.append(held[preds[0]][1], own)  # a DAG: u is not upstream of its predecessor
            extra.sort()
        else:
            extra = np.unique(np.concatenate([held[p][1] for p in preds] + [own]))
        extra = closures.outside(bid, extra)
        if len(extra) > closures.limit:
            merged = np.union1d(closures.bases[bid], extra) if bid >= 0 else extra
            bid = closures.new_base(merged, closures.contains[bid] if bid >= 0 else ())
            extra = np.zeros(0, dtype=np.int32)
        base_size, base_fen = closures.sums[bid] if bid >= 0 else (0, 0)
        total_size[u] = base_size + int(size[extra].sum())
        total_fen[u] = base_fen + int(in_fen[extra].sum())
        for p in preds:
            remaining[p] -= 1
            if remaining[p] == 0:
                closures.stored -= len(held.pop(p)[1])
        if remaining[u] > 0:
            held[u] = (bid, extra)
            closures._count(len(extra))
    return total_size, total_fen


# --- one call for everything ----------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkReport:
    """Circles, a per-firm table (degrees, amounts, circle, cycles, chain hops, exposure) and a summary."""

    circles: list[GuaranteeCircle]
    firms: pd.DataFrame
    summary: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


def analyse_network(
    net: GuaranteeNetwork,
    *,
    max_cycle_length: int = 4,
    max_hops: int = 6,
    max_cycles: int = 100_000,
    capacity_fen: Mapping[Any, int] | None = None,
    default_capacity_fen: int = 0,
) -> NetworkReport:
    """Circles, chains and exposure for every firm, in one pass."""
    timings: dict[str, float] = {}
    t = time.perf_counter()
    circles = find_circles(net, max_cycle_length=max_cycle_length, max_cycles=max_cycles)
    timings["circles_s"] = time.perf_counter() - t
    t = time.perf_counter()
    hops = chain_hops(net, max_hops=max_hops)
    timings["chains_s"] = time.perf_counter() - t
    t = time.perf_counter()
    exposure = contagion_exposure(net, capacity_fen=capacity_fen, default_capacity_fen=default_capacity_fen)
    timings["exposure_s"] = time.perf_counter() - t
    g = net._g
    n = net.n_firms
    circle_id = np.full(n, -1, dtype=np.int64)
    circle_size = np.zeros(n, dtype=np.int64)
    cycle_count = np.zeros(n, dtype=np.int64)
    for c in circles:
        for firm in c.firms:
            circle_id[net.index_of(firm)] = c.circle_id
            circle_size[net.index_of(firm)] = c.size
        for cyc in c.cycles:
            for firm in cyc:
                cycle_count[net.index_of(firm)] += 1
    in_fen = np.zeros(n, dtype=np.int64)
    out_fen = np.zeros(n, dtype=np.int64)
    for u, v, a in g.edges(data="amount_fen"):
        out_fen[u] += int(a)
        in_fen[v] += int(a)
    firms = pd.DataFrame(
        {
            "guarantors": np.array([g.in_degree(v) for v in range(n)], dtype=np.int64),
            "guaranteed_firms": np.array([g.out_degree(v) for v in range(n)], dtype=np.int64),
            "guaranteed_fen": in_fen,
            "guaranteeing_fen": out_fen,
            "circle_id": circle_id,
            "circle_size": circle_size,
            "short_cycles": cycle_count,
        },
        index=pd.Index(net.firms, name="firm"),
    )
    firms = firms.join(hops).join(exposure)
    summary = {
        "firms": n,
        "guarantees": net.n_guarantees,
        "total_fen": net.total_fen,
        "circles": len(circles),
        "firms_in_circles": int((circle_id >= 0).sum()),
        "largest_circle": max((c.size for c in circles), default=0),
        "short_cycles": sum(len(c.cycles) for c in circles),
        "cycles_truncated": any(c.cycles_truncated for c in circles),
        "max_cycle_length": max_cycle_length,
        "max_hops": max_hops,
        "firms_at_max_chain": int(
            ((firms["chain_hops_up"] >= max_hops) | (firms["chain_hops_down"] >= max_hops)).sum()
        ),
        "cascade_rule": "full contagion" if capacity_fen is None else "capacity",
        "max_cascade_firms": int(firms["cascade_firms"].max()) if n else 0,
    }
    logger.info(
        "analytics.guarantees.analysed firms=%d guarantees=%d circles=%d cycles=%d seconds=%.1f",
        n,
        net.n_guarantees,
        len(circles),
        summary["short_cycles"],
        sum(timings.values()),
    )
    return NetworkReport(circles=circles, firms=firms, summary=summary, timings=timings)
