"""The SQLite catalog file: opening it, and per-component schema migrations on either dialect.

Each component (``catalog``, ``feeds``, ...) owns an ordered list of migration steps; the
``schema_version`` table records how many of each have run, so upgrading an old data directory
(or database) applies only what is missing, in order, each in its own transaction. A step is
portable SQL (a string) or a ``Step`` giving SQL per dialect; the same table records both, so
``assistant status`` reads versions the same way on SQLite and Postgres.
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import IndexNotReadyError


def connect(path: Path | str) -> sqlite3.Connection:
    """Open the catalog with WAL (readers never block the single writer) and foreign keys on."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError as exc:
        raise IndexNotReadyError(f"{path}: cannot open the catalog: {exc}") from exc
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
    )
    return conn


@dataclass(frozen=True)
class Step:
    """One migration step written once per dialect (types, full-text search and DDL differ)."""

    sqlite: str
    postgres: str


def dialect(conn) -> str:
    """``sqlite`` for the standard library's connections; anything else is a psycopg one."""
    return "sqlite" if isinstance(conn, sqlite3.Connection) else "postgres"


def open_database(settings):
    """The relational store of ``settings``: Postgres (``database_url``) or the SQLite file.

    Both answer ``execute(sql, params)`` with ``?`` placeholders and rows readable by name, so a
    store writes its queries once (see ``assistant.pg.Connection`` for what is bridged).
    """
    if settings.database_url:
        from assistant import pg

        return pg.open_connection(settings.database_url)
    return connect(settings.db_path)


def errors() -> tuple[type[Exception], ...]:
    """The driver errors of both dialects, for ``except db.errors()`` around a store's work."""
    from assistant import pg

    return (sqlite3.Error, pg.Error)


def integrity_errors() -> tuple[type[Exception], ...]:
    """A broken constraint (a duplicate key, a missing parent) on either dialect."""
    from assistant import pg

    return (sqlite3.IntegrityError, pg.IntegrityError)


def one_writer(conn, key: str) -> None:
    """Inside a write transaction, wait until no other process writes under ``key``.

    SQLite's ``BEGIN IMMEDIATE`` already lets one writer in at a time; on Postgres an advisory
    lock for ``key`` does the same for the writers that ask for it, released at commit.
    """
    if dialect(conn) == "postgres":
        conn.advisory_lock(key)


@contextmanager
def exclusive(conn, name: str) -> Iterator[None]:
    """Hold the lock ``name`` across several transactions (long work such as embedding): other
    processes asking for ``name`` wait. Call it outside a transaction.

    Postgres: a session advisory lock, released at the end or when the connection dies (a killed
    process never leaves it held). SQLite: an exclusive ``flock`` on a file beside the database,
    which the kernel releases with the process.
    """
    if dialect(conn) == "postgres":
        conn.execute("SELECT pg_advisory_lock(hashtext(?))", (f"exclusive:{name}",))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(?))", (f"exclusive:{name}",))
        return
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    if not path:  # an in-memory database has one process by definition
        yield
        return
    with open(f"{path}.{name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def migrate(conn, component: str, migrations: Sequence[str | Step]) -> int:
    """Apply the steps of ``migrations`` not yet applied for ``component``; return the version.

    The version is read inside each step's transaction, under a lock that other processes
    migrating the same database wait for (SQLite's write lock, a Postgres advisory lock), so two
    processes starting at once never run a step twice.
    """
    name = dialect(conn)
    conn = getattr(conn, "raw", conn)  # the ``?``-speaking adapter: migrations use the driver's own marks
    if _version(conn, name, component) == len(migrations):
        return len(migrations)  # the usual case: no write lock taken just to open
    while True:
        with _locked(conn, name, component):
            current = _version(conn, name, component)
            if current > len(migrations):
                raise IndexNotReadyError(
                    f"{component} schema is version {current}, newer than this program knows "
                    f"({len(migrations)}); upgrade the assistant"
                )
            if current == len(migrations):
                return current
            _run_script(conn, name, _script(migrations[current], name))
            _record(conn, name, component, current + 1)


def versions(conn) -> dict[str, int]:
    """Each component's schema version in this database."""
    conn = getattr(conn, "raw", conn)
    return {row[0]: row[1] for row in conn.execute("SELECT component, version FROM schema_version ORDER BY component")}


def _script(step: str | Step, name: str) -> str:
    return step if isinstance(step, str) else getattr(step, name)


class _locked:
    """One transaction holding the database's migration lock for ``component``."""

    def __init__(self, conn, name: str, component: str) -> None:
        self.conn, self.name, self.component = conn, name, component

    def __enter__(self):
        if self.name == "sqlite":
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn.execute("BEGIN")
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"migrate:{self.component}",))

    def __exit__(self, exc_type, *_):
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


def _version(conn, name: str, component: str) -> int:
    mark = "?" if name == "sqlite" else "%s"
    row = conn.execute(f"SELECT version FROM schema_version WHERE component = {mark}", (component,)).fetchone()
    return row[0] if row else 0


def _record(conn, name: str, component: str, version: int) -> None:
    mark = "?" if name == "sqlite" else "%s"
    conn.execute(
        f"INSERT INTO schema_version (component, version) VALUES ({mark}, {mark}) "
        "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
        (component, version),
    )


def _run_script(conn, name: str, script: str) -> None:
    if name == "postgres":
        conn.execute(script)  # psycopg runs several statements in one call when there are no parameters
        return
    for statement in _statements(script):
        conn.execute(statement)


def _statements(script: str) -> list[str]:
    # executescript() would commit our transaction; split on complete statements instead.
    # Split at each ";" and join pieces until one is complete (a trigger body holds several ";").
    out, buf = [], ""
    for piece in script.split(";"):
        if not buf and not piece.strip():
            continue
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
