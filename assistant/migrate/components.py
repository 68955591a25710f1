"""The components ``migrate`` copies: each one's SQLite file, tables, and Postgres migrations.

A component's tables are read from its own migrations (``created_tables``), so a table a later
migration adds is copied without a change here; a component whose Postgres schema arrives later
(feeds, bills, people, chat history) is copied by the same generic copier once it does.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant import db
from assistant.migrate.tables import (
    ComponentCopy,
    Progress,
    TableCopy,
    copy_table,
    dependency_order,
    postgres_columns,
    sqlite_tables,
    transaction,
)


@dataclass(frozen=True)
class Component:
    """One component's tables in one SQLite file, and how to create them on Postgres."""

    name: str
    #: The SQLite file under the data directory that holds the tables.
    file: str
    #: The tables, in any order (the copy follows Postgres's foreign keys).
    tables: Callable[[], Sequence[str]]
    #: Runs the component's own migrations on a Postgres connection (None: the tables must exist).
    prepare: Callable[[object], None] | None = None
    #: A copier other than the generic one (the data releases).
    copy: Callable[..., ComponentCopy] | None = None
    #: Whether ``file`` is a SQLite database (the staff accounts are a TOML file: the copier gets its path).
    sqlite: bool = True


def created_tables(*scripts: object) -> list[str]:
    """The tables that migration scripts (strings or ``db.Step``) create, in order."""
    names: list[str] = []
    for script in scripts:
        texts = [script] if isinstance(script, str) else [script.sqlite, script.postgres]
        for text in texts:
            for name in re.findall(r"CREATE\s+(?:VIRTUAL\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?\"?(\w+)", text, re.I):
                if name not in names:
                    names.append(name)
    return names


def _catalog_tables() -> list[str]:
    from assistant.retrieval.catalog import MIGRATIONS

    return created_tables(*MIGRATIONS)


def _catalog_prepare(conn) -> None:
    from assistant.retrieval.catalog import MIGRATIONS

    db.migrate(conn, "catalog", MIGRATIONS)


def _feeds_tables() -> list[str]:
    from assistant.feeds.store import MIGRATIONS

    return created_tables(*MIGRATIONS)


def _feeds_prepare(conn) -> None:
    from assistant.feeds.store import ensure_schema

    ensure_schema(conn)


def _bills_tables() -> list[str]:
    from assistant.bills.store import MIGRATIONS

    return created_tables(*MIGRATIONS)


def _bills_prepare(conn) -> None:
    from assistant.bills.store import ensure_schema

    ensure_schema(conn)


def _data_tables() -> list[str]:
    from assistant.occupations import extract, store

    return created_tables(*store.MIGRATIONS, *extract.MIGRATIONS)


def _data_prepare(conn) -> None:
    from assistant.occupations import extract, store

    store.ensure_schema(conn)
    db.migrate(conn, "data_extract", extract.MIGRATIONS)
    try:  # members and committees are the legislators release's tables
        from assistant.people.store import ensure_schema

        ensure_schema(conn)
    except db.errors():
        pass  # then the legislators release is reported as skipped: its tables are missing


def _chat_tables() -> list[str]:
    from assistant.chat.history import SCHEMA

    return created_tables(SCHEMA)


def _chat_prepare(conn) -> None:
    from assistant.chat import history

    _postgres_steps(conn, "chat", history)


def _signin_tables() -> list[str]:
    from assistant.chat.signins import SCHEMA

    return created_tables(SCHEMA)


def _signin_prepare(conn) -> None:
    from assistant.chat import signins

    _postgres_steps(conn, "signins", signins)


def _postgres_steps(conn, component: str, module) -> None:
    """The chat modules keep their Postgres tables apart (``POSTGRES_MIGRATIONS``, from the chat
    history step); without it the tables are copied only if something else created them."""
    steps = getattr(module, "POSTGRES_MIGRATIONS", None)
    if steps is not None:
        db.migrate(conn, component, steps)


def _copy_chat(source: sqlite3.Connection, target, component: Component, progress: Progress) -> ComponentCopy:
    """Chainlit's tables, then the element files of ``chat-files/`` into ``chat_files`` when
    Postgres keeps them there (a resumed chat's source cards open on any replica)."""
    from assistant.chat.history import safe_key
    from assistant.migrate import copy_component_tables

    result = copy_component_tables(source, target, component, progress)
    if result.skipped or not postgres_columns(target, "chat_files") or "elements" not in sqlite_tables(source):
        return result
    folder = Path(source.execute("PRAGMA database_list").fetchone()[2]).parent / "chat-files"
    keys = [(key, mime) for key, mime in source.execute(
        'SELECT "objectKey", mime FROM elements WHERE "objectKey" IS NOT NULL ORDER BY rowid')]
    copied = 0
    with transaction(target):
        for object_key, mime in keys:
            key = safe_key(object_key)  # the name both file stores keep it under
            path = folder / key
            if not path.is_file():
                continue
            copied += target.execute(
                "INSERT INTO chat_files (key, mime, body) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING key",
                (key, mime or "application/octet-stream", path.read_bytes())).fetchone() is not None
    result.tables.append(TableCopy("chat-files", len(keys), copied))
    progress(f"  {component.name}: chat-files {copied}/{len(keys)}")
    return result


def _copy_data(source: sqlite3.Connection, target, component: Component, progress: Progress) -> ComponentCopy:
    """The official data a release at a time: a source Postgres already holds is left whole.

    Mixing rows of two releases would break the rule that a source holds one release; Postgres
    has a source's release when this installation imported or loaded its own there first.
    """
    from assistant.occupations import store

    result = ComponentCopy(component.name)
    if "data_releases" not in sqlite_tables(source):
        return result
    held = {r["source"]: r for r in target.execute("SELECT source, release, checksum FROM data_releases")}
    extract_loads = "data_extract_loads" in sqlite_tables(source)
    for row in source.execute("SELECT source, release, checksum FROM data_releases ORDER BY source"):
        name, release, checksum = row
        tables = list(store.TABLES.get(name, ()))
        if name in held:
            result.tables.append(TableCopy(f"{name} {release}", 0, 0))
            if held[name]["checksum"] != checksum:
                result.notes.append(f"{name}: kept Postgres's {held[name]['release']}, not this {release}")
            continue
        missing = [t for t in tables if not postgres_columns(target, t)]
        if missing:
            result.notes.append(f"{name}: skipped, no Postgres tables yet ({', '.join(missing)})")
            continue
        with transaction(target):
            for table in tables:
                target.execute(f"DELETE FROM {table}")  # a source with no release holds no rows
            copies = [copy_table(source, target, table) for table in dependency_order(target, tables)]
            copy_table(source, target, "data_releases", where="source = ?", params=(name,))
            if extract_loads:
                copy_table(source, target, "data_extract_loads", where="source = ?", params=(name,))
        result.tables.append(TableCopy(f"{name} {release}", sum(c.rows for c in copies),
                                       sum(c.copied for c in copies)))
        progress(f"  data: {name} {release}: " + ", ".join(f"{c.table} {c.copied}" for c in copies))
    if extract_loads:  # seeds loaded once per extract version (tracked Massachusetts bills)
        with transaction(target):
            copy_table(source, target, "data_extract_loads",
                       where="source NOT IN (SELECT source FROM data_releases)")
    return result


def _copy_staff(source: Path, target, component: Component, progress: Progress) -> ComponentCopy:
    """The app's own staff accounts (``staff.toml``, hashes only) into ``staff_accounts``; the
    file's record that the first run happened comes along, so no new administrator is minted."""
    from assistant.chat.database import Link
    from assistant.chat.staff import StaffFile, StaffTable

    accounts = StaffFile(source)
    added = StaffTable(Link(target)).copy_from(accounts)
    result = ComponentCopy(component.name)
    result.tables.append(TableCopy("staff_accounts", len(accounts.accounts()), added))
    progress(f"  {component.name}: staff_accounts {added}/{len(accounts.accounts())}")
    return result


#: Copied in this order: the catalog, the data, what refers to documents, then the chat's files.
COMPONENTS: tuple[Component, ...] = (
    Component("catalog", "assistant.db", _catalog_tables, _catalog_prepare),
    Component("data", "assistant.db", _data_tables, _data_prepare, copy=_copy_data),
    Component("feeds", "assistant.db", _feeds_tables, _feeds_prepare),
    Component("bills", "assistant.db", _bills_tables, _bills_prepare),
    Component("chat history", "chat.db", _chat_tables, _chat_prepare, copy=_copy_chat),
    Component("sign-ins", "signin.db", _signin_tables, _signin_prepare),
    Component("staff accounts", "staff.toml", lambda: ["staff_accounts"], copy=_copy_staff, sqlite=False),
)
