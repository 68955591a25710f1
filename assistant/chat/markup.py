"""Escaping for the chat's Markdown, so text from users, documents and feeds is shown, never obeyed.

Chainlit renders message text as Markdown (react-markdown) with raw HTML off
(``unsafe_allow_html = false`` in ``.chainlit/config.toml``). We escape anyway, for two reasons
the setting does not cover: Markdown images load remote URLs (a tracking pixel in a feed item),
and a future config change must not turn a feed title into live HTML.

Two strengths:

- ``escape_text`` for anything that must read exactly as written (feed titles, names, the
  user's own words): every Markdown punctuation character is backslash-escaped (CommonMark
  section 2.4: any ASCII punctuation may be escaped).
- ``sanitize_stream`` for answer text, whose bare URLs must stay links: ``\\``, ``<``, ``>``,
  ``!``, ``*`` and backticks are escaped, one character at a time, so it is safe to apply to
  streamed pieces cut anywhere (an escape never spans two pieces). ``*`` because the corpus
  writes "O*NET", and two of them in a sentence would turn the text between into italics;
  ``_`` stays: inside a word it never starts emphasis (CommonMark, "Emphasis and strong
  emphasis"), and URLs are full of it.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

_ESCAPE_ALWAYS = set("\\`*_{}[]()<>#!|~")
_STREAM_ESCAPES = {"\\": "\\\\", "<": "\\<", ">": "\\>", "!": "\\!", "*": "\\*", "`": "\\`"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape_text(text: str) -> str:
    """``text`` escaped so Markdown shows it literally (on one line: newlines become spaces)."""
    text = _CONTROL.sub("", text or "")
    text = " ".join(text.split())
    return "".join("\\" + ch if ch in _ESCAPE_ALWAYS else ch for ch in text)


def escape_block(text: str) -> str:
    """Like ``escape_text`` but keeps paragraphs: blank-line separated blocks stay apart."""
    paragraphs = re.split(r"\n\s*\n", _CONTROL.sub("", text or ""))
    return "\n\n".join(escape_text(p) for p in paragraphs if p.strip())


def sanitize_stream(piece: str) -> str:
    """A piece of answer text with HTML and image syntax neutralized; emphasis and links kept."""
    piece = _CONTROL.sub("", piece or "")
    return "".join(_STREAM_ESCAPES.get(ch, ch) for ch in piece)


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
