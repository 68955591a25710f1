"""SIGKILL a refresh mid-way, run it again: nothing lost, nothing duplicated.

The child process runs the real pipeline (refresh_feeds, then sync_index) against the loopback
server; its "index" appends every document id it receives to a file, standing in for Chroma.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.db import connect
from assistant.feeds import store
from assistant.feeds.fetch import make_client
from assistant.feeds.index_updates import pending_documents, sync_index
from assistant.feeds.models import FeedSource
from assistant.feeds.refresh import refresh_feeds

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import FakeIndex, FeedServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FEEDS, ITEMS = 10, 8

CHILD = """
import json, sys, time
from assistant.db import connect
from assistant.feeds.index_updates import sync_index
from assistant.feeds.refresh import refresh_feeds

db, log, pause = sys.argv[1], sys.argv[2], float(sys.argv[3])

class LoggingIndex:
    def replace(self, documents):
        with open(log, "a") as out:
            for doc in documents:
                out.write(json.dumps(doc.doc_id) + "\\n")
        time.sleep(pause)  # the parent kills us here in the index scenario
        return len(documents)

    def remove(self, doc_ids):
        return 0

conn = connect(db)
for update in refresh_feeds(conn, allow_private=True, workers=16):
    pass
sync_index(conn, LoggingIndex, batch=10)
print("done", flush=True)
"""


def rss(feed: int) -> bytes:
    items = "".join(
        f"<item><guid>f{feed}-i{i}</guid><link>https://gov.example/{feed}/{i}</link>"
        f"<title>Apprenticeship notice {feed}.{i}</title><description>Text {feed}.{i}</description></item>"
        for i in range(ITEMS)
    )
    channel = f"<channel><title>Feed {feed}</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


def start_child(db: Path, log: Path, *, pause: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(log), str(pause)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def wait_for(predicate, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the child never reached the point where it should be killed")
        time.sleep(0.02)


def count(db: Path, sql: str) -> int:
    conn = connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def assert_complete(conn, index: FakeIndex, logged: set[str]) -> None:
    """Every item stored once with one version, and every item reached the index."""
    assert conn.execute("SELECT count(*) FROM feed_items").fetchone()[0] == FEEDS * ITEMS
    assert conn.execute("SELECT count(*) FROM feed_item_versions").fetchone()[0] == FEEDS * ITEMS
    assert conn.execute("SELECT count(DISTINCT doc_id) FROM feed_items").fetchone()[0] == FEEDS * ITEMS
    doc_ids = {row[0] for row in conn.execute("SELECT doc_id FROM feed_items")}
    assert set(index.docs) | logged == doc_ids
    assert pending_documents(conn) == []


@pytest.fixture()
def world(tmp_path):
    db = tmp_path / "assistant.db"
    conn = connect(db)
    store.ensure_schema(conn)
    with FeedServer() as server:
        slow = set(range(FEEDS // 2, FEEDS))
        for n in range(FEEDS):
            if n in slow:
                server.delayed(f"/feed{n}.rss", rss(n), delay_s=30)
            else:
                server.feed(f"/feed{n}.rss", rss(n))
            store.add_feed(conn, FeedSource(server.url(f"/feed{n}.rss")), now=store_now())
        yield db, conn, server, slow
    conn.close()


def store_now():
    from assistant.feeds.models import utc_now

    return utc_now()


def rerun(conn) -> FakeIndex:
    index = FakeIndex()
    with make_client() as client:
        results = list(refresh_feeds(conn, client=client, allow_private=True, force=True))
    assert all(r.status in ("ok", "not_modified") for r in results), [r.error for r in results]
    sync_index(conn, lambda: index)
    return index


def test_killed_while_feeds_are_still_downloading(world, tmp_path):
    db, conn, server, slow = world
    log = tmp_path / "index.log"
    child = start_child(db, log, pause=0)
    fast = FEEDS - len(slow)
    # Half the feeds answer at once, the other half take 30 s: kill when the fast half is stored.
    wait_for(lambda: count(db, "SELECT count(*) FROM feeds WHERE last_success IS NOT NULL") == fast)
    child.kill()
    child.wait(timeout=30)
    assert child.returncode == -9
    assert count(db, "SELECT count(*) FROM feed_items") == fast * ITEMS
    assert count(db, "SELECT count(*) FROM feeds WHERE etag IS NOT NULL") == fast  # slow ones not advanced
    assert not log.exists()  # killed before indexing

    for n in slow:  # the servers recover; the next run completes the job
        server.feed(f"/feed{n}.rss", rss(n))
    index = rerun(conn)
    assert_complete(conn, index, set())
    assert len(index.docs) == FEEDS * ITEMS


def test_killed_in_the_middle_of_indexing(world, tmp_path):
    db, conn, server, slow = world
    for n in slow:
        server.feed(f"/feed{n}.rss", rss(n))
    log = tmp_path / "index.log"
    child = start_child(db, log, pause=30)
    wait_for(lambda: log.exists() and len(log.read_text().splitlines()) >= 10)
    child.kill()
    child.wait(timeout=30)
    assert child.returncode == -9
    logged = {json.loads(line) for line in log.read_text().splitlines()}
    assert len(logged) == 10
    assert count(db, "SELECT count(*) FROM feed_items") == FEEDS * ITEMS
    # The batch being written was never marked: it is still pending, with everything else.
    assert count(db, "SELECT count(*) FROM feed_items WHERE indexed_hash IS NULL") == FEEDS * ITEMS

    index = rerun(conn)
    assert_complete(conn, index, logged)
    assert logged <= set(index.docs)  # re-sent: replace() is idempotent per doc id
