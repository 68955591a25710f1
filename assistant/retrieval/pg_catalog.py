"""The catalog in Postgres (``ASSISTANT_DATABASE_URL``): the same contract as ``catalog.Catalog``.

Documents, chunks and the keyword index share one transaction here too, and the ``state``
column plays the same part across the gap to Chroma. Keyword search ranks with ``ts_rank`` over
the weighted ``tsvector`` (title A, headings B, text C, weighed 3:2:1 as FTS5's ``bm25`` columns
are), normalized by document length as BM25 is, over the same expanded terms and the same filters.

``ts_rank`` has no index: it reads and scores every matching row. At 107,647 chunks the gold
questions' terms matched 2,000 to 80,000 of them and the keyword search took 89 ms at the median,
176 ms at p95 (bench/query.py ``--backend postgres``). So a term found in more than
``COMMON_ROWS`` chunks only scores and does not select: the candidates are the chunks with a
rarer term, or with every common term (Lucene's "common terms" query, for the same reason).
BM25 gives such terms little weight anyway (low IDF), which ``ts_rank`` does not. While no term
passes ``COMMON_ROWS`` chunks, or before ANALYZE has gathered statistics, the result is the same
as ranking every match.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import numpy as np
from psycopg.rows import dict_row

from assistant import db, pg
from assistant.retrieval import lexical
from assistant.retrieval.catalog import (
    HIT_METADATA_SQL,
    MIGRATIONS,
    StoredChunk,
    hit_metadata,
    published_int,
    stored_chunk,
)
from assistant.retrieval.filters import Filters
from assistant.types import Chunk, Document

#: ``ts_rank`` weights for D, C, B, A (at most 1 each): body 1/3, headings 2/3, title 1.
RANK_WEIGHTS = "{0, 0.333, 0.667, 1}"
#: ``ts_rank`` normalization 1: divide by 1 + log(length), so long chunks do not win by length alone.
RANK_NORMALIZATION = 1
#: A term in more chunks than this only scores (module docstring). At 107,647 chunks the keyword
#: side took 13 / 26 ms (p50 / p95) with 2,000 and 6.5 / 14 ms with 1,000; the corpus today has
#: about 1,500 chunks, and only statute boilerplate ("chapter", "title", "u.s.c.") passes 1,000.
COMMON_ROWS = 1000

#: Each term's lexeme and its estimated number of chunks, from the planner's statistics on ``tsv``
#: (``most_common_elems``, kept by autovacuum's ANALYZE); a lexeme not among them is not common.
TERM_ROWS_SQL = """
SELECT t.term, v.lexeme IS NOT NULL,
       COALESCE(s.freqs[array_position(s.elems, v.lexeme)] * GREATEST(c.reltuples, 0), 0)
FROM unnest(%s::text[]) WITH ORDINALITY AS t(term, n)
LEFT JOIN LATERAL unnest(to_tsvector('english', t.term)) AS v ON true
LEFT JOIN (SELECT most_common_elems::text::text[] AS elems, most_common_elem_freqs AS freqs FROM pg_stats
           WHERE schemaname = current_schema() AND tablename = 'chunks_fts' AND attname = 'tsv') AS s ON true
CROSS JOIN (SELECT reltuples FROM pg_class WHERE oid = 'chunks_fts'::regclass) AS c
ORDER BY t.n
"""


def open_pg_catalog(url: str) -> PgCatalog:
    """Connect to ``url`` and bring the catalog's tables up to date."""
    conn = pg.connect(url)
    db.migrate(conn, "catalog", MIGRATIONS)
    return PgCatalog(conn, url=url)


def tsquery(question: str) -> str:
    """A ``to_tsquery`` expression: any of the terms (they are ``[a-z0-9]+``, so none is syntax)."""
    return " | ".join(lexical.expanded_terms(question))


def selecting_query(term_rows: Sequence[tuple[str, bool, float]]) -> str:
    """The ``to_tsquery`` expression that selects candidates: any rare term, or all common ones.

    ``term_rows`` holds (term, has a lexeme, estimated chunks) per term; a stop word has no
    lexeme and selects nothing. With no rare term, every common one is required.
    """
    rare = [term for term, lexeme, rows in term_rows if lexeme and rows <= COMMON_ROWS]
    common = [term for term, lexeme, rows in term_rows if lexeme and rows > COMMON_ROWS]
    if not common:
        return " | ".join(rare)
    return " | ".join([*rare, f"({' & '.join(common)})"]) if len(common) > 1 or not rare else " | ".join(rare)


class PgCatalog:
    def __init__(self, conn, *, url: str) -> None:
        self.conn = conn
        self.url = url

    def _rows(self, sql: str, params: Sequence = ()) -> list[dict]:
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(sql, params).fetchall()

    def _column(self, sql: str, params: Sequence = ()) -> list:
        return [r[0] for r in self.conn.execute(sql, params)]

    def hashes(self) -> dict[str, tuple[str, str]]:
        """doc_id -> (content_hash, state) for every document."""
        return {r["doc_id"]: (r["content_hash"], r["state"])
                for r in self._rows("SELECT doc_id, content_hash, state FROM documents")}

    def documents_by_path(self) -> dict[str, list[str]]:
        """Absolute file path -> its document ids (feed items have no path and are left out)."""
        out: dict[str, list[str]] = {}
        for doc_id, path in self.conn.execute("SELECT doc_id, path FROM documents WHERE path != ''"):
            out.setdefault(path, []).append(doc_id)
        return out

    def chunk_ids(self, doc_ids: Iterable[str]) -> list[str]:
        return self._column("SELECT chunk_id FROM chunks WHERE doc_id = ANY(%s)", (list(doc_ids),))

    def all_chunk_ids(self) -> set[str]:
        return set(self._column("SELECT chunk_id FROM chunks"))

    def pending(self) -> list[str]:
        return self._column("SELECT doc_id FROM documents WHERE state = 'pending'")

    def mark_pending(self, docs: Sequence[Document], hashes: dict[str, str]) -> None:
        """Commit the intent to rewrite these documents before their vectors are touched."""
        now = _now()
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO documents (doc_id, source, path, title, doc_type, jurisdiction, audience, url,"
                " published, content_hash, state, indexed_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,'pending',%s)"
                " ON CONFLICT (doc_id) DO UPDATE SET state = 'pending'",
                [(doc.doc_id, doc.source, doc.path, doc.title, doc.doc_type, doc.jurisdiction,
                  ",".join(doc.audience), doc.link, published_int(doc), hashes[doc.doc_id], now) for doc in docs],
            )

    def write(self, items: Sequence[tuple[Document, str, list[Chunk], list, list]]) -> None:
        """Replace documents' chunks and keyword rows and mark them ready, in one transaction."""
        now = _now()
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute("DELETE FROM chunks WHERE doc_id = ANY(%s)", ([doc.doc_id for doc, *_ in items],))
            cur.executemany(
                "UPDATE documents SET source=%s, path=%s, title=%s, doc_type=%s, jurisdiction=%s, audience=%s,"
                " url=%s, published=%s, content_hash=%s, chunk_count=%s, state='ready', indexed_at=%s"
                " WHERE doc_id=%s",
                [(doc.source, doc.path, doc.title, doc.doc_type, doc.jurisdiction, ",".join(doc.audience), doc.link,
                  published_int(doc), digest, len(chunks), now, doc.doc_id) for doc, digest, chunks, *_ in items],
            )
            cur.executemany("INSERT INTO chunks VALUES (%s,%s,%s,%s,%s,%s,%s)", list(_chunk_rows(items)))
            cur.executemany(
                "INSERT INTO chunks_fts (chunk_id, title, headings, text, doc_type, jurisdiction, audience,"
                " published) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                list(_keyword_rows(items)),
            )

    def delete(self, doc_ids: Sequence[str]) -> None:
        # Chunks and their keyword rows follow through ON DELETE CASCADE.
        with self.conn.transaction():
            self.conn.execute("DELETE FROM documents WHERE doc_id = ANY(%s)", (list(doc_ids),))

    def fts_ids(self) -> set[str]:
        return set(self._column("SELECT chunk_id FROM chunks_fts"))

    def load_chunks(self, chunk_ids: Sequence[str]) -> dict[str, StoredChunk]:
        if not chunk_ids:
            return {}
        rows = self._rows(
            "SELECT chunk_id, doc_id, text, headings, sentence_spans, sentence_vectors FROM chunks"
            " WHERE chunk_id = ANY(%s)",
            (list(chunk_ids),),
        )
        return {r["chunk_id"]: stored_chunk(r) for r in rows}

    def document_text(self, doc_id: str) -> tuple[dict, list[str]] | None:
        """A ready document's ``doc_id``, ``title``, ``url`` and ``published``, and its chunks' texts in order."""
        found = self._rows(
            "SELECT doc_id, title, url, published FROM documents WHERE doc_id = %s AND state = 'ready'", (doc_id,)
        )
        if not found:
            return None
        return found[0], self._column("SELECT text FROM chunks WHERE doc_id = %s ORDER BY position", (doc_id,))

    def counts(self) -> tuple[int, int]:
        """Ready documents and all chunks, from ``documents`` alone: every ``ask`` asks this first.

        ``chunk_count`` is written with the document's chunks in one transaction (``write``) and
        a document's chunks go with it (``delete``), so its sum is the chunk rows' count. Counting
        107,647 chunk rows took 13 to 19 ms per question (bench/query.py); the sum reads one table.
        """
        return self.conn.execute(
            "SELECT count(*) FILTER (WHERE state = 'ready'), COALESCE(sum(chunk_count), 0) FROM documents"
        ).fetchone()

    def keyword_search(self, question: str, *, k: int, filters: Filters) -> list[lexical.KeywordMatch]:
        """Full-text search over the weighted ``tsvector``, best first (common terms only score)."""
        terms = lexical.expanded_terms(question)
        if not terms or k <= 0:
            return []
        selecting = selecting_query(self.conn.execute(TERM_ROWS_SQL, (terms,)).fetchall())
        if not selecting:
            return []
        condition, params = filters.to_sql("f", mark="%s")
        where = f" AND {condition}" if params else ""
        rows = self.conn.execute(
            f"SELECT f.chunk_id, ts_rank('{RANK_WEIGHTS}', f.tsv, q, {RANK_NORMALIZATION}) AS score"
            f" FROM chunks_fts AS f, to_tsquery('english', %s) AS m, to_tsquery('english', %s) AS q"
            f" WHERE f.tsv @@ m{where} ORDER BY score DESC, f.chunk_id LIMIT %s",
            [selecting, " | ".join(terms), *params, k],
        )
        # KeywordMatch.bm25 is lower-is-better, as FTS5 reports it.
        return [lexical.KeywordMatch(chunk_id=chunk_id, bm25=-score) for chunk_id, score in rows]

    def keyword_metadata(self, chunk_ids: Sequence[str]) -> dict[str, dict]:
        """Metadata for keyword-only hits, in the shape Chroma stores it."""
        if not chunk_ids:
            return {}
        rows = self._rows(f"{HIT_METADATA_SQL} WHERE c.chunk_id = ANY(%s)", (list(chunk_ids),))
        return {r["chunk_id"]: hit_metadata(r) for r in rows}

    def describe(self) -> str:
        """Where this catalog lives, for ``assistant status`` (no user name or password)."""
        return f"postgres: {pg.describe(self.url)}"

    def schema_versions(self) -> dict[str, int]:
        return db.versions(self.conn)

    def close(self) -> None:
        self.conn.close()


def _chunk_rows(items) -> Iterable[tuple]:
    for doc, _digest, chunks, spans, vectors in items:
        for chunk, chunk_spans, chunk_vectors in zip(chunks, spans, vectors):
            yield (chunk.chunk_id, doc.doc_id, chunk.position, chunk.text, chunk.headings, json.dumps(chunk_spans),
                   np.asarray(chunk_vectors, dtype=np.float16).tobytes())


def _keyword_rows(items) -> Iterable[tuple]:
    for doc, _digest, chunks, *_ in items:
        for chunk in chunks:
            yield (chunk.chunk_id, lexical.normalize(doc.title), lexical.normalize(chunk.headings),
                   lexical.normalize(chunk.text), doc.doc_type, doc.jurisdiction, ",".join(doc.audience),
                   published_int(doc))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
