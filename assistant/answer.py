"""Answerers: turn a question and retrieved passages into an ``Answer`` with citations.

``ExtractiveAnswerer`` (the offline default) quotes the 2 to 5 sentences that best answer the
question, scored by meaning (the question vector against sentence vectors prepared at ingest)
and by word overlap, without repeats. It states nothing that is not in a cited passage.
An LLM answerer (``assistant.llm``) implements the same ``Answerer`` protocol.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np

from assistant import prompts
from assistant.retrieval.lexical import query_terms
from assistant.types import Answer, Citation, Hit


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its sentences and their vectors (from the catalog)."""

    hit: Hit
    sentences: tuple[str, ...]
    vectors: np.ndarray


class Answerer(Protocol):
    name: str

    def answer(
        self, question: str, passages: Sequence[Passage], *, query_vector: np.ndarray, profile: str | None
    ) -> Answer: ...


def published_str(metadata: dict) -> str | None:
    value = int(metadata.get("published") or 0)
    if not value:
        return None
    return date(value // 10000, value // 100 % 100, value % 100).isoformat()


def citation_for(n: int, hit: Hit, snippet: str) -> Citation:
    meta = hit.metadata
    return Citation(
        n=n,
        title=meta.get("title", hit.doc_id),
        source=meta.get("source", ""),
        doc_type=meta.get("doc_type", "reference"),
        snippet=_clip(snippet, 320),
        published=published_str(meta),
        doc_id=hit.doc_id,
        url=meta.get("url", ""),
    )


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


_WORD = re.compile(r"[a-z0-9]+")


def _stems(text: str) -> set[str]:
    # A five-letter prefix is a crude stemmer that makes "certified" meet "certification".
    return {w[:5] for w in _WORD.findall(text.lower())}


@dataclass(frozen=True)
class ExtractiveAnswerer:
    name: str = "extractive"
    max_sentences: int = 5
    min_sentences: int = 2
    #: Weight of meaning against word overlap in a sentence's score.
    semantic_weight: float = 0.65
    #: Cosine similarity above which two sentences count as saying the same thing.
    duplicate_similarity: float = 0.88
    #: A sentence scoring below this share of the best one is not worth quoting.
    relative_floor: float = 0.72
    #: Bonus for sentences of higher-ranked passages: weight / (1 + passage rank).
    rank_weight: float = 0.1
    #: Abstain when even the best sentence scores below this.
    min_score: float = 0.30

    def answer(
        self, question: str, passages: Sequence[Passage], *, query_vector: np.ndarray, profile: str | None = None
    ) -> Answer:
        scored = self.score(question, passages, query_vector)
        if not scored or scored[0][0] < self.min_score:
            return Answer(question=question, text=prompts.abstention(profile), abstained=True, citations=())
        chosen = self.select(scored, passages)
        numbers: dict[str, int] = {}
        cited: dict[str, list[str]] = {}
        first_hit: dict[str, Hit] = {}
        parts = []
        for _, p_index, s_index in chosen:
            passage = passages[p_index]
            doc_id = passage.hit.doc_id
            n = numbers.setdefault(doc_id, len(numbers) + 1)
            first_hit.setdefault(doc_id, passage.hit)
            sentence = passage.sentences[s_index]
            cited.setdefault(doc_id, []).append(sentence)
            parts.append(f"{sentence} [{n}]")
        citations = tuple(
            citation_for(n, first_hit[doc_id], " ".join(cited[doc_id])) for doc_id, n in numbers.items()
        )
        return Answer(question=question, text=" ".join(parts), abstained=False, citations=citations)

    def score(self, question: str, passages: Sequence[Passage], query_vector: np.ndarray):
        """(score, passage index, sentence index) for every quotable sentence, best first."""
        terms = {t[:5] for t in query_terms(question)}
        out = []
        for p_index, passage in enumerate(passages):
            if not passage.sentences:
                continue
            sims = passage.vectors @ query_vector if passage.vectors.size else np.zeros(len(passage.sentences))
            rank_bonus = self.rank_weight / (1 + p_index)
            for s_index, sentence in enumerate(passage.sentences):
                if not _quotable(sentence):
                    continue
                overlap = len(terms & _stems(sentence)) / len(terms) if terms else 0.0
                score = self.semantic_weight * float(sims[s_index]) + (1 - self.semantic_weight) * overlap
                out.append((score + rank_bonus, p_index, s_index))
        out.sort(key=lambda item: -item[0])
        return out

    def select(self, scored, passages: Sequence[Passage]):
        """Take the best sentences, skipping any that repeat one already taken."""
        best = scored[0][0]
        chosen: list[tuple[float, int, int]] = []
        taken_vectors: list[np.ndarray] = []
        taken_texts: set[str] = set()
        for item in scored:
            if len(chosen) >= self.max_sentences:
                break
            if len(chosen) >= self.min_sentences and item[0] < self.relative_floor * best:
                break
            _, p_index, s_index = item
            passage = passages[p_index]
            key = " ".join(_WORD.findall(passage.sentences[s_index].lower()))
            vector = passage.vectors[s_index] if passage.vectors.size else None
            if key in taken_texts:
                continue
            if vector is not None and any(float(vector @ v) > self.duplicate_similarity for v in taken_vectors):
                continue
            chosen.append(item)
            taken_texts.add(key)
            if vector is not None and vector.any():
                taken_vectors.append(vector)
        return chosen


def _quotable(sentence: str) -> bool:
    s = sentence.strip()
    return len(s) >= 25 and not s.startswith(("|", "#", "---")) and s.count("|") < 2
