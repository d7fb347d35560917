"""Pure event → state reducers, one module per contract, shared by the gateway's projections
(``node_api.projections``) and the auditor's replay.

``REDUCERS`` maps a contract name to its ``Reducer``; ``replay(events)`` folds events (``DecodedEvent``,
``EventRow`` or ``Event``, in key order) into ``{contract: state}`` for every contract that has a reducer.
Adding a contract means adding one module here with a ``REDUCER`` and listing it in ``REDUCERS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chain.reducers import (
    case_delegation,
    consortium,
    evidence_registry,
    judicial_auction,
    oracle_hub,
    settlement_token,
)
from chain.reducers._base import Event, Reducer, as_event

__all__ = ["REDUCERS", "Event", "Reducer", "as_event", "replay"]

REDUCERS: Mapping[str, Reducer[Any]] = {
    r.contract: r
    for r in (
        consortium.REDUCER,
        settlement_token.REDUCER,
        evidence_registry.REDUCER,
        case_delegation.REDUCER,
        oracle_hub.REDUCER,
        judicial_auction.REDUCER,
    )
}


def replay(events: Iterable[Any], reducers: Mapping[str, Reducer[Any]] = REDUCERS) -> dict[str, Any]:
    """Fold ``events`` (in key order) into a fresh state per contract; events of other contracts are skipped."""
    states: dict[str, Any] = {name: r.new_state() for name, r in reducers.items()}
    for item in events:
        e = as_event(item)
        r = reducers.get(e.contract)
        if r is not None and e.name in r.events:
            states[e.contract] = r.apply(states[e.contract], e)
    return states
