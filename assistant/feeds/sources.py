"""Subscriptions in and out: ``corpus/feeds.toml`` and OPML, the format every feed reader exchanges.

feeds.toml::

    [topics.apprenticeship]            # optional keyword list shared by a topic's feeds
    keywords = ["apprentice", "registered apprenticeship"]

    [[feed]]
    url = "https://www.govinfo.gov/rss/bills.xml"
    name = "GovInfo: Congressional bills"
    topic = "apprenticeship"
    jurisdiction = "US"
    keywords = ["apprentice"]          # optional; without the key, the topic's; [] means all items

OPML: feeds are ``<outline type="rss" xmlUrl=...>``; a folder outline around them is the topic
(readers call folders categories). Export writes ``jurisdiction`` and ``keywords`` attributes too,
which other readers ignore and a re-import reads back, so a round trip loses nothing.
"""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

from assistant.errors import ConfigError, LoadError
from assistant.feeds.models import FeedSource, utc_now

#: The default subscriptions shipped with the project (seeded into the store on first use).
DEFAULT_FEEDS_FILE = Path(__file__).resolve().parents[2] / "corpus" / "feeds.toml"
_KEYWORD_SEPARATOR = "|"


def validate_url(url: str) -> str:
    """The URL stripped, or ConfigError if it is not an absolute http(s) URL."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ConfigError(f"{url!r} is not a valid URL: {exc}") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{url!r} is not an http(s) feed URL")
    return url


def load_feeds_toml(path: Path = DEFAULT_FEEDS_FILE) -> tuple[list[FeedSource], dict[str, tuple[str, ...]]]:
    """Read feeds.toml: the feeds (keywords already resolved) and the topic keyword lists."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the feed list: {exc}") from exc
    topics = {
        str(name): _keywords(spec.get("keywords", ()), where=f"{path}: topics.{name}")
        for name, spec in (data.get("topics") or {}).items()
        if isinstance(spec, Mapping)
    }
    feeds = []
    for n, spec in enumerate(data.get("feed") or (), start=1):
        if not isinstance(spec, Mapping) or "url" not in spec:
            raise ConfigError(f"{path}: feed #{n} has no url")
        try:
            url = validate_url(str(spec["url"]))
        except ConfigError as exc:
            raise ConfigError(f"{path}: feed #{n}: {exc}") from None
        topic = str(spec.get("topic", ""))
        own = _keywords(spec.get("keywords", ()), where=f"{path}: feed #{n}")
        feeds.append(
            FeedSource(
                url=url,
                name=str(spec.get("name", "")),
                topic=topic,
                jurisdiction=str(spec.get("jurisdiction", "US")),
                keywords=own if "keywords" in spec else topics.get(topic, ()),
            )
        )
    return feeds, topics


def topic_keywords(topic: str, path: Path = DEFAULT_FEEDS_FILE) -> tuple[str, ...]:
    """The keyword list feeds.toml gives ``topic``, empty when the file or topic is missing."""
    if not topic or not Path(path).is_file():
        return ()
    try:
        return load_feeds_toml(path)[1].get(topic, ())
    except ConfigError:
        return ()


def parse_opml(
    data: bytes,
    *,
    path: str = "<opml>",
    default_keywords: Callable[[str], tuple[str, ...]] = lambda topic: (),
) -> list[FeedSource]:
    """Feeds listed in an OPML document; folders become topics.

    An outline without our ``keywords`` attribute (any other reader's export) gets
    ``default_keywords(topic)``; one with ``keywords=""`` keeps "every item is relevant".

    ElementTree never fetches external entities, and the expat bundled with Python 3.11 refuses
    entity-expansion bombs, so an untrusted OPML file is safe to read here.
    """
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise LoadError(path, f"not an OPML file: {exc}") from exc
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise LoadError(path, "not an OPML file: no <opml><body>")
    found: dict[str, FeedSource] = {}
    _walk(body, folder="", out=found, default_keywords=default_keywords)
    return list(found.values())


def _walk(node: ET.Element, *, folder: str, out: dict[str, FeedSource], default_keywords) -> None:
    for outline in node.findall("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        label = outline.get("title") or outline.get("text") or ""
        if not url:
            _walk(outline, folder=label.strip() or folder, out=out, default_keywords=default_keywords)
            continue
        try:
            url = validate_url(url)
        except ConfigError:
            continue  # a podcast with a feed:// or a broken entry must not sink the whole import
        topic = (outline.get("category") or "").split(",")[0].strip().strip("/") or folder
        if outline.get("keywords") is None:
            keywords = default_keywords(topic)
        else:
            keywords = tuple(k.strip() for k in outline.get("keywords").split(_KEYWORD_SEPARATOR) if k.strip())
        out.setdefault(
            url,
            FeedSource(
                url=url,
                name=label.strip(),
                topic=topic,
                jurisdiction=(outline.get("jurisdiction") or "US").strip() or "US",
                keywords=keywords,
            ),
        )


def to_opml(feeds: Iterable[FeedSource], *, title: str = "Policy feeds", now: datetime | None = None) -> str:
    """An OPML 2.0 document of ``feeds``, one folder per topic."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now or utc_now(), usegmt=True)
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in sorted(feeds, key=lambda f: (f.topic, f.name, f.url)):
        parent = body
        if feed.topic:
            if feed.topic not in folders:
                folders[feed.topic] = ET.SubElement(body, "outline", text=feed.topic, title=feed.topic)
            parent = folders[feed.topic]
        attrs = {
            "type": "rss",
            "text": feed.name or feed.url,
            "title": feed.name or feed.url,
            "xmlUrl": feed.url,
            "jurisdiction": feed.jurisdiction,
        }
        if feed.topic:
            attrs["category"] = "/" + feed.topic
        attrs["keywords"] = _KEYWORD_SEPARATOR.join(feed.keywords)  # "" = every item is relevant
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _keywords(value, *, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not all(isinstance(k, str) for k in value):
        raise ConfigError(f"{where}: keywords must be a list of strings")
    return tuple(k.strip() for k in value if k.strip())
