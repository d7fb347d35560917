"""Case files (CSV or JSON) → validated :class:`CaseRow` values; all rows or nothing.

A bank uploads the cases of one batch with the debtors' personal data. :func:`parse_cases` reads the
file once, as a stream (``bytes`` or an iterable of byte chunks, e.g. an upload), validates every row
and either returns every row or raises :class:`CaseImportError` listing **every** malformed row by
line and field (nothing is half-imported). Personal data (name, ID number, phone, address) goes only
into the PII vault (:mod:`node_api.services.casework.vault`); the chain gets :func:`debtor_commitment`.

CSV (UTF-8, a BOM is allowed; the header row is required, column order is free, extra columns are
refused)::

    case_ref,name,id_number,phone,address,timezone,principal_fen,overdue_fen,overdue_days,region,fee_bps,deadline

* ``case_ref``: the bank's own reference, 1–64 of ``A-Z a-z 0-9 . _ : / -``, unique in the file;
* ``name``: the debtor's name (1–100 characters, any script);
* ``id_number``: PRC resident identity number (18 characters, ISO 7064 MOD 11-2 check character, ``x``
  accepted for ``X``) or unified social credit code of a business (18 characters, GB 32100 check
  character); spaces are ignored;
* ``phone``: mainland mobile (``13800138000``, optionally ``+86``/``86``/``0086``), landline with
  area code (``021-12345678``) or international ``+<8–15 digits>``; spaces, dashes and brackets
  are ignored;
* ``address``: 1–300 characters;
* ``timezone``: IANA zone of the debtor (``Asia/Shanghai`` when empty; used by the conduct rules);
* ``principal_fen`` (> 0), ``overdue_fen`` (≥ 0): integers in fen (minor units), below 2**128;
* ``overdue_days``: integer 0–36,500;
* ``region``: administrative region code, integer 1–999,999 (e.g. ``310000`` Shanghai);
* ``fee_bps``: collector fee rate in basis points, 1–10,000;
* ``deadline``: unix seconds, or ISO 8601 with an offset (``2027-03-01T00:00:00+08:00``); must be
  after ``now`` when ``parse_cases`` is given one.

JSON: either an array of objects with the same keys (numbers may be JSON numbers or strings), or
JSON Lines (one object per line). Errors name the line where the object starts.

``line`` in a :class:`RowError` is the physical line of the file (CSV: the header is line 1; a field
with an embedded newline counts its lines); ``line = 0`` is about the file as a whole.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import operator
import re
import secrets
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eth_utils.crypto import keccak

from node_api.jsonbody import MAX_DEPTH, STRICT_DECODER, JsonShapeError, nesting_depth
from node_api.problems import InvalidInputError

__all__ = [
    "CSV_HEADER",
    "DEFAULT_TIMEZONE",
    "CaseFileTooLargeError",
    "CaseImportError",
    "CaseRow",
    "DebtorRecord",
    "RowError",
    "debtor_commitment",
    "new_salt",
    "normalise_id_number",
    "parse_cases",
]

DEFAULT_TIMEZONE = "Asia/Shanghai"
CSV_HEADER = (
    "case_ref",
    "name",
    "id_number",
    "phone",
    "address",
    "timezone",
    "principal_fen",
    "overdue_fen",
    "overdue_days",
    "region",
    "fee_bps",
    "deadline",
)
_REQUIRED = frozenset(CSV_HEADER) - {"timezone"}
#: errors listed in the problem body (the exception keeps them all)
MAX_LISTED_ERRORS = 1000
_MAX_AMOUNT = 2**128
_MAX_DEADLINE = 2**64


@dataclass(frozen=True, slots=True)
class DebtorRecord:
    """A debtor's personal data: only ever stored encrypted in the PII vault."""

    name: str
    id_number: str
    phone: str
    address: str
    timezone: str = DEFAULT_TIMEZONE


@dataclass(frozen=True, slots=True)
class CaseRow:
    line: int
    case_ref: str
    debtor: DebtorRecord
    principal_fen: int
    overdue_fen: int
    overdue_days: int
    region: int
    fee_bps: int
    deadline: int


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "message": self.message}


class CaseImportError(InvalidInputError):
    """The case file was refused; ``errors`` lists every malformed row by line and field."""

    code, http_status, title = "CIM-422", 422, "Case file refused"

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        shown = errors[:MAX_LISTED_ERRORS]
        first = f"line {errors[0].line}, {errors[0].field}: {errors[0].message}" if errors else "no rows"
        super().__init__(
            f"{len(errors)} error(s) in the case file; nothing was imported (first: {first})",
            errors=[e.to_json() for e in shown],
            error_count=len(errors),
        )


class CaseFileTooLargeError(InvalidInputError):
    """The case file has more rows or bytes than one batch may (``RECOURSE_CASEWORK__MAX_BATCH_*``)."""

    code, http_status, title = "CIM-413", 413, "Case file too large"


# --- identity numbers and commitments -------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_RESIDENT_ID = re.compile(r"^\d{17}[0-9X]$")
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def normalise_id_number(raw: str) -> str:
    """Upper-case, no whitespace, full-width characters folded (NFKC): the form that is committed."""
    if raw.isascii() and raw.isalnum():
        return raw.upper()  # the common case, already normal
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)).upper()


def _id_problem(norm: str) -> str | None:
    if len(norm) != 18:
        return f"must be 18 characters (resident ID or unified social credit code), got {len(norm)}"
    if _RESIDENT_ID.match(norm):
        total = sum(map(operator.mul, map(int, norm[:17]), _ID_WEIGHTS))
        if _ID_CHECK[total % 11] != norm[17]:
            return "resident ID check character does not match"
        return None
    if _USCC.match(norm):
        total = sum(_USCC_CHARS.index(c) * w for c, w in zip(norm[:17], _USCC_WEIGHTS, strict=True))
        if _USCC_CHARS[(31 - total % 31) % 31] != norm[17]:
            return "unified social credit code check character does not match"
        return None
    return "not a resident ID number or unified social credit code"


def debtor_commitment(debtor: DebtorRecord, salt: bytes) -> bytes:
    """``keccak256(salt ‖ utf8(normalise_id_number(id_number)))``: 32 bytes, the only debtor datum on chain.

    The 32-byte random salt makes the commitment unguessable from the (low-entropy) ID number; the
    vault keeps the salt so the bank can later prove which debtor a case was about.
    """
    if len(salt) != 32:
        raise ValueError(f"the salt must be 32 bytes, got {len(salt)}")
    return keccak(salt + normalise_id_number(debtor.id_number).encode())


def new_salt() -> bytes:
    """32 random bytes (``secrets``)."""
    return secrets.token_bytes(32)


# --- field validation ------------------------------------------------------------------------------

_CASE_REF = re.compile(r"^[A-Za-z0-9._:/-]{1,64}$")
_PHONE_STRIP = re.compile(r"[\s\-()（）]")
_MOBILE = re.compile(r"^(?:\+86|0086|86)?(1[3-9]\d{9})$")
_LANDLINE = re.compile(r"^(?:\+86|0086)?(0\d{2,3})(\d{7,8})$")
_INTERNATIONAL = re.compile(r"^\+[1-9]\d{7,14}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_zones: dict[str, bool] = {}


def _phone(raw: str) -> str:
    s = raw if raw.isascii() and raw.isdigit() else _PHONE_STRIP.sub("", unicodedata.normalize("NFKC", raw))
    if m := _MOBILE.match(s):
        return "+86" + m.group(1)
    if m := _LANDLINE.match(s):
        return f"+86-{m.group(1)[1:]}-{m.group(2)}"
    if _INTERNATIONAL.match(s):
        return s
    raise ValueError("not a mainland mobile, landline with area code, or +international number")


def valid_timezone(name: str) -> bool:
    known = _zones.get(name)
    if known is None:
        try:
            ZoneInfo(name)
            known = True
        except (ZoneInfoNotFoundError, ValueError):
            known = False
        _zones[name] = known
    return known


def _int(value: Any, low: int, high: int) -> int:
    if type(value) is str and value.isascii() and value.isdigit():
        n = int(value)  # the common case: plain ASCII digits
    elif isinstance(value, bool):
        raise ValueError("must be an integer")
    elif isinstance(value, int):
        n = value
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError(f"must be an integer, got {value!r}" if len(value) < 40 else "must be an integer")
        n = int(text)
    else:
        raise ValueError(f"must be an integer, got {type(value).__name__}")
    if not low <= n <= high:
        raise ValueError(f"must be between {low} and {high}, got {n}")
    return n


def _deadline(value: Any, now: int | None) -> int:
    if isinstance(value, str) and not re.fullmatch(r"\s*\d+\s*", value):
        try:
            when = dt.datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError("must be unix seconds or ISO 8601 with an offset") from exc
        if when.tzinfo is None:
            raise ValueError("an ISO 8601 deadline needs an offset (e.g. +08:00)")
        n = int(when.timestamp())
    else:
        n = _int(value, 1, _MAX_DEADLINE - 1)
    if now is not None and n <= now:
        raise ValueError(f"must be in the future (after {now})")
    return n


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {type(value).__name__}")
    s = (value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)).strip()
    if not s:
        raise ValueError("is required")
    if len(s) > limit:
        raise ValueError(f"must be at most {limit} characters")
    if _CONTROL.search(s):
        raise ValueError("must not contain control characters")
    return s


def _case_ref(v: Any) -> str:
    s = v.strip() if isinstance(v, str) else str(v)
    if not _CASE_REF.match(s):
        raise ValueError("must be 1-64 of A-Z a-z 0-9 . _ : / -")
    return s


def _id_number(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("must be text")
    norm = normalise_id_number(v)
    problem = _id_problem(norm)
    if problem:
        raise ValueError(problem)
    return norm


def _timezone(v: Any) -> str:
    if v is None or (isinstance(v, str) and not v.strip()):
        return DEFAULT_TIMEZONE
    if not isinstance(v, str) or not valid_timezone(v.strip()):
        raise ValueError(f"unknown IANA time zone {v!r}" if isinstance(v, str) and len(v) < 60 else "unknown zone")
    return sys.intern(v.strip())  # one string per zone, not one per row


def _phone_field(v: Any) -> str:
    if not isinstance(v, str | int) or isinstance(v, bool):
        raise ValueError("must be text")
    return _phone(str(v))


class _RowBuilder:
    """Validates one row's fields, collecting every error into the shared list."""

    def __init__(self, errors: list[RowError], now: int | None, max_rows: int | None = None) -> None:
        self.errors = errors
        self.seen: dict[str, int] = {}
        self.max_rows = max_rows
        self.rows = 0
        fields: tuple[tuple[str, Any], ...] = (
            ("case_ref", _case_ref),
            ("name", lambda v: _text(v, 100)),
            ("id_number", _id_number),
            ("phone", _phone_field),
            ("address", lambda v: _text(v, 300)),
            ("timezone", _timezone),
            ("principal_fen", lambda v: _int(v, 1, _MAX_AMOUNT - 1)),
            ("overdue_fen", lambda v: _int(v, 0, _MAX_AMOUNT - 1)),
            ("overdue_days", lambda v: _int(v, 0, 36_500)),
            ("region", lambda v: _int(v, 1, 999_999)),
            ("fee_bps", lambda v: _int(v, 1, 10_000)),
            ("deadline", lambda v: _deadline(v, now)),
        )
        self.fields = tuple((name, fn, name in _REQUIRED) for name, fn in fields)

    def build(self, line: int, rec: dict[str, Any]) -> CaseRow | None:
        self.rows += 1
        if self.max_rows is not None and self.rows > self.max_rows:
            # stop reading at once: memory grows with the rows kept, and the answer is known
            raise CaseFileTooLargeError(
                f"the case file has more than {self.max_rows:,} cases (line {line}); one batch takes at most "
                f"{self.max_rows:,}: split the file into several batches",
                max_rows=self.max_rows,
            )
        errs = self.errors
        before = len(errs)
        out: dict[str, Any] = {}
        for name, fn, required in self.fields:
            value = rec.get(name)
            if required and (not value or (isinstance(value, str) and value.isspace())):
                if value != 0 or isinstance(value, str):
                    errs.append(RowError(line, name, "is required"))
                    continue
            try:
                out[name] = fn(value)
            except ValueError as exc:
                errs.append(RowError(line, name, str(exc)))
        ref = out.get("case_ref")
        if ref is not None:
            first = self.seen.setdefault(ref, line)
            if first != line:
                errs.append(RowError(line, "case_ref", f"duplicates the case on line {first}"))
        if len(errs) != before:
            return None
        return CaseRow(
            line=line,
            case_ref=out["case_ref"],
            debtor=DebtorRecord(
                name=out["name"],
                id_number=out["id_number"],
                phone=out["phone"],
                address=out["address"],
                timezone=out["timezone"],
            ),
            principal_fen=out["principal_fen"],
            overdue_fen=out["overdue_fen"],
            overdue_days=out["overdue_days"],
            region=out["region"],
            fee_bps=out["fee_bps"],
            deadline=out["deadline"],
        )


# --- streams --------------------------------------------------------------------------------------


class _ChunkReader(io.RawIOBase):
    """A readable binary stream over an iterable of byte chunks (no concatenated copy)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._it: Iterator[bytes] = iter(chunks)
        self._buf = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        view = memoryview(b).cast("B")
        while not self._buf:
            try:
                self._buf = memoryview(bytes(next(self._it)))
            except StopIteration:
                return 0
        n = min(len(view), len(self._buf))
        view[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _binary(data: bytes | Iterable[bytes]) -> io.BytesIO | io.BufferedReader:
    if isinstance(data, bytes | bytearray | memoryview):
        return io.BytesIO(data)
    return io.BufferedReader(_ChunkReader(data), buffer_size=1 << 16)


def _text_stream(data: bytes | Iterable[bytes]) -> io.TextIOWrapper:
    # utf-8-sig drops a leading BOM; strict decoding: a non-UTF-8 file is refused
    return io.TextIOWrapper(_binary(data), encoding="utf-8-sig", errors="strict", newline="")


def _parse_csv(data: bytes | Iterable[bytes], builder: _RowBuilder) -> list[CaseRow]:
    errors = builder.errors
    text = _text_stream(data)
    reader = csv.reader(text, strict=True)
    rows: list[CaseRow] = []
    try:
        header = next(reader, None)
        if header is None:
            errors.append(RowError(0, "file", "the file is empty (a header row is required)"))
            return rows
        names = [h.strip().lower() for h in header]
        unknown = [n for n in names if n not in CSV_HEADER]
        missing = sorted(_REQUIRED - set(names))
        dupes = sorted({n for n in names if names.count(n) > 1})
        for n in unknown:
            errors.append(RowError(1, n or "(empty)", "unknown column"))
        for n in missing:
            errors.append(RowError(1, n, "required column is missing"))
        for n in dupes:
            errors.append(RowError(1, n, "column appears twice"))
        if errors:
            return rows
        width = len(names)
        line = reader.line_num + 1
        for values in reader:
            start, line = line, reader.line_num + 1
            if not values or (len(values) == 1 and not values[0].strip()):
                continue  # blank line
            if len(values) != width:
                errors.append(RowError(start, "row", f"has {len(values)} fields, the header has {width}"))
                continue
            row = builder.build(start, dict(zip(names, values, strict=True)))
            if row is not None:
                rows.append(row)
    except UnicodeDecodeError as exc:
        errors.append(RowError(reader.line_num + 1, "file", f"not UTF-8 ({exc.reason})"))
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, "row", f"malformed CSV: {exc}"))
    if not rows and not errors:
        errors.append(RowError(0, "file", "the file has no cases"))
    return rows


_WS = re.compile(r"[ \t\r\n]*")


def _skip_ws(text: str, pos: int) -> int:
    m = _WS.match(text, pos)
    return m.end() if m else pos


def _parse_json(data: bytes | Iterable[bytes], builder: _RowBuilder) -> list[CaseRow]:
    errors = builder.errors
    try:
        if isinstance(data, bytes | bytearray | memoryview):
            raw = bytes(data)
        else:
            raw = b"".join(data)
        if nesting_depth(raw) > MAX_DEPTH:  # measured before parsing: deep nesting never reaches a parser
            errors.append(RowError(0, "file", f"the JSON is nested more than {MAX_DEPTH} levels deep; rows are flat"))
            return []
        text = codecs.decode(raw, "utf-8-sig")
        del raw
    except UnicodeDecodeError as exc:
        errors.append(RowError(0, "file", f"not UTF-8 ({exc.reason})"))
        return []
    decoder = STRICT_DECODER  # a key repeated in one row is refused, never silently "last one wins"
    rows: list[CaseRow] = []
    pos = _skip_ws(text, 0)
    if pos == len(text):
        errors.append(RowError(0, "file", "the file is empty"))
        return rows
    array = text[pos] == "["
    if array:
        pos = _skip_ws(text, pos + 1)
    line, counted = 1, 0

    def line_at(p: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, p)
        counted = p
        return line

    while pos < len(text):
        if array and text[pos] == "]":
            pos = _skip_ws(text, pos + 1)
            if pos != len(text):
                errors.append(RowError(line_at(pos), "file", "unexpected data after the array"))
            break
        start = line_at(pos)
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            errors.append(RowError(exc.lineno, "file", f"malformed JSON: {exc.msg}"))
            return rows
        except JsonShapeError as exc:
            errors.append(RowError(start, exc.field[:64], str(exc)))
            return rows
        if not isinstance(obj, dict):
            errors.append(RowError(start, "row", "each case must be a JSON object"))
        else:
            unknown = [k for k in obj if k not in CSV_HEADER]
            for k in unknown:
                errors.append(RowError(start, str(k)[:64], "unknown field"))
            row = builder.build(start, obj)
            if row is not None and not unknown:
                rows.append(row)
        pos = _skip_ws(text, pos)
        if array:
            if pos < len(text) and text[pos] == ",":
                pos = _skip_ws(text, pos + 1)
            elif pos < len(text) and text[pos] != "]":
                errors.append(RowError(line_at(pos), "file", "malformed JSON: expected ',' or ']'"))
                return rows
        elif pos >= len(text):
            break
    else:
        if array:
            errors.append(RowError(line_at(pos), "file", "malformed JSON: the array is not closed"))
    if not rows and not errors:
        errors.append(RowError(0, "file", "the file has no cases"))
    return rows


def parse_cases(
    data: bytes | Iterable[bytes], fmt: Literal["csv", "json"], *, now: int | None = None, max_rows: int | None = None
) -> list[CaseRow]:
    """Every case of the file, validated; or :class:`CaseImportError` with every error (all or nothing).

    ``now`` (unix seconds), when given, makes a deadline that is not in the future an error. More than
    ``max_rows`` cases raise :class:`CaseFileTooLargeError` as soon as the next row is read.
    """
    builder = _RowBuilder([], now, max_rows)
    if fmt == "csv":
        rows = _parse_csv(data, builder)
    elif fmt == "json":
        rows = _parse_json(data, builder)
    else:
        raise CaseImportError([RowError(0, "format", f"unknown format {fmt!r}; use csv or json")])
    if builder.errors:
        raise CaseImportError(builder.errors)
    return rows
