"""The composition root: builds the pieces from ``Settings`` and exposes ingest, ask and status.

The CLI and the chat app construct one ``Service`` each; the embedding model and Chroma are
opened lazily and once, so ``status`` stays instant and a chat process loads the model once.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from functools import cached_property

from assistant import prompts, quoting
from assistant.answer import Answerer, ExtractiveAnswerer, Passage
from assistant.config import Settings, prepare_data_dir
from assistant.conversation import Memory, carried_asks, contextualize, remember
from assistant.errors import DataImportError, IndexNotReadyError, LoadError
from assistant.retrieval.catalog import Catalog, open_catalog
from assistant.retrieval.filters import Filters
from assistant.retrieval.index import Index
from assistant.retrieval.search import SearchParams, hybrid_search, term_coverage
from assistant.retrieval.sync import IngestReport, ingest
from assistant.types import Answer, Hit

PROFILES = ("student", "advocacy")


class Service:
    def __init__(
        self,
        settings: Settings,
        *,
        embeddings: Callable[[], object] | None = None,
        answerer: Answerer | None = None,
    ) -> None:
        self.settings = settings
        prepare_data_dir(settings.data_dir)
        self._embeddings_factory = embeddings or self._load_embeddings
        self._answerer = answerer
        self._lock = threading.Lock()

    # -- pieces, built on first use ------------------------------------------------------------

    @cached_property
    def db(self):
        """The relational store the components share (feeds, bills, data, people): the SQLite file,
        or with ``database_url`` a Postgres connection answering the same ``?`` SQL."""
        if self.settings.database_url:
            from assistant.db import open_database

            return open_database(self.settings)
        return open_catalog(self.settings.db_path)

    @cached_property
    def catalog(self) -> Catalog:
        """The catalog and keyword index: Postgres when ``database_url`` is set, else the SQLite file."""
        if self.settings.database_url:
            from assistant.retrieval.pg_catalog import open_pg_catalog

            return open_pg_catalog(self.settings.database_url)
        return Catalog(self.db)

    @cached_property
    def data_desk(self):
        from assistant.occupations.desk import DataDesk
        from assistant.occupations.store import ensure_schema

        ensure_schema(self.db)
        return DataDesk(self.db, home_area=self.settings.home_area)

    @cached_property
    def policy_desks(self) -> list:
        """Structured policy sources answering by lookup: tracked bills, statute sections, people.

        Each has ``facts(question) -> list[Fact]``; an empty list lets the documents answer.
        """
        from assistant.bills.desk import BillDesk
        from assistant.people.desk import PeopleDesk
        from assistant.statutes import StatuteDesk

        return [BillDesk(self.db), StatuteDesk(self.catalog), PeopleDesk(self.db)]

    @cached_property
    def embeddings(self):
        return self._embeddings_factory()

    @cached_property
    def vectors(self):
        from assistant.retrieval.vectorstore import VectorStore

        return VectorStore(
            collection_name=self.settings.collection_name,
            path=self.settings.chroma_path,
            url=self.settings.chroma_url,
        )

    @cached_property
    def index(self) -> Index:
        return Index(
            catalog=self.catalog,
            vectors=self.vectors,
            embeddings=lambda: self.embeddings,
            chunk_size=self.settings.chunk_size,
            chunk_overlap=self.settings.chunk_overlap,
        )

    @cached_property
    def answerer(self) -> Answerer:
        if self._answerer is not None:
            return self._answerer
        if self.settings.llm_provider != "extractive":
            from assistant.llm import build_answerer

            return build_answerer(self.settings, fallback=ExtractiveAnswerer())
        return ExtractiveAnswerer()

    def _load_embeddings(self):
        from assistant.retrieval.embeddings import SentenceEmbeddings

        return SentenceEmbeddings(self.settings.embedding_model, batch_size=self.settings.embed_batch_size)

    # -- operations ----------------------------------------------------------------------------

    def ingest(self, paths: Iterable[str], *, prune: bool = False, on_load=None, on_index=None) -> IngestReport:
        from assistant.db import exclusive
        from assistant.occupations.extract import load_extracts

        paths = list(paths)
        # One index writer at a time across processes: feeds and bills sync under the same lock, since a
        # writer's repair deletes documents another writer is still embedding.
        with self._lock, exclusive(self.db, "index"):
            report = ingest(paths, index=self.index, catalog=self.catalog, prune=prune, on_load=on_load,
                            on_index=on_index)
        with self._lock:
            try:  # the shipped labor-market extract (corpus/data/) fills the data tables
                report.data = [release.to_json() for release in
                               load_extracts(self.db, paths, malegislature_url=self.settings.malegislature_url)]
            except DataImportError as exc:
                report.failed.append(LoadError(exc.path, exc.cause))
            return report

    def search(
        self,
        question: str,
        *,
        profile: str | None = None,
        filters: Filters = Filters(),
        k: int | None = None,
        timings: dict | None = None,
    ) -> tuple[list[Hit], object]:
        """Hybrid search; returns the hits and the question's vector (reused by the answerer)."""
        self.require_index()
        timings = {} if timings is None else timings
        embeddings = self.embeddings  # loading the model is start-up, not question time
        t0 = time.perf_counter()
        query_vector = embeddings.embed_query_array(question)
        timings["embed"] = (time.perf_counter() - t0) * 1000
        params = SearchParams(
            k=k or self.settings.top_k,
            candidates=max(self.settings.candidates, 2 * (k or self.settings.top_k)),
            rrf_k=self.settings.rrf_k,
            max_per_doc=self.settings.max_chunks_per_doc,
            prefer_audience=profile,
        )
        hits = hybrid_search(
            question=question, query_vector=query_vector, vectors=self.vectors, keywords=self.catalog,
            filters=filters, params=params, timings=timings,
        )
        return hits, query_vector

    def ask(
        self,
        question: str,
        *,
        profile: str | None = None,
        filters: Filters = Filters(),
        k: int | None = None,
        search_query: str | None = None,
        home_area: str | None = None,
        occupation_hint: str | None = None,
        asks_hint: frozenset[str] = frozenset(),
    ) -> Answer:
        """Answer ``question``; ``search_query`` (e.g. the question plus context) is what is searched.

        ``home_area`` replaces the deployment's home area for this question (a chat setting, or
        the place a conversation remembered); ``occupation_hint`` is the occupation a conversation
        is about, used when the question names none ("how much would I make?").
        """
        return self.ask_with_hits(question, profile=profile, filters=filters, k=k, search_query=search_query,
                                  home_area=home_area, occupation_hint=occupation_hint, asks_hint=asks_hint)[0]

    def ask_with_hits(
        self,
        question: str,
        *,
        profile: str | None = None,
        filters: Filters = Filters(),
        k: int | None = None,
        search_query: str | None = None,
        home_area: str | None = None,
        occupation_hint: str | None = None,
        asks_hint: frozenset[str] = frozenset(),
    ) -> tuple[Answer, list[Hit]]:
        """``ask``, also returning the retrieved hits (for evaluation and debugging)."""
        start = time.perf_counter()
        timings: dict = {}
        question = " ".join(question.split())
        if not question:
            return Answer(question="", text=prompts.abstention(profile), abstained=True, citations=()), []
        data = self.data_facts(question, home_area=home_area, occupation_hint=occupation_hint,
                               asks_hint=asks_hint, timings=timings)
        hits, query_vector, passages = self._retrieve(
            search_query or question, profile=profile, filters=filters, k=k, timings=timings)
        passages = self._with_facts(data, _local_first(passages, data.state))
        t0 = time.perf_counter()
        answer = self.answerer.answer(question, passages, query_vector=query_vector, profile=profile)
        timings["answer"] = (time.perf_counter() - t0) * 1000
        timings["total"] = (time.perf_counter() - start) * 1000
        return replace(self._framed(answer, data), question=question, timings_ms=timings), hits

    def data_facts(self, question: str, *, home_area: str | None = None, occupation_hint: str | None = None,
                   asks_hint: frozenset[str] = frozenset(), timings: dict | None = None):
        """What the official data says about ``question`` (resolve, look up, render)."""
        t0 = time.perf_counter()
        data = self.data_desk.answer(question, home_area=home_area, occupation_hint=occupation_hint,
                                     asks_hint=asks_hint)
        policy = self._joined(tuple(fact for desk in self.policy_desks for fact in desk.facts(question)))
        if policy:
            # A bill, a section or a committee named outright is what was asked; figures follow.
            data = replace(data, facts=policy + data.facts)
        if timings is not None:
            timings["data"] = (time.perf_counter() - t0) * 1000
        return data

    def _joined(self, facts: tuple) -> tuple:
        """A bill's sponsor joined to the member record, so the answer carries how to reach them."""
        people = next((d for d in self.policy_desks if hasattr(d, "member_by_bioguide")), None)
        out = list(facts)
        for fact in facts:
            sponsor_id = fact.data.get("sponsor_id") if fact.doc_id.endswith(":sponsors") else None
            member = people.member_by_bioguide(sponsor_id) if people and sponsor_id else None
            if member is not None and member not in out:
                out.append(member)
        return tuple(out)

    @staticmethod
    def _with_facts(data, passages: list) -> list:
        """Facts go first: they answer exactly what was asked; passages add the context."""
        from assistant.occupations.desk import fact_passage

        if not data.facts:
            return passages
        return [fact_passage(f) for f in data.facts] + _about(passages, data.occupation_terms)

    @staticmethod
    def _framed(answer: Answer, data) -> Answer:
        """Add what the data could not do (an unknown place) and what it assumed, as plain sentences."""
        if answer.abstained or not (data.lead or data.notes):
            return answer
        text = " ".join([*data.lead, answer.text, *data.notes])
        return replace(answer, text=text)

    def _retrieve(self, query: str, *, profile, filters: Filters, k, timings: dict):
        """Search, then load the passages' sentences when anything retrieved supports an answer."""
        hits, query_vector = self.search(query, profile=profile, filters=filters, k=k, timings=timings)
        passages = self.passages(hits) if any(self.supports(h, query) for h in hits) else []
        return hits, query_vector, passages

    def ask_stream(
        self,
        question: str,
        *,
        profile: str | None = None,
        filters: Filters = Filters(),
        k: int | None = None,
        history: Sequence[str] = (),
        home_area: str | None = None,
        occupation_hint: str | None = None,
        asks_hint: frozenset[str] = frozenset(),
        search_query: str | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the answer's text in pieces as it is produced, then the finished ``Answer``.

        ``history`` is the user's earlier messages in this conversation (oldest first); a
        follow-up is searched together with the topic it refers back to.
        """
        search_query = search_query or self.search_query(question, history)
        stream = getattr(self.answerer, "stream", None)
        if stream is None:
            answer = self.ask(question, profile=profile, filters=filters, k=k, search_query=search_query,
                              home_area=home_area, occupation_hint=occupation_hint, asks_hint=asks_hint)
            for piece in re.split(r"(?<=\]) ", answer.text):
                yield piece + " "
            yield answer
            return
        start = time.perf_counter()
        timings: dict = {}
        data = self.data_facts(question, home_area=home_area, occupation_hint=occupation_hint,
                               asks_hint=asks_hint, timings=timings)
        _, query_vector, passages = self._retrieve(
            search_query, profile=profile, filters=filters, k=k, timings=timings)
        passages = self._with_facts(data, _local_first(passages, data.state))
        for item in stream(question, passages, query_vector=query_vector, profile=profile):
            if isinstance(item, Answer):
                timings["total"] = (time.perf_counter() - start) * 1000
                yield replace(self._framed(item, data), question=question, timings_ms=timings)
            else:
                yield item

    def plan(self, *, background: str, place: str, goal: str):
        """A cited step-by-step plan (``assistant plan``, the chat's "Make me a plan")."""
        from assistant.plan import build_plan

        resolver = self.data_desk.resolver
        found = resolver.find_occupations(goal)[0] if resolver is not None else ()
        title = found[0].title if found else None

        def ask(question: str, **options) -> Answer:
            return self.ask(question, profile="student", **options)

        return build_plan(ask, background=background, place=place, goal=goal, goal_title=title)

    # -- conversations ---------------------------------------------------------------------------

    def understand(self, message: str, memory: Memory) -> Memory:
        """``memory`` updated with the place, occupation and background ``message`` mentions."""
        resolver = self.data_desk.resolver
        place = occupation = None
        if resolver is not None:
            places = resolver.find_place(message).places
            place = next((p for p in places if not p.is_nation), None)
            found, _ = resolver.find_occupations(message)
            occupation = found[0] if found else None
        return remember(memory, message, place=place, occupation=occupation)

    def converse(self, turns: Sequence[str], *, profile: str | None = None, filters: Filters = Filters(),
                 k: int | None = None, memory: bool = True) -> list[Answer]:
        """Answer each turn in the light of the earlier ones (``ask - --conversation``)."""
        remembered = Memory()
        answers = []
        for n, turn in enumerate(turns):
            answer, remembered = self.converse_turn(turn, remembered, history=turns[:n], profile=profile,
                                                    filters=filters, k=k, memory=memory)
            answers.append(answer)
        return answers

    def converse_turn(self, question: str, remembered: Memory, *, history: Sequence[str] = (),
                      profile: str | None = None, filters: Filters = Filters(), k: int | None = None,
                      memory: bool = True) -> tuple[Answer, Memory]:
        """One turn of a conversation: returns the answer and the updated memory."""
        if memory:
            remembered = self.understand(question, remembered)
        options = self.turn_options(question, remembered if memory else Memory(), history)
        answer = self.ask(question, profile=profile, filters=filters, k=k, **options)
        return replace(answer, assumed=remembered.assumed() if memory else Memory().assumed()), remembered

    def turn_options(self, question: str, remembered: Memory, history: Sequence[str]) -> dict:
        """The ``ask`` options a remembered conversation implies for ``question``."""
        query = self.search_query(question, history)
        extra = remembered.search_terms(question)
        return {
            "search_query": f"{query} {extra}".strip(),
            "home_area": remembered.place,
            "occupation_hint": remembered.occupation,
            "asks_hint": carried_asks(question, history),
        }

    def search_query(self, question: str, history: Sequence[str]) -> str:
        """What to search for a message: itself, or with its context when it refers back."""
        rewrite = getattr(self.answerer, "rewrite", None)
        if rewrite is not None and history:
            return rewrite(question, history)
        return contextualize(question, history)

    def supports(self, hit: Hit, question: str) -> bool:
        """Whether a hit can answer the question: close in meaning, or a strong exact-term match.

        Bill numbers and citations ("90 FR 898") sit far from any passage in embedding space,
        so a top keyword hit that contains most of the question's terms also counts. A shared
        place or organisation name alone ("the best pizza in Springfield") supports neither way;
        then only a hit very close in meaning counts (0.6, tuned on the gold set's tune split).
        """
        if hit.distance is not None and hit.distance <= min(0.6, self.settings.abstain_distance):
            return True
        if not quoting.topical_match(question, f"{hit.metadata.get('title', '')} {hit.headings} {hit.text}"):
            return False
        if hit.metadata.get("doc_type") == "statute":
            # Statute text uses every everyday word ("taxes", "personal"); a section supports an
            # answer when it is close in meaning (above) or found by its number (the statute desk).
            return False
        if hit.distance is not None and hit.distance <= self.settings.abstain_distance:
            return True
        return hit.keyword_rank is not None and hit.keyword_rank <= 3 and term_coverage(question, hit) >= 0.6

    def passages(self, hits: Sequence[Hit]) -> list[Passage]:
        from assistant.answer import Passage

        stored = self.catalog.load_chunks([h.chunk_id for h in hits])
        out = []
        for hit in hits:
            chunk = stored.get(hit.chunk_id)
            if chunk is None:
                continue
            sentences = tuple(chunk.text[s:e] for s, e in chunk.spans)
            out.append(Passage(hit=hit, sentences=sentences, vectors=chunk.vectors))
        return out

    def require_index(self) -> None:
        documents, _ = self.catalog.counts()
        if documents == 0:
            raise IndexNotReadyError(prompts.NOT_INDEXED.format(data_dir=self.settings.data_dir))

    def status(self) -> dict:
        documents, chunks = self.catalog.counts()
        return {
            "documents": documents,
            "chunks": chunks,
            "embedding_model": self.settings.embedding_model,
            "llm": self.llm_status(),
            "feeds": self.feed_status(),
            "backend": "postgres" if self.settings.database_url else "sqlite",
            "database": self.catalog.describe(),
            "schema": self.schema_versions(),
        }

    def schema_versions(self) -> dict[str, int]:
        """Each component's schema version; the catalog's from wherever the catalog lives."""
        from assistant.db import versions

        return {**versions(self.db), **self.catalog.schema_versions()}

    def llm_status(self) -> str:
        """The provider, and for an LLM whether it answers right now (a live call, 10 s at most)."""
        if self.settings.llm_provider == "extractive":
            return "extractive"
        from assistant.llm import check_provider

        return check_provider(self.settings)

    def feed_status(self) -> list[dict]:
        try:
            from assistant.feeds.store import feed_status
        except ImportError:
            return []
        return feed_status(self.db)

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.close()
        if "catalog" in self.__dict__ and hasattr(self.catalog, "close"):
            self.catalog.close()


def _local_first(passages: list, state: str | None) -> list:
    """Passages about the asker's state first, then national ones, then other states' (stable)."""
    if not state:
        return passages

    def place_rank(passage) -> int:
        jurisdiction = str(passage.hit.metadata.get("jurisdiction", "US")).upper()
        return 0 if jurisdiction == state else 1 if jurisdiction in ("US", "") else 2

    return sorted(passages, key=place_rank)


def _about(passages: list, terms: Sequence[str]) -> list:
    """Only the sentences that name the occupation the facts are about (a data answer's support).

    Beside "BMETs in Massachusetts earn a median of $78,230", a passage's sentence about
    radiologic technologists' pay would read as if it were about BMETs.
    """
    from assistant.answer import Passage
    from assistant.occupations.resolve import normalize

    if not terms:
        return list(passages)
    kept = []
    for passage in passages:
        keep = [i for i, s in enumerate(passage.sentences) if any(t in f" {normalize(s)} " for t in terms)]
        if keep:
            vectors = passage.vectors[keep] if passage.vectors.size else passage.vectors
            kept.append(Passage(hit=passage.hit, sentences=tuple(passage.sentences[i] for i in keep),
                                vectors=vectors))
    return kept
