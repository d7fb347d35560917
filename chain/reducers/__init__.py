"""Pure event → state reducers, one module per contract, shared by the gateway's projections
(``node_api.projections``) and the auditor's replay.

``REDUCERS`` maps a contract name to its ``Reducer``; ``replay(events)`` folds events (``DecodedEvent``,
``EventRow`` or ``Event``, in key order) into ``{contract: state}`` for every contract that has a reducer.
Adding a contract means adding one module here with a ``REDUCER`` and listing it in ``REDUCERS``.

A contract deployed many times by a factory (``PER_ADDRESS``: one ``AssetFractions`` token per asset) has one
state per address: ``replay`` gives ``{contract: {address: state}}`` for it, and needs events that carry their
address (``DecodedEvent`` or ``EventRow``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chain.reducers import (
    asset_fractions,
    case_delegation,
    consortium,
    dispute_desk,
    evidence_registry,
    gateway_directory,
    judicial_auction,
    oracle_hub,
    settlement_token,
)
from chain.reducers._base import Event, Reducer, as_event, checksum

__all__ = ["PER_ADDRESS", "REDUCERS", "Event", "Reducer", "as_event", "checksum", "replay"]

REDUCERS: Mapping[str, Reducer[Any]] = {
    r.contract: r
    for r in (
        consortium.REDUCER,
        settlement_token.REDUCER,
        evidence_registry.REDUCER,
        case_delegation.REDUCER,
        oracle_hub.REDUCER,
        judicial_auction.REDUCER,
        dispute_desk.REDUCER,
        asset_fractions.FACTORY_REDUCER,
        asset_fractions.ASSET_REDUCER,
        gateway_directory.REDUCER,
    )
}
#: contracts with one state per address (deployed by a factory, any number of times)
PER_ADDRESS = frozenset({asset_fractions.CONTRACT})


def replay(events: Iterable[Any], reducers: Mapping[str, Reducer[Any]] = REDUCERS) -> dict[str, Any]:
    """Fold ``events`` (in key order) into a fresh state per contract (per address for ``PER_ADDRESS``
    contracts: ``{address: state}``); events of other contracts are skipped."""
    states: dict[str, Any] = {name: {} if name in PER_ADDRESS else r.new_state() for name, r in reducers.items()}
    for item in events:
        e = as_event(item)
        r = reducers.get(e.contract)
        if r is None or e.name not in r.events:
            continue
        if e.contract in PER_ADDRESS:
            address = e.address
            if not address:
                raise ValueError(f"{e.key} {e.contract}.{e.name}: replay needs the address (an Event with one)")
            per_address: dict[str, Any] = states[e.contract]
            state = per_address[address] if address in per_address else r.new_state()
            per_address[address] = r.apply(state, e)
        else:
            states[e.contract] = r.apply(states[e.contract], e)
    return states
