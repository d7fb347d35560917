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

__all__ = ["DecodedEvent", "EventDecoder", "EventRow", "event_key"]

#: one decoded log as a plain tuple (the bulk path of ``EventDecoder.decode_rows``):
#: ``(key, block_number, block_hash, tx_hash, tx_index, log_index, contract, address, name, args)``
EventRow = tuple[str, int, str, str, int, int, str, str, str, dict[str, Any]]


def event_key(block: int, tx_index: int, log_index: int) -> str:
    return "%012d/%06d/%06d" % (block, tx_index, log_index)  # noqa: UP031 - the fastest form on the hot path


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
        self._checksums = {a: to_checksum_address(a) for a in self._addresses}

    def add_address(self, address: str, contract: str) -> None:
        if contract not in self._by_contract:
            raise UndecodableLogError(f"no ABI registered for contract {contract!r}")
        self._addresses[address.lower()] = contract
        self._checksums[address.lower()] = to_checksum_address(address)

    def topic0(self, contract: str, event: str) -> bytes:
        """The first topic (signature hash) of ``contract``'s event named ``event``."""
        for topic, ev in self._by_contract.get(contract, {}).items():
            if ev.name == event:
                return topic
        raise UndecodableLogError(f"{contract or 'the contract'} has no event {event!r}")

    @property
    def addresses(self) -> list[str]:
        return [to_checksum_address(a) for a in self._addresses]

    @property
    def contracts(self) -> dict[str, str]:
        """``{lower-case address: contract name}`` of every address this decoder decodes."""
        return dict(self._addresses)

    def knows(self, address: str) -> bool:
        return address.lower() in self._addresses

    def decode(self, log: Mapping[str, Any]) -> DecodedEvent:
        """Decode one raw log; raise ``UndecodableLogError`` rather than ever dropping it."""
        raw = log["address"]
        address = (raw if type(raw) is str else _hex(raw)).lower()
        contract = self._addresses.get(address)
        b, t, i = log["blockNumber"], log["transactionIndex"], log["logIndex"]
        block = int(b, 16) if type(b) is str else int(b)
        tx_index = int(t, 16) if type(t) is str else int(t)
        log_index = int(i, 16) if type(i) is str else int(i)
        key = event_key(block, tx_index, log_index)
        if contract is None:
            raise UndecodableLogError(f"log {key} at {address}: address is not a known Recourse contract")
        raw_topics = log["topics"]
        if not raw_topics:
            raise UndecodableLogError(f"log {key} at {address}: anonymous log from {contract}")
        topics = [bytes.fromhex(t[2:]) if type(t) is str else bytes(t) for t in raw_topics]
        event = self._by_contract[contract].get(topics[0])
        if event is None:
            raise UndecodableLogError(f"log {key} at {address}: topic {topics[0].hex()} matches no {contract} event")
        data = log["data"]
        try:
            args = event.decode(topics, bytes.fromhex(data[2:]) if type(data) is str else bytes(data))
        except Exception as exc:  # noqa: BLE001 - any decoding failure is reported, never swallowed
            raise UndecodableLogError(f"log {key} at {address}: cannot decode {contract}.{event.name}: {exc}") from exc
        block_hash = log.get("blockHash", "0x")
        tx_hash = log["transactionHash"]
        return DecodedEvent(
            key,
            contract,
            _checksum(address),
            event.name,
            args,
            block,
            block_hash if type(block_hash) is str else _hex(block_hash),
            tx_hash.lower() if type(tx_hash) is str else _hex(tx_hash),
            tx_index,
            log_index,
            bool(log.get("removed", False)),
        )

    def decode_rows(self, logs: Iterable[Mapping[str, Any]]) -> list[EventRow]:
        """Decode every log into ``EventRow`` tuples, in order: the bulk path of indexers.

        Same values and the same strictness as ``decode`` (an undecodable log raises
        ``UndecodableLogError``), without building a ``DecodedEvent`` per log. Logs flagged ``removed``
        (retracted by a reorg in a subscription) are not events and are left out.
        """
        out: list[EventRow] = []
        append = out.append
        addresses, checksums, by_contract = self._addresses, self._checksums, self._by_contract
        fromhex = bytes.fromhex
        for log in logs:
            try:  # the common case: hex strings from JSON-RPC, a known contract and event
                address = log["address"].lower()
                contract = addresses[address]
                topics = [fromhex(t[2:]) for t in log["topics"]]
                event = by_contract[contract][topics[0]]
                args = event.decode(topics, fromhex(log["data"][2:]))
                block = int(log["blockNumber"], 16)
                tx_index = int(log["transactionIndex"], 16)
                log_index = int(log["logIndex"], 16)
                block_hash, tx_hash = log["blockHash"], log["transactionHash"]
                if type(block_hash) is not str or type(tx_hash) is not str:
                    raise TypeError("hashes are not hex strings")
                row: EventRow = (
                    event_key(block, tx_index, log_index),
                    block,
                    block_hash,
                    tx_hash.lower(),
                    tx_index,
                    log_index,
                    contract,
                    checksums[address],
                    event.name,
                    args,
                )
            except (KeyError, IndexError, TypeError, ValueError, AttributeError):
                ev = self.decode(log)  # other input types, or the precise UndecodableLogError
                row = (
                    ev.key,
                    ev.block_number,
                    ev.block_hash,
                    ev.tx_hash,
                    ev.tx_index,
                    ev.log_index,
                    ev.contract,
                    ev.address,
                    ev.name,
                    ev.args,
                )
            if not log.get("removed", False):
                append(row)
        return out

    def decode_all(self, logs: Iterable[Mapping[str, Any]], *, only_known: bool = False) -> list[DecodedEvent]:
        """Decode every log; with ``only_known`` skip logs of addresses that are not Recourse contracts."""
        out = []
        for log in logs:
            if only_known and not self.knows(_hex(log["address"])):
                continue
            out.append(self.decode(log))
        return out
