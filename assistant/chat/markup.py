"""Escaping for the chat's Markdown, so text from users, documents and feeds is shown, never obeyed.

Chainlit renders message text as Markdown (react-markdown with GFM) with raw HTML off
(``unsafe_allow_html = false`` in ``.chainlit/config.toml``). We escape anyway: Markdown links
and images need no HTML (a feed item's ``[re-verify your account](https://evil.example/login)``
was shown to a guest as a live link, issue 13), and a future config change must not turn a feed
title into live HTML. The only links in a message are the ones the chat builds itself from
metadata it checked (``link``, ``safe_url``) and Chainlit's own links from ``[n]`` to source cards.

Two strengths, both for text that must read as written and never act:

- ``escape_text`` for short text (titles, names, the user's own words, notes): every Markdown
  punctuation character is backslash-escaped (CommonMark 2.4: any ASCII punctuation may be).
- ``escape_quoted`` for answer text, which quotes sources and carries citation markers: ``[n]``
  as ``CitationFilter`` writes it stays, so Chainlit can link it to its card; every other
  bracket, parenthesis, ``<``, ``>``, ``!``, ``*``, backtick and backslash is escaped. ``*``
  because the corpus writes "O*NET", and two of them would italicize the text between; ``_``
  stays: inside a word it never starts emphasis (CommonMark, "Emphasis and strong emphasis").
  ``QuotedStream`` applies it to an answer arriving in pieces.

Both show a bare URL or email address as code: GFM turns ``https://…``, ``www.…`` and
``name@host`` into links by itself, after escapes are resolved, so escaping cannot stop it; in
a code span the address stays whole for copying but is not a link.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

_ESCAPE_ALWAYS = frozenset("\\`*_{}[]()<>#!|~")
_ESCAPE_QUOTED = frozenset("\\`*[]()<>!")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: A citation marker as ``CitationFilter`` writes it ("[2]", "[1, 3]").
_CITATION = r"\[\d{1,3}(?:, \d{1,3})*\]"
#: What GFM links by itself (autolink literals), less trailing punctuation, as GFM trims it.
_BARE_LINK = r"(?:https?://|www\.)[^\s<>]*[^\s<>.,;:!?'\")\]*_~]|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_TOKEN = re.compile(rf"(?P<citation>{_CITATION})|(?P<link>{_BARE_LINK})", re.I)
#: The end of a piece that may still become a citation marker.
_OPEN_CITATION = re.compile(r"\[[\d, ]*\Z")


def escape_text(text: str) -> str:
    """``text`` escaped so Markdown shows it literally (on one line: newlines become spaces)."""
    text = " ".join(_CONTROL.sub("", text or "").split())
    return _escaped(text, _ESCAPE_ALWAYS, citations=False)


def escape_block(text: str) -> str:
    """Like ``escape_text`` but keeps paragraphs: blank-line separated blocks stay apart."""
    paragraphs = re.split(r"\n\s*\n", _CONTROL.sub("", text or ""))
    return "\n\n".join(escape_text(p) for p in paragraphs if p.strip())


def escape_quoted(text: str) -> str:
    """Answer text shown as text: no link, image or HTML from what it quotes; ``[n]`` markers kept."""
    return _escaped(_CONTROL.sub("", text or ""), _ESCAPE_QUOTED, citations=True)


def _escaped(text: str, specials: frozenset[str], *, citations: bool) -> str:
    out, done = [], 0
    for match in _TOKEN.finditer(text):
        if match["citation"] and not citations:
            continue
        out.append(_backslashed(text[done : match.start()], specials))
        out.append(match[0] if match["citation"] else code(match[0]))
        done = match.end()
    out.append(_backslashed(text[done:], specials))
    return "".join(out)


def _backslashed(text: str, specials: frozenset[str]) -> str:
    return "".join("\\" + ch if ch in specials else ch for ch in text)


class QuotedStream:
    """``escape_quoted`` for an answer that arrives in pieces.

    A URL or a citation marker can be cut between two pieces and is recognized only whole, so
    the last word of a piece (from ``[`` when it may be a marker with spaces, "[1, 2]") waits
    for the next one; the pieces returned by ``feed`` and ``close`` join to ``escape_quoted``
    of the whole text.
    """

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, piece: str) -> str:
        text = self._pending + piece
        cut = max(text.rfind(" "), text.rfind("\n"), text.rfind("\t")) + 1
        marker = _OPEN_CITATION.search(text[:cut])  # a space inside "[1, 2]" is no place to cut
        if marker is not None:
            cut = marker.start()
        self._pending = text[cut:]
        return escape_quoted(text[:cut])

    def close(self) -> str:
        text, self._pending = self._pending, ""
        return escape_quoted(text)


def safe_url(url: str) -> str | None:
    """``url`` ready for a Markdown link target, or None unless it is an absolute http(s) URL."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # Spaces and parentheses would end the link target early; percent-encode them.
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


def link(label: str, url: str) -> str:
    """A Markdown link with an escaped label, or the escaped label alone for a non-http URL."""
    target = safe_url(url)
    return f"[{escape_text(label)}]({target})" if target else escape_text(label)


def code(text: str) -> str:
    """An inline code span that holds any text (CommonMark: a longer backtick fence than inside)."""
    text = " ".join(_CONTROL.sub("", text or "").split())
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"
