"""The feed store: subscriptions, seeding, versions, per-feed state and the status report,
on SQLite and on Postgres (the ``database`` fixture runs each test on both)."""

from datetime import UTC, datetime, timedelta

import pytest

from assistant import db
from assistant.feeds import store
from assistant.feeds.decide import decide, prepare
from assistant.feeds.models import FeedEntry, FeedInfo, FeedSource, Fetched, ParsedFeed

T0 = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture()
def conn(database):
    store.ensure_schema(database)
    return database


def save(conn, feed, entries, *, now=T0, status=200, final_url=None, permanent=False, etag='"e1"'):
    fetched = Fetched(url=feed.url, final_url=final_url or feed.url, status=status, content=b"x",
                      headers={"etag": etag}, permanent_redirect=permanent)  # fmt: skip
    items, warnings = prepare(entries, keywords=feed.keywords)
    decisions = decide(items, store.stored_hashes(conn, feed.id))
    parsed = ParsedFeed(info=FeedInfo(title="Feed title", version="rss20"), entries=tuple(entries))
    store.save_items(conn, feed, fetched, parsed, decisions, warnings=warnings, now=now)
    return [d.kind for d in decisions]


def test_migration_is_idempotent_and_feed_status_shape(conn):
    store.ensure_schema(conn)
    store.add_feed(conn, FeedSource("https://a.gov/rss", name="A"), now=T0)
    assert store.feed_status(conn) == [
        {"url": "https://a.gov/rss", "name": "A", "last_success": None, "last_error": None}
    ]


def test_defaults_are_seeded_once_and_a_removed_default_stays_removed(conn):
    defaults = [FeedSource("https://a.gov/rss", name="A"), FeedSource("https://b.gov/rss", name="B")]
    assert store.seed_defaults(conn, defaults, now=T0) == 2
    store.remove_feed(conn, "https://a.gov/rss")
    assert store.seed_defaults(conn, defaults, now=T0) == 0
    assert [f.url for f in store.list_feeds(conn)] == ["https://b.gov/rss"]
    assert store.list_feeds(conn)[0].origin == "default"


def test_add_existing_updates_and_reenables(conn):
    assert store.add_feed(conn, FeedSource("https://a.gov/rss", name="A", topic="t1"), now=T0)
    feed = store.get_feed(conn, "https://a.gov/rss")
    store.save_error(conn, feed, "boom", now=T0, status=500, next_check=T0 + timedelta(hours=1), disable="gone")
    assert store.get_feed(conn, "https://a.gov/rss").disabled_reason == "gone"
    assert not store.add_feed(conn, FeedSource("https://a.gov/rss", topic="t2", keywords=("k",)), now=T0)
    again = store.get_feed(conn, "https://a.gov/rss")
    assert (again.name, again.topic, again.keywords) == ("A", "t2", ("k",))
    assert again.disabled_reason is None and again.consecutive_errors == 0 and again.next_check is None


def test_versions_are_kept_and_items_never_duplicated(conn):
    store.add_feed(conn, FeedSource("https://a.gov/rss"), now=T0)
    feed = store.get_feed(conn, "https://a.gov/rss")
    v1 = [
        FeedEntry(guid="bill-1", title="H.R. 1", summary_html="Introduced"),
        FeedEntry(guid="n-2", title="N2"),
    ]
    assert save(conn, feed, v1) == ["new", "new"]
    assert save(conn, feed, v1, now=T0 + timedelta(days=1)) == ["unchanged", "unchanged"]
    v2 = [
        FeedEntry(guid="bill-1", title="H.R. 1", summary_html="Passed House"),
        FeedEntry(guid="n-2", title="N2"),
    ]
    assert save(conn, feed, v2, now=T0 + timedelta(days=2)) == ["changed", "unchanged"]
    rows = conn.execute(
        "SELECT i.identity, i.version, v.version AS v, v.text, v.seen_at FROM feed_items i "
        "JOIN feed_item_versions v ON v.item_id = i.id ORDER BY i.identity, v.version"
    ).fetchall()
    assert [(r["identity"], r["v"], r["text"]) for r in rows] == [
        ("bill-1", 1, "Introduced"),
        ("bill-1", 2, "Passed House"),
        ("n-2", 1, ""),
    ]
    assert rows[1]["seen_at"] == "2025-01-12T12:00:00+00:00"
    with pytest.raises(db.integrity_errors()):  # the schema itself forbids a duplicate item
        conn.execute(
            "INSERT INTO feed_items (feed_id, identity, doc_id, version, content_hash, relevant, first_seen,"
            " last_changed) VALUES (?, 'bill-1', 'other', 1, 'h', 1, 'x', 'x')",
            (feed.id,),
        )


def test_success_records_validators_and_clears_errors(conn):
    store.add_feed(conn, FeedSource("https://a.gov/rss"), now=T0)
    feed = store.get_feed(conn, "https://a.gov/rss")
    store.save_error(conn, feed, "HTTP 500", now=T0, status=500, next_check=T0 + timedelta(minutes=30))
    save(conn, store.get_feed(conn, feed.url), [FeedEntry(guid="1")], now=T0 + timedelta(hours=1))
    after = store.get_feed(conn, feed.url)
    assert (after.etag, after.last_status, after.consecutive_errors, after.last_error) == (
        '"e1"',
        200,
        0,
        None,
    )
    assert after.last_success == "2025-01-10T13:00:00+00:00" and after.title == "Feed title"
    # A 304 without validators keeps the ones we sent.
    store.save_not_modified(conn, after, Fetched(url=feed.url, final_url=feed.url, status=304), now=T0)
    assert store.get_feed(conn, feed.url).etag == '"e1"'


def test_permanent_move_changes_url_but_not_doc_ids(conn):
    store.add_feed(conn, FeedSource("https://old.gov/rss"), now=T0)
    feed = store.get_feed(conn, "https://old.gov/rss")
    save(conn, feed, [FeedEntry(guid="a")])
    doc_id = conn.execute("SELECT doc_id FROM feed_items").fetchone()[0]
    save(conn, store.get_feed(conn, feed.url), [FeedEntry(guid="a"), FeedEntry(guid="b")],
         final_url="https://new.gov/rss", permanent=True)  # fmt: skip
    moved = store.get_feed(conn, "https://new.gov/rss")
    assert moved.url == "https://new.gov/rss" and moved.added_url == "https://old.gov/rss"
    assert store.get_feed(conn, "https://old.gov/rss").id == moved.id  # still found by its old URL
    assert conn.execute("SELECT doc_id FROM feed_items WHERE identity = 'a'").fetchone()[0] == doc_id
    assert doc_id == store.doc_id_for("https://old.gov/rss", "a")


def test_a_failed_transaction_leaves_nothing_behind(conn):
    store.add_feed(conn, FeedSource("https://a.gov/rss"), now=T0)
    feed = store.get_feed(conn, "https://a.gov/rss")
    items, _ = prepare([FeedEntry(guid="1"), FeedEntry(guid="2")])
    decisions = decide(items, {})
    broken = Fetched(url=feed.url, final_url=feed.url, status=200, headers={"etag": '"new"'})
    parsed = ParsedFeed(info=FeedInfo(title=None), entries=())  # title NOT NULL: fails at the very end
    with pytest.raises(db.integrity_errors()):
        store.save_items(conn, feed, broken, parsed, decisions, now=T0)
    assert conn.execute("SELECT count(*) FROM feed_items").fetchone()[0] == 0
    assert store.get_feed(conn, feed.url).etag is None  # validators not advanced either


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        store.iso(datetime(2025, 1, 1))
