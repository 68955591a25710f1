"""SIGKILL a real ``assistant feeds refresh`` mid-run, run it again: the feed store, the catalog
and Chroma agree, with nothing lost and nothing duplicated.

The child is the installed command line, fetching from a loopback feed server and indexing with
the real model into the real catalog and Chroma under a temporary data directory; each test runs
with the store and catalog in SQLite and in Postgres.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant import db
from assistant.config import Settings
from assistant.feeds import store
from assistant.feeds.index_updates import pending_documents
from assistant.feeds.models import FeedSource, utc_now
from assistant.service import Service

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import FeedServer  # noqa: E402
from index_checks import repair_after_kill  # noqa: E402

#: Each kills a real refresh and reruns it with the real model: minutes, so the bounded slow step runs them.
pytestmark = pytest.mark.slow

#: 360 one-chunk items: more than one write of 256 chunks (BATCH_CHUNKS), so a kill that waits
#: for the first write to commit lands while the second is being embedded.
FEEDS, ITEMS = 6, 60


def rss(feed: int) -> bytes:
    items = "".join(
        f"<item><guid>f{feed}-i{i}</guid><link>https://gov.example/{feed}/{i}</link>"
        f"<title>Apprenticeship notice {feed}.{i}</title>"
        f"<description>Grant round {feed}.{i} funds registered apprenticeships in hospital equipment repair."
        f"</description></item>"
        for i in range(ITEMS)
    )
    channel = f"<channel><title>Feed {feed}</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


def start_refresh(settings: Settings) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_FEEDS_ALLOW_PRIVATE": "1"}
    if settings.database_url:
        env["ASSISTANT_DATABASE_URL"] = settings.database_url
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "--data-dir", str(settings.data_dir), "feeds", "refresh", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def count(settings: Settings, sql: str) -> int:
    if not settings.database_url:
        try:
            with sqlite3.connect(settings.db_path, timeout=1) as conn:
                return conn.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:  # the child has not created the table yet
            return 0
    conn = db.open_database(settings)
    try:
        return conn.execute(sql).fetchone()[0]
    except db.errors():  # the child has not created the table yet
        return 0
    finally:
        conn.close()


def wait_for(predicate, child: subprocess.Popen, *, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if child.poll() is not None:
            raise AssertionError(f"the refresh ended (exit {child.returncode}) before it could be killed:\n"
                                 f"{child.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError("the refresh never reached the point where it should be killed")
        time.sleep(0.02)


def kill(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def rerun(settings: Settings) -> None:
    child = start_refresh(settings)
    out, err = child.communicate(timeout=600)
    assert child.returncode == 0, err


READY = "SELECT count(*) FROM documents WHERE doc_type = 'policy_update' AND state = 'ready'"
PENDING = "SELECT count(*) FROM documents WHERE state = 'pending'"


def assert_in_agreement(settings: Settings) -> None:
    """Every item stored once, indexed in its latest version, in the catalog, FTS5 and Chroma once."""
    service = Service(settings, embeddings=lambda: None)
    try:
        conn = service.db
        items = {r[0] for r in conn.execute("SELECT doc_id FROM feed_items")}
        assert len(items) == FEEDS * ITEMS
        assert conn.execute("SELECT count(*) FROM feed_item_versions").fetchone()[0] == FEEDS * ITEMS
        assert conn.execute("SELECT count(*) FROM feed_items WHERE indexed_hash IS NULL"
                            " OR indexed_hash != content_hash").fetchone()[0] == 0
        assert pending_documents(conn) == []
        catalog = {doc_id for doc_id in service.catalog.hashes() if doc_id.startswith("feed-")}
        assert catalog == items
        counts = service.index.consistency()
        assert counts["orphan_vectors"] == counts["missing_vectors"] == counts["fts_mismatch"] == 0, counts
        assert counts["pending_documents"] == 0
        assert counts["chroma"] == counts["chunks"] == counts["fts"] >= FEEDS * ITEMS
        stored = service.vectors.collection.get(include=["metadatas"])
        assert len(stored["ids"]) == len(set(stored["ids"]))
        assert {m["doc_id"] for m in stored["metadatas"]} == items
    finally:
        service.close()


@pytest.fixture()
def world(backend_settings):
    """A data directory subscribed to FEEDS loopback feeds (and to no default feed: no network)."""
    settings = backend_settings
    conn = db.open_database(settings)
    store.ensure_schema(conn)
    store.seed_defaults(conn, [], now=utc_now())
    with FeedServer() as server:
        for n in range(FEEDS):
            server.feed(f"/feed{n}.rss", rss(n))
            store.add_feed(conn, FeedSource(server.url(f"/feed{n}.rss")), now=utc_now())
        conn.close()
        yield settings, server


def test_killed_while_feeds_are_still_downloading(world):
    settings, server = world
    slow = range(FEEDS // 2, FEEDS)
    for n in slow:
        server.delayed(f"/feed{n}.rss", rss(n), delay_s=30)
    child = start_refresh(settings)
    fast = FEEDS - len(slow)
    # Half the feeds answer at once, the other half take 30 s: kill when the fast half is stored.
    wait_for(lambda: count(settings, "SELECT count(*) FROM feeds WHERE last_success IS NOT NULL") == fast, child)
    kill(child)
    assert count(settings, "SELECT count(*) FROM feed_items") == fast * ITEMS
    assert count(settings, "SELECT count(*) FROM feeds WHERE etag IS NOT NULL") == fast  # slow ones not advanced
    assert count(settings, "SELECT count(*) FROM documents") == 0  # killed before indexing

    for n in slow:  # the servers recover; the next run completes the job
        server.feed(f"/feed{n}.rss", rss(n))
    rerun(settings)
    assert_in_agreement(settings)


def test_killed_in_the_middle_of_indexing(world):
    settings, _ = world
    child = start_refresh(settings)
    # The first write committed and the next batch is marked pending while it is embedded.
    wait_for(lambda: count(settings, READY) > 0 and count(settings, PENDING) > 0, child)
    kill(child)
    ready = count(settings, READY)
    assert 0 < ready < FEEDS * ITEMS
    assert count(settings, "SELECT count(*) FROM feed_items") == FEEDS * ITEMS

    repair_after_kill(settings.data_dir, settings=settings)
    rerun(settings)
    assert_in_agreement(settings)
