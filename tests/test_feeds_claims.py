"""Several workers on one feed store: claims, saves that race, index syncs that race.

The store-level checks run on SQLite and Postgres (``backend_settings``: each worker is a
connection of its own); the advisory-lock claims exist only on Postgres.
"""

import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant import db
from assistant.config import Settings
from assistant.feeds import store
from assistant.feeds.decide import prepare
from assistant.feeds.fetch import make_client
from assistant.feeds.index_updates import pending_documents, sync_index
from assistant.feeds.models import FeedEntry, FeedInfo, FeedSource, Fetched, ParsedFeed
from assistant.feeds.refresh import refresh_feeds

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import Clock, FakeIndex, FeedServer  # noqa: E402

T0 = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
ENTRIES = [FeedEntry(guid=f"n-{i}", title=f"Apprenticeship notice {i}", summary_html="Funds") for i in range(40)]


@pytest.fixture()
def postgres_settings(postgres_server, tmp_path):
    return Settings(data_dir=tmp_path / "data", database_url=postgres_server.create_database())


@pytest.fixture()
def workers(backend_settings):
    """Two connections to one store, as two worker processes would hold."""
    conns = [db.open_database(backend_settings) for _ in range(2)]
    store.ensure_schema(conns[0])
    yield conns
    for conn in conns:
        conn.close()


def subscribe(conn, url="https://a.gov/rss") -> store.Feed:
    store.add_feed(conn, FeedSource(url), now=T0)
    return store.get_feed(conn, url)


def fetched(feed) -> Fetched:
    return Fetched(url=feed.url, final_url=feed.url, status=200, content=b"x", headers={"etag": '"e"'})


def test_a_claimed_feed_is_not_claimed_again_until_released_or_its_worker_dies(postgres_settings):
    first, second = (db.open_database(postgres_settings) for _ in range(2))
    try:
        store.ensure_schema(first)
        feed = subscribe(first)
        assert store.claim(first, feed) == feed
        assert store.claim(second, feed) is None
        store.release(first, feed)
        assert store.claim(second, feed) == feed
        first.close()  # a worker that dies holding a claim
        first = db.open_database(postgres_settings)
        assert store.claim(first, feed) is None  # second still holds it
        second.close()  # killed: its connection ends, and with it the claim
        second = db.open_database(postgres_settings)
        assert store.claim(second, feed) == feed
    finally:
        first.close()
        second.close()


def test_a_feed_refreshed_after_it_was_listed_is_left_to_the_worker_that_did_it(workers):
    mine, other = workers
    listed = subscribe(mine)
    store.save_not_modified(other, listed, Fetched(url=listed.url, final_url=listed.url, status=304), now=T0)
    assert store.claim(mine, listed) is None
    assert store.claim(mine, store.get_feed(mine, listed.url)) is not None


def test_two_workers_saving_one_feed_at_once_store_each_item_once(workers):
    """Both decided from the same fetch; the saves race. Decided inside the save's transaction,
    the second finds the first's items and stores nothing; no constraint error either."""
    feed = subscribe(workers[0])
    items, _ = prepare(ENTRIES)
    parsed = ParsedFeed(info=FeedInfo(title="A"), entries=tuple(ENTRIES))
    start = threading.Barrier(2)
    results, errors = [], []

    def save(conn):
        start.wait()
        try:
            decisions, _ = store.save_fetch(conn, feed, fetched(feed), parsed, items, now=T0)
            results.append(sorted({d.kind for d in decisions}))
        except Exception as exc:  # collected: an assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(conn,)) for conn in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == [["new"], ["unchanged"]]
    count = workers[0].execute("SELECT count(*), count(DISTINCT identity) FROM feed_items").fetchone()
    assert tuple(count) == (len(ENTRIES), len(ENTRIES))
    assert workers[0].execute("SELECT count(*) FROM feed_item_versions").fetchone()[0] == len(ENTRIES)


class OverlapIndex(FakeIndex):
    """A FakeIndex that notices two writers inside it at once (they would break its repair)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = 0
        self.overlapped = False
        self._guard = threading.Lock()

    def replace(self, documents):
        with self._guard:
            self.inside += 1
            self.overlapped |= self.inside > 1
        time.sleep(0.05)  # an embedding takes a while: time for the other worker to barge in
        try:
            return super().replace(documents)
        finally:
            with self._guard:
                self.inside -= 1


def test_two_workers_syncing_the_index_at_once_take_turns_and_index_each_item_once(workers):
    feed = subscribe(workers[0])
    items, _ = prepare(ENTRIES)
    parsed = ParsedFeed(info=FeedInfo(title="A"), entries=tuple(ENTRIES))
    store.save_fetch(workers[0], feed, fetched(feed), parsed, items, now=T0)
    index = OverlapIndex()
    start = threading.Barrier(2)
    errors = []

    def sync(conn):
        start.wait()
        try:
            sync_index(conn, lambda: index, batch=5)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sync, args=(conn,)) for conn in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert not index.overlapped
    replaced = [doc.doc_id for batch in index.replaced for doc in batch]
    assert len(replaced) == len(set(replaced)) == len(ENTRIES)
    assert pending_documents(workers[0]) == []


def test_refresh_skips_a_feed_another_worker_holds_and_says_so(postgres_settings):
    mine, other = (db.open_database(postgres_settings) for _ in range(2))
    clock = Clock()
    try:
        store.ensure_schema(mine)
        with FeedServer() as server, make_client() as client:
            body = b"<rss version='2.0'><channel><title>T</title><item><guid>1</guid></item></channel></rss>"
            free = subscribe(mine, server.feed("/free.rss", body))
            held = subscribe(mine, server.feed("/held.rss", body))
            assert store.claim(other, held) is not None
            updates = {u.url: u for u in refresh_feeds(mine, client=client, now=clock, allow_private=True)}
            assert (updates[free.url].status, updates[free.url].new) == ("ok", 1)
            skipped = updates[held.url]
            assert (skipped.status, skipped.other_worker, skipped.new) == ("not_modified", True, 0)
            assert server.hits("/held.rss") == 0 and server.hits("/free.rss") == 1
            store.release(other, held)
            clock.advance(hours=1)
            again = {u.url: u for u in refresh_feeds(mine, client=client, now=clock, allow_private=True)}
            assert (again[held.url].status, again[held.url].new, again[held.url].other_worker) == ("ok", 1, False)
            assert store.get_feed(mine, held.url).last_checked == store.iso(T0 + timedelta(hours=1))
    finally:
        mine.close()
        other.close()


def test_two_first_runs_at_once_seed_the_defaults_once(workers):
    defaults = [FeedSource(f"https://{n}.gov/rss") for n in "abc"]
    start = threading.Barrier(2)
    added, errors = [], []

    def seed(conn):
        start.wait()
        try:
            added.append(store.seed_defaults(conn, defaults, now=T0))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=seed, args=(conn,)) for conn in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and sorted(added) == [0, 3]
    assert sorted(f.url for f in store.list_feeds(workers[0])) == [d.url for d in defaults]
