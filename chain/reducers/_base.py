"""What every reducer shares: the event it reads, the ``Reducer`` record, and argument normalisers.

A reducer is a pure function ``apply(state, event) -> state`` over one contract's decoded events: no
database, no web3 objects, no clock, no logging. It mutates and returns a plain dataclass, so that the
gateway's projections (which load only the entities a page of events touches) and the auditor's replay
(which folds every event since the deployment) compute the same state from the same events. Something
a reducer cannot explain (a role change of an unknown member, a balance below zero) is appended to the
state's ``anomalies`` instead of being dropped: the projection logs it, the auditor fails on it.

Arguments arrive either as decoded (``bytes`` for fixed bytes, ``int``) or in their stored JSON form
(``0x``-hex strings, big integers as decimal strings); ``word`` and ``uint`` accept both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Generic, NamedTuple, TypeVar

from eth_utils.address import to_checksum_address

__all__ = ["ZERO_ADDRESS", "Event", "Reducer", "as_event", "checksum", "dispatch", "no_contracts", "uint", "word"]

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class Event(NamedTuple):
    """A decoded event as reducers see it (ordered by ``key``, the ``EventKey``). ``address`` is the emitting
    contract's checksum address where the source knows it (``""`` otherwise): a projection of a contract
    deployed many times (one ``AssetFractions`` per asset) keys its rows by it."""

    key: str
    block_number: int
    contract: str
    name: str
    args: Mapping[str, Any]
    address: str = ""


def as_event(item: Any) -> Event:
    """An ``Event`` from a ``chain.events.DecodedEvent``, an ``EventRow`` tuple or an ``Event``."""
    if isinstance(item, Event):
        return item
    if isinstance(item, tuple):  # an EventRow (see chain.events)
        return Event(item[0], item[1], item[6], item[8], item[9], item[7])
    return Event(item.key, item.block_number, item.contract, item.name, item.args, getattr(item, "address", ""))


def word(value: Any) -> str:
    """A fixed-size bytes argument (``bytes32``, ``bytes4``) as lower-case ``0x``-hex."""
    return value.lower() if isinstance(value, str) else "0x" + bytes(value).hex()


def uint(value: Any) -> int:
    """An integer argument (JSON stores values above 2**53 as decimal strings)."""
    return int(value)


#: an address's EIP-55 checksum form (a keccak each, on the indexer's hot path: remembered, since the
#: same few holders, issuers and contracts recur in every page of events)
checksum = lru_cache(maxsize=65_536)(to_checksum_address)


S = TypeVar("S")


def no_contracts(event: Event) -> Sequence[tuple[str, str]]:  # noqa: ARG001 - the default hook
    return ()


@dataclass(frozen=True)
class Reducer(Generic[S]):
    """One contract's reducer: which events change its state, how, and which contracts they create.

    ``creates(event)`` returns ``(address, contract name)`` pairs of contracts deployed by a factory
    event (e.g. a fractions factory's ``FractionsIssued(address token)``): the indexer starts following
    them from that event's block, and the auditor's replay decodes their logs with that contract's ABI.
    """

    contract: str
    new_state: Callable[[], S]
    apply: Callable[[S, Event], S]
    events: frozenset[str]
    creates: Callable[[Event], Sequence[tuple[str, str]]] = no_contracts
    #: events whose ``creates`` may return something (the indexer looks only at these)
    factory_events: frozenset[str] = field(default_factory=frozenset)
    #: the same as ``apply`` over a batch of this contract's events, where that is much cheaper than one
    #: call per event (projections use it; ``fold`` stays event by event, as the auditor needs)
    apply_all: Callable[[S, Sequence[Event]], S] | None = None

    def run(self, state: S, events: Sequence[Event]) -> S:
        """Apply a batch of this contract's ``events`` (in key order) to ``state``."""
        if self.apply_all is not None:
            return self.apply_all(state, events)
        apply = self.apply
        for e in events:
            state = apply(state, e)
        return state

    def fold(self, events: Sequence[Any], state: S | None = None) -> S:
        """Apply ``events`` (in key order; other contracts' events are skipped) to ``state`` or a new one."""
        out = self.new_state() if state is None else state
        for item in events:
            e = as_event(item)
            if e.contract == self.contract and e.name in self.events:
                out = self.apply(out, e)
        return out


def dispatch(handlers: Mapping[str, Callable[[S, Event], None]]) -> Callable[[S, Event], S]:
    """A reducer ``apply`` from ``{event name: handler(state, event)}`` (other names leave the state alone)."""

    def apply(state: S, event: Event) -> S:
        handler = handlers.get(event.name)
        if handler is not None:
            handler(state, event)
        return state

    return apply
