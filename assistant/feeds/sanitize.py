"""Feed HTML is untrusted: an allow-list cleaner for display, a text extractor for indexing.

The allow-list (nh3, the Rust ammonia sanitizer) keeps structure and links and drops everything
else: scripts, styles, event handlers, iframes, forms and images (remote images are tracking
pixels in a policy digest). Only http(s) links leave the assistant: ``http_url`` for an item's
own link, the allow-list for links inside its HTML. ``to_text`` is what the index and the answerer see; instructions
embedded in an item stay inert text there, never markup or commands.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "dl", "dt", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "q", "s", "small", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
URL_SCHEMES = {"http", "https"}

# Block tags: a newline goes before each, so "<p>a</p><p>b</p>" reads "a\nb", not "ab".
_BLOCK_TAG = re.compile(
    r"<(/?(?:address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|footer|h[1-6]|header|hr|li|"
    r"ol|p|pre|section|table|td|th|tr|ul)\b)",
    re.I,
)
# Elements whose content is never prose; dropped with their content.
_NOT_PROSE = {"script", "style", "template", "head", "title", "iframe", "object", "svg", "math"}


def clean_html(fragment: str) -> str:
    """HTML safe to show: allow-listed tags and attributes, http(s) or relative links, rel=nofollow."""
    if not fragment:
        return ""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def http_url(url: str | None) -> str:
    """``url`` if it is an absolute http(s) URL with a host, else "" (``javascript:``, ``data:``,
    ``ftp:`` and relative links from a feed item are never passed on as links)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else ""


def to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: entities decoded, one line per block, spaces collapsed.

    The same html5ever parser that sanitizes does the stripping (with no tag allowed), so broken
    markup is read the way a browser reads it; it is also about twice as fast as html.parser.
    """
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:
        return _tidy(fragment)
    text = nh3.clean(_BLOCK_TAG.sub(r"\n<\1", fragment), tags=set(), clean_content_tags=_NOT_PROSE)
    return _tidy(html.unescape(text))


#: C0 controls but tab, newline and carriage return, and DEL: ESC starts terminal sequences (colours, OSC 8
#: hyperlinks) when the CLI prints an item, and no prose needs them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _tidy(text: str) -> str:
    text = _CONTROL.sub("", text)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
