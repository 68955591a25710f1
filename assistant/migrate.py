"""``assistant migrate --from-sqlite DIR``: copy an embedded installation into Postgres and the vector target.

    DIR/assistant.db, chat.db, signin.db | per component: its migrations on Postgres, then its tables
        in foreign-key order (COPY into a staging table, INSERT ... ON CONFLICT DO NOTHING), sequences set
    DIR/chroma (the collection of the current settings) | vectors the target lacks, with their embeddings

Every component is copied by the same table copier, so a component that gains its Postgres
schema later (feeds, bills, people, chat history) is copied as soon as its migrations run there:
the columns copied are the SQLite table's that the Postgres table also has (generated columns,
such as the catalog's ``tsv``, are computed by Postgres). Rows already in Postgres are kept (their
key conflicts), so a second run copies nothing; each component is one transaction, so a run
stopped half-way leaves whole components behind and the next run copies the rest. The official
data is copied a release at a time: a source Postgres already holds is left as it is.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant import db
from assistant.config import Settings
from assistant.errors import ConfigError

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

    @property
    def copied(self) -> int:
        return sum(t.copied for t in self.tables)

    def line(self) -> str:
        if self.skipped:
            return f"{self.name}: skipped ({self.skipped})"
        tables = ", ".join(f"{t.table} {t.copied:,}/{t.rows:,}" for t in self.tables) or "nothing stored"
        unit = "vectors" if self.name == "vectors" else "rows"
        return f"{self.name}: copied {self.copied:,} {unit} ({tables})" + "".join(f"; {n}" for n in self.notes)

    def to_json(self) -> dict:
        return {"name": self.name, "copied": self.copied, "skipped": self.skipped or None, "notes": self.notes,
                "tables": {t.table: {"rows": t.rows, "copied": t.copied} for t in self.tables}}


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


# -- the components ----------------------------------------------------------------------------------


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


def _signin_tables() -> list[str]:
    from assistant.chat.signins import SCHEMA

    return created_tables(SCHEMA)


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


# -- the vectors -------------------------------------------------------------------------------------


def copy_vectors(source_dir: Path, settings: Settings) -> ComponentCopy:
    """The vectors of ``source_dir``'s embedded Chroma that the target lacks, embeddings as stored.

    The collection is the current settings' (named after the embedding model and chunking), so
    the copy is what this configuration searches; nothing is embedded again.
    """
    from assistant.retrieval.vectorstore import MAX_BATCH, VectorStore

    result = ComponentCopy("vectors")
    source_path = source_dir / "chroma"
    if not source_path.is_dir():
        result.skipped = f"no chroma folder in {source_dir}"
        return result
    if not settings.chroma_url and settings.chroma_path.resolve() == source_path.resolve():
        result.skipped = "the vectors already live in this embedded store"
        return result
    source = VectorStore(collection_name=settings.collection_name, path=source_path)
    target = VectorStore(collection_name=settings.collection_name, path=settings.chroma_path, url=settings.chroma_url)
    held = target.all_ids()
    total = copied = 0
    offset = 0
    while True:
        page = source.collection.get(include=["embeddings", "documents", "metadatas"], limit=MAX_BATCH,
                                     offset=offset)
        offset += len(page["ids"])
        total += len(page["ids"])
        new = [i for i, chunk_id in enumerate(page["ids"]) if chunk_id not in held]
        if new:
            target.upsert([page["ids"][i] for i in new], page["embeddings"][new],
                          [page["documents"][i] for i in new], [page["metadatas"][i] for i in new])
            copied += len(new)
        if len(page["ids"]) < MAX_BATCH:
            break
    result.tables.append(TableCopy(f"{settings.collection_name} at {target.location}", total, copied))
    return result


#: Copied in this order: the catalog, then what refers to documents, then chat history.
COMPONENTS: tuple[Component, ...] = (
    Component("catalog", "assistant.db", _catalog_tables, _catalog_prepare),
    Component("data", "assistant.db", _data_tables, _data_prepare, copy=_copy_data),
    Component("feeds", "assistant.db", _feeds_tables, _feeds_prepare),
    Component("bills", "assistant.db", _bills_tables, _bills_prepare),
    # Chainlit's tables and the sign-in ledger: copied when their Postgres tables exist.
    Component("chat history", "chat.db", _chat_tables),
    Component("sign-ins", "signin.db", _signin_tables),
)


# -- running it --------------------------------------------------------------------------------------


@dataclass
class MigrationReport:
    source: str
    target: str
    components: list[ComponentCopy]
    vectors: ComponentCopy
    #: What ``assistant status`` counts, read back from Postgres after the copy.
    documents: int = 0
    chunks: int = 0

    @property
    def copied(self) -> int:
        return sum(c.copied for c in self.components) + self.vectors.copied

    def to_json(self) -> dict:
        return {"from": self.source, "to": self.target, "copied": self.copied, "documents": self.documents,
                "chunks": self.chunks, "components": [c.to_json() for c in [*self.components, self.vectors]]}


def migrate(source_dir: Path | str, settings: Settings, *, progress: Progress = lambda _line: None,
            components: Iterable[Component] = COMPONENTS) -> MigrationReport:
    """Copy the installation in ``source_dir`` into ``settings``' Postgres and vector store."""
    from assistant import pg

    source_dir = Path(source_dir)
    if not settings.database_url:
        raise ConfigError("migrate: ASSISTANT_DATABASE_URL is not set (the Postgres database to copy into)")
    opened = {"assistant.db": _open_source(_check_source(source_dir))}
    try:
        target = db.open_database(settings)  # an unreachable database is one line here
    except BaseException:
        opened["assistant.db"].close()
        raise
    try:
        results = []
        for component in components:
            path = source_dir / component.file
            if not path.is_file():
                result = ComponentCopy(component.name, skipped=f"no {component.file} in {source_dir}")
            else:
                if component.file not in opened:
                    opened[component.file] = _open_source(path)
                result = _copy_component(opened[component.file], target, component, progress)
            progress(result.line())
            results.append(result)
        vectors = copy_vectors(source_dir, settings)
        progress(vectors.line())
        documents = target.execute("SELECT count(*) FROM documents WHERE state = 'ready'").fetchone()[0]
        chunks = target.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return MigrationReport(str(source_dir), f"postgres: {pg.describe(settings.database_url)}", results, vectors,
                               documents=documents, chunks=chunks)
    finally:
        for conn in opened.values():
            conn.close()
        target.close()


def _check_source(source_dir: Path) -> Path:
    if not source_dir.exists():
        raise ConfigError(f"{source_dir}: no such data directory")
    if not source_dir.is_dir():
        raise ConfigError(f"{source_dir}: not a directory (pass the old data directory, which holds assistant.db)")
    path = source_dir / "assistant.db"
    if not path.is_file():
        raise ConfigError(f"{source_dir}: no assistant.db here (is this an assistant data directory?)")
    return path


def _open_source(path: Path) -> sqlite3.Connection:
    """``path`` read-only: the old installation is never written to."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return conn


def _copy_component(source: sqlite3.Connection, target, component: Component, progress: Progress) -> ComponentCopy:
    if component.prepare is not None:
        try:
            component.prepare(target)
        except db.errors() as exc:
            return ComponentCopy(component.name, skipped=f"its schema does not run on Postgres: {_first_line(exc)}")
    if component.copy is not None:
        return component.copy(source, target, component, progress)
    names = [t for t in component.tables() if t in sqlite_tables(source)]
    missing = [t for t in names if not postgres_columns(target, t)]
    if names and len(missing) == len(names):
        return ComponentCopy(component.name, skipped="no Postgres tables for it yet: " + ", ".join(missing))
    result = ComponentCopy(component.name)
    if missing:
        result.notes.append("not on Postgres: " + ", ".join(missing))
    present = [t for t in names if t not in missing]
    with transaction(target):
        for table in dependency_order(target, present):
            copied = copy_table(source, target, table)
            progress(f"  {component.name}: {table} {copied.copied}/{copied.rows}")
            result.tables.append(copied)
    return result


# -- the generic table copy --------------------------------------------------------------------------


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
    integers = [pg_columns[c]["type"] in ("integer", "bigint", "smallint") for c in columns]
    selected = ", ".join(f'"{c}"' for c in columns)
    order = " ORDER BY rowid" if _has_rowid(source, table) else ""
    cursor = source.execute(f'SELECT {selected} FROM "{table}"{condition}{order}', params)
    with raw.cursor() as stage, stage.copy(f"COPY _migrate_stage ({names}) FROM STDIN") as copy:
        while batch := cursor.fetchmany(BATCH):
            for row in batch:
                copy.write_row([_integer(v) if is_int else v for v, is_int in zip(row, integers)])
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


def _integer(value):
    """SQLite keeps 3.0 in an INTEGER column as written; Postgres's integer input refuses "3.0"."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
