"""Event decoding with precomputed decoders; a Recourse log that matches no event is an error.

``EventKey = f"{block:012d}/{tx_index:06d}/{log_index:06d}"`` orders every event on the chain.
Logs are taken as raw JSON-RPC dicts (hex strings). Decoders are precomputed per event (see
``chain._abi.AbiEvent``): events whose parameters are all static words are decoded by slicing the data,
the others with one ``eth_abi.decode`` per log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_utils.address import to_checksum_address

from chain._abi import AbiEvent
from chain._exceptions import UndecodableLogError

__all__ = ["DecodedEvent", "EventDecoder", "event_key"]


def event_key(block: int, tx_index: int, log_index: int) -> str:
    return f"{block:012d}/{tx_index:06d}/{log_index:06d}"


@dataclass(frozen=True)
class DecodedEvent:
    key: str
    contract: str
    address: str
    name: str
    args: dict[str, Any]
    block_number: int
    block_hash: str
    tx_hash: str
    tx_index: int
    log_index: int
    removed: bool = False


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _bytes(value: Any) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


def _hex(value: Any) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


@lru_cache(maxsize=4_096)
def _checksum(address: str) -> str:
    return to_checksum_address(address)


class EventDecoder:
    """Decodes logs of known contracts (``{address: contract name}``) using their ABIs."""

    def __init__(self, abis: Mapping[str, list[dict[str, Any]]], addresses: Mapping[str, str]) -> None:
        self._by_contract: dict[str, dict[bytes, AbiEvent]] = {}
        for name, abi in abis.items():
            table: dict[bytes, AbiEvent] = {}
            for item in abi:
                if item.get("type") == "event" and not item.get("anonymous"):
                    ev = AbiEvent.from_abi(item)
                    table[ev.topic0] = ev
            self._by_contract[name] = table
        self._addresses = {addr.lower(): name for addr, name in addresses.items()}

    def add_address(self, address: str, contract: str) -> None:
        if contract not in self._by_contract:
            raise UndecodableLogError(f"no ABI registered for contract {contract!r}")
        self._addresses[address.lower()] = contract

    @property
    def addresses(self) -> list[str]:
        return [to_checksum_address(a) for a in self._addresses]

    def knows(self, address: str) -> bool:
        return address.lower() in self._addresses

    def decode(self, log: Mapping[str, Any]) -> DecodedEvent:
        """Decode one raw log; raise ``UndecodableLogError`` rather than ever dropping it."""
        raw = log["address"]
        address = (raw if isinstance(raw, str) else _hex(raw)).lower()
        contract = self._addresses.get(address)
        block, tx_index, log_index = (
            _int(log["blockNumber"]),
            _int(log["transactionIndex"]),
            _int(log["logIndex"]),
        )
        key = event_key(block, tx_index, log_index)
        if contract is None:
            raise UndecodableLogError(f"log {key} at {address}: address is not a known Recourse contract")
        raw_topics = log["topics"]
        if not raw_topics:
            raise UndecodableLogError(f"log {key} at {address}: anonymous log from {contract}")
        topics = [bytes.fromhex(t[2:]) if isinstance(t, str) else bytes(t) for t in raw_topics]
        event = self._by_contract[contract].get(topics[0])
        if event is None:
            raise UndecodableLogError(f"log {key} at {address}: topic {topics[0].hex()} matches no {contract} event")
        data = log["data"]
        try:
            args = event.decode(topics, bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data))
        except Exception as exc:  # noqa: BLE001 - any decoding failure is reported, never swallowed
            raise UndecodableLogError(f"log {key} at {address}: cannot decode {contract}.{event.name}: {exc}") from exc
        block_hash = log.get("blockHash", "0x")
        tx_hash = log["transactionHash"]
        return DecodedEvent(
            key=key,
            contract=contract,
            address=_checksum(address),
            name=event.name,
            args=args,
            block_number=block,
            block_hash=block_hash if isinstance(block_hash, str) else _hex(block_hash),
            tx_hash=tx_hash if isinstance(tx_hash, str) else _hex(tx_hash),
            tx_index=tx_index,
            log_index=log_index,
            removed=bool(log.get("removed", False)),
        )

    def decode_all(self, logs: Iterable[Mapping[str, Any]], *, only_known: bool = False) -> list[DecodedEvent]:
        """Decode every log; with ``only_known`` skip logs of addresses that are not Recourse contracts."""
        out = []
        for log in logs:
            if only_known and not self.knows(_hex(log["address"])):
                continue
            out.append(self.decode(log))
        return out
