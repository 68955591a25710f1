"""Postgres connections (``ASSISTANT_DATABASE_URL``): the only module that imports psycopg.

Connections run in autocommit mode, as the SQLite ones do (``isolation_level=None``): each
caller opens its own transactions with ``BEGIN`` where several statements must land together.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import psycopg

from assistant.errors import IndexNotReadyError

#: Raised by the driver for any database failure; callers that translate errors catch this.
Error = psycopg.Error
IntegrityError = psycopg.IntegrityError

_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"


def connect(url: str) -> psycopg.Connection:
    """Open ``url`` in autocommit mode, with the schema-version table in place."""
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise IndexNotReadyError(f"Postgres at {describe(url)}: cannot connect: {_first_line(exc)}") from exc
    conn.execute(_VERSION_TABLE)
    return conn


def describe(url: str) -> str:
    """``host:port/database`` of a connection URL, never its user name or password."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    return f"{host}:{parts.port or 5432}/{parts.path.lstrip('/') or 'postgres'}"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class Row(tuple):
    """A result row read by position or by column name, like ``sqlite3.Row`` (``dict(row)`` works)."""

    __slots__ = ()
    _index: dict[str, int] = {}

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor):
    names = [column.name for column in cursor.description or ()]
    row_type = type("Row", (Row,), {"__slots__": (), "_index": {name: i for i, name in enumerate(names)}})
    return lambda values: row_type(values)


class Connection:
    """A psycopg connection spoken to as the stores speak to ``sqlite3``.

    The stores' SQL is written once, in the subset both dialects share (``ON CONFLICT``,
    ``RETURNING``, ``COALESCE``); this adapter bridges what the drivers differ in: ``?``
    placeholders, rows by name or position, ``executemany``, and ``BEGIN IMMEDIATE`` (SQLite's
    "take the write lock now"), which is a plain ``BEGIN`` here. Callers that need one writer at a
    time on Postgres take an advisory lock (``advisory_lock``) inside their transaction.
    """

    dialect = "postgres"

    def __init__(self, raw: psycopg.Connection, *, url: str) -> None:
        self.raw = raw
        self.url = url

    def execute(self, sql: str, params: Sequence | None = ()):
        cursor = self.raw.cursor(row_factory=_row_factory)
        return cursor.execute(*_statement(sql, params))

    def executemany(self, sql: str, rows) -> psycopg.Cursor:
        cursor = self.raw.cursor(row_factory=_row_factory)
        cursor.executemany(_translate(sql), [tuple(r) for r in rows])
        return cursor

    def advisory_lock(self, key: str) -> None:
        """Hold ``key`` until the current transaction ends (another holder makes this wait)."""
        self.raw.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))

    def try_advisory_lock(self, key: str) -> bool:
        """Take ``key`` for the current transaction if nobody holds it; False if someone does."""
        return bool(self.raw.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", (key,)).fetchone()[0])

    def close(self) -> None:
        self.raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()


def open_connection(url: str) -> Connection:
    """``connect(url)`` wrapped for the stores (``?`` placeholders, rows by name)."""
    return Connection(connect(url), url=url)


def _statement(sql: str, params: Sequence | None) -> tuple:
    if sql.strip().upper() == "BEGIN IMMEDIATE":
        return ("BEGIN",)
    if not params:
        return (sql,)  # no parameters: psycopg leaves a literal % alone
    return (_translate(sql), tuple(params))


def _translate(sql: str) -> str:
    """``?`` -> ``%s`` and ``%`` -> ``%%`` outside quoted strings and identifiers."""
    out, quote = [], ""
    for ch in sql:
        if quote:
            out.append("%%" if ch == "%" else ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)
