"""``assistant migrate --from-sqlite DIR``: a real embedded installation copied into a real Postgres.

The installation is built the way an operator's is: documents ingested (the keyword-count fake
model, so the vectors are cheap but rank meaningfully), the shipped data extract loaded, a feed
subscribed, a chat database present. The copy goes to a fresh Postgres database and either the
new data directory's embedded Chroma or (slow) a real ``chroma run`` server.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS, REPO

from assistant import db, migrate
from assistant.cli import main
from assistant.config import Settings
from assistant.occupations.desk import DataDesk
from assistant.service import Service

#: FTS5 and Postgres's tsvector rank keyword matches a little differently (docs/postgres.md), so the
#: hybrid hits of the copy are compared with the same corpus ingested into Postgres directly.
QUESTIONS = ["what is CBET certification?", "apprenticeship programs for biomedical technicians",
             "right to repair medical devices", "how do I get a job repairing hospital equipment"]
DATA_QUESTION = "how much do bmets make in massachusetts"


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    """An embedded installation: SQLite catalog + FTS5, Chroma, the data extract, a feed, chat.db."""
    from conftest import KeywordEmbeddings

    from assistant.chat import history, signins

    root = tmp_path_factory.mktemp("old")
    shutil.copytree(REPO / "corpus" / "data", root / "extract")
    service = Service(Settings(data_dir=root / "data"), embeddings=KeywordEmbeddings)
    report = service.ingest([str(CORPUS), str(root / "extract")])
    assert not report.failed and len(report.data) == 4
    service.close()
    added = CliRunner().invoke(main, ["--data-dir", str(root / "data"), "feeds", "add",
                                      "http://127.0.0.1:9/feed.xml", "--name", "Test feed"])
    assert added.exit_code == 0, added.output
    # A tracked bill whose first fetch failed (nothing listens there): the tracking row is kept.
    tracked = CliRunner().invoke(main, ["--data-dir", str(root / "data"), "bills", "track", "hr6655", "--congress",
                                        "119"], env={"ASSISTANT_BILLSTATUS_URL": "http://127.0.0.1:9/BILLSTATUS"})
    assert "Tracking H.R. 6655" in tracked.output, tracked.output
    history.ensure_schema(root / "data" / "chat.db")
    with sqlite3.connect(root / "data" / "chat.db") as chat:  # a staff member's chat with a source card
        chat.executescript("""
            INSERT INTO users (id, identifier, "createdAt", metadata) VALUES ('u1', 'staff', '2026-01-01', '{}');
            INSERT INTO threads (id, "createdAt", name, "userId", "userIdentifier", tags, metadata)
                VALUES ('t1', '2026-01-01T10:00:00Z', 'BMET pay', 'u1', 'staff', '["advocacy"]', '{"a": 1}');
            INSERT INTO steps (id, name, type, "threadId", streaming, "isError", output, "createdAt")
                VALUES ('s1', 'Assistant', 'assistant_message', 't1', 0, 0, 'BMETs earn...', '2026-01-01T10:00:01Z');
            INSERT INTO elements (id, "threadId", type, name, "objectKey", mime, "forId")
                VALUES ('e1', 't1', 'custom', 'card', 'u1/e1/card.json', 'application/json', 's1');
        """)
    with sqlite3.connect(root / "data" / "signin.db") as ledger:  # the sign-in ledger: two failures, a guest
        ledger.executescript(signins.SCHEMA + """
            INSERT INTO failures (id, name, address, at)
                VALUES (4, 'staff', '10.0.0.1', 1.5), (9, 'x', '10.0.0.2', 2.5);
            INSERT INTO guests (address, at) VALUES ('10.0.0.3', 3.5);
        """)
    staff = CliRunner().invoke(main, ["--data-dir", str(root / "data"), "staff", "add", "dana", "--password-stdin"],
                               input="correct horse battery\n")
    assert staff.exit_code == 0, staff.output
    (root / "data" / "chat-files" / "u1" / "e1").mkdir(parents=True)
    (root / "data" / "chat-files" / "u1" / "e1" / "card.json").write_text('{"title": "BMET basics"}')
    return root / "data"


def services(settings_list):
    from conftest import KeywordEmbeddings

    return [Service(s, embeddings=KeywordEmbeddings) for s in settings_list]


def check_copy(installation, target: Settings, report: migrate.MigrationReport, native_url: str) -> None:
    """``status`` counts, vectors, hybrid hits and data facts of the copy against the original."""
    old, new, native = services([Settings(data_dir=installation), target,
                                 Settings(data_dir=target.data_dir.parent / "native", database_url=native_url)])
    native.ingest([str(CORPUS)])
    try:
        before, after = old.status(), new.status()
        assert (after["documents"], after["chunks"]) == (before["documents"], before["chunks"]) == (
            report.documents, report.chunks)
        assert before["documents"] == 9 and after["backend"] == "postgres"
        assert sorted(f["url"] for f in after["feeds"]) == sorted(f["url"] for f in before["feeds"])
        assert "http://127.0.0.1:9/feed.xml" in [f["url"] for f in after["feeds"]]
        for question in QUESTIONS:
            vector = old.embeddings.embed_query_array(question)
            # The vector side is the same stored embeddings: the same chunks at the same distances.
            assert ([(m.chunk_id, round(m.distance, 5)) for m in new.vectors.query(vector, k=5, where=None)]
                    == [(m.chunk_id, round(m.distance, 5)) for m in old.vectors.query(vector, k=5, where=None)])
            # The keyword index copied from FTS5 answers as one built on Postgres does.
            assert ([h.chunk_id for h in new.search(question)[0]]
                    == [h.chunk_id for h in native.search(question)[0]]), question
        facts = [[f.sentences for f in DataDesk(s.db, home_area="Springfield, MA").answer(DATA_QUESTION).facts]
                 for s in (old, new)]
        assert facts[0] and facts[0] == facts[1]
    finally:
        for service in (old, new, native):
            service.close()


def test_migrate_copies_everything_once_into_postgres_and_embedded_chroma(installation, postgres_server, tmp_path):
    target = Settings(data_dir=tmp_path / "new", database_url=postgres_server.create_database())
    lines: list[str] = []
    report = migrate.migrate(installation, target, progress=lines.append)
    by_name = {c.name: c for c in report.components}
    assert by_name["catalog"].copied == 9 + 2 * report.chunks  # documents, chunks and their keyword rows
    assert {t.table: t.copied for t in by_name["catalog"].tables}["chunks_fts"] == report.chunks
    assert [t.table for t in by_name["data"].tables] == ["cip CIP 2020", "oews May 2025", "onet O*NET 30.1",
                                                          "projections 2024-34"]
    assert by_name["feeds"].copied >= 1 and report.vectors.copied == report.chunks
    chat = by_name["chat history"]
    with db.open_database(target) as conn:
        if migrate.postgres_columns(conn, "users"):
            assert {t.table: t.copied for t in chat.tables} == {
                "users": 1, "threads": 1, "steps": 1, "elements": 1, "feedbacks": 0, "chat-files": 1}
            thread = conn.execute('SELECT tags, "userId" FROM threads').fetchone()
            assert (thread[0], thread[1]) == (["advocacy"], "u1")
            assert conn.execute("SELECT streaming FROM steps").fetchone()[0] in (False, 0)
            assert bytes(conn.execute("SELECT body FROM chat_files WHERE key = 'u1/e1/card.json'").fetchone()[0]) \
                == b'{"title": "BMET basics"}'
        else:  # the chat's Postgres tables arrive with the chat history step
            assert chat.skipped.startswith("no Postgres tables for it yet: users")
        bills = by_name["bills"]
        if migrate.postgres_columns(conn, "bills") and not bills.skipped:
            assert {t.table: t.copied for t in bills.tables}["bills"] == 1
            assert conn.execute("SELECT bill_key FROM bills").fetchone()[0] == "119-hr-6655"
        else:  # bills' Postgres schema arrives with the bills step
            assert bills.skipped.startswith("its schema does not run on Postgres")
        ledger = by_name["sign-ins"]
        if migrate.postgres_columns(conn, "failures"):
            assert {t.table: t.copied for t in ledger.tables} == {
                "failures": 2, "known_addresses": 0, "ended_sessions": 0, "guests": 1}
            # The next failure Postgres records gets an id after the copied ones.
            assert conn.execute("INSERT INTO failures (name, address, at) VALUES ('y', 'z', 4.0) RETURNING id"
                                ).fetchone()[0] == 10
        else:
            assert ledger.skipped.startswith("no Postgres tables for it yet: failures")
    assert {t.table: t.copied for t in by_name["staff accounts"].tables} == {"staff_accounts": 1}
    staff = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "new"), "staff", "list"],
                               env={"ASSISTANT_DATABASE_URL": target.database_url})
    assert staff.exit_code == 0 and "dana" in staff.output, staff.output
    assert any(line.startswith("catalog: copied") for line in lines)
    assert any(line.startswith("  data: oews May 2025: ") and "oews_wages 98343" in line for line in lines)
    check_copy(installation, target, report, postgres_server.create_database())

    again = migrate.migrate(installation, target)
    assert again.copied == 0 and (again.documents, again.chunks) == (report.documents, report.chunks)
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "new"), "migrate", "--from-sqlite",
                                       str(installation)], env={"ASSISTANT_DATABASE_URL": target.database_url})
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("nothing to copy: postgres: 127.0.0.1:")
    assert "catalog: copied 0 rows" in result.stderr
    with db.open_database(target) as conn:
        feed_ids = migrate.postgres_columns(conn, "feeds")["id"]
    if feed_ids["sequence"]:  # the feeds step: ids from an identity column
        # A feed subscribed on Postgres after the copy gets an id after the copied ones.
        more = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "new"), "feeds", "add",
                                         "http://127.0.0.1:9/other.xml"],
                                  env={"ASSISTANT_DATABASE_URL": target.database_url})
        assert more.exit_code == 0, more.output


@pytest.mark.slow
def test_migrate_into_a_chroma_server(installation, postgres_server, tmp_path):
    server = _start_chroma(tmp_path)
    try:
        target = Settings(data_dir=tmp_path / "new", database_url=postgres_server.create_database(),
                          chroma_url=server[0])
        report = migrate.migrate(installation, target)
        assert report.vectors.copied == report.chunks > 0
        assert not (tmp_path / "new" / "chroma").exists()  # the vectors went to the server
        check_copy(installation, target, report, postgres_server.create_database())
        assert migrate.migrate(installation, target).copied == 0
    finally:
        server[1].terminate()
        server[1].wait(timeout=20)


def _start_chroma(tmp_path):
    import subprocess
    import sys
    import time

    import httpx
    from test_chroma_server import free_port

    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    process = subprocess.Popen([chroma, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                                "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                return url, process
        except httpx.HTTPError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "chroma run did not start"
        time.sleep(0.2)


# -- the generic table copy, on a table of its own ---------------------------------------------------


def test_table_copy_keys_sequences_keyless_tables_and_foreign_key_order(tmp_path, postgres_server):
    source = sqlite3.connect(tmp_path / "old.db")
    source.executescript("""
        CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT NOT NULL, extra TEXT);
        CREATE TABLE kids (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parents(id), n INTEGER);
        CREATE TABLE notes (text TEXT NOT NULL);
        INSERT INTO parents VALUES (1, 'a', 'only in SQLite'), (7, 'b', NULL);
        INSERT INTO kids VALUES (3, 7, 2.0);
        INSERT INTO notes VALUES ('first'), ('second');
    """)
    target = db.open_database(Settings(data_dir=tmp_path, database_url=postgres_server.create_database()))
    try:
        target.execute("CREATE TABLE kids (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                       "parent BIGINT, n INTEGER)")  # created before its parent table
        target.execute("CREATE TABLE parents (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                       "name TEXT NOT NULL, upper_name TEXT GENERATED ALWAYS AS (upper(name)) STORED)")
        target.execute("ALTER TABLE kids ADD FOREIGN KEY (parent) REFERENCES parents (id)")
        target.execute("CREATE TABLE notes (text TEXT NOT NULL)")
        order = migrate.dependency_order(target, ["kids", "notes", "parents"])
        assert order.index("parents") < order.index("kids")

        def run() -> dict[str, int]:
            with migrate.transaction(target):
                return {t: migrate.copy_table(source, target, t).copied for t in order}

        assert run() == {"parents": 2, "kids": 1, "notes": 2}
        assert run() == {"parents": 0, "kids": 0, "notes": 0}  # keys match; a keyless table is copied once
        assert [tuple(r) for r in target.execute("SELECT id, name, upper_name FROM parents ORDER BY id")] == [
            (1, "a", "A"), (7, "b", "B")]
        assert target.execute("SELECT n FROM kids").fetchone()[0] == 2
        # New rows on Postgres get ids after the copied ones.
        assert target.execute("INSERT INTO parents (name) VALUES ('c') RETURNING id").fetchone()[0] == 8
        assert [r[0] for r in target.execute("SELECT text FROM notes")] == ["first", "second"]
    finally:
        target.close()
        source.close()


# -- refusals ----------------------------------------------------------------------------------------


def test_bad_directories_and_an_unreachable_database_are_one_line(tmp_path, postgres_server):
    url = postgres_server.create_database()
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "assistant.db").write_bytes(b"this is not a database" * 100)
    (tmp_path / "file").write_text("x")
    cases = [
        (url, tmp_path / "missing", f"Error: {tmp_path / 'missing'}: no such data directory"),
        (url, tmp_path / "file", f"Error: {tmp_path / 'file'}: not a directory"),
        (url, tmp_path / "empty", f"Error: {tmp_path / 'empty'}: no assistant.db here"),
        (url, tmp_path / "broken", f"Error: {tmp_path / 'broken' / 'assistant.db'}: cannot read: "
                                   "file is not a database"),
        ("postgresql://nobody@127.0.0.1:1/none", tmp_path / "broken", None),
        ("", tmp_path / "empty", "Error: migrate: ASSISTANT_DATABASE_URL is not set"),
    ]
    for database_url, directory, expected in cases:
        if expected is None:  # a good directory and a database that is not there
            directory = tmp_path / "good"
            directory.mkdir()
            sqlite3.connect(directory / "assistant.db").close()
            expected = "Error: Postgres at 127.0.0.1:1/none: cannot connect:"
        result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "new"), "migrate", "--from-sqlite",
                                           str(directory)], env={"ASSISTANT_DATABASE_URL": database_url})
        assert result.exit_code == 1, (directory, result.output)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith(expected), result.stderr


def test_json_summary(installation, postgres_server, tmp_path):
    url = postgres_server.create_database()
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "new"), "migrate", "--from-sqlite",
                                       str(installation), "--json"], env={"ASSISTANT_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["documents"] == 9 and summary["copied"] > 100_000
    names = [c["name"] for c in summary["components"]]
    assert names == ["catalog", "data", "feeds", "bills", "chat history", "sign-ins", "staff accounts", "vectors"]
    assert summary["components"][0]["tables"]["chunks_fts"] == {"rows": 13, "copied": 13}


def test_a_table_postgres_refuses_fails_its_component_alone(tmp_path, postgres_server):
    """One component's copy fails as one line and rolls back whole; the others are copied; a rerun
    after the fix copies the rest."""
    data_dir = tmp_path / "old"
    data_dir.mkdir()
    with sqlite3.connect(data_dir / "assistant.db") as source:
        source.executescript("""
            CREATE TABLE good (id INTEGER PRIMARY KEY, name TEXT);
            CREATE TABLE first_part (id INTEGER PRIMARY KEY);
            CREATE TABLE bad (id INTEGER PRIMARY KEY, size INTEGER);
            INSERT INTO good VALUES (1, 'kept');
            INSERT INTO first_part VALUES (1), (2);
            INSERT INTO bad VALUES (1, 10), (2, 'large');
        """)
    target = Settings(data_dir=tmp_path / "new", database_url=postgres_server.create_database())
    with db.open_database(target) as conn:
        conn.execute("CREATE TABLE good (id BIGINT PRIMARY KEY, name TEXT)")
        conn.execute("CREATE TABLE first_part (id BIGINT PRIMARY KEY)")
        conn.execute("CREATE TABLE bad (id BIGINT PRIMARY KEY, size INTEGER)")
    components = [migrate.Component("good one", "assistant.db", lambda: ["good"]),
                  migrate.Component("bad one", "assistant.db", lambda: ["first_part", "bad"])]
    report = migrate.migrate(data_dir, target, components=components)
    assert report.failed == ["bad one"]
    assert report.components[1].line().startswith("bad one: failed (bad: invalid input syntax for type integer")
    with db.open_database(target) as conn:
        assert conn.execute("SELECT name FROM good").fetchone()[0] == "kept"
        assert conn.execute("SELECT count(*) FROM first_part").fetchone()[0] == 0  # rolled back with bad

    with sqlite3.connect(data_dir / "assistant.db") as source:
        source.execute("UPDATE bad SET size = 20 WHERE id = 2")
    again = migrate.migrate(data_dir, target, components=components)
    assert again.failed == [] and [c.copied for c in again.components] == [0, 4]
