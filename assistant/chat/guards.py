"""What a message may be before it is searched: not empty, not endless.

The embedding model reads about 256 word pieces (all-MiniLM-L6-v2), so a 20,000-character paste
adds nothing to the search but time; it is cut at ``max_chars`` on a word boundary and the user
is told. A message with no words gets a friendly nudge instead of a search. HTML tags are left
out of what is searched (the chat still shows the message as typed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Markup pasted into a question is shown as typed but not searched: tag names and attributes
# ("img", "src", "onerror") would only dilute the search.
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,300}>")


@dataclass(frozen=True)
class Checked:
    #: The text to search, or "" when there is nothing to search.
    question: str
    #: Said before the answer (e.g. that the message was shortened), or "".
    notice: str = ""
    #: Said instead of an answer when ``question`` is empty.
    reply: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.question)


def check(text: str | None, *, max_chars: int, hint: str = "") -> Checked:
    """``text`` made ready to search, or the reason it cannot be."""
    cleaned = " ".join(_TAG.sub(" ", _CONTROL.sub(" ", text or "")).split())
    if not re.search(r"\w", cleaned):
        reply = "Type a question and I'll look it up in my sources."
        return Checked("", reply=f"{reply} {hint}".strip())
    if len(cleaned) <= max_chars:
        return Checked(cleaned)
    cut = cleaned[:max_chars]
    if " " in cut[max_chars // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    notice = (
        f"Your message was long ({len(cleaned):,} characters), so I searched with its first "
        f"{len(cut):,}. Ask about one thing at a time for the best answer."
    )
    return Checked(cut, notice=notice)
