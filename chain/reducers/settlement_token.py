"""``SettlementToken`` events → balances and total supply (from ``Transfer``; mint is from the zero
address, burn to it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chain.reducers._base import ZERO_ADDRESS, Event, Reducer, dispatch, uint

__all__ = ["REDUCER", "Balance", "TokenState"]

CONTRACT = "SettlementToken"  # noqa: S105 - a contract name, not a secret


@dataclass
class Balance:
    amount: int = 0
    #: key of the last event that changed this balance
    updated_key: str = ""


@dataclass
class TokenState:
    balances: dict[str, Balance] = field(default_factory=dict)
    total_supply: int = 0
    anomalies: list[str] = field(default_factory=list)


def _move(s: TokenState, e: Event, address: str, delta: int) -> None:
    b = s.balances.get(address)
    if b is None:
        b = s.balances[address] = Balance()
    b.amount += delta
    b.updated_key = e.key
    if b.amount < 0:
        s.anomalies.append(f"{e.key} Transfer: balance of {address} is {b.amount}")


def _transfer(s: TokenState, e: Event) -> None:
    a = e.args
    value = uint(a["value"])
    if value == 0:
        return
    src, dst = a["from"], a["to"]
    if src == ZERO_ADDRESS:
        s.total_supply += value
    else:
        _move(s, e, src, -value)
    if dst == ZERO_ADDRESS:
        s.total_supply -= value
    else:
        _move(s, e, dst, value)


REDUCER: Reducer[TokenState] = Reducer(
    contract=CONTRACT, new_state=TokenState, apply=dispatch({"Transfer": _transfer}), events=frozenset({"Transfer"})
)
