"""Follow-up questions without an LLM: carry the topic of the conversation into short replies.

"and in Massachusetts?" after "how do I become a BMET?" is searched as both together, so the
search keeps the subject the user is still talking about (pure functions).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.retrieval.lexical import query_terms

_REFERS_BACK = re.compile(
    r"^\s*(and|what about|how about|also|but|so|then|same|that|those|it|they|them|there|what does (it|that)|"
    r"does (it|that)|is (it|that)|in (massachusetts|ma)\b)|\b(it|that|this|they|them|those|there)\b",
    re.I,
)
#: A message with this many content words or fewer is treated as a follow-up when history exists.
SHORT = 3


def is_follow_up(question: str) -> bool:
    terms = query_terms(question)
    return len(terms) <= SHORT or bool(_REFERS_BACK.search(question)) and len(terms) <= 6


def contextualize(question: str, history: Sequence[str]) -> str:
    """The text to search for ``question`` given the user's earlier messages (newest last)."""
    if not history or not is_follow_up(question):
        return question
    carried: list[str] = []
    for earlier in reversed(history[-3:]):
        for term in query_terms(earlier):
            if term not in carried and term not in question.lower():
                carried.append(term)
        if len(carried) >= 6:
            break
    return f"{question} {' '.join(carried[:6])}".strip()
