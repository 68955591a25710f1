"""Turn fetched bytes into ``ParsedFeed``: pure, and the only module that imports feedparser.

feedparser gets a ``BytesIO``, never a string: a string may make it open a URL or a file itself
(its ``parse()`` docstring). Without a URL it resolves relative links against the
Content-Location header, so the feed's final URL goes in as that header.

Bozo rule (reader's ``_parser/feedparser.py``, adapted by DESIGN.md): encoding overrides and a
non-XML content type are harmless; any other problem fails the feed if it yielded no entries, and
is recorded as a warning if it did. A body with no entries and no recognised feed version is an
error, never "every item was removed".
"""

from __future__ import annotations

import calendar
import html
import io
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime

import feedparser

from assistant.errors import ParseError
from assistant.feeds.models import FeedEntry, FeedInfo, ParsedFeed
from assistant.feeds.sanitize import to_text

log = logging.getLogger(__name__)

# Raised by feedparser for documents it still read correctly (see its docs, "Bozo Detection").
_HARMLESS = tuple(
    getattr(feedparser, name)
    for name in ("CharacterEncodingOverride", "NonXMLContentType")
    if hasattr(feedparser, name)
)
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.I | re.S)


def parse(data: bytes, *, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse a feed document.

    Raises:
        ParseError: the body is not a feed (HTML page, garbage), or is malformed with no entries.
    """
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers["content-location"] = url
    stripped = data.lstrip(b" \t\r\n")
    if stripped is not data and stripped.startswith(b"<?xml"):
        # Whitespace before the XML declaration is a fatal XML error (XML 1.0 2.8) that many
        # CMSs emit; feedparser then falls back to its loose parser and flags the feed. Trimming
        # it is safe because the declaration shows the encoding is ASCII-compatible.
        data = stripped
    # Both of feedparser's HTML passes are off, about a quarter of its CPU time on HTML-heavy
    # feeds (measured for bench/feeds.py): nh3 sanitizes for display and the index gets plain
    # text (sanitize.py), and the digest resolves relative links in item HTML with xml:base.
    # Entry links themselves are still resolved against Content-Location.
    result = feedparser.parse(
        io.BytesIO(data), response_headers=response_headers, sanitize_html=False, resolve_relative_uris=False
    )
    version = result.get("version") or ""
    raw_entries = result.get("entries") or []
    problem = result.get("bozo_exception") if result.get("bozo") else None
    if problem is not None and isinstance(problem, _HARMLESS):
        problem = None

    if not raw_entries and not version:
        raise ParseError(url, _not_a_feed(data, response_headers, problem))
    warnings: list[str] = []
    entries = []
    for n, raw in enumerate(raw_entries, start=1):
        entry = _entry(raw)
        if not entry.guid and not entry.link:
            warnings.append(f"skipped entry {n} ({entry.title[:60]!r}): it has neither an id nor a link")
            log.warning("%s: skipped entry %d without id or link", url, n)
            continue
        entries.append(entry)
    if problem is not None:
        if not entries:
            raise ParseError(url, f"malformed feed with no usable entries: {_describe(problem)}")
        warnings.insert(0, f"malformed feed, {len(entries)} entries read anyway: {_describe(problem)}")
    feed = result.get("feed") or {}
    info = FeedInfo(
        title=_text(feed.get("title"), feed.get("title_detail")),
        link=(feed.get("link") or "").strip(),
        version=version,
    )
    return ParsedFeed(info=info, entries=tuple(entries), warnings=tuple(warnings))


def _entry(raw: Mapping) -> FeedEntry:
    summary = _html(raw.get("summary"), raw.get("summary_detail"))
    content = ""
    for part in raw.get("content") or ():
        value = _html(part.get("value"), part)
        if value and value != summary:
            content = value
            break
    categories: list[str] = []
    for tag in raw.get("tags") or ():
        term = ((tag.get("term") or tag.get("label") or "") if isinstance(tag, Mapping) else "").strip()
        if term and term not in categories:
            categories.append(term)
    return FeedEntry(
        guid=_clean_id(raw.get("id")),
        link=(raw.get("link") or "").strip(),
        title=_text(raw.get("title"), raw.get("title_detail")),
        summary_html=summary,
        content_html=content,
        categories=tuple(categories),
        author=(raw.get("author") or "").strip(),
        published=_date(raw.get("published_parsed")),
        updated=_date(raw.get("updated_parsed")),
    )


def _clean_id(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _html(value, detail) -> str:
    """Entry text as HTML: plain-text constructs are escaped so every field has one type."""
    if not isinstance(value, str) or not value.strip():
        return ""
    kind = (detail or {}).get("type", "text/html") if isinstance(detail, Mapping) else "text/html"
    return html.escape(value) if kind == "text/plain" else value


def _text(value, detail) -> str:
    return to_text(_html(value, detail)).replace("\n", " ")


def _date(parsed) -> datetime | None:
    # feedparser normalises every date it understands to a UTC struct_time; junk stays None.
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, TypeError, OSError):
        return None


def _describe(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _not_a_feed(data: bytes, headers: Mapping[str, str], problem: BaseException | None) -> str:
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("text/html", "application/xhtml+xml") or _HTML_START.match(data[:2048]):
        return "not a feed: the server sent an HTML page (a login, error or bot-check page?)"
    detail = f" ({_describe(problem)})" if problem is not None else ""
    return f"not a feed: no RSS, Atom or RDF document found{detail}"
