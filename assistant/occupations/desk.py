"""The question side of the official data: resolve, look up, render, hand over as passages.

``DataDesk`` keeps the title and place vocabulary in memory (built in under a second from the
store, rebuilt when a new release is imported) so a question costs a few dictionary lookups and
indexed queries, well under the 10 ms budget of issue 9 (``bench/data.py``).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace

import numpy as np

from assistant.answer import Passage
from assistant.occupations import store
from assistant.occupations.facts import DATA_ASKS, FactBuilder
from assistant.occupations.lookup import DataLookup
from assistant.occupations.resolve import NATION, Area, Resolution, Resolver, Vocabulary
from assistant.types import Fact, Hit


@dataclass(frozen=True)
class DataAnswer:
    """What the data says about a question: the facts, and what was understood and assumed."""

    resolution: Resolution
    facts: tuple[Fact, ...]
    #: Sentences to show before the facts (an unknown place) and after them (assumptions).
    lead: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: The state the question is about (named, else the home area's), for local-first passages.
    state: str | None = None
    #: Normalized words that name the facts' occupations (" bmet ", " medical equipment repairer ").
    occupation_terms: tuple[str, ...] = ()


class DataDesk:
    def __init__(self, conn, *, home_area: str = "") -> None:
        self.conn = conn
        self.home_area = home_area
        self.lookup = DataLookup(conn)
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._resolver: Resolver | None = None

    @property
    def resolver(self) -> Resolver | None:
        """The resolver for the current releases; None when no data is imported."""
        stamp = tuple(sorted((name, r.imported_at) for name, r in store.releases(self.conn).items()))
        if stamp != self._stamp:
            with self._lock:
                if not stamp:
                    self._resolver = None
                else:
                    self._resolver = Resolver(Vocabulary.from_store(self.conn), home=self.home_area)
                self._stamp = stamp
        return self._resolver

    def area(self, text: str) -> Area | None:
        """A place as a person writes it ("Springfield, MA"), or None when unknown."""
        resolver = self.resolver
        if resolver is None or not text:
            return None
        found = resolver.find_place(text).places
        return found[0] if found else None

    def answer(self, question: str, *, home_area: str | None = None, occupation_hint: str | None = None,
               asks_hint: frozenset[str] = frozenset()) -> DataAnswer:
        """Facts for ``question``; ``home_area`` overrides the deployment's for this call.
        ``asks_hint`` is what a follow-up asks by referring back ("and what about x-ray techs?"):
        used when the question names a place or an occupation but asks nothing itself."""
        resolver = self.resolver
        if resolver is None:
            return DataAnswer(Resolution(), (), state=_state_of(home_area or self.home_area))
        home = resolver.home if home_area is None else self.area(home_area)
        if _LEGAL.search(question):
            # "how does the Perkins law define career and technical education" asks about a law,
            # not about career and technical education teachers' figures.
            return DataAnswer(Resolution(), (), state=home.state if home else None)
        if _PAST.search(question) and not _NOW.search(question):
            # "what did repairers earn back in 2010": the releases here are newer than the year asked
            return DataAnswer(Resolution(), (), state=home.state if home else None)
        res = resolver.resolve(question, home=home)
        if asks_hint and not res.asks & DATA_ASKS and (res.occupations or res.place_named):
            res = replace(res, asks=res.asks | asks_hint)
        if not res.occupations and occupation_hint:
            hinted, _ = resolver.find_occupations(occupation_hint)
            if hinted:
                res = Resolution(occupations=hinted[:1], places=res.places, asks=res.asks,
                                 unknown_place=res.unknown_place, notes=res.notes, place_named=res.place_named)
        if res.unknown_place and res.occupations and not res.asks & DATA_ASKS:
            res = replace(res, asks=res.asks | {"pay"})  # "bmet jobs in Atlantis": say so, then the nation
        builder = FactBuilder(self.lookup, home=home, national=resolver.vocab.areas.get(NATION))
        facts = tuple(builder.build(res))
        lead: list[str] = []
        notes = list(res.notes)
        if facts and res.unknown_place:
            lead.append(f"I have no data for {res.unknown_place.strip().title()}; BLS publishes figures for "
                        f"the nation, states and metro areas, so here are the national ones.")
        if facts and res.alternatives:
            other = res.alternatives[0]
            notes.append(f"I read \"{res.occupations[0].matched}\" as {res.occupations[0].title}; "
                         f"ask about {other.title} if you meant that.")
        if facts and not res.place_named and home is not None and res.asks & {"pay", "employment", "compare"}:
            notes.append(f"You named no place, so I used {home.title}, the home area set here, beside the "
                         f"nation.")
        local = [p for p in res.places if not p.is_nation] or ([home] if home is not None else [])
        state = local[0].state if local else None
        terms = resolver.terms_for([o.soc for o in res.occupations]) if facts else ()
        return DataAnswer(res, facts, tuple(lead), tuple(notes) if facts else (), state, terms)


def fact_passage(fact: Fact) -> Passage:
    """A fact as a passage, so both answerers quote and cite it like any document (used for
    every structured source: data, bills, statute sections, people)."""
    published = int(fact.published.replace("-", "")[:8]) if fact.published else 0
    metadata = {
        "title": fact.title, "source": fact.source, "url": fact.url, "doc_type": fact.doc_type,
        "doc_id": fact.doc_id, "published": published, "fact": True,
    }
    hit = Hit(chunk_id=fact.doc_id, doc_id=fact.doc_id, text=" ".join(fact.sentences), headings="",
              metadata=metadata, score=1.0, distance=0.0)
    return Passage(hit=hit, sentences=fact.sentences, vectors=np.zeros((0, 384), dtype=np.float32))


_LEGAL = re.compile(r"\b(law|statute|section|sec\.|u\.?s\.?c|act|define[sd]?|definition|bill|committee|"
                    r"congress)\b", re.I)


#: A year before the oldest release loaded (OEWS May 2025, projections from 2024) asks about the past.
_PAST = re.compile(r"\b(?:19\d\d|20[01]\d|202[0-3])\b")
_NOW = re.compile(r"\b(now|today|currently|current|these days|nowadays|202[4-9]|20[3-9]\d)\b", re.I)


def _state_of(text: str) -> str | None:
    """The postal code at the end of "Springfield, MA" when no data is imported to resolve it."""
    tail = text.rsplit(",", 1)[-1].strip().upper() if "," in text else ""
    return tail if len(tail) == 2 and tail.isalpha() else None
