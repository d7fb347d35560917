"""Precomputed ABI codecs: function selectors, error selectors and event topics → eth_abi types.

Built once per ABI so encoding, decoding and revert/log decoding never go through web3's per-call
contract machinery. Values are normalised to plain Python: addresses as checksum strings, ``bytesN``
as ``bytes``, tuples as tuples.

Event fast path: a parameter of a static one-word type (``uintN``, ``intN``, ``address``, ``bool``,
``bytesN``) is decoded by slicing its 32-byte word and converting it directly, with the same strictness
as eth_abi (padding and range are checked, a bad word raises ``ValueError``). An event whose
non-indexed parameters are all such words never calls ``eth_abi.decode``; events with dynamic
parameters (``bytes``, ``string``, arrays, tuples) keep eth_abi for their data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.abi import collapse_if_tuple
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

__all__ = [
    "AbiError",
    "AbiEvent",
    "AbiFunction",
    "abi_types",
    "checksum_address",
    "normalise",
    "signature",
    "word_decoder",
]

ABI = list[dict[str, Any]]
#: decodes one 32-byte ABI word into a plain Python value (raises ``ValueError`` on a malformed word)
WordDecoder = Callable[[bytes], Any]

_INT_RE = re.compile(r"^(u?)int(\d*)$")
_BYTES_RE = re.compile(r"^bytes(\d+)$")
_ZERO12 = bytes(12)


@lru_cache(maxsize=65_536)
def checksum_address(raw: bytes) -> str:
    """EIP-55 checksum form of a 20-byte address (cached: the same few addresses repeat in every log)."""
    return to_checksum_address(raw)


def _uint_decoder(bits: int) -> WordDecoder:
    limit = 1 << bits
    frombytes = int.from_bytes

    def decode(word: bytes) -> int:
        value = frombytes(word, "big")
        if value >= limit:
            raise ValueError(f"uint{bits} out of range (non-zero padding)")
        return value

    return decode


def _int_decoder(bits: int) -> WordDecoder:
    low, high = -(1 << (bits - 1)), 1 << (bits - 1)
    frombytes = int.from_bytes

    def decode(word: bytes) -> int:
        value = frombytes(word, "big", signed=True)
        if not low <= value < high:
            raise ValueError(f"int{bits} out of range (bad sign extension)")
        return value

    return decode


def _address(word: bytes) -> str:
    if word[:12] != _ZERO12:
        raise ValueError("address with non-zero padding")
    return checksum_address(word[12:])


def _bool(word: bytes) -> bool:
    value = int.from_bytes(word, "big")
    if value > 1:
        raise ValueError(f"bool word is {value}, not 0 or 1")
    return value == 1


def _fixed_bytes_decoder(size: int) -> WordDecoder:
    padding = bytes(32 - size)

    def decode(word: bytes) -> bytes:
        if word[size:] != padding:
            raise ValueError(f"bytes{size} with non-zero padding")
        return word[:size]

    return decode


@lru_cache(maxsize=256)
def word_decoder(abi_type: str) -> WordDecoder | None:
    """A direct decoder for a static one-word type, or ``None`` if the type needs eth_abi."""
    if abi_type == "address":
        return _address
    if abi_type == "bool":
        return _bool
    m = _INT_RE.match(abi_type)
    if m:
        bits = int(m.group(2) or 256)
        if bits % 8 or not 8 <= bits <= 256:
            return None
        return _uint_decoder(bits) if m.group(1) else _int_decoder(bits)
    m = _BYTES_RE.match(abi_type)
    if m and 1 <= int(m.group(1)) <= 32:
        return _fixed_bytes_decoder(int(m.group(1)))
    return None


def _is_hashed_topic(abi_type: str) -> bool:
    """Indexed dynamic values (and arrays/tuples) are stored as their keccak hash in the topic."""
    return abi_type in ("string", "bytes") or abi_type.endswith("]") or abi_type.startswith("(")


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


#: one step of an event's fast decoding plan: (name, from_topic, index or byte offset, word decoder);
#: a ``None`` decoder keeps the raw topic (the keccak hash of an indexed dynamic value)
PlanStep = tuple[str, bool, int, WordDecoder | None]


@dataclass(frozen=True)
class AbiEvent:
    name: str
    topic0: bytes
    indexed: tuple[tuple[str, str], ...]
    unindexed: tuple[tuple[str, str], ...]
    order: tuple[str, ...]
    #: fast decoding plan in declaration order; ``None`` when a non-indexed parameter is dynamic
    plan: tuple[PlanStep, ...] | None = field(default=None, compare=False, repr=False)

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
            plan=_plan(inputs),
        )

    @property
    def fast(self) -> bool:
        """Whether ``decode`` avoids eth_abi entirely for this event."""
        return self.plan is not None

    def decode(self, topics: Sequence[bytes], data: bytes) -> dict[str, Any]:
        if len(topics) != len(self.indexed) + 1:
            raise ValueError(f"{self.name}: expected {len(self.indexed) + 1} topics, got {len(topics)}")
        plan = self.plan
        if plan is not None:
            if len(data) < 32 * len(self.unindexed):
                raise ValueError(f"{self.name}: data is {len(data)} bytes, need {32 * len(self.unindexed)}")
            out: dict[str, Any] = {}
            for name, from_topic, at, dec in plan:
                if from_topic:
                    word = topics[at]
                    if len(word) != 32:
                        raise ValueError(f"{self.name}: topic {at} is {len(word)} bytes, not 32")
                else:
                    word = data[at : at + 32]
                out[name] = word if dec is None else dec(word)
            return out
        return self._decode_abi(topics, data)

    def _decode_abi(self, topics: Sequence[bytes], data: bytes) -> dict[str, Any]:
        """The general path: eth_abi for the data (dynamic types), word decoders for the topics."""
        args: dict[str, Any] = {}
        for (name, typ), topic in zip(self.indexed, topics[1:], strict=True):
            dec = word_decoder(typ)
            if _is_hashed_topic(typ):
                args[name] = topic  # dynamic indexed values are stored as their keccak hash
            elif dec is not None and len(topic) == 32:
                args[name] = dec(topic)
            else:
                args[name] = normalise(typ, abi_decode([typ], topic)[0])
        if self.unindexed:
            types = [t for _, t in self.unindexed]
            values = abi_decode(types, data)
            for (name, typ), value in zip(self.unindexed, values, strict=True):
                args[name] = normalise(typ, value)
        return {name: args[name] for name in self.order}


def _plan(inputs: Sequence[dict[str, Any]]) -> tuple[PlanStep, ...] | None:
    steps: list[PlanStep] = []
    topic = 1
    offset = 0
    for p in inputs:
        typ = collapse_if_tuple(dict(p))
        if p.get("indexed"):
            steps.append((p["name"], True, topic, None if _is_hashed_topic(typ) else word_decoder(typ)))
            if not _is_hashed_topic(typ) and word_decoder(typ) is None:
                return None
            topic += 1
        else:
            dec = word_decoder(typ)
            if dec is None:
                return None
            steps.append((p["name"], False, offset, dec))
            offset += 32
    return tuple(steps)
