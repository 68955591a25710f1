"""`assistant bills refresh` in several processes against one Postgres (issue 12): two at once
store each bill version exactly once and fetch each file's body once; one killed mid-run leaves
no claim behind, and the next refresh stores everything.

Real subprocesses, a real Postgres (tests/pg_support.py) and the shared BILLSTATUS samples served
slowly over real HTTP on 127.0.0.1, so the two runs overlap.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from feedserver import FeedServer
from test_bills_refresh import SAMPLES

from assistant import db
from assistant.bills import store
from assistant.bills.parse import parse_billstatus
from assistant.config import Settings
from assistant.feeds.models import utc_now

pytestmark = pytest.mark.slow  # real subprocesses; the run that indexes loads the real model

FILES = sorted(SAMPLES.glob("BILLSTATUS-*.xml"))


def open_store(url: str, tmp_path: Path):
    conn = db.open_database(Settings(data_dir=tmp_path / "setup", database_url=url))
    store.ensure_schema(conn)
    return conn


def serve_and_track(conn, server: FeedServer, *, delay_s: float) -> dict[str, str]:
    """Track every sample bill at the loopback server, each file answering after ``delay_s``;
    the served path of each bill by key."""
    paths = {}
    for file in FILES:
        data = file.read_bytes()
        ref = parse_billstatus(data).ref
        path = "/BILLSTATUS" + ref.file_url("")
        server.delayed(path, data, delay_s=delay_s)
        store.track(conn, ref, url=server.url(path), now=utc_now())
        paths[ref.key] = path
    return paths


def refresh(data_dir: Path, url: str) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_FEEDS_ALLOW_PRIVATE": "1", "ASSISTANT_DATABASE_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "--data-dir", str(data_dir), "bills", "refresh", "--json",
         "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def stored(conn) -> dict[str, tuple[int, int, int]]:
    """bill key -> (versions stored, newest version number, the bill's own version counter)."""
    rows = conn.execute(
        "SELECT b.bill_key, count(v.version), coalesce(max(v.version), 0), b.version FROM bills b"
        " LEFT JOIN bill_versions v ON v.bill_id = b.id GROUP BY b.bill_key, b.version"
    ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_two_refreshes_at_once_store_each_version_once(postgres_server, tmp_path):
    url = postgres_server.create_database()
    conn = open_store(url, tmp_path)
    with FeedServer() as server:
        paths = serve_and_track(conn, server, delay_s=1.0)
        runs = [refresh(tmp_path / name, url) for name in ("a", "b")]  # own data dirs: own Chroma
        try:
            outputs = [run.communicate(timeout=600) for run in runs]
        finally:
            for run in runs:
                run.kill()
        requests = list(server.requests)

    for run, (_, err) in zip(runs, outputs):
        assert run.returncode == 0, err
    reports = [{f"{b['congress']}-{b['bill']}": b for b in json.loads(out)["bills"]} for out, _ in outputs]
    names = {f"{b['congress']}-{b['bill']}" for report in reports for b in report.values()}
    assert len(names) == len(FILES) and all(len(report) == len(FILES) for report in reports)  # each reports all
    assert {b["status"] for report in reports for b in report.values()} <= {"ok", "not_modified"}
    for name in names:  # what changed is reported by the run that stored it, never by both
        assert [bool(report[name]["changes"]) for report in reports].count(True) == 1, name

    assert stored(conn) == {key: (1, 1, 1) for key in paths}  # one version each, never a second
    assert conn.execute("SELECT count(*) FROM bill_versions WHERE indexed = 0").fetchone()[0] == 0
    # Each file's body was fetched once; the other run either never asked or asked conditionally (304).
    for path in paths.values():
        asked = [headers for p, headers in requests if p == path]
        assert 1 <= len(asked) <= 2 and sum(1 for h in asked if not h.get("if-none-match")) == 1, path
    conn.close()


def test_a_refresh_killed_mid_run_leaves_nothing_the_next_does_not_repair(postgres_server, tmp_path):
    url = postgres_server.create_database()
    conn = open_store(url, tmp_path)
    with FeedServer() as server:
        paths = serve_and_track(conn, server, delay_s=5.0)
        victim = refresh(tmp_path / "a", url)
        try:
            deadline = time.monotonic() + 120
            while not _claims(conn):  # wait until it holds bills, i.e. is fetching them
                assert victim.poll() is None and time.monotonic() < deadline, victim.stderr.read()
                time.sleep(0.1)
        finally:
            victim.kill()
            victim.communicate()
        for path in paths.values():  # the files now answer at once
            server.feed(path, server.routes[path].body, content_type="application/xml")
        again = refresh(tmp_path / "b", url)
        out, err = again.communicate(timeout=600)

    assert again.returncode == 0, err
    assert {b["status"] for b in json.loads(out)["bills"]} <= {"ok", "not_modified"}
    assert not _claims(conn)  # the killed run's claims went with its connection
    assert stored(conn) == {key: (1, 1, 1) for key in paths}
    assert conn.execute("SELECT count(*) FROM bill_versions WHERE indexed = 0").fetchone()[0] == 0
    conn.close()


def _claims(conn) -> int:
    """Bill claims (two-key advisory locks, ``store.claim``) held in this database."""
    return conn.execute(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
        " WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND d.datname = current_database()"
    ).fetchone()[0]
