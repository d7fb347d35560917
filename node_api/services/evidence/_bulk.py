"""Bulk writes straight through the DB-API ``executemany`` (a thousand rows per call).

SQLAlchemy's executemany spends most of its time per row in Python (parameter processing); here each
column's own bind processor (JSON, datetime) is applied once per value and the driver gets plain tuples,
in the dialect's parameter style (SQLite ``?``, psycopg ``%s``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table

__all__ = ["bulk_insert", "bulk_update"]


def _marker(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _processors(conn: Connection, table: Table, names: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    dialect = conn.dialect
    return [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]


def _row(values: Sequence[Any], procs: Sequence[Callable[[Any], Any] | None]) -> tuple[Any, ...]:
    return tuple(v if p is None or v is None else p(v) for v, p in zip(values, procs, strict=True))


def bulk_insert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """``INSERT INTO table (cols) VALUES (...)`` for every row (all rows have the same keys)."""
    if not rows:
        return
    names = list(rows[0])
    procs = _processors(conn, table, names)
    m = _marker(conn)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([m] * len(names))})"  # noqa: S608
    conn.exec_driver_sql(sql, [_row([r[n] for n in names], procs) for r in rows])


def bulk_update(conn: Connection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """``UPDATE table SET cols = ... WHERE key = ...`` for every row (all rows have the same keys)."""
    if not rows:
        return
    names = [n for n in rows[0] if n != key]
    procs = _processors(conn, table, [*names, key])
    m = _marker(conn)
    sets = ", ".join(f"{n} = {m}" for n in names)
    sql = f"UPDATE {table.name} SET {sets} WHERE {key} = {m}"  # noqa: S608
    conn.exec_driver_sql(sql, [_row([*(r[n] for n in names), r[key]], procs) for r in rows])
