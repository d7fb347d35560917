"""``BoundContract``: a deployed contract's ABI bound to an address and a ``ChainClient``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chain._abi import AbiFunction
from chain.client import ChainClient, Receipt, Sender, TxRequest
from chain.events import DecodedEvent, EventDecoder

__all__ = ["BoundContract"]


class BoundContract:
    """Encodes calls with precomputed selectors, decodes results, reverts and receipt events."""

    contract_name: str = ""

    def __init__(self, client: ChainClient, address: str, abi: list[dict[str, Any]]) -> None:
        self.client = client
        self.address = address
        self.abi = abi
        self._functions: dict[str, AbiFunction] = {}
        for item in abi:
            if item.get("type") == "function":
                fn = AbiFunction.from_abi(item)
                # overloads are addressed as name(types); the bare name maps to the first declared
                self._functions.setdefault(fn.name, fn)
                self._functions[f"{fn.name}({','.join(fn.input_types)})"] = fn
        client.register_abi(abi)
        self.decoder = EventDecoder({self.contract_name: abi}, {address: self.contract_name})

    def function(self, name: str) -> AbiFunction:
        try:
            return self._functions[name]
        except KeyError as exc:
            raise AttributeError(f"{self.contract_name} has no function {name!r}") from exc

    def request(self, fn: str, *args: Any, gas: int | None = None, value: int = 0) -> TxRequest:
        return TxRequest(self.address, self.function(fn).encode(args), value=value, gas=gas, label=fn)

    def call(self, fn: str, *args: Any, sender: str | None = None, block: int | str = "latest") -> Any:
        f = self.function(fn)
        return f.decode_output(self.client.call(self.address, f.encode(args), sender=sender, block=block))

    def transact(self, sender: Sender, fn: str, *args: Any, gas: int | None = None, value: int = 0) -> Receipt:
        return sender.transact(self.request(fn, *args, gas=gas, value=value))

    def events(self, receipt: Receipt, name: str | None = None) -> list[DecodedEvent]:
        """Events this contract emitted in ``receipt`` (strict: an unknown topic raises)."""
        decoded = self.decoder.decode_all((lg.as_rpc() for lg in receipt.logs), only_known=True)
        return [e for e in decoded if name is None or e.name == name]

    def events_between(
        self, *, from_block: int, to_block: int | None = None, name: str | None = None, indexed: Sequence[bytes] = ()
    ) -> list[DecodedEvent]:
        """This contract's events in a block range; with ``name`` only that event, filtered by the node on its
        leading ``indexed`` arguments (32-byte topic values) as well."""
        end = self.client.block_number() if to_block is None else to_block
        topics: list[str | None] | None = None
        if name is not None:
            topic0 = self.decoder.topic0(self.contract_name, name)
            topics = ["0x" + t.rjust(32, b"\0").hex() for t in (topic0, *indexed)]
        elif indexed:
            raise ValueError("indexed filters need the event name")
        logs = self.client.get_logs(address=self.address, from_block=from_block, to_block=end, topics=topics)
        return self.decoder.decode_all(logs)

    @staticmethod
    def first(events: Sequence[DecodedEvent], name: str) -> DecodedEvent:
        for e in events:
            if e.name == name:
                return e
        raise LookupError(f"no {name} event in the receipt")
