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

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant import db
from assistant.config import Settings
from assistant.errors import AssistantError, ConfigError
from assistant.migrate.components import COMPONENTS, Component, created_tables
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
from assistant.migrate.vectors import copy_vectors

__all__ = ["COMPONENTS", "Component", "ComponentCopy", "MigrationReport", "TableCopy", "copy_table", "copy_vectors",
           "created_tables", "dependency_order", "migrate", "postgres_columns", "transaction"]


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

    @property
    def failed(self) -> list[str]:
        return [c.name for c in [*self.components, self.vectors] if c.error]

    def to_json(self) -> dict:
        return {"from": self.source, "to": self.target, "copied": self.copied, "failed": self.failed,
                "documents": self.documents,
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
                if component.sqlite and component.file not in opened:
                    opened[component.file] = _open_source(path)
                try:
                    source = opened[component.file] if component.sqlite else path
                    result = _copy_component(source, target, component, progress)
                except (AssistantError, *db.errors()) as exc:  # rolled back; the other components go on
                    result = ComponentCopy(component.name, error=_first_line(exc))
            progress(result.line())
            results.append(result)
        try:
            vectors = copy_vectors(source_dir, settings)
        except AssistantError as exc:  # an unreachable Chroma server
            vectors = ComponentCopy("vectors", error=str(exc))
        progress(vectors.line())
        documents = chunks = 0
        if postgres_columns(target, "chunks"):  # the catalog is there (it may have been left out)
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
        except (AssistantError, *db.errors()) as exc:
            return ComponentCopy(component.name, skipped=f"its schema does not run on Postgres: {_first_line(exc)}")
    if component.copy is not None:
        return component.copy(source, target, component, progress)
    return copy_component_tables(source, target, component, progress)


def copy_component_tables(source: sqlite3.Connection, target, component: Component,
                          progress: Progress) -> ComponentCopy:
    """The generic copy of a component: its tables present in SQLite, in one transaction."""
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


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
