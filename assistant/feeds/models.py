"""Plain frozen dataclasses passed between fetch, parse, decide, store and refresh.

They carry no framework types: ``parse`` turns feedparser's dicts into these at its boundary, and
``fetch`` turns httpx responses into ``Fetched``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


def utc_now() -> datetime:
    """The default clock of every feed function (tests pass their own ``now=``)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class FeedSource:
    """A subscription as written in feeds.toml, an OPML file or ``feeds add``."""

    url: str
    name: str = ""
    topic: str = ""
    jurisdiction: str = "US"
    #: Words or phrases; an item is relevant (indexed) when its title or text contains one.
    #: Empty means every item of the feed is relevant.
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fetched:
    """The outcome of one successful HTTP exchange (200 with a body, or 304)."""

    url: str
    #: Where the body came from after redirects.
    final_url: str
    status: int
    content: bytes = b""
    #: Lower-cased response headers of the last hop.
    headers: dict[str, str] = field(default_factory=dict)
    #: True when there was at least one redirect and every hop was 301 or 308, so the
    #: subscription may move to ``final_url`` (DESIGN.md "Feeds").
    permanent_redirect: bool = False

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


@dataclass(frozen=True)
class FeedInfo:
    title: str = ""
    link: str = ""
    #: feedparser's version string ("rss20", "atom10", ...); empty when it found no feed.
    version: str = ""


@dataclass(frozen=True)
class FeedEntry:
    """One item as read from the feed, before identity and change detection."""

    guid: str = ""
    link: str = ""
    title: str = ""
    #: Raw (untrusted) HTML from the feed; sanitized before display, stripped before indexing.
    summary_html: str = ""
    content_html: str = ""
    categories: tuple[str, ...] = ()
    author: str = ""
    published: datetime | None = None
    updated: datetime | None = None


@dataclass(frozen=True)
class ParsedFeed:
    info: FeedInfo
    entries: tuple[FeedEntry, ...]
    #: Problems that did not stop the feed: a malformed document that still had entries,
    #: entries skipped for having neither id nor link. Recorded on the feed, shown by ``list``.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedUpdate:
    """The result of refreshing one feed, one per feed, never an exception.

    ``status`` is ``ok``, ``not_modified`` or ``error`` (the ``feeds refresh --json`` contract).
    """

    url: str
    status: str
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    error: str | None = None
    name: str = ""
    #: Set when a permanent redirect moved the subscription.
    moved_to: str | None = None
    #: Feed problems that did not fail it (see ``ParsedFeed.warnings``).
    warnings: tuple[str, ...] = ()
    #: Another worker claimed this feed during this run (status ``not_modified`` here): it
    #: fetched and stored the feed and reports the outcome; this run did nothing to it.
    other_worker: bool = False

    def to_json(self) -> dict:
        return {
            "url": self.url,
            "status": self.status,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "error": self.error,
        }
