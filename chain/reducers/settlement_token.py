"""``SettlementToken`` events → balances and total supply (from ``Transfer``; mint is from the zero
address, burn to it), and whether the regulator has paused it (``Paused``/``Unpaused``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from chain.reducers._base import ZERO_ADDRESS, Event, Reducer

__all__ = ["REDUCER", "Balance", "TokenState"]

CONTRACT = "SettlementToken"  # noqa: S105 - a contract name, not a secret


@dataclass(slots=True)
class Balance:
    amount: int = 0
    #: key of the last event that changed this balance
    updated_key: str = ""


@dataclass
class TokenState:
    balances: dict[str, Balance] = field(default_factory=dict)
    total_supply: int = 0
    paused: bool = False
    anomalies: list[str] = field(default_factory=list)


def _apply_all(s: TokenState, events: Sequence[Event]) -> TokenState:
    """``Transfer``s: each sender loses ``value``, each recipient gains it; the zero address is the
    supply's side of a mint or a burn. Net changes are summed first and applied once per address (every
    transfer ever indexed runs through this loop); a balance is checked after the batch."""
    deltas: dict[str, int] = {}
    last: dict[str, str] = {}
    supply = 0
    for key, _, _, name, a, _ in events:
        if name != "Transfer":
            s.paused = name == "Paused"
            continue
        value = int(a["value"])
        if value == 0:
            continue
        src, dst = a["from"], a["to"]
        if src == ZERO_ADDRESS:
            supply += value
        else:
            deltas[src] = deltas.get(src, 0) - value
            last[src] = key
        if dst == ZERO_ADDRESS:
            supply -= value
        else:
            deltas[dst] = deltas.get(dst, 0) + value
            last[dst] = key
    s.total_supply += supply
    for address, delta in deltas.items():
        b = s.balances.get(address)
        if b is None:
            b = s.balances[address] = Balance()
        b.amount += delta
        b.updated_key = last[address]
        if b.amount < 0:
            s.anomalies.append(f"{b.updated_key} Transfer: balance of {address} is {b.amount}")
    return s


def _apply(s: TokenState, e: Event) -> TokenState:
    return _apply_all(s, (e,))


REDUCER: Reducer[TokenState] = Reducer(
    contract=CONTRACT,
    new_state=TokenState,
    apply=_apply,
    events=frozenset({"Transfer", "Paused", "Unpaused"}),
    apply_all=_apply_all,
)
