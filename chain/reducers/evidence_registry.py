"""``EvidenceRegistry`` events → anchored Merkle roots (a root is anchored once and never overwritten)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chain.reducers._base import Event, Reducer, dispatch, uint, word

__all__ = ["REDUCER", "Anchor", "EvidenceState"]

CONTRACT = "EvidenceRegistry"


@dataclass(frozen=True)
class Anchor:
    root: str
    submitter: str
    leaf_count: int
    meta_digest: str
    block_time: int
    block_number: int
    key: str


@dataclass
class EvidenceState:
    roots: dict[str, Anchor] = field(default_factory=dict)
    anomalies: list[str] = field(default_factory=list)


def _anchored(s: EvidenceState, e: Event) -> None:
    a = e.args
    root = word(a["root"])
    if root in s.roots:
        s.anomalies.append(f"{e.key} EvidenceAnchored: root {root} anchored again (first at {s.roots[root].key})")
        return
    s.roots[root] = Anchor(
        root, a["submitter"], uint(a["leafCount"]), word(a["metaDigest"]), uint(a["blockTime"]), e.block_number, e.key
    )


REDUCER: Reducer[EvidenceState] = Reducer(
    contract=CONTRACT,
    new_state=EvidenceState,
    apply=dispatch({"EvidenceAnchored": _anchored}),
    events=frozenset({"EvidenceAnchored"}),
)
