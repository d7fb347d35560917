"""Strict JSON for request bodies: bounded nesting (checked before parsing), no duplicate keys, and
only values the gateway can store and send back (finite numbers, strings that are text).

Python's JSON parser and pydantic's validators recurse once per level of nesting. A body of 100,000
``[`` therefore either raises ``RecursionError`` deep inside a library or, with a raised recursion
limit, overflows the C stack and kills the process. :func:`nesting_depth` measures the depth of a
document without parsing it (C-speed byte operations only, linear in the size), so a body nested deeper
than :data:`MAX_DEPTH` is refused before any parser sees it.

Duplicate object keys are legal JSON syntax but ambiguous: ``{"amount_fen": 1, "amount_fen": 9}``
means 9 to Python and 1 to some other parsers. A money-moving API must not guess, so a duplicate key
is refused, naming the key and where it is.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

__all__ = ["MAX_DEPTH", "STRICT_DECODER", "JsonShapeError", "loads_strict", "nesting_depth"]

#: deepest nesting any request body needs is 4 (a list of objects holding a list); 32 leaves room and
#: stays far below every parser's recursion
MAX_DEPTH = 32

_ESCAPE = re.compile(rb"\\.", re.DOTALL)  # a backslash and the byte it escapes (so \" never ends a string)
_STRING = re.compile(rb'"[^"]*"')  # after escapes are gone, a string is quote, non-quotes, quote
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = tuple(1 if b in b"[{" else -1 for b in range(256))  # +1 opens a level, -1 closes one


class JsonShapeError(ValueError):
    """The document is nested too deeply or repeats a key in one object; ``field`` names where."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        # sent back in a problem document: a key that is not text (a lone surrogate) is shown escaped
        self.field = field.encode("utf-8", "backslashreplace").decode("utf-8")


def nesting_depth(data: bytes) -> int:
    """The most arrays/objects open at once anywhere in ``data`` (what a recursive parser would reach).

    Brackets inside strings do not count; unclosed ones do (a parser recurses into them before it finds
    the document truncated). Cost: linear, in C: two regular-expression passes, one ``translate`` and
    a running sum over the brackets alone (about 30 ms for 200,000 of them)."""
    brackets = _STRING.sub(b"", _ESCAPE.sub(b"", data)).translate(None, _NOT_BRACKET)
    if not brackets:
        return 0
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets))))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JsonShapeError(f"the key {key!r} appears more than once in one object", field=key)
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise JsonShapeError(f"{name} is not a JSON number; send a finite number", field="body")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonShapeError(f"{text} is out of range for a JSON number; send a finite number", field="body")
    return value


#: a decoder that refuses duplicate keys, ``NaN``/``Infinity`` (Python's extensions to JSON) and numbers
#: that overflow to infinity (for ``raw_decode`` of a stream of values); pair it with
#: :func:`nesting_depth` on the whole input first
STRICT_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constant, parse_float=_finite)

_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")  # an odd run of backslashes: an escape, not text
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")  # an escaped UTF-16 surrogate, paired or not


def _unencodable(value: Any, where: str) -> str | None:
    """The field holding a string that cannot be stored as UTF-8 (a lone surrogate), if any."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where
        return None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        field = f"{where}.{key}" if where else str(key)
        found = _unencodable(key, field) if isinstance(key, str) else None
        found = found or _unencodable(item, field)
        if found:
            return found
    return None


def loads_strict(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON, refusing nesting deeper than ``max_depth`` (before parsing) and duplicate keys.

    Also refused with :class:`JsonShapeError`: ``NaN``/``Infinity`` and numbers that overflow to infinity
    (no field takes them, and they cannot be written back as JSON), NUL characters and lone UTF-16
    surrogates in strings (no database stores them as text). ``json.JSONDecodeError`` (a ``ValueError``)
    for malformed JSON, ``UnicodeDecodeError`` for bytes that are not UTF-8."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    depth = nesting_depth(raw)
    if depth > max_depth:
        raise JsonShapeError(
            f"the JSON document is nested more than {max_depth} levels deep; nothing Recourse reads nests that deep",
            field="body",
        )
    if _NUL.search(raw):  # no field takes a NUL, and PostgreSQL cannot store one in text
        raise JsonShapeError("a string contains NUL (\\u0000); no field takes one", field="body")
    text = data if isinstance(data, str) else data.decode("utf-8-sig")
    value = STRICT_DECODER.decode(text)
    if _SURROGATE.search(raw):
        where = _unencodable(value, "")
        if where is not None:
            raise JsonShapeError("a string holds a lone UTF-16 surrogate, which is not text", field=where or "body")
    return value
