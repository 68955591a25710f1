"""The index: keeps Chroma, the catalog and FTS5 in step (the one place that writes them).

Pipeline::

    corpus files | load | hash (skip unchanged) | chunk | embed | index.replace
    feeds | fetch | parse | store.diff | to_documents | index.replace

``replace`` works in batches; per batch it (1) marks the documents ``pending`` in the catalog
and commits, (2) deletes their old vectors and upserts the new ones in Chroma, (3) writes
chunks, FTS5 rows and ``ready`` in one SQLite transaction. ``repair`` runs before every write
and after a crash: pending documents are dropped from both stores (the next ingest re-adds
them, because their hash is gone), and vectors whose chunk is not in the catalog are deleted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.retrieval.catalog import Catalog, chunk_metadata
from assistant.retrieval.chunking import chunk_document, split_sentences
from assistant.retrieval.vectorstore import VectorStore
from assistant.types import Chunk, Document

#: Chunks embedded and written together; bounds memory and the work a crash can lose.
BATCH_CHUNKS = 256


@dataclass
class ReplaceStats:
    documents: int = 0
    chunks_embedded: int = 0


def document_hash(doc: Document) -> str:
    """Hash of everything that ends up in the index, so a metadata edit also re-indexes."""
    key = "\x1f".join(
        [doc.doc_id, doc.source, doc.title, doc.text, doc.doc_type, ",".join(doc.audience), doc.jurisdiction,
         ",".join(doc.source_urls), doc.published.isoformat() if doc.published else "", repr(doc.extra)]
    )
    return hashlib.sha256(key.encode()).hexdigest()


class Index:
    def __init__(
        self,
        *,
        catalog: Catalog,
        vectors: VectorStore,
        embeddings: Callable[[], object],
        chunk_size: int,
        chunk_overlap: int,
    ) -> None:
        self.catalog = catalog
        self.vectors = vectors
        #: A factory: the model loads on the first write, so a run with nothing new never loads it.
        self._embeddings_factory = embeddings
        self._embeddings = None
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap

    @property
    def embeddings(self):
        if self._embeddings is None:
            self._embeddings = self._embeddings_factory()
        return self._embeddings

    def repair(self) -> int:
        """Bring Chroma, the catalog and FTS5 back into agreement; return the documents dropped."""
        pending = self.catalog.pending()
        if pending:
            self.vectors.delete_documents(pending)
            self.catalog.delete(pending)
        if self.vectors.count() != len(self.catalog.all_chunk_ids()) or pending:
            orphans = self.vectors.all_ids() - self.catalog.all_chunk_ids()
            self.vectors.delete(sorted(orphans))
        return len(pending)

    def replace(
        self,
        documents: Sequence[Document],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> ReplaceStats:
        """Index ``documents``, replacing whatever each had before. Idempotent."""
        self.repair()
        stats = ReplaceStats()
        batch: list[tuple[Document, list[Chunk]]] = []
        size = 0
        for doc in documents:
            chunks = chunk_document(doc, size=self.chunk_size, overlap=self.chunk_overlap)
            batch.append((doc, chunks))
            size += len(chunks)
            if size >= BATCH_CHUNKS:
                self._write(batch, stats, progress)
                batch, size = [], 0
        if batch:
            self._write(batch, stats, progress)
        return stats

    def _write(self, batch, stats: ReplaceStats, progress) -> None:
        docs = [doc for doc, _ in batch]
        hashes = {doc.doc_id: document_hash(doc) for doc in docs}
        self.catalog.mark_pending(docs, hashes)
        all_chunks = [c for _, chunks in batch for c in chunks]
        texts = [c.embed_text for c in all_chunks]
        spans = [split_sentences(c.text) for c in all_chunks]
        encoded = self.embeddings.embed_chunks(texts, [_in_embed_text(c, s) for c, s in zip(all_chunks, spans)])
        old = self.catalog.chunk_ids(hashes)
        if old:
            self.vectors.delete(old)
        if all_chunks:
            by_doc = {doc.doc_id: doc for doc in docs}
            self.vectors.upsert(
                [c.chunk_id for c in all_chunks],
                np.stack([e.vector for e in encoded]),
                [c.text for c in all_chunks],
                [chunk_metadata(by_doc[c.doc_id], c) for c in all_chunks],
            )
        items, position = [], 0
        for doc, chunks in batch:
            part = encoded[position: position + len(chunks)]
            part_spans = spans[position: position + len(chunks)]
            position += len(chunks)
            items.append((doc, hashes[doc.doc_id], chunks, part_spans, [e.sentences for e in part]))
        self.catalog.write(items)
        stats.documents += len(docs)
        stats.chunks_embedded += len(all_chunks)
        if progress:
            progress(len(docs))

    def remove(self, doc_ids: Iterable[str]) -> int:
        ids = list(doc_ids)
        if not ids:
            return 0
        self.vectors.delete(self.catalog.chunk_ids(ids))
        self.vectors.delete_documents(ids)
        self.catalog.delete(ids)
        return len(ids)

    def consistency(self) -> dict[str, int]:
        """Counts that must agree after any run: vectors, catalog chunks, FTS rows, orphans."""
        chroma = self.vectors.all_ids()
        chunks = self.catalog.all_chunk_ids()
        fts = self.catalog.fts_ids()
        return {
            "chroma": len(chroma),
            "chunks": len(chunks),
            "fts": len(fts),
            "orphan_vectors": len(chroma - chunks),
            "missing_vectors": len(chunks - chroma),
            "fts_mismatch": len(fts ^ chunks),
            "pending_documents": len(self.catalog.pending()),
        }


def _in_embed_text(chunk: Chunk, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Shift sentence spans of ``chunk.text`` into ``chunk.embed_text`` (what the model reads)."""
    shift = len(chunk.headings) + 1 if chunk.headings else 0
    return [(s + shift, e + shift) for s, e in spans]
