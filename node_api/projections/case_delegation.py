"""The case index (the indexed-state columns of ``case_entries``) from the ``CaseDelegation`` reducer.

The rows are created when this gateway publishes a batch (terms only, status ``open``); events about
cases published through other gateways are ignored. A rewind resets the cases whose last applied event
was above the ancestor block to their published state and replays the surviving case events: the
reducer skips events up to each case's ``last_event``, so only the reset cases change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, update

from chain.reducers import Event
from chain.reducers.case_delegation import CASE_EVENTS, REDUCER, Case, CaseDelegationState, case_of
from node_api.db.cases_models import CaseEntry
from node_api.projections._base import RowProjection, table_of
from node_api.services.events import block_boundary

__all__ = ["CaseProjection"]


class CaseProjection(RowProjection[CaseDelegationState, Case]):
    reducer = REDUCER
    events = CASE_EVENTS
    table = table_of(CaseEntry)
    key = "case_id"
    owns_rows = False

    def keys(self, event: Event) -> Iterable[str]:
        case_id = case_of(event)
        return () if case_id is None else (case_id,)

    def load(self, row: Mapping[str, Any]) -> Case:
        return Case(
            case_id=row["case_id"],
            status=row["status"],
            collector=row["collector"],
            recovered=int(row["recovered_fen"]),
            fees=int(row["fees_fen"]),
            last_event=row["last_event"],
        )

    def dump(self, key: str, entity: Case) -> dict[str, Any]:
        return {
            "case_id": key,
            "status": entity.status,
            "collector": entity.collector,
            "recovered_fen": entity.recovered,
            "fees_fen": entity.fees,
            "last_event": entity.last_event,
        }

    def state(self, entities: dict[str, Case]) -> CaseDelegationState:
        return CaseDelegationState(cases=entities)

    def entities(self, state: CaseDelegationState) -> Mapping[str, Case]:
        return state.cases

    def reset(self, conn: Connection, to_block: int) -> bool:
        rewound = conn.execute(
            update(self.table)
            .where(self.table.c.last_event > block_boundary(to_block))
            .values(status="open", collector=None, recovered_fen=0, fees_fen=0, last_event=None)
        ).rowcount
        return bool(rewound)
