"""Feeds, items and item versions in the shared store (component ``feeds``): the SQLite file, or
Postgres with ``ASSISTANT_DATABASE_URL`` (the same SQL through ``db.open_database``).

Crash safety comes from transactions, not from care at call sites: everything one fetch
produces (new items, new versions, the feed's new ETag/Last-Modified) is written in a single
transaction. A process killed before the commit leaves the old validators, so the next run
fetches the same body again; killed after it, the items are there and still marked unindexed
(``indexed_hash``), so the next run hands them to the index. Nothing is lost or written twice:
``(feed_id, identity)`` and ``(item_id, version)`` are unique.

Several workers at once (two ``feeds refresh``, or one beside ``feeds watch``): each feed is
claimed by one worker at a time (``claim``: a Postgres session advisory lock, released at
``release`` or when the worker's connection ends, so a killed worker never leaves a feed
claimed). Whatever claims, each save decides new/changed/unchanged inside its own transaction
against the stored hashes, under the feed's lock (SQLite: ``BEGIN IMMEDIATE``; Postgres: the
same advisory key, per transaction), so two saves of one feed can never both add an item.

Dates are ISO 8601 UTC strings with seconds, so they sort as text.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from assistant import db
from assistant.db import migrate
from assistant.feeds.decide import CHANGED, NEW, Decision, ItemVersion, decide
from assistant.feeds.models import FeedSource, Fetched, ParsedFeed
from assistant.feeds.schema import MIGRATIONS


@dataclass(frozen=True)
class Feed:
    """A subscription with its polling state, as stored."""

    id: int
    url: str
    added_url: str
    name: str
    topic: str
    jurisdiction: str
    keywords: tuple[str, ...]
    origin: str
    title: str
    etag: str | None
    last_modified: str | None
    last_status: int | None
    last_checked: str | None
    last_success: str | None
    last_error: str | None
    consecutive_errors: int
    next_check: str | None
    disabled_reason: str | None
    warnings: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.name or self.title or self.url

    def source(self) -> FeedSource:
        return FeedSource(self.url, self.name, self.topic, self.jurisdiction, self.keywords)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every feed time is timezone-aware UTC")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


log = logging.getLogger(__name__)

#: Advisory lock class of per-feed claims: ``(hashtext('feeds'), feed id)`` keys, a key space of
#: their own (Postgres keeps two-integer keys apart from the one-bigint keys of ``db.one_writer``).
_FEED_LOCK = "hashtext('feeds'), CAST(? AS INTEGER)"


def ensure_schema(conn) -> None:
    migrate(conn, "feeds", MIGRATIONS)


@contextmanager
def transaction(conn) -> Iterator:
    """One write transaction; IMMEDIATE takes the write lock up front, so no upgrade deadlock."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _json_list(values) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def doc_id_for(added_url: str, identity: str) -> str:
    return "feed-" + hashlib.sha256(f"{added_url}\n{identity}".encode()).hexdigest()[:16]


# -- subscriptions ---------------------------------------------------------------------------


def seed_defaults(conn, sources: Iterable[FeedSource], *, now: datetime) -> int:
    """Add the default subscriptions once per data directory; return how many were added.

    A flag records the seeding, so a default feed the operator removed stays removed.
    """
    with transaction(conn):
        db.one_writer(conn, "feeds:seed")  # two first runs at once on Postgres: one seeds, one sees the flag
        if conn.execute("SELECT 1 FROM feeds_meta WHERE key = 'defaults_seeded'").fetchone():
            return 0
        added = sum(_insert_feed(conn, s, now=now, origin="default") for s in sources)
        conn.execute("INSERT INTO feeds_meta (key, value) VALUES ('defaults_seeded', ?)", (iso(now),))
    return added


def add_feed(conn, source: FeedSource, *, now: datetime, origin: str = "user") -> bool:
    """Subscribe; an existing subscription is updated and re-enabled. True if it was new."""
    with transaction(conn):
        existing = _find(conn, source.url)
        if existing is None:
            return _insert_feed(conn, source, now=now, origin=origin)
        conn.execute(
            "UPDATE feeds SET name = coalesce(nullif(?, ''), name), topic = coalesce(nullif(?, ''), topic),"
            " jurisdiction = coalesce(nullif(?, ''), jurisdiction), keywords = ?, disabled_reason = NULL,"
            " consecutive_errors = 0, next_check = NULL WHERE id = ?",
            (
                source.name,
                source.topic,
                source.jurisdiction,
                json.dumps(list(source.keywords or existing.keywords)),
                existing.id,
            ),
        )
    return False


def _insert_feed(conn, source: FeedSource, *, now: datetime, origin: str) -> bool:
    cursor = conn.execute(
        "INSERT INTO feeds (url, added_url, name, topic, jurisdiction, keywords, origin, added_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO NOTHING",
        (
            source.url,
            source.url,
            source.name,
            source.topic,
            source.jurisdiction or "US",
            json.dumps(list(source.keywords)),
            origin,
            iso(now),
        ),
    )
    return cursor.rowcount == 1


def remove_feed(conn, url: str) -> bool:
    """Delete a subscription with its items and versions (ON DELETE CASCADE)."""
    with transaction(conn):
        return conn.execute("DELETE FROM feeds WHERE url = ? OR added_url = ?", (url, url)).rowcount > 0


def get_feed(conn, url: str) -> Feed | None:
    return _find(conn, url)


def list_feeds(conn) -> list[Feed]:
    return [_feed(row) for row in conn.execute("SELECT * FROM feeds ORDER BY topic, name, url")]


def indexed_doc_ids(conn, feed_id: int) -> list[str]:
    rows = conn.execute("SELECT doc_id FROM feed_items WHERE feed_id = ? AND indexed_hash IS NOT NULL", (feed_id,))
    return [row[0] for row in rows]


def feed_status(conn) -> list[dict]:
    """Per-feed health for ``assistant status``: url, name, last_success, last_error."""
    ensure_schema(conn)
    return [
        {"url": f.url, "name": f.label, "last_success": f.last_success, "last_error": f.last_error}
        for f in list_feeds(conn)
    ]


def _find(conn, url: str) -> Feed | None:
    row = conn.execute(
        "SELECT * FROM feeds WHERE url = ? OR added_url = ? ORDER BY url = ? DESC LIMIT 1", (url, url, url)
    ).fetchone()
    return _feed(row) if row else None


def _feed(row) -> Feed:
    return Feed(
        id=row["id"],
        url=row["url"],
        added_url=row["added_url"],
        name=row["name"],
        topic=row["topic"],
        jurisdiction=row["jurisdiction"],
        keywords=tuple(json.loads(row["keywords"])),
        origin=row["origin"],
        title=row["title"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_status=row["last_status"],
        last_checked=row["last_checked"],
        last_success=row["last_success"],
        last_error=row["last_error"],
        consecutive_errors=row["consecutive_errors"],
        next_check=row["next_check"],
        disabled_reason=row["disabled_reason"],
        warnings=tuple(json.loads(row["warnings"])),
    )


# -- results of a fetch ----------------------------------------------------------------------


def stored_hashes(conn, feed_id: int) -> dict[str, str]:
    rows = conn.execute("SELECT identity, content_hash FROM feed_items WHERE feed_id = ?", (feed_id,))
    return {identity: digest for identity, digest in rows}


def save_fetch(
    conn,
    feed: Feed,
    fetched: Fetched,
    parsed: ParsedFeed,
    items: Sequence[ItemVersion],
    *,
    warnings: Iterable[str] = (),
    now: datetime,
) -> tuple[list[Decision], str | None]:
    """Decide new/changed/unchanged against the stored hashes and store the result, in one
    transaction under the feed's lock, so a concurrent save of the same feed cannot slip in
    between the reading and the writing. Returns the decisions and ``moved_to`` (see ``save_items``).
    """
    with transaction(conn):
        _lock_feed(conn, feed)
        decisions = decide(items, stored_hashes(conn, feed.id))
        moved_to = _save_items(conn, feed, fetched, parsed, decisions, warnings=warnings, now=now)
    return decisions, moved_to


def save_items(
    conn,
    feed: Feed,
    fetched: Fetched,
    parsed: ParsedFeed,
    decisions: Sequence[Decision],
    *,
    warnings: Iterable[str] = (),
    now: datetime,
) -> str | None:
    """Store new and changed items and the feed's new state in one transaction.

    Returns the URL the feed moved to when a permanent redirect chain moved it, else None.
    """
    with transaction(conn):
        _lock_feed(conn, feed)
        return _save_items(conn, feed, fetched, parsed, decisions, warnings=warnings, now=now)


def _save_items(conn, feed, fetched, parsed, decisions, *, warnings, now) -> str | None:
    seen_at = iso(now)
    new = [d.item for d in decisions if d.kind == NEW]
    changed = [d.item for d in decisions if d.kind == CHANGED]
    # executemany, not a loop of execute(): a first refresh stores thousands of rows.
    conn.executemany(
        "INSERT INTO feed_items (feed_id, identity, doc_id, version, content_hash, relevant,"
        " first_seen, last_changed) VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
        [(feed.id, i.identity, doc_id_for(feed.added_url, i.identity), i.content_hash, int(i.relevant),
          seen_at, seen_at) for i in new],
    )  # fmt: skip
    conn.executemany(
        "UPDATE feed_items SET version = version + 1, content_hash = ?, relevant = ?, last_changed = ?"
        " WHERE feed_id = ? AND identity = ?",
        [(i.content_hash, int(i.relevant), seen_at, feed.id, i.identity) for i in changed],
    )
    touched = {i.identity for i in new} | {i.identity for i in changed}
    ids = {
        identity: (item_id, version)
        for item_id, identity, version in conn.execute(
            "SELECT id, identity, version FROM feed_items WHERE feed_id = ?", (feed.id,)
        )
        if identity in touched
    }
    conn.executemany(
        "INSERT INTO feed_item_versions (item_id, version, seen_at, content_hash, relevant, title,"
        " link, text, summary_html, content_html, categories, author, published, updated)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*ids[i.identity], seen_at, i.content_hash, int(i.relevant), i.entry.title, i.entry.link, i.text,
          i.entry.summary_html, i.entry.content_html, _json_list(i.entry.categories), i.entry.author,
          iso(i.entry.published), iso(i.entry.updated)) for i in (*new, *changed)],
    )  # fmt: skip
    moved_to = _record_success(conn, feed, fetched, now=now)
    conn.execute(
        "UPDATE feeds SET title = ?, warnings = ? WHERE id = ?",
        (parsed.info.title, json.dumps([*parsed.warnings, *warnings], ensure_ascii=False), feed.id),
    )
    return moved_to


def load_version(conn, item_id: int, version: int) -> dict | None:
    """The compared fields of one stored version (for "what changed")."""
    row = conn.execute(
        "SELECT title, link, text, categories FROM feed_item_versions WHERE item_id = ? AND version = ?",
        (item_id, version),
    ).fetchone()
    return dict(row) if row else None


def save_not_modified(conn, feed: Feed, fetched: Fetched, *, now: datetime) -> str | None:
    with transaction(conn):
        _lock_feed(conn, feed)
        return _record_success(conn, feed, fetched, now=now)


def _record_success(conn, feed: Feed, fetched: Fetched, *, now: datetime) -> str | None:
    # A 304 may omit validators (RFC 9110 15.4.5 only says SHOULD); keep the ones we sent then.
    etag = fetched.etag or (feed.etag if fetched.not_modified else None)
    last_modified = fetched.last_modified or (feed.last_modified if fetched.not_modified else None)
    moved_to = None
    if fetched.permanent_redirect and fetched.final_url != feed.url:
        taken = conn.execute("SELECT 1 FROM feeds WHERE url = ? AND id != ?", (fetched.final_url, feed.id)).fetchone()
        if not taken:  # two subscriptions redirecting to one place: keep both as they are
            moved_to = fetched.final_url
    conn.execute(
        "UPDATE feeds SET url = ?, etag = ?, last_modified = ?, last_status = ?, last_checked = ?,"
        " last_success = ?, last_error = NULL, last_error_at = NULL, consecutive_errors = 0,"
        " next_check = NULL WHERE id = ?",
        (moved_to or feed.url, etag, last_modified, fetched.status, iso(now), iso(now), feed.id),
    )
    return moved_to


def save_error(
    conn,
    feed: Feed,
    error: str,
    *,
    now: datetime,
    status: int | None,
    next_check: datetime,
    disable: str | None = None,
) -> None:
    with transaction(conn):
        _lock_feed(conn, feed)
        conn.execute(
            "UPDATE feeds SET last_status = ?, last_checked = ?, last_error = ?, last_error_at = ?,"
            " consecutive_errors = consecutive_errors + 1, next_check = ?,"
            " disabled_reason = coalesce(?, disabled_reason) WHERE id = ?",
            (status, iso(now), error, iso(now), iso(next_check), disable, feed.id),
        )


# -- several workers -------------------------------------------------------------------------


def claim(conn, feed: Feed) -> Feed | None:
    """Take ``feed`` (as listed at the start of this run) for this worker until ``release``.

    Returns the feed as stored now, or None when another worker holds it or has refreshed it
    since it was listed (its ``last_checked`` moved): that worker's result stands, and fetching
    again would only repeat it. On SQLite only the second check applies; SQLite's single
    writer and ``save_fetch`` keep two workers' saves apart there.
    """
    if db.dialect(conn) == "postgres":
        if not conn.execute(f"SELECT pg_try_advisory_lock({_FEED_LOCK})", (feed.id,)).fetchone()[0]:
            return None
    row = conn.execute("SELECT * FROM feeds WHERE id = ?", (feed.id,)).fetchone()
    if row is None or row["last_checked"] != feed.last_checked:
        release(conn, feed)
        return None
    return _feed(row)


def release(conn, feed: Feed) -> None:
    """Let other workers take ``feed`` again (a worker that dies releases by disconnecting)."""
    if db.dialect(conn) != "postgres":
        return
    try:
        conn.execute(f"SELECT pg_advisory_unlock({_FEED_LOCK})", (feed.id,))
    except db.errors():  # a lost connection has released it already
        log.warning("%s: could not release the claim", feed.url, exc_info=True)


def _lock_feed(conn, feed: Feed) -> None:
    """Inside a transaction: wait for any other save of ``feed`` (Postgres; SQLite has one writer).

    The same key as ``claim``'s, so the worker holding the claim passes straight through.
    """
    if db.dialect(conn) == "postgres":
        conn.execute(f"SELECT pg_advisory_xact_lock({_FEED_LOCK})", (feed.id,))
