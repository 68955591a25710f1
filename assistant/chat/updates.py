"""The policy-feed subsystem as the chat uses it: this week's changes, the digest, a timeline,
and the staff commands (add a feed, refresh now).

Everything reads and writes through ``assistant.feeds`` (store, digest, refresh); this module only
chooses windows, counts per week and writes the chat's Markdown. Feed text is untrusted: titles,
names and summaries are escaped (``markup.escape_text``), links kept only when http(s).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from assistant.chat import markup
from assistant.chat.render import human_date
from assistant.errors import ConfigError

#: Most items listed in a chat message; the digest file has them all.
LIST_LIMIT = 15
_refreshing = threading.Lock()
log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Digest:
    filename: str
    markdown: str
    count: int


def _ready(conn: sqlite3.Connection) -> None:
    from assistant.feeds import store

    store.ensure_schema(conn)


def recent(conn: sqlite3.Connection, *, days: int = 7, now: datetime | None = None, topic: str | None = None):
    """``(since, updates)``: new and changed relevant items of the last ``days`` days, newest first."""
    from assistant.feeds.digest import list_updates

    _ready(conn)
    since = (now or utc_now()) - timedelta(days=days)
    return since, list_updates(conn, since=since, topic=topic)


def last_refresh(conn: sqlite3.Connection) -> str | None:
    """When a feed last answered (ISO UTC), or None if none ever has."""
    _ready(conn)
    row = conn.execute("SELECT max(last_success) FROM feeds").fetchone()
    return row[0] if row else None


def render_updates(updates: list, *, since: datetime, refreshed: str | None) -> str:
    """The "What changed this week" message: one entry per item, what changed first."""
    when = human_date(since.date().isoformat())
    checked = f"Feeds last checked {human_date(refreshed)}." if refreshed else "The feeds have not been fetched yet."
    if not updates:
        return f"**No new or changed policy items since {when}.** {checked}"
    new = sum(u.kind == "new" for u in updates)
    changed = len(updates) - new
    lines = [f"**Policy updates since {when}:** {new} new, {changed} changed. {checked}", ""]
    for u in updates[:LIST_LIMIT]:
        head = "new" if u.kind == "new" else f"changed (version {u.version})"
        where = ", ".join(markup.escape_text(x) for x in (u.topic, u.jurisdiction) if x)
        lines.append(
            f"- **{markup.link(u.title, u.link)}** · {head} · {human_date(u.date)} · "
            f"{markup.escape_text(u.feed)}" + (f" ({where})" if where else "") + "  "
        )
        if u.change:
            lines.append(f"  *What changed:* {markup.escape_text(u.change)}  ")
        if u.summary:
            lines.append(f"  {markup.escape_text(u.summary)}")
    if len(updates) > LIST_LIMIT:
        lines += ["", f"…and {len(updates) - LIST_LIMIT} more: the weekly digest has them all."]
    return "\n".join(lines)


def digest(conn: sqlite3.Connection, *, days: int = 7, now: datetime | None = None) -> Digest:
    """The Markdown digest of the last ``days`` days, as written by ``assistant feeds digest``."""
    from assistant.feeds.digest import digest_markdown

    now = now or utc_now()
    since, updates = recent(conn, days=days, now=now)
    text = digest_markdown(updates, since=since, now=now)
    return Digest(filename=f"policy-digest-{now.date().isoformat()}.md", markdown=text, count=len(updates))


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_counts(updates: Iterable, *, weeks: int, now: datetime) -> dict[date, dict[str, int]]:
    """Items per week (keyed by the week's Monday) and topic, for the ``weeks`` weeks up to ``now``.

    Every week is present, empty ones too, so a quiet week shows as a gap rather than vanishing.
    """
    last = monday(now.astimezone(UTC).date())
    counts: dict[date, dict[str, int]] = {last - timedelta(weeks=n): defaultdict(int) for n in range(weeks)}
    for u in updates:
        try:
            day = datetime.fromisoformat(u.date).astimezone(UTC).date()
        except (TypeError, ValueError):
            continue
        week = monday(day)
        if week in counts:
            counts[week][u.topic or "other"] += 1
    return {week: dict(topics) for week, topics in sorted(counts.items())}


def timeline_png(conn: sqlite3.Connection, *, weeks: int = 12, now: datetime | None = None) -> tuple[bytes, int]:
    """The per-week timeline chart and the number of items it counts."""
    from assistant.chat.charts import updates_timeline_png

    now = now or utc_now()
    _, updates = recent(conn, days=7 * weeks, now=now)
    counts = weekly_counts(updates, weeks=weeks, now=now)
    total = sum(sum(t.values()) for t in counts.values())
    note = (
        f"Source: tracked policy feeds (new items at their publication date, changes when seen); "
        f"{total} items, {weeks} weeks to {now.date().isoformat()}."
    )
    png = updates_timeline_png(counts, title=f"Policy updates per week by topic, last {weeks} weeks", note=note)
    return png, total


# -- staff commands --------------------------------------------------------------------------


def _seeded(conn: sqlite3.Connection) -> None:
    """Load the default subscriptions once, as ``assistant feeds`` does on first use."""
    from assistant.feeds import sources, store

    _ready(conn)
    if sources.DEFAULT_FEEDS_FILE.is_file():
        store.seed_defaults(conn, sources.load_feeds_toml()[0], now=utc_now())


def add_feed(conn: sqlite3.Connection, text: str) -> str:
    """Subscribe from a chat message ``URL [topic]``; returns what to tell the user."""
    from assistant.feeds import sources, store
    from assistant.feeds.models import FeedSource

    words = (text or "").split()
    if not words:
        raise ConfigError(
            "type the feed's URL after the command, then optionally a topic, e.g. https://example.gov/rss.xml workforce"
        )
    url = sources.validate_url(words[0])
    topic = words[1] if len(words) > 1 else ""
    _seeded(conn)
    source = FeedSource(url=url, topic=topic, keywords=sources.topic_keywords(topic) if topic else ())
    new = store.add_feed(conn, source, now=utc_now())
    verb = "Subscribed to" if new else "Already subscribed; updated and re-enabled"
    return (
        f"{verb} {markup.code(url)}"
        + (f" (topic {markup.escape_text(topic)})" if topic else "")
        + ". Use Refresh feeds to fetch it now."
    )


def refresh(conn: sqlite3.Connection, get_index: Callable[[], object], *, allow_private: bool = False) -> str:
    """Fetch every due feed and index what changed; one line per feed (errors included)."""
    from assistant.feeds.index_updates import sync_index
    from assistant.feeds.refresh import refresh_feeds

    if not _refreshing.acquire(blocking=False):
        return "A refresh is already running; its results will be searchable when it ends."
    try:
        _seeded(conn)
        # A person asked for it now: skip back-off waits (as `feeds refresh --force`), not disablement.
        results = list(refresh_feeds(conn, allow_private=allow_private, force=True))
        lines = [f"**Refreshed {len(results)} feed(s).**", ""]
        for r in results:
            _log_result(r)
            name = markup.escape_text(r.name or r.url)
            if r.status == "error":
                lines.append(f"- {name}: error, {markup.escape_text(r.error or 'unknown')}")
            elif r.other_worker:
                lines.append(f"- {name}: refreshed by another worker")
            elif r.status == "not_modified":
                lines.append(f"- {name}: not modified")
            else:
                lines.append(f"- {name}: {r.new} new, {r.changed} changed, {r.unchanged} unchanged")
        try:
            indexed = sync_index(conn, get_index)
            lines += ["", f"Indexed {indexed.indexed} item(s), removed {indexed.removed}."]
            log.info("feed refresh indexed %d item(s), removed %d", indexed.indexed, indexed.removed)
        except Exception as exc:  # the model or Chroma may be unavailable; items stay pending
            lines += ["", f"Indexing failed, items stay pending: {markup.escape_text(type(exc).__name__)}"]
            log.warning("feed refresh indexing failed, items stay pending: %s: %s", type(exc).__name__, exc)
        return "\n".join(lines)
    finally:
        _refreshing.release()


def _log_result(result) -> None:
    """One line per feed in the operator's log (serve's stderr, issue 15), as the chat shows it."""
    name = result.name or result.url
    if result.status == "error":
        log.warning("feed refresh %s: error: %s", name, result.error)
    elif result.other_worker:
        log.info("feed refresh %s: refreshed by another worker", name)
    elif result.status == "not_modified":
        log.info("feed refresh %s: not modified", name)
    else:
        log.info("feed refresh %s: %d new, %d changed, %d unchanged", name, result.new, result.changed,
                 result.unchanged)
