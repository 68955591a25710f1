"""Hybrid search: Chroma nearest neighbours and keyword matches, fused by Reciprocal Rank Fusion.

    score(chunk) = sum over lists of 1 / (rrf_k + rank)       (Cormack, Clarke, Buettcher 2009)

The keyword side is the catalog's (FTS5 BM25 in SQLite, a weighted ``tsvector`` in Postgres),
reached through ``KeywordIndex`` so this module holds no SQL. The same filters go to both
sides. Then at most ``max_per_doc`` chunks per document are kept, so one long document cannot
crowd out the rest. When the question asks for news, a third list
ranks the candidates by date, newest first, so recent policy updates rise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.retrieval import lexical
from assistant.retrieval.filters import Filters
from assistant.retrieval.vectorstore import VectorStore
from assistant.types import Hit

_NEWS = re.compile(
    r"\b(new|news|latest|recent(ly)?|this (week|month)|today|changed?|changes|updates?|what's up|happening)\b",
    re.I,
)


class KeywordIndex(Protocol):
    """The keyword side of the search: either catalog (SQLite or Postgres) provides it."""

    def keyword_search(self, question: str, *, k: int, filters: Filters) -> list[lexical.KeywordMatch]: ...

    def keyword_metadata(self, chunk_ids: Sequence[str]) -> dict[str, dict]: ...


@dataclass(frozen=True)
class SearchParams:
    k: int = 5
    candidates: int = 30
    rrf_k: int = 60
    max_per_doc: int = 2
    #: A soft preference for documents written for this audience (a profile), not a filter.
    prefer_audience: str | None = None
    #: Rank by date as a third list (None: decide from the question's wording).
    recency: bool | None = None


_EXACT = re.compile(r"\d|\b[A-Z]{2,}\b")


def has_exact_terms(question: str) -> bool:
    """Numbers and acronyms (H.R. 6655, 524B, CBET) are what the keyword side is for."""
    return bool(_EXACT.search(lexical.normalize(question)))


def term_coverage(question: str, hit: Hit) -> float:
    """Share of the question's content words found in the hit's title, headings and text."""
    terms = lexical.query_terms(question)
    if not terms:
        return 0.0
    words = set(lexical.query_terms(f"{hit.metadata.get('title', '')} {hit.headings} {hit.text}"))
    stems = {w[:5] for w in words}
    return sum(t in words or t[:5] in stems for t in terms) / len(terms)


def asks_for_news(question: str) -> bool:
    return bool(_NEWS.search(question))


def rrf(rankings: Sequence[Sequence[str]], *, k: int = 60, weights: Sequence[float] | None = None) -> dict[str, float]:
    """Reciprocal Rank Fusion of ranked id lists (pure)."""
    scores: dict[str, float] = {}
    for index, ranking in enumerate(rankings):
        weight = weights[index] if weights else 1.0
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return scores


def cap_per_document(hits: Sequence[Hit], *, max_per_doc: int, k: int) -> list[Hit]:
    """Keep hits in order, at most ``max_per_doc`` per document, ``k`` in all (pure)."""
    kept: list[Hit] = []
    per_doc: dict[str, int] = {}
    for hit in hits:
        if per_doc.get(hit.doc_id, 0) >= max_per_doc:
            continue
        per_doc[hit.doc_id] = per_doc.get(hit.doc_id, 0) + 1
        kept.append(hit)
        if len(kept) == k:
            break
    return kept


def hybrid_search(
    *,
    question: str,
    query_vector: np.ndarray,
    vectors: VectorStore,
    keywords: KeywordIndex,
    filters: Filters,
    params: SearchParams,
    timings: dict | None = None,
) -> list[Hit]:
    import time

    t0 = time.perf_counter()
    vector_matches = vectors.query(query_vector, k=params.candidates, where=filters.to_chroma())
    t1 = time.perf_counter()
    keyword_matches = keywords.keyword_search(question, k=params.candidates, filters=filters)
    t2 = time.perf_counter()
    if timings is not None:
        timings["chroma"] = (t1 - t0) * 1000
        timings["fts"] = (t2 - t1) * 1000

    vector_ids = [m.chunk_id for m in vector_matches]
    keyword_ids = [m.chunk_id for m in keyword_matches]
    rankings: list[list[str]] = [vector_ids, keyword_ids]
    weights = [1.0, 2.0 if has_exact_terms(question) else 1.0]

    by_id = {m.chunk_id: m for m in vector_matches}
    missing = [i for i in keyword_ids if i not in by_id]
    meta = keywords.keyword_metadata(missing)

    def metadata(chunk_id: str) -> dict:
        return by_id[chunk_id].metadata if chunk_id in by_id else meta.get(chunk_id, {})

    candidates = list(dict.fromkeys(vector_ids + keyword_ids))
    if params.prefer_audience:
        key = f"aud_{params.prefer_audience}"
        rankings.append([c for c in candidates if metadata(c).get(key)])
        weights.append(0.5)
    news = params.recency if params.recency is not None else asks_for_news(question)
    if news:
        dated = sorted(
            (c for c in candidates if metadata(c).get("doc_type") == "policy_update"),
            key=lambda c: -int(metadata(c).get("published") or 0),
        )
        rankings.append(dated)
        weights.append(1.5)

    scores = rrf(rankings, k=params.rrf_k, weights=weights)
    vector_rank = {c: r for r, c in enumerate(vector_ids, start=1)}
    keyword_rank = {c: r for r, c in enumerate(keyword_ids, start=1)}
    ordered = sorted(scores, key=lambda c: -scores[c])
    hits = []
    for chunk_id in ordered:
        m = metadata(chunk_id)
        if not m:
            continue
        hits.append(
            Hit(
                chunk_id=chunk_id,
                doc_id=m.get("doc_id", chunk_id.rsplit(":", 1)[0]),
                text=by_id[chunk_id].text if chunk_id in by_id else m.get("text", ""),
                headings=m.get("headings", ""),
                metadata=m,
                score=scores[chunk_id],
                distance=by_id[chunk_id].distance if chunk_id in by_id else None,
                vector_rank=vector_rank.get(chunk_id),
                keyword_rank=keyword_rank.get(chunk_id),
            )
        )
    kept = cap_per_document(hits, max_per_doc=params.max_per_doc, k=params.k)
    if news:
        # Relevance chose the results; among them, news reads newest first.
        updates = sorted((h for h in kept if h.metadata.get("doc_type") == "policy_update"),
                         key=lambda h: -int(h.metadata.get("published") or 0))
        kept = updates + [h for h in kept if h.metadata.get("doc_type") != "policy_update"]
    return kept

