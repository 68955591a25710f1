"""Answerers: turn a question and retrieved passages into an ``Answer`` with citations.

``ExtractiveAnswerer`` (the offline default) quotes the sentences that best answer the question,
scored by meaning (the question vector against sentence vectors prepared at ingest) and by word
overlap. It leads with a sentence of the kind the question asks for (a figure for "how much", a
definition for "what is"), adds a few supporting sentences in reading order, never states one
fact twice, and quotes without source notes or URLs (those are in the citations). Official-data
facts (passages with ``doc_type`` "data") come first, as given. It states nothing that is not in
a cited passage. An LLM answerer (``assistant.llm``) implements the same ``Answerer`` protocol.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

import numpy as np

from assistant import prompts, quoting
from assistant.retrieval.lexical import STOPWORDS, query_terms
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
        snippet=_clip(quoting.clean(snippet), 800),  # every quoted sentence of the document fits
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
    return {w[:5] for w in _WORD.findall(text.lower())} | _capital_acronyms(text)


def _capital_acronyms(text: str) -> set[str]:
    """Acronyms spelled like a stopword ("IT", "US"), kept in capitals so that "IT experience"
    meets "I work in IT" while the pronoun "it", in nearly every sentence, meets nothing."""
    return {w for w in re.findall(r"\b[A-Z]{2,}\b", text) if w.lower() in STOPWORDS}


def is_data(passage: Passage) -> bool:
    """A fact from a structured source (official data, a bill, a statute section, a person),
    as ``fact_passage`` marks it; an indexed statute document is a passage like any other."""
    return bool(passage.hit.metadata.get("fact"))


@dataclass(frozen=True)
class Candidate:
    """A sentence (or table row) that may be quoted, as it would read, with its score."""

    score: float
    p_index: int
    s_index: int
    text: str
    role: str
    line: int


@dataclass(frozen=True)
class Quote:
    """What one piece of the answer quotes: a sentence, or a block (list items, address lines)."""

    p_index: int
    s_indices: tuple[int, ...]
    text: str  # for a list, the sentence introducing it (or "")
    lines: tuple[str, ...] = ()  # set for a list: its items, shown one per line


@dataclass(frozen=True)
class ExtractiveAnswerer:
    name: str = "extractive"
    max_sentences: int = 5
    min_sentences: int = 2
    #: Weight of meaning against word overlap in a sentence's score.
    semantic_weight: float = 0.65
    #: Cosine similarity above which two sentences count as saying the same thing.
    duplicate_similarity: float = 0.88
    #: A sentence scoring below this share of the best one is not worth quoting (0.68: best
    #: must-mention on the tune half once source notes stopped counting as overlap words).
    relative_floor: float = 0.68
    #: A sentence of the kind the question asks for may lead if it scores this share of the best.
    lead_window: float = 0.85
    #: A sentence naming the thing a "which X" question asks about may lead down to this share of the best.
    naming_floor: float = 0.6
    #: Bonus for sentences of higher-ranked passages: weight / (1 + passage rank).
    rank_weight: float = 0.1
    #: A question word found only in the heading of a sentence's section counts this share of one
    #: found in the sentence itself.
    heading_share: float = 0.5
    #: Abstain when even the best sentence scores below this.
    min_score: float = 0.30
    #: Official-data facts quoted per data passage, and document sentences added after them.
    data_sentences: int = 4
    support_after_data: int = 2
    #: A list is quoted whole up to this many items.
    max_items: int = 8

    def answer(
        self, question: str, passages: Sequence[Passage], *, query_vector: np.ndarray, profile: str | None = None
    ) -> Answer:
        scored = self.score(question, passages, query_vector)
        facts = self._data_quotes(passages)
        if facts:  # official figures answer first; documents only add what they do not state
            support = self._support(scored, passages, limit=self.support_after_data, taken=facts, new_figures=True,
                                    question=question)
            return self._compose(question, facts + support, passages)
        if not scored or scored[0].score < self.min_score:
            return Answer(question=question, text=prompts.abstention(profile), abstained=True, citations=())
        return self._compose(question, self.select(question, scored, passages), passages)

    # -- scoring ---------------------------------------------------------------------------------

    def score(self, question: str, passages: Sequence[Passage], query_vector: np.ndarray) -> list[Candidate]:
        """Every quotable sentence of the document passages as a ``Candidate``, best first."""
        terms = {t[:5] for t in query_terms(question)} | _capital_acronyms(question)
        out = []
        for p_index, passage in enumerate(passages):
            if not passage.sentences or is_data(passage):
                continue
            sims = passage.vectors @ query_vector if passage.vectors.size else np.zeros(len(passage.sentences))
            rank_bonus = self.rank_weight / (1 + p_index)
            section = _stems(passage.hit.headings.rsplit(" > ", 1)[-1])
            for s_index, (text, where) in enumerate(zip(_readable(passage), _roles(passage))):
                if not text:
                    continue
                said = terms & _stems(text)
                # The section's own heading is context every sentence under it shares ("Coming from IT,
                # networking or help desk work"): its words count half as much as the sentence's own.
                heading_only = len((terms & section) - said)
                overlap = (len(said) + self.heading_share * heading_only) / len(terms) if terms else 0.0
                score = self.semantic_weight * float(sims[s_index]) + (1 - self.semantic_weight) * overlap
                out.append(Candidate(score + rank_bonus, p_index, s_index, text, where.role, where.line))
        out = _credit_first_statements(out, passages)
        out.sort(key=lambda c: -c.score)
        return out

    # -- choosing --------------------------------------------------------------------------------

    def select(self, question: str, scored: Sequence[Candidate], passages: Sequence[Passage]) -> list[Quote]:
        """The lead (of the asked kind when a good candidate is), then supporting sentences that
        read in order: the lead's document first, each document's sentences in their own order."""
        kind = quoting.question_kind(question)
        # A short line (a name, "1 Armory Square") is quoted only as part of an address.
        eligible = [c for c in scored if c.role != "short"
                    or kind in ("address", "place") and quoting.is_address(_address_of(c, passages))] or list(scored)
        best = eligible[0].score
        window = [c for c in eligible if c.score >= self.lead_window * best]
        quotable = [c for c in eligible if c.score >= self.relative_floor * best]

        def fits(c: Candidate) -> bool:
            if c.role == "short":
                return True  # eligible only as an address asked for
            if kind == "list" and _items_after(c, passages):
                return True  # "AAMI offers three certifications:" followed by them
            return quoting.fits(c.text, kind, question=question, role=c.role)

        # The asked-for kind among the very best; else among any worth quoting; else the best.
        fitting = [c for c in window if fits(c)] or [c for c in quotable if fits(c)] or window
        # "which certifications ...", "who are the partners ...": a sentence naming the thing asked.
        thing = quoting.asked_thing(question)
        naming = [c for c in fitting if thing and quoting.names_thing(c.text, thing)] or [
            c for c in eligible if thing and c.score >= self.naming_floor * best and fits(c)
            and quoting.names_thing(c.text, thing)]
        fitting = naming or fitting
        lead = min(fitting, key=lambda c: quoting.lead_rank(c.text, question=question))  # min keeps score order
        first = self._expand(lead, kind, passages)
        support = self._support(scored, passages, limit=self.max_sentences - 1, taken=[first], best=best)
        doc_rank: dict[str, int] = {passages[lead.p_index].hit.doc_id: -1}
        for p_index, passage in enumerate(passages):
            doc_rank.setdefault(passage.hit.doc_id, p_index)

        def reading_order(q: Quote):
            hit = passages[q.p_index].hit
            return doc_rank[hit.doc_id], _position(hit), q.s_indices[0]

        return [first, *sorted(support, key=reading_order)]

    def _support(
        self, scored, passages, *, limit: int, taken: Sequence[Quote], best: float | None = None,
        new_figures: bool = False, question: str = "",
    ) -> list[Quote]:
        """Up to ``limit`` more quotes, best first, none repeating a fact of ``taken`` or each other;
        with ``new_figures``, none stating any figure already stated."""
        best = scored[0].score if best is None and scored else best
        stated = set().union(*(quoting.figures(q.text) for q in taken)) if new_figures else set()
        chosen: list[Quote] = []
        for c in scored:
            if len(chosen) >= limit:
                break
            if c.score < self.min_score or (len(chosen) + len(taken) >= self.min_sentences
                                            and c.score < self.relative_floor * best):
                break
            if c.role == "short" or stated & quoting.figures(c.text):
                continue  # a lone address line says little out of its block
            if new_figures and (quoting.older_statement(c.text, [q.text for q in taken])
                                or not quoting.about_pay_if_asked(question, c.text)):
                continue  # the data gave this statistic from a newer survey, or the sentence is off the pay asked
            quote = Quote(c.p_index, (c.s_index,), c.text)
            clash = next((q for q in [*taken, *chosen] if self._repeats(quote, q, passages)), None)
            if clash is None:
                chosen.append(quote)
            elif clash in chosen and _newer(passages[c.p_index], passages[clash.p_index]):
                chosen[chosen.index(clash)] = quote  # the same fact from a newer document
        return chosen

    def _repeats(self, a: Quote, b: Quote, passages) -> bool:
        if a.p_index == b.p_index and set(a.s_indices) & set(b.s_indices):
            return True
        if any(quoting.same_claim(a.text, line) for line in (b.lines or (b.text,))):
            return True
        if quoting.figures(a.text) and quoting.figures(b.text):
            return False  # alike in wording, different in figures: two facts (same_claim decided)
        va, vb = _vector(passages[a.p_index], a.s_indices[0]), _vector(passages[b.p_index], b.s_indices[0])
        return va is not None and vb is not None and float(va @ vb) > self.duplicate_similarity

    def _expand(self, lead: Candidate, kind: str | None, passages: Sequence[Passage]) -> Quote:
        """The lead as quoted: a sentence introducing a list ("...:") brings the list, a list item
        brings its list when a list or steps are asked for, an address line its address."""
        passage = passages[lead.p_index]
        roles, texts = _roles(passage), _readable(passage)
        after = _items_after(lead, passages)
        if after:
            items = _lines_of(after[: self.max_items], roles, texts)
            return Quote(lead.p_index, (lead.s_index, *after[: self.max_items]), lead.text, lines=tuple(items))
        if lead.role == "item" and kind in ("list", "steps"):
            block = _block(roles, lead.s_index, {"item"})[: self.max_items]
            items = _lines_of(block, roles, texts)
            return Quote(lead.p_index, tuple(block), "", lines=tuple(items))
        if lead.role == "short" and quoting.is_address(_address_of(lead, passages)):
            block = _block(roles, lead.s_index, {"short"})
            return Quote(lead.p_index, tuple(block), _address_of(lead, passages))
        return Quote(lead.p_index, (lead.s_index,), lead.text)

    def _data_quotes(self, passages: Sequence[Passage]) -> list[Quote]:
        out = []
        for p_index, passage in enumerate(passages):
            if is_data(passage):
                out += [Quote(p_index, (i,), quoting.clean(s))
                        for i, s in enumerate(passage.sentences[: self.data_sentences]) if s.strip()]
        return out

    # -- writing ---------------------------------------------------------------------------------

    def _compose(self, question: str, quotes: Sequence[Quote], passages: Sequence[Passage]) -> Answer:
        """Number sources in order of first use (a document once; each data passage its own)."""
        numbers: dict[object, int] = {}
        cited: dict[object, list[str]] = {}
        first_hit: dict[object, Hit] = {}
        parts = []
        for quote in quotes:
            passage = passages[quote.p_index]
            key = ("data", quote.p_index) if is_data(passage) else passage.hit.doc_id
            n = numbers.setdefault(key, len(numbers) + 1)
            first_hit.setdefault(key, passage.hit)
            cited.setdefault(key, []).append(quote.text)
            if quote.lines:
                items = "\n".join(f"- {line}" for line in quote.lines)
                parts.append(f"{quote.text}\n{items} [{n}]\n" if quote.text else f"\n{items} [{n}]\n")
            else:
                parts.append(f"{quote.text} [{n}]")
        text = " ".join(parts).replace("\n ", "\n").strip()
        citations = tuple(citation_for(n, first_hit[key], " ".join(cited[key])) for key, n in numbers.items())
        return Answer(question=question, text=text, abstained=False, citations=citations)


def _credit_first_statements(candidates: list[Candidate], passages: Sequence[Passage]) -> list[Candidate]:
    """Within one document, a sentence that only restates figures stated before it ("the 2,000-hour
    minimum works out to ...") is credited to the sentence that first states them: that one keeps
    the better of the two scores. A sentence adding a figure of its own stays."""
    def reading(c: Candidate):
        hit = passages[c.p_index].hit
        return hit.doc_id, _position(hit), c.s_index

    kept: list[Candidate] = []
    first_of: dict[tuple[str, str], int] = {}
    for c in sorted(candidates, key=reading):
        doc_id = passages[c.p_index].hit.doc_id
        stated = quoting.figures(c.text)
        earlier = min(first_of[(doc_id, f)] for f in stated) if stated and all(
            (doc_id, f) in first_of for f in stated) else None
        if earlier is None:
            for f in quoting.figures(c.text):
                first_of[(doc_id, f)] = len(kept)
            kept.append(c)
        elif c.score > kept[earlier].score:
            kept[earlier] = replace(kept[earlier], score=c.score)
    return kept


def _readable(passage: Passage) -> list[str]:
    """Each sentence as it would be quoted, or "" when it is not quotable on its own."""
    roles = _roles(passage)
    header = None
    out = []
    for i, (sentence, where) in enumerate(zip(passage.sentences, roles)):
        if where.role == "table":
            following = roles[i + 1].role if i + 1 < len(roles) else ""
            if following == "rule":  # the header row names the columns of the rows below it
                header = sentence
                out.append("")
            else:
                out.append(quoting.render_row(sentence, header))
            continue
        text = quoting.clean(sentence)
        if where.role in ("heading", "rule"):
            text = ""
        elif where.role == "prose" and len(text) < 25:
            text = ""
        out.append(text)
    return out


def _items_after(c: Candidate, passages: Sequence[Passage]) -> list[int]:
    """The list items a sentence ending in a colon introduces (on the lines right after it)."""
    if not c.text.endswith(":") or c.role != "prose":
        return []
    roles = _roles(passages[c.p_index])
    following = c.s_index + 1
    if following >= len(roles) or roles[following].role != "item" or roles[following].line - c.line > 2:
        return []
    return _block(roles, following, {"item"})


def _address_of(c: Candidate, passages: Sequence[Passage]) -> str:
    """The run of short lines (name, street, city) around a short line, joined with commas."""
    if c.role != "short":
        return c.text
    passage = passages[c.p_index]
    roles = _roles(passage)
    block = _block(roles, c.s_index, {c.role})
    return ", ".join(_lines_of(block, roles, None, raw=passage.sentences))


def _roles(passage: Passage) -> list[quoting.Line]:
    return quoting.line_roles(passage.hit.text, passage.sentences)


def _block(roles: Sequence[quoting.Line], index: int, kinds: set[str]) -> list[int]:
    """Indices of the run of consecutive lines of ``kinds`` around sentence ``index``."""
    lo = hi = index
    while lo > 0 and roles[lo - 1].role in kinds and roles[lo].line - roles[lo - 1].line <= 2:
        lo -= 1
    while hi + 1 < len(roles) and roles[hi + 1].role in kinds and roles[hi + 1].line - roles[hi].line <= 2:
        hi += 1
    return list(range(lo, hi + 1))


def _lines_of(block, roles, texts, raw=None) -> list[str]:
    """Join a block's sentences line by line (an item may hold several sentences)."""
    lines: dict[int, list[str]] = {}
    for i in block:
        text = quoting.clean(raw[i]) if raw is not None else texts[i]
        if text:
            lines.setdefault(roles[i].line, []).append(text)
    return [" ".join(parts) for parts in lines.values()]


def _position(hit: Hit) -> int:
    position = hit.metadata.get("position")
    if isinstance(position, int):
        return position
    tail = hit.chunk_id.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _vector(passage: Passage, index: int) -> np.ndarray | None:
    if passage.vectors.size == 0 or index >= len(passage.vectors):
        return None
    vector = passage.vectors[index]
    return vector if vector.any() else None


def _newer(a: Passage, b: Passage) -> bool:
    return int(a.hit.metadata.get("published") or 0) > int(b.hit.metadata.get("published") or 0)
