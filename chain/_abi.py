"""Precomputed ABI codecs: function selectors, error selectors and event topics → eth_abi types.

Built once per ABI so encoding, decoding and revert/log decoding never go through web3's per-call
contract machinery. Values are normalised to plain Python: addresses as checksum strings, ``bytesN``
as ``bytes``, tuples as tuples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.abi import collapse_if_tuple
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

__all__ = ["AbiError", "AbiEvent", "AbiFunction", "abi_types", "normalise", "signature"]

ABI = list[dict[str, Any]]


def abi_types(params: Sequence[dict[str, Any]]) -> list[str]:
    return [collapse_if_tuple(dict(p)) for p in params]


def signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(abi_types(item.get('inputs', [])))})"


def normalise(abi_type: str, value: Any) -> Any:
    """Turn eth_abi output into plain Python values (checksum addresses, nested tuples)."""
    if abi_type == "address":
        return to_checksum_address(value)
    if abi_type.endswith("]"):
        inner = abi_type[: abi_type.rindex("[")]
        return [normalise(inner, v) for v in value]
    if abi_type.startswith("("):
        inner_types = _split_tuple(abi_type)
        return tuple(normalise(t, v) for t, v in zip(inner_types, value, strict=True))
    return value


def _split_tuple(abi_type: str) -> list[str]:
    body = abi_type[1:-1]
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in body:
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    if current:
        parts.append(current)
    return parts


@dataclass(frozen=True)
class AbiFunction:
    name: str
    selector: bytes
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]
    output_names: tuple[str, ...]
    mutability: str

    @classmethod
    def from_abi(cls, item: dict[str, Any]) -> AbiFunction:
        return cls(
            name=item["name"],
            selector=keccak(text=signature(item))[:4],
            input_types=tuple(abi_types(item.get("inputs", []))),
            output_types=tuple(abi_types(item.get("outputs", []))),
            output_names=tuple(o.get("name", "") for o in item.get("outputs", [])),
            mutability=item.get("stateMutability", "nonpayable"),
        )

    def encode(self, args: Sequence[Any]) -> bytes:
        return self.selector + abi_encode(list(self.input_types), list(args))

    def decode_output(self, data: bytes) -> Any:
        values = abi_decode(list(self.output_types), data)
        out = [normalise(t, v) for t, v in zip(self.output_types, values, strict=True)]
        return out[0] if len(out) == 1 else tuple(out)


@dataclass(frozen=True)
class AbiError:
    name: str
    selector: bytes
    input_types: tuple[str, ...]
    input_names: tuple[str, ...]

    @classmethod
    def from_abi(cls, item: dict[str, Any]) -> AbiError:
        return cls(
            name=item["name"],
            selector=keccak(text=signature(item))[:4],
            input_types=tuple(abi_types(item.get("inputs", []))),
            input_names=tuple(p.get("name") or f"arg{i}" for i, p in enumerate(item.get("inputs", []))),
        )

    def decode_args(self, payload: bytes) -> dict[str, Any]:
        values = abi_decode(list(self.input_types), payload)
        return {n: normalise(t, v) for n, t, v in zip(self.input_names, self.input_types, values, strict=True)}


@dataclass(frozen=True)
class AbiEvent:
    name: str
    topic0: bytes
    indexed: tuple[tuple[str, str], ...]
    unindexed: tuple[tuple[str, str], ...]
    order: tuple[str, ...]

    @classmethod
    def from_abi(cls, item: dict[str, Any]) -> AbiEvent:
        inputs = item.get("inputs", [])
        indexed = tuple((p["name"], collapse_if_tuple(dict(p))) for p in inputs if p.get("indexed"))
        unindexed = tuple((p["name"], collapse_if_tuple(dict(p))) for p in inputs if not p.get("indexed"))
        return cls(
            name=item["name"],
            topic0=keccak(text=signature(item)),
            indexed=indexed,
            unindexed=unindexed,
            order=tuple(p["name"] for p in inputs),
        )

    def decode(self, topics: Sequence[bytes], data: bytes) -> dict[str, Any]:
        if len(topics) != len(self.indexed) + 1:
            raise ValueError(f"{self.name}: expected {len(self.indexed) + 1} topics, got {len(topics)}")
        args: dict[str, Any] = {}
        for (name, typ), topic in zip(self.indexed, topics[1:], strict=True):
            if typ in ("string", "bytes") or typ.endswith("]") or typ.startswith("("):
                args[name] = topic  # dynamic indexed values are stored as their keccak hash
            else:
                args[name] = normalise(typ, abi_decode([typ], topic)[0])
        if self.unindexed:
            types = [t for _, t in self.unindexed]
            values = abi_decode(types, data)
            for (name, typ), value in zip(self.unindexed, values, strict=True):
                args[name] = normalise(typ, value)
        return {name: args[name] for name in self.order}
