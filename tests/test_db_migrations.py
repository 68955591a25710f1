"""One migration mechanism on both dialects: portable steps, per-dialect steps, versions, races."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from assistant import db, pg
from assistant.config import Settings
from assistant.errors import ConfigError, IndexNotReadyError

STEPS = [
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
    db.Step(
        sqlite="ALTER TABLE notes ADD COLUMN raw BLOB; CREATE INDEX notes_body ON notes (body);",
        postgres="ALTER TABLE notes ADD COLUMN raw BYTEA; CREATE INDEX notes_body ON notes (body);",
    ),
]


@pytest.fixture(params=["sqlite", "postgres"])
def open_conn(request, tmp_path):
    """A factory of connections to one fresh database of each dialect."""
    if request.param == "sqlite":
        target, connect = tmp_path / "x.db", db.connect
    else:
        target, connect = request.getfixturevalue("postgres_server").create_database(), pg.connect
    opened = []

    def open_one():
        opened.append(connect(target))
        return opened[-1]

    yield open_one
    for conn in opened:
        conn.close()


def column_names(conn, table: str) -> list[str]:
    cursor = conn.execute(f"SELECT * FROM {table} LIMIT 0")
    return [d[0] for d in cursor.description]


def test_steps_apply_once_in_order_and_are_recorded(open_conn):
    conn = open_conn()
    assert db.migrate(conn, "notes", STEPS[:1]) == 1
    assert column_names(conn, "notes") == ["id", "body"]
    assert db.migrate(conn, "notes", STEPS) == 2
    assert column_names(conn, "notes") == ["id", "body", "raw"]
    assert db.migrate(conn, "notes", STEPS) == 2  # nothing left to run: no error from re-creating
    assert db.versions(conn)["notes"] == 2


def test_a_failing_step_leaves_the_previous_version(open_conn):
    conn = open_conn()
    with pytest.raises((sqlite3.Error, pg.Error)):
        db.migrate(conn, "notes", [STEPS[0], "CREATE TABLE broken (x NOSUCHTYPE("])
    assert db.versions(conn) == {"notes": 1}
    assert column_names(conn, "notes") == ["id", "body"]


def test_a_newer_schema_is_refused_with_a_readable_error(open_conn):
    conn = open_conn()
    db.migrate(conn, "notes", STEPS)
    with pytest.raises(IndexNotReadyError, match="notes schema is version 2, newer than this program knows"):
        db.migrate(conn, "notes", STEPS[:1])


def test_processes_migrating_at_once_run_each_step_once(open_conn):
    connections = [open_conn() for _ in range(4)]
    errors: list[BaseException] = []

    def run(conn):
        try:
            db.migrate(conn, "notes", STEPS)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert db.versions(connections[0])["notes"] == 2


def test_the_database_url_must_be_postgres_and_status_hides_the_password():
    with pytest.raises(ConfigError, match="ASSISTANT_DATABASE_URL: expected a postgresql:// URL"):
        Settings.from_env({"ASSISTANT_DATABASE_URL": "mysql://db/x"})
    settings = Settings.from_env({"ASSISTANT_DATABASE_URL": "postgresql://app:s3cret@db.internal:6543/assistant"})
    assert pg.describe(settings.database_url) == "db.internal:6543/assistant"
    assert pg.describe("postgresql://localhost/assistant") == "localhost:5432/assistant"


def test_an_unreachable_database_is_a_one_line_error():
    from pg_support import free_port

    url = f"postgresql://app:s3cret@127.0.0.1:{free_port()}/assistant"
    with pytest.raises(IndexNotReadyError, match=r"^Postgres at 127\.0\.0\.1:\d+/assistant: cannot connect") as info:
        pg.connect(url)
    assert "s3cret" not in str(info.value)
