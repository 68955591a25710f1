"""Keyword search over the FTS5 table with BM25 ranking.

Exact terms (bill numbers such as "H.R. 6655", acronyms such as WIOA or CBET, program names)
are what embeddings blur and what this side exists for.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from assistant.retrieval.filters import Filters

# Words that carry no topic; FTS5 would otherwise rank chunks by how often they say "what".
STOPWORDS = frozenset(
    """a about after all also am an and any are as at be been being but by can could did do does
    doing for from get got had has have how i if in into is it its just me my no not of on or our
    out should so some such than that the their them then there these they this to too up us was
    we were what when where which who whom why will with would you your yours want wanna need know
    tell please much many more most thing things way really""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+")
_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}")


def normalize(text: str) -> str:
    """Collapse dotted acronyms ("H.R." -> "HR", "U.S." -> "US") in indexed text and questions alike."""
    return _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)


@dataclass(frozen=True)
class KeywordMatch:
    chunk_id: str
    bm25: float


def query_terms(question: str) -> list[str]:
    """Content words of a question, lowercased, without stopwords, in order, unique."""
    terms: list[str] = []
    for word in _TOKEN.findall(normalize(question).lower()):
        if word not in STOPWORDS and word not in terms and (len(word) > 1 or word.isdigit()):
            terms.append(word)
    return terms


#: How users ask versus how the documents say it (tuned on the tuning half of the gold set).
EXPANSIONS = {
    "make": ("pay", "salary"),
    "earn": ("pay", "salary"),
    "salary": ("pay",),
    "wage": ("pay",),
    "wages": ("pay",),
    "money": ("pay",),
    "paid": ("pay",),
    "biomed": ("bmet", "biomedical"),
    "biomeds": ("bmet", "biomedical"),
    "xray": ("radiologic", "imaging"),
    "classes": ("courses", "curriculum"),
    "demand": ("outlook", "growth"),
    "cert": ("certification",),
    "certs": ("certification",),
    "school": ("program", "college"),
    "army": ("military",),
    "navy": ("military",),
    "veteran": ("military",),
}


def expanded_terms(question: str) -> list[str]:
    """The question's content words followed by their ``EXPANSIONS`` (both keyword backends use these)."""
    terms = query_terms(question)
    for term in list(terms):
        terms += [t for t in EXPANSIONS.get(term, ()) if t not in terms]
    return terms


def fts_query(question: str) -> str:
    """An FTS5 MATCH expression: any of the terms, each quoted so no term is read as syntax."""
    return " OR ".join(f'"{t}"' for t in expanded_terms(question))


def search(conn: sqlite3.Connection, question: str, *, k: int, filters: Filters) -> list[KeywordMatch]:
    match = fts_query(question)
    if not match or k <= 0:
        return []
    condition, params = filters.to_sql("f")
    # Column weights: a term in the title or headings says more than one in passing.
    rows = conn.execute(
        "SELECT f.chunk_id AS chunk_id, bm25(chunks_fts, 0.0, 3.0, 2.0, 1.0) AS score"
        f" FROM chunks_fts AS f WHERE chunks_fts MATCH ? AND {condition} ORDER BY score LIMIT ?",
        [match, *params, k],
    )
    return [KeywordMatch(chunk_id=r["chunk_id"], bm25=r["score"]) for r in rows]
