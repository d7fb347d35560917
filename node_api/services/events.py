"""Stored chain events: JSON form of event arguments, event-key cursors, filters and paged reads.

JSON of event arguments (stored in ``ChainEvent.args`` and sent over ``/events``, SSE and webhooks):

* ``bytes`` / ``bytesN`` → ``"0x…"`` lower-case hex;
* addresses → EIP-55 checksummed strings (as decoded);
* integers with ``abs(v) <= 2**53 - 1`` → JSON numbers; larger ones (``uint256`` amounts, ids, role
  masks) → **decimal strings**, because JavaScript and many JSON parsers turn bigger numbers into
  lossy floats;
* ``bool`` → ``true``/``false``; tuples and arrays → lists.

An event is identified and ordered by its key ``{block:012d}/{tx_index:06d}/{log_index:06d}``; every
read is "events with key > after, in key order", so a consumer resumes from the last key it saw.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Engine, and_, false, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from node_api.db.models import ChainEvent
from node_api.problems import InvalidInputError

__all__ = [
    "EVENT_KEY_PATTERN",
    "MAX_SAFE_INT",
    "EventFilter",
    "EventPublic",
    "EventsPublic",
    "block_boundary",
    "event_catalogue",
    "fetch_events",
    "jsonable",
    "latest_event_key",
    "list_events",
    "parse_event_key",
    "sse_message",
]

#: regular expression of an event key (block/tx index/log index, zero padded)
EVENT_KEY_PATTERN = r"^\d{12}/\d{6}/\d{6}$"
_KEY_RE = re.compile(EVENT_KEY_PATTERN)
#: the largest integer JSON consumers (JavaScript) represent exactly; larger ones become strings
MAX_SAFE_INT = 2**53 - 1
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def jsonable(value: Any) -> Any:
    """Turn decoded event arguments into JSON values (see module docstring)."""
    kind = type(value)
    if kind is str or kind is bool:  # the common cases first (addresses, flags)
        return value
    if kind is int:
        return value if -MAX_SAFE_INT <= value <= MAX_SAFE_INT else str(value)
    if kind is bytes:
        return "0x" + value.hex()
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return value if -MAX_SAFE_INT <= value <= MAX_SAFE_INT else str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


def parse_event_key(value: str, *, what: str = "after") -> str:
    """Validate an event key given by a client (``InvalidInputError`` otherwise)."""
    key = value.strip()
    if not _KEY_RE.match(key):
        raise InvalidInputError(
            f"{what} must be an event key like 000000000012/000003/000007 (block/tx index/log index)",
            field=what,
        )
    return key


def block_boundary(block: int) -> str:
    """The largest possible key inside ``block``: ``key > block_boundary(b)`` means "after block b"
    (``""`` for a negative block: every key is after it)."""
    return f"{block:012d}/999999/999999" if block >= 0 else ""


def event_catalogue(abis: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, frozenset[str]]:
    """``{contract: {event names}}`` of the deployed contracts (for validating filters)."""
    return {
        name: frozenset(str(item["name"]) for item in abi if item.get("type") == "event") for name, abi in abis.items()
    }


def _split(values: Iterable[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or ():
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


@dataclass(frozen=True)
class EventFilter:
    """Which events a reader wants: contracts (empty = all) and event names (empty = all).

    An event name is either bare (``Transfer``, any contract) or qualified (``SettlementToken.Transfer``).
    """

    contracts: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    qualified: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def parse(
        cls,
        *,
        contracts: Iterable[str] | None,
        events: Iterable[str] | None,
        catalogue: Mapping[str, frozenset[str]],
    ) -> EventFilter:
        """Parse repeatable or comma-separated query values; unknown names are refused (422)."""
        wanted = _split(contracts)
        unknown = [c for c in wanted if c not in catalogue]
        if unknown:
            raise InvalidInputError(
                f"unknown contract(s) {', '.join(unknown)}; choose from {', '.join(sorted(catalogue))}",
                field="contract",
            )
        all_events = set().union(*catalogue.values()) if catalogue else set()
        names: set[str] = set()
        qualified: set[tuple[str, str]] = set()
        for raw in _split(events):
            contract, dot, name = raw.rpartition(".")
            if not _NAME_RE.match(name) or (dot and contract not in catalogue):
                raise InvalidInputError(
                    f"invalid event filter {raw!r}: use an event name (Transfer) or Contract.Event", field="event"
                )
            if dot:
                if name not in catalogue[contract]:
                    raise InvalidInputError(f"{contract} has no event {name!r}", field="event")
                qualified.add((contract, name))
            else:
                if name not in all_events:
                    raise InvalidInputError(f"no Recourse contract has an event {name!r}", field="event")
                names.add(name)
        return cls(contracts=frozenset(wanted), names=frozenset(names), qualified=frozenset(qualified))

    @classmethod
    def from_lists(cls, *, contracts: Iterable[str], events: Iterable[str]) -> EventFilter:
        """Rebuild a filter that was validated before (e.g. stored with a webhook)."""
        names: set[str] = set()
        qualified: set[tuple[str, str]] = set()
        for e in events:
            contract, dot, name = e.rpartition(".")
            if dot:
                qualified.add((contract, name))
            else:
                names.add(name)
        return cls(contracts=frozenset(contracts), names=frozenset(names), qualified=frozenset(qualified))

    @property
    def event_list(self) -> list[str]:
        return sorted(self.names | {f"{c}.{n}" for c, n in self.qualified})

    def condition(self) -> ColumnElement[bool] | None:
        """The SQL condition on ``chain_events`` (``None``: everything)."""
        parts: list[ColumnElement[bool]] = []
        if self.contracts:
            parts.append(col(ChainEvent.contract).in_(sorted(self.contracts)))
        if self.names or self.qualified:
            alternatives: list[ColumnElement[bool]] = []
            if self.names:
                alternatives.append(col(ChainEvent.name).in_(sorted(self.names)))
            for contract, name in sorted(self.qualified):
                alternatives.append(and_(col(ChainEvent.contract) == contract, col(ChainEvent.name) == name))
            parts.append(or_(false(), *alternatives))
        if not parts:
            return None
        return and_(*parts) if len(parts) > 1 else parts[0]

    def matches(self, contract: str, name: str) -> bool:
        if self.contracts and contract not in self.contracts:
            return False
        if self.names or self.qualified:
            return name in self.names or (contract, name) in self.qualified
        return True


class EventPublic(BaseModel):
    """One decoded Recourse event. ``args`` follow the JSON rules of ``node_api.services.events``:
    bytes as 0x-hex, addresses checksummed, integers beyond 2**53-1 as decimal strings."""

    key: str = Field(description="event key block/tx index/log index; the resume cursor")
    type: str = Field(description="Contract.EventName")
    contract: str
    name: str
    address: str
    block_number: int
    block_hash: str
    tx_hash: str
    tx_index: int
    log_index: int
    args: dict[str, Any]


class EventsPublic(BaseModel):
    data: list[EventPublic]
    count: int = Field(description="number of events in this page")
    next_after: str | None = Field(
        default=None, description="pass as `after` to read the next page; null when this page is the last one"
    )


def _public(row: ChainEvent) -> EventPublic:
    return EventPublic(
        key=row.key,
        type=f"{row.contract}.{row.name}",
        contract=row.contract,
        name=row.name,
        address=row.address,
        block_number=row.block_number,
        block_hash=row.block_hash,
        tx_hash=row.tx_hash,
        tx_index=row.tx_index,
        log_index=row.log_index,
        args=row.args,
    )


def _query(after: str | None, flt: EventFilter, limit: int) -> SelectOfScalar[ChainEvent]:
    stmt = select(ChainEvent)
    if after:
        stmt = stmt.where(col(ChainEvent.key) > after)
    cond = flt.condition()
    if cond is not None:
        stmt = stmt.where(cond)
    return stmt.order_by(col(ChainEvent.key)).limit(limit)


def list_events(*, session: Session, after: str | None, flt: EventFilter, limit: int) -> EventsPublic:
    """One page of stored events with key > ``after`` matching ``flt``, in key order."""
    rows = [_public(r) for r in session.exec(_query(after, flt, limit)).all()]
    return EventsPublic(data=rows, count=len(rows), next_after=rows[-1].key if len(rows) == limit else None)


def fetch_events(*, engine: Engine, after: str | None, flt: EventFilter, limit: int) -> list[EventPublic]:
    """Like ``list_events`` with its own short-lived session (for streams and the webhook dispatcher)."""
    with Session(engine) as session:
        return [_public(r) for r in session.exec(_query(after, flt, limit)).all()]


def latest_event_key(*, session: Session) -> str:
    """The key of the newest stored event (``""`` when none)."""
    key = session.exec(select(col(ChainEvent.key)).order_by(col(ChainEvent.key).desc()).limit(1)).first()
    return key or ""


def event_json(event: EventPublic) -> str:
    """Compact JSON of an event (one line: safe inside an SSE ``data:`` field)."""
    return json.dumps(event.model_dump(mode="json"), separators=(",", ":"))


def sse_message(event: EventPublic) -> str:
    """One Server-Sent Events message: ``id`` (event key), ``event`` (Contract.EventName), ``data`` (JSON)."""
    return f"id: {event.key}\nevent: {event.type}\ndata: {event_json(event)}\n\n"
