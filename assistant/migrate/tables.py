"""The generic table copy: SQLite rows into the Postgres table of the same name, once.

    SELECT cols FROM t ORDER BY rowid (batches) | COPY into a staging table |
    INSERT INTO t SELECT ... ON CONFLICT DO NOTHING | setval past the copied ids

The columns copied are the SQLite table's that the Postgres table also has, minus those Postgres
generates (the catalog's ``tsv``). Callers hold a transaction (``transaction``) around a
component's tables, which they take in ``dependency_order``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant import db
from assistant.errors import AssistantError

#: Rows read from SQLite and written to the COPY stream at a time.
BATCH = 5000

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TableCopy:
    table: str
    #: Rows in the SQLite table (of the part copied), and rows Postgres did not already hold.
    rows: int
    copied: int


@dataclass
class ComponentCopy:
    """What one component's copy did: per table, or why the component was skipped."""

    name: str
    tables: list[TableCopy] = field(default_factory=list)
    skipped: str = ""
    notes: list[str] = field(default_factory=list)
    #: Why the copy failed (rolled back; the next run tries again), or "".
    error: str = ""

    @property
    def copied(self) -> int:
        return sum(t.copied for t in self.tables)

    def line(self) -> str:
        if self.error:
            return f"{self.name}: failed ({self.error})"
        if self.skipped:
            return f"{self.name}: skipped ({self.skipped})"
        tables = ", ".join(f"{t.table} {t.copied:,}/{t.rows:,}" for t in self.tables) or "nothing stored"
        unit = "vectors" if self.name == "vectors" else "rows"
        return f"{self.name}: copied {self.copied:,} {unit} ({tables})" + "".join(f"; {n}" for n in self.notes)

    def to_json(self) -> dict:
        return {"name": self.name, "copied": self.copied, "skipped": self.skipped or None, "error": self.error or None,
                "notes": self.notes, "tables": {t.table: {"rows": t.rows, "copied": t.copied} for t in self.tables}}


class CopyError(AssistantError):
    """A table that could not be copied (a value its Postgres column refuses, a broken key)."""

    def __init__(self, table: str, cause: Exception) -> None:
        text = str(cause).strip()
        super().__init__(f"{table}: {text.splitlines()[0] if text else type(cause).__name__}")


class transaction:
    """One Postgres transaction on the store adapter: committed on success, rolled back on error."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN")
        db.one_writer(self.conn, "migrate")

    def __exit__(self, exc_type, *_):
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


def sqlite_tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def sqlite_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]


def postgres_columns(conn, table: str) -> dict[str, dict]:
    """Column name -> {type, generated, identity} of ``table`` in the current schema ({} if absent)."""
    rows = conn.raw.execute(
        "SELECT column_name, data_type, is_generated, is_identity, column_default FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position", (table,)).fetchall()
    return {name: {"type": kind, "generated": generated == "ALWAYS",
                   "sequence": identity == "YES" or str(default or "").startswith("nextval(")}
            for name, kind, generated, identity, default in rows}


def has_key(conn, table: str) -> bool:
    """Whether ``table`` has a primary key or unique constraint (rows can be matched on a rerun)."""
    return bool(conn.raw.execute(
        "SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype IN ('p', 'u') LIMIT 1",
        (_quoted(table),)).fetchone())


def dependency_order(conn, tables: Sequence[str]) -> list[str]:
    """``tables`` with every table after the tables its foreign keys point to (ties keep their order)."""
    parents: dict[str, set[str]] = {t: set() for t in tables}
    for child, parent in conn.raw.execute(
            "SELECT c.relname, p.relname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
            "JOIN pg_class p ON p.oid = k.confrelid WHERE k.contype = 'f' AND c.relnamespace = "
            "current_schema()::regnamespace"):
        if child in parents and parent in parents and parent != child:
            parents[child].add(parent)
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered and parents[t] <= set(ordered)]
        ordered.extend(ready or [t for t in tables if t not in ordered])  # a cycle: keep the given order
    return ordered


def copy_table(source: sqlite3.Connection, target, table: str, *, where: str = "",
               params: Sequence = ()) -> TableCopy:
    """Copy ``table``'s rows (those matching ``where``) that Postgres lacks, inside the caller's transaction.

    The rows stream through ``COPY`` into a staging table and one ``INSERT ... ON CONFLICT DO
    NOTHING`` moves the new ones, in SQLite's ``rowid`` order. A table without a key cannot tell
    its rows apart, so it is copied only while it is empty on Postgres.
    """
    try:
        return _copy_table(source, target, table, where=where, params=params)
    except (sqlite3.Error, *db.errors()) as exc:
        raise CopyError(table, exc) from exc


def _copy_table(source: sqlite3.Connection, target, table: str, *, where: str, params: Sequence) -> TableCopy:
    pg_columns = postgres_columns(target, table)
    columns = [c for c in sqlite_columns(source, table) if c in pg_columns and not pg_columns[c]["generated"]]
    condition = f" WHERE {where}" if where else ""
    rows = source.execute(f'SELECT count(*) FROM "{table}"{condition}', params).fetchone()[0]
    if not columns or rows == 0:
        return TableCopy(table, rows, 0)
    raw = target.raw
    if not has_key(target, table) and raw.execute(f"SELECT EXISTS (SELECT 1 FROM {_quoted(table)})").fetchone()[0]:
        return TableCopy(table, rows, 0)
    names = ", ".join(_quoted(c) for c in columns)
    raw.execute(f"CREATE TEMP TABLE _migrate_stage ON COMMIT DROP AS SELECT {names} FROM {_quoted(table)} "
                "WITH NO DATA")
    raw.execute("ALTER TABLE _migrate_stage ADD COLUMN _migrate_order BIGINT GENERATED ALWAYS AS IDENTITY")
    kinds = [pg_columns[c]["type"] for c in columns]
    selected = ", ".join(f'"{c}"' for c in columns)
    order = " ORDER BY rowid" if _has_rowid(source, table) else ""
    cursor = source.execute(f'SELECT {selected} FROM "{table}"{condition}{order}', params)
    with raw.cursor() as stage, stage.copy(f"COPY _migrate_stage ({names}) FROM STDIN") as copy:
        while batch := cursor.fetchmany(BATCH):
            for row in batch:
                copy.write_row([_value(v, kind) for v, kind in zip(row, kinds)])
    overriding = " OVERRIDING SYSTEM VALUE" if any(pg_columns[c]["sequence"] for c in columns) else ""
    copied = raw.execute(f"INSERT INTO {_quoted(table)} ({names}){overriding} SELECT {names} FROM _migrate_stage "
                         "ORDER BY _migrate_order ON CONFLICT DO NOTHING").rowcount
    raw.execute("DROP TABLE _migrate_stage")
    for column in columns:
        if pg_columns[column]["sequence"]:
            # The copied ids came from SQLite; the next id Postgres hands out must follow them.
            raw.execute(f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(MAX({_quoted(column)}), 0) + 1, "
                        f"false) FROM {_quoted(table)}", (_quoted(table), column))
    return TableCopy(table, rows, copied)


def _has_rowid(conn: sqlite3.Connection, table: str) -> bool:
    try:
        conn.execute(f'SELECT rowid FROM "{table}" LIMIT 0')
    except sqlite3.OperationalError:
        return False  # a WITHOUT ROWID table
    return True


def _value(value, kind: str):
    """``value`` as the Postgres column of type ``kind`` reads it in COPY's text format."""
    if kind in ("integer", "bigint", "smallint") and isinstance(value, float) and value.is_integer():
        return int(value)  # SQLite keeps 3.0 in an INTEGER column; Postgres's integer input refuses "3.0"
    if kind == "ARRAY" and isinstance(value, str) and value.startswith("["):
        return json.loads(value)  # a list SQLite holds as JSON text (Chainlit's tags)
    return value


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'

