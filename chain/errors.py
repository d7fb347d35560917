"""Revert decoding at the chain boundary: raw revert data → typed ``ContractReverted``.

Every custom error of every Recourse ABI is indexed by its 4-byte selector, plus Solidity's built-in
``Error(string)`` and ``Panic(uint256)``. Unknown selectors still raise ``ContractReverted`` with
the name ``"UnknownError"`` and the raw data, never a bare exception.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eth_utils.conversions import to_hex

from chain._abi import AbiError
from chain._exceptions import ContractPanic, ContractReverted

__all__ = ["PANIC_CODES", "ErrorDecoder"]

PANIC_CODES = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "invalid storage byte array",
    0x31: "pop on empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialised internal function",
}

_BUILTIN = [
    {"type": "error", "name": "Error", "inputs": [{"name": "message", "type": "string"}]},
    {"type": "error", "name": "Panic", "inputs": [{"name": "code", "type": "uint256"}]},
]


class ErrorDecoder:
    """Maps error selectors of the registered ABIs to decoders."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]] = ()) -> None:
        self._errors: dict[bytes, AbiError] = {}
        self.register(_BUILTIN)
        for abi in abis:
            self.register(abi)

    def register(self, abi: list[dict[str, Any]]) -> None:
        for item in abi:
            if item.get("type") == "error":
                err = AbiError.from_abi(item)
                self._errors.setdefault(err.selector, err)

    def decode(self, data: bytes | str) -> ContractReverted:
        """Return (not raise) the typed exception for revert ``data``."""
        raw = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else data
        hexdata = to_hex(raw)
        if len(raw) < 4:
            return ContractReverted("EmptyRevert", {}, "0x", hexdata)
        selector, payload = raw[:4], raw[4:]
        err = self._errors.get(selector)
        if err is None:
            return ContractReverted("UnknownError", {"data": hexdata}, to_hex(selector), hexdata)
        try:
            args = err.decode_args(payload)
        except Exception:  # noqa: BLE001 - malformed payload must still surface as a revert
            return ContractReverted(err.name, {"data": hexdata}, to_hex(selector), hexdata)
        if err.name == "Panic":
            code = int(args["code"])
            return ContractPanic(
                "Panic", {"code": code, "reason": PANIC_CODES.get(code, "unknown")}, to_hex(selector), hexdata
            )
        return ContractReverted(err.name, args, to_hex(selector), hexdata)
