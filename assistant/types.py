"""Domain types shared by every layer: plain frozen dataclasses, no framework types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

DOC_TYPES = ("career_pathway", "training_program", "policy", "policy_update", "reference", "statute")
#: Citation types of facts from structured sources (official data, bills, statute sections, people):
#: answerers quote them first and verbatim.
FACT_TYPES = ("data", "bill", "statute", "person")
AUDIENCES = ("student", "advocacy")


@dataclass(frozen=True)
class Document:
    """One source text as loaded, before chunking.

    ``source`` is the file path as given to ``ingest`` or the item's URL; ``doc_id`` is stable
    across runs (front matter ``id``, else derived from the source).
    """

    doc_id: str
    source: str
    title: str
    text: str
    doc_type: str = "reference"
    audience: tuple[str, ...] = AUDIENCES
    jurisdiction: str = "US"
    occupations: tuple[str, ...] = ()
    source_urls: tuple[str, ...] = ()
    published: date | None = None
    #: Markdown text keeps its headings so chunks can carry them.
    markdown: bool = False
    #: Absolute path of the file it came from; empty for feed items (used by ``ingest --prune``).
    path: str = ""
    #: Extra flat metadata (str/int/float/bool), e.g. the feed a policy update came from.
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def link(self) -> str:
        """The address a reader should open: the first source URL, else the source itself."""
        return self.source_urls[0] if self.source_urls else self.source


@dataclass(frozen=True)
class Chunk:
    """A passage of a document, the unit that is embedded, searched and cited."""

    chunk_id: str
    doc_id: str
    position: int
    text: str
    #: Heading trail ("Section > Subsection") the passage sits under, empty when none.
    headings: str = ""

    @property
    def embed_text(self) -> str:
        """Text given to the embedding model and the keyword index: headings give context."""
        return f"{self.headings}\n{self.text}" if self.headings else self.text


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its metadata and fused rank score (higher is better)."""

    chunk_id: str
    doc_id: str
    text: str
    headings: str
    metadata: dict = field(hash=False, compare=False)
    score: float = 0.0
    #: Cosine distance from the vector side, None when only the keyword side found it.
    distance: float | None = None
    #: 1-based ranks on each side, None when that side missed it.
    vector_rank: int | None = None
    keyword_rank: int | None = None


@dataclass(frozen=True)
class Fact:
    """A short cited source rendered from structured data at question time (never embedded).

    ``sentences`` are plain, self-contained and free of URLs; ``source`` names the publisher,
    release and place (``BLS OEWS May 2025, Massachusetts``); ``doc_type`` is one of ``FACT_TYPES``.
    """

    doc_id: str
    title: str
    source: str
    url: str
    sentences: tuple[str, ...]
    doc_type: str = "data"
    #: ISO date the fact is as of (a bill's latest action), if it has one.
    published: str | None = None
    #: The figures behind the sentences, for cards and charts.
    data: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Citation:
    n: int
    title: str
    source: str
    doc_type: str
    snippet: str
    published: str | None
    doc_id: str = ""
    url: str = ""


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...]
    timings_ms: dict = field(default_factory=dict, hash=False, compare=False)
    #: One-line notices for the user, e.g. "the LLM timed out; showing the extractive answer".
    notices: tuple[str, ...] = ()
    #: What a conversation assumed for this answer: place, occupation, background (or None).
    assumed: dict | None = field(default=None, hash=False, compare=False)

    def to_json(self) -> dict:
        """The ``ask --json`` object of DESIGN.md."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [
                {
                    "n": c.n,
                    "title": c.title,
                    "source": c.source,
                    "doc_type": c.doc_type,
                    "snippet": c.snippet,
                    "published": c.published,
                    # DESIGN.md: document citations keep their six keys; facts add their URL.
                    **({"url": c.url} if c.url and c.doc_type in FACT_TYPES else {}),
                }
                for c in self.citations
            ],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            **({"assumed": self.assumed} if self.assumed is not None else {}),
        }
