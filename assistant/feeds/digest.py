"""What is new or changed since a date: the ``updates`` list, a Markdown digest and an Atom feed.

An item counts as *new* at its own date (published, else updated, else first seen), so the
years-old backlog a feed delivers on its first fetch does not flood "this week"; it counts as
*changed* when a new version was seen. Each item appears once, with its latest version in the
window and, when changed, a "what changed" line against the version before.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from urllib.parse import quote

from assistant.feeds.decide import describe_change
from assistant.feeds.models import utc_now
from assistant.feeds.sanitize import clean_html, http_url
from assistant.feeds.store import iso, load_version

ATOM = "http://www.w3.org/2005/Atom"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
FEED_ID = "urn:bmet-assistant:policy-updates"


@dataclass(frozen=True)
class Update:
    doc_id: str
    kind: str  # "new" | "changed"
    version: int
    date: str  # ISO UTC: the item's date when new, the time the change was seen when changed
    title: str
    link: str  # an absolute http(s) URL or "" (the digests check again: bills build Updates too)
    feed: str
    topic: str
    jurisdiction: str
    summary: str  # plain text, shortened
    change: str  # "what changed" line; empty for new items
    html: str  # sanitized summary/content HTML, safe to display; relative links stay relative
    feed_url: str = ""

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in ("html", "feed_url")}


# Written once for both dialects: an alias on the subquery and typed parameters (Postgres cannot
# guess the type of a bare "? IS NULL", nor OR an integer).
_QUERY = """
SELECT * FROM (
  SELECT v.item_id, v.version, v.seen_at, v.title, v.link, v.text, v.categories, v.summary_html,
         v.content_html, i.doc_id, f.name AS feed_name, f.title AS feed_title, f.url AS feed_url,
         f.topic, f.jurisdiction,
         CASE WHEN v.version = 1 THEN coalesce(v.published, v.updated, v.seen_at) ELSE v.seen_at END
           AS event_at
  FROM feed_item_versions v
  JOIN feed_items i ON i.id = v.item_id
  JOIN feeds f ON f.id = i.feed_id
  WHERE (v.relevant = 1 OR ? = 1) AND (CAST(? AS TEXT) IS NULL OR f.topic = ?)
) AS versions
WHERE event_at >= ?
ORDER BY event_at DESC, item_id, version DESC
"""


def list_updates(
    conn,
    *,
    since: datetime,
    topic: str | None = None,
    include_irrelevant: bool = False,
    limit: int | None = None,
) -> list[Update]:
    """New and changed items since ``since``, newest first, one entry per item."""
    out: list[Update] = []
    seen: set[int] = set()
    for row in conn.execute(_QUERY, (int(include_irrelevant), topic, topic, iso(since))):
        if row["item_id"] in seen:
            continue
        seen.add(row["item_id"])
        change = ""
        if row["version"] > 1:
            previous = load_version(conn, row["item_id"], row["version"] - 1)
            if previous is not None:
                change = describe_change(previous, dict(row))
        text = row["text"] or ""
        out.append(
            Update(
                doc_id=row["doc_id"],
                kind="new" if row["version"] == 1 else "changed",
                version=row["version"],
                date=row["event_at"],
                title=row["title"] or text[:80] or "(untitled item)",
                link=http_url(row["link"]),
                feed=row["feed_name"] or row["feed_title"] or row["feed_url"],
                topic=row["topic"],
                jurisdiction=row["jurisdiction"],
                summary=text if len(text) <= 300 else text[:299].rstrip() + "…",
                change=change,
                html=clean_html(row["content_html"] or row["summary_html"]),
                feed_url=row["feed_url"],
            )
        )
        if limit is not None and len(out) >= limit:
            break
    if topic in (None, "bills"):
        # Tracked bills are policy updates too (assistant/bills/updates.py); merged by date.
        from assistant.bills.updates import bill_updates

        out = sorted(out + bill_updates(conn, since=since), key=lambda u: u.date, reverse=True)
        out = out[:limit] if limit is not None else out
    return out


def updates_json(updates: list[Update]) -> str:
    return json.dumps({"updates": [u.to_json() for u in updates]}, ensure_ascii=False, indent=2)


def digest_markdown(updates: list[Update], *, since: datetime, now: datetime | None = None) -> str:
    """A digest grouped by topic and jurisdiction; item text is escaped, never raw feed HTML, and
    only http(s) links are written (an item with another link is listed without one)."""
    now = now or utc_now()
    lines = [
        f"# Policy updates since {since.date().isoformat()}",
        "",
        f"Generated {iso(now)}: {len(updates)} new or changed item(s).",
    ]
    for (topic, jurisdiction), group in _grouped(updates):
        lines += ["", f"## {_md(topic or 'other')} · {_md(jurisdiction)}", ""]
        for u in group:
            link = http_url(u.link)
            title = f"[{_md(u.title)}]({_md_url(link)})" if link else _md(u.title)
            when = u.date[:10]
            head = f"new, {when}" if u.kind == "new" else f"changed {when} (version {u.version})"
            lines.append(f"- **{title}** — {head} · {_md(u.feed)}")
            if u.change:
                lines.append(f"  - What changed: {_md(u.change)}")
            if u.summary:
                lines.append(f"  - {_md(u.summary.replace(chr(10), ' '))}")
    return "\n".join(lines) + "\n"


def digest_atom(updates: list[Update], *, since: datetime, now: datetime | None = None) -> str:
    """An Atom 1.0 feed (RFC 4287) of the digest; entry ids are stable per item version, so a
    reader subscribed to a regenerated file shows each change once."""
    now = now or utc_now()
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", FEED_ID)
    _sub(feed, "title", f"Policy updates since {since.date().isoformat()}")
    _sub(feed, "updated", iso(now))
    author = _sub(feed, "author")
    _sub(author, "name", "bmet-assistant feed tracker")
    _sub(feed, "generator", "bmet-assistant")
    for (topic, jurisdiction), group in _grouped(updates):
        for u in group:
            entry = _sub(feed, "entry")
            _sub(entry, "id", f"urn:bmet-assistant:{u.doc_id}:v{u.version}")
            _sub(entry, "title", u.title if u.kind == "new" else f"Changed: {u.title}")
            _sub(entry, "updated", u.date)
            link = http_url(u.link)
            if link:
                ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=link)
            ET.SubElement(entry, f"{{{ATOM}}}category", term=topic or "other", label=f"topic: {topic or 'other'}")
            ET.SubElement(entry, f"{{{ATOM}}}category", term=jurisdiction, scheme="urn:bmet-assistant:jurisdiction")
            body = u.html
            if u.change:
                body = f"<p><strong>What changed:</strong> {_escape_html(u.change)}</p>{body}"
            body += f"<p>From {_escape_html(u.feed)}.</p>"
            # Item HTML keeps the feed's relative links; xml:base makes readers resolve them.
            content = _sub(entry, "content", body, type="html")
            base = link or http_url(u.feed_url)
            if base:
                content.set(XML_BASE, base)
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def _grouped(updates: list[Update]) -> list[tuple[tuple[str, str], list[Update]]]:
    groups: dict[tuple[str, str], list[Update]] = defaultdict(list)
    for u in updates:
        groups[(u.topic, u.jurisdiction)].append(u)
    return sorted(groups.items(), key=lambda kv: (kv[0][0] or "~", kv[0][1]))


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _md(text: str) -> str:
    # Feed text is untrusted: neutralize Markdown link/emphasis syntax and raw HTML.
    out = text.replace("\\", "\\\\").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "[]()*_`#|":
        out = out.replace(ch, "\\" + ch)
    return out


def _md_url(url: str) -> str:
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


def _escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
