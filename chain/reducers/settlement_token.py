"""``SettlementToken`` events → balances and total supply (from ``Transfer``; mint is from the zero
address, burn to it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chain.reducers._base import ZERO_ADDRESS, Event, Reducer

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


def _transfer(s: TokenState, e: Event) -> None:
    a = e.args
    value = int(a["value"])
    if value == 0:
        return
    balances = s.balances
    # the sender loses value, the recipient gains it; the zero address is the supply's side of it
    for address, delta in ((a["from"], -value), (a["to"], value)):
        if address == ZERO_ADDRESS:
            s.total_supply -= delta
            continue
        b = balances.get(address)
        if b is None:
            b = balances[address] = Balance()
        b.amount += delta
        b.updated_key = e.key
        if b.amount < 0:
            s.anomalies.append(f"{e.key} Transfer: balance of {address} is {b.amount}")


def _apply(s: TokenState, e: Event) -> TokenState:
    if e.name == "Transfer":
        _transfer(s, e)
    return s


REDUCER: Reducer[TokenState] = Reducer(
    contract=CONTRACT, new_state=TokenState, apply=_apply, events=frozenset({"Transfer"})
)
