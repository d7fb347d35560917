"""The projection contract and the one implementation every row-per-entity projection shares.

A projection keeps one contract's reducer state (``chain.reducers``) in the gateway's SQL tables. The
indexer calls ``apply(conn, events)`` inside the transaction that stores a chunk of events (only the
events named in ``events``, in key order) and ``rewind(conn, to_block)`` inside the transaction that
repairs a reorg, after the orphaned events are deleted. Both must be idempotent: the indexer's
checkpoint is the only one, so a projection never keeps its own position.

``RowProjection`` stores one row per entity (a member, a balance, a case): ``apply`` loads the rows the
events touch, runs the reducer over them, and writes back the rows that changed; ``rewind`` resets the
rows (``reset``) and, if needed, replays the surviving stored events.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from sqlalchemy import Connection, Insert, Table, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel

from chain.reducers import Event, Reducer
from node_api.db.models import ChainEvent

__all__ = ["Projection", "RowProjection", "chunks", "insert_ignore", "insert_replace", "table_of"]

logger = logging.getLogger(__name__)

S = TypeVar("S")
T = TypeVar("T")
_CHUNK = 500
_REPLAY_PAGE = 5_000


def table_of(model: type[SQLModel]) -> Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


_EVENTS = table_of(ChainEvent)


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _dialect_insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    return postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)


def insert_ignore(conn: Connection, table: Table, keys: Sequence[str]) -> Insert:
    """INSERT that leaves an existing row (same ``keys``) untouched (SQLite and PostgreSQL)."""
    return _dialect_insert(conn, table).on_conflict_do_nothing(index_elements=list(keys))


def insert_replace(conn: Connection, table: Table, keys: Sequence[str], columns: Iterable[str]) -> Insert:
    """INSERT that overwrites ``columns`` of an existing row with the same ``keys``."""
    ins = _dialect_insert(conn, table)
    return ins.on_conflict_do_update(index_elements=list(keys), set_={c: ins.excluded[c] for c in columns})


class Projection(Protocol):
    """What the indexer needs from a projection (see module docstring)."""

    reducer: Reducer[Any]
    #: the reducer's events this projection stores (the indexer passes only these)
    events: frozenset[str]

    def apply(self, conn: Connection, events: Sequence[Event]) -> None: ...

    def rewind(self, conn: Connection, to_block: int) -> None: ...


class RowProjection(Generic[S, T]):
    """One row per entity of the reducer's state (``T``), keyed by the ``key`` column of ``table``.

    Subclasses say which entities an event touches (``keys``), how rows and entities convert
    (``load``/``dump``) and how a state is built from, and split into, entities (``state``/``entities``).
    With ``owns_rows`` false the rows are created elsewhere (e.g. cases at publication): only existing
    rows are updated, and events about other entities are ignored.
    """

    reducer: Reducer[S]
    events: frozenset[str]
    table: Table
    key: str
    owns_rows: ClassVar[bool] = True

    def keys(self, event: Event) -> Iterable[str]:
        raise NotImplementedError

    def keys_of(self, events: Sequence[Event]) -> set[str]:
        """Every entity ``events`` touch (a subclass may compute it without a call per event)."""
        return {k for e in events for k in self.keys(e)}

    def load(self, row: Mapping[str, Any]) -> T:
        raise NotImplementedError

    def dump(self, key: str, entity: T) -> dict[str, Any]:
        raise NotImplementedError

    def state(self, entities: dict[str, T]) -> S:
        raise NotImplementedError

    def entities(self, state: S) -> Mapping[str, T]:
        raise NotImplementedError

    def reset(self, conn: Connection, to_block: int) -> bool:  # noqa: ARG002 - used by overrides
        """Undo the rows for a rewind to ``to_block``; returns whether stored events must be replayed."""
        conn.execute(delete(self.table))
        return True

    # --- the shared machinery ---

    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        wanted = sorted(self.keys_of(events))
        column = self.table.c[self.key]
        loaded: dict[str, T] = {}
        for chunk in chunks(wanted):
            for found in conn.execute(select(self.table).where(column.in_(chunk))).mappings():
                loaded[found[self.key]] = self.load(cast(Mapping[str, Any], found))
        before = {k: self.dump(k, v) for k, v in loaded.items()}
        state = self.state(dict(loaded))
        state = self.reducer.run(state, events)
        for anomaly in getattr(state, "anomalies", ()):
            logger.warning("projection.anomaly contract=%s detail=%s", self.reducer.contract, anomaly)
        rows = [
            row
            for k, entity in self.entities(state).items()
            if (self.owns_rows or k in before) and (row := self.dump(k, entity)) != before.get(k)
        ]
        if rows:
            self._write(conn, sorted(rows, key=lambda r: str(r[self.key])))

    def _write(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        if self.owns_rows:
            columns = [c.name for c in self.table.columns if c.name != self.key]
            conn.execute(insert_replace(conn, self.table, [self.key], columns), rows)
            return
        # update only: the key travels as a separate parameter, the other keys become the SET clause
        stmt = update(self.table).where(self.table.c[self.key] == bindparam("_key"))
        conn.execute(stmt, [{"_key": r[self.key], **{c: v for c, v in r.items() if c != self.key}} for r in rows])

    def rewind(self, conn: Connection, to_block: int) -> None:
        if self.reset(conn, to_block):
            self.replay(conn)

    def replay(self, conn: Connection) -> int:
        """Apply every stored event of this projection again, in key order; returns how many."""
        cols = [_EVENTS.c.key, _EVENTS.c.block_number, _EVENTS.c.contract, _EVENTS.c.name, _EVENTS.c.args]
        relevant = (_EVENTS.c.contract == self.reducer.contract) & _EVENTS.c.name.in_(sorted(self.events))
        replayed, after = 0, ""
        while True:
            page = [
                Event(str(k), int(b), str(c), str(n), a)
                for k, b, c, n, a in conn.execute(
                    select(*cols).where(relevant, _EVENTS.c.key > after).order_by(_EVENTS.c.key).limit(_REPLAY_PAGE)
                )
            ]
            if not page:
                return replayed
            self.apply(conn, page)
            replayed += len(page)
            after = page[-1].key
