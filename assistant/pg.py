"""Postgres connections (``ASSISTANT_DATABASE_URL``): the only module that imports psycopg.

Connections run in autocommit mode, as the SQLite ones do (``isolation_level=None``): each
caller opens its own transactions with ``BEGIN`` where several statements must land together.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import psycopg

from assistant.errors import IndexNotReadyError

#: Raised by the driver for any database failure; callers that translate errors catch this.
Error = psycopg.Error

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
