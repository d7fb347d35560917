"""Members (``members`` table, ``MemberRow``) from the ``Consortium`` reducer's member events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any

from chain.reducers import Event
from chain.reducers.consortium import MEMBER_EVENTS, REDUCER, ConsortiumState, Member
from node_api.db.models import MemberRow
from node_api.projections._base import RowProjection, table_of

__all__ = ["MemberProjection"]


class MemberProjection(RowProjection[ConsortiumState, Member]):
    reducer = REDUCER
    events = MEMBER_EVENTS
    table = table_of(MemberRow)
    key = "address"

    def keys(self, event: Event) -> Iterable[str]:
        return (event.args["account"],)

    def load(self, row: Mapping[str, Any]) -> Member:
        return Member(**{c: row[c] for c in self.table.columns.keys()})  # noqa: SIM118 - Table columns

    def dump(self, key: str, entity: Member) -> dict[str, Any]:  # noqa: ARG002 - the key is in the entity
        return asdict(entity)

    def state(self, entities: dict[str, Member]) -> ConsortiumState:
        return ConsortiumState(members=entities)

    def entities(self, state: ConsortiumState) -> Mapping[str, Member]:
        return state.members
