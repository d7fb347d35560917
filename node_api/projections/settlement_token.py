"""Balances (``balances`` table, ``BalanceRow``) from the ``SettlementToken`` reducer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chain.reducers import Event
from chain.reducers.settlement_token import REDUCER, Balance, TokenState
from node_api.db.models import BalanceRow
from node_api.projections._base import RowProjection, table_of

__all__ = ["BalanceProjection"]


class BalanceProjection(RowProjection[TokenState, Balance]):
    reducer = REDUCER
    #: balances only: the regulator's pause (``Paused``/``Unpaused``, which the reducer also follows) is read
    #: from the chain where the gateway shows it, and the auditor's replay compares it there
    events = frozenset({"Transfer"})
    table = table_of(BalanceRow)
    key = "address"

    def keys(self, event: Event) -> Iterable[str]:
        return (event.args["from"], event.args["to"])  # the zero address has no row: nothing is loaded

    def keys_of(self, events: Sequence[Event]) -> set[str]:
        # one pass without a call per event: every indexed transfer goes through here
        return {a for e in events for a in (e.args["from"], e.args["to"])}

    def load(self, row: Mapping[str, Any]) -> Balance:
        return Balance(int(row["amount"]), row["updated_key"])

    def dump(self, key: str, entity: Balance) -> dict[str, Any]:
        return {"address": key, "amount": entity.amount, "updated_key": entity.updated_key}

    def state(self, entities: dict[str, Balance]) -> TokenState:
        return TokenState(balances=entities)

    def entities(self, state: TokenState) -> Mapping[str, Balance]:
        return state.balances
