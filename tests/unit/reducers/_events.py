"""Hand-built events for reducer tests: keys in order, one event per block."""

from __future__ import annotations

from typing import Any

from chain.events import event_key
from chain.reducers import Event

A = "0x" + "a1" * 20
B = "0x" + "b2" * 20
C = "0x" + "c3" * 20


class Script:
    """Builds events of one contract with strictly increasing keys."""

    def __init__(self, contract: str) -> None:
        self.contract = contract
        self.block = 0

    def __call__(self, name: str, **args: Any) -> Event:
        self.block += 1
        return Event(event_key(self.block, 0, 0), self.block, self.contract, name, args)
