"""`assistant bills refresh` under a process supervisor (issue 15): SIGTERM stores the bill under
way, abandons the rest cleanly and exits 0 with a line saying so; the next refresh picks them up.

A real subprocess against a loopback BILLSTATUS server whose files each take a few seconds, so the
signal always lands while a bill is being fetched.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from feedserver import FeedServer
from test_bills_refresh import SAMPLES

from assistant.bills import store
from assistant.bills.ids import parse_bill_id
from assistant.config import Settings
from assistant.db import connect
from assistant.feeds.models import utc_now

pytestmark = pytest.mark.slow  # real subprocesses; the rerun loads the real model to index

#: (bill, congress) of three sample files, fetched one at a time in this order's workers.
BILLS = [("s2902", 116), ("hr5053", 116), ("hr4907", 116)]
DELAY_S = 3.0


def track_all(data_dir: Path, server: FeedServer) -> dict[str, str]:
    """Track ``BILLS`` with their files served slowly; the path of each bill's file by key."""
    conn = connect(Settings(data_dir=data_dir).db_path)
    store.ensure_schema(conn)
    paths = {}
    for bill, congress in BILLS:
        ref = parse_bill_id(bill, congress=congress)
        path = "/BILLSTATUS" + ref.file_url("")
        server.delayed(path, (SAMPLES / f"BILLSTATUS-{congress}{bill}.xml").read_bytes(), delay_s=DELAY_S)
        store.track(conn, ref, url=server.url(path), now=utc_now())
        paths[ref.key] = path
    conn.close()
    return paths


def stored_versions(data_dir: Path) -> dict[str, int]:
    conn = connect(Settings(data_dir=data_dir).db_path)
    try:
        return {t.key: t.version for t in store.list_tracked(conn)}
    finally:
        conn.close()


def refresh(data_dir: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_FEEDS_ALLOW_PRIVATE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "--data-dir", str(data_dir), "bills", "refresh", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def test_sigterm_stores_the_bill_under_way_and_stops_cleanly(tmp_path):
    data_dir = tmp_path / "data"
    with FeedServer() as server:
        paths = track_all(data_dir, server)
        process = refresh(data_dir, "--workers", "1")
        try:
            first = process.stdout.readline()  # the first bill is stored; the second is being fetched
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
        finally:
            process.kill()

        assert process.returncode == 0, err
        assert "SIGTERM: finishing the bill under way, then stopping" in err and "Traceback" not in err
        # The signal lands just after the first bill is stored: the second is stored too if its fetch
        # ends before the command looks at the signal, else abandoned; the third never is.
        stopped = re.search(r"stopped after (\d) bill\(s\); the others and indexing wait for the next refresh", err)
        assert stopped and stopped.group(1) in ("1", "2"), err
        reported = [line for line in [first, *out.splitlines()] if line.strip()]
        assert len(reported) == int(stopped.group(1)) and all("tracking started" in line for line in reported)
        versions = sorted(stored_versions(data_dir).values())
        assert versions == [0] * (3 - len(reported)) + [1] * len(reported)  # each stored whole or not at all

        # The next refresh stores the abandoned bill (its files now answer at once).
        for path in paths.values():
            server.feed(path, server.routes[path].body, content_type="application/xml")
        again = refresh(data_dir, "--force")
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        assert sorted(stored_versions(data_dir).values()) == [1, 1, 1]


def test_a_second_signal_stops_at_once(tmp_path):
    data_dir = tmp_path / "data"
    with FeedServer() as server:
        track_all(data_dir, server)
        process = refresh(data_dir, "--workers", "1")
        try:
            process.stdout.readline()
            process.send_signal(signal.SIGTERM)
            first = process.stderr.readline()  # heard (two signals sent at once would merge into one)
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=30)
            err = first + err
        finally:
            process.kill()
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "second signal: stopping now" in err and "Traceback" not in err
    assert sorted(stored_versions(data_dir).values()) == [0, 0, 1]  # the bill in its fetch was not stored
