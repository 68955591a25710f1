"""Checks shared by the crash tests: after a kill, what the next run's repair must leave behind."""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings
from assistant.service import Service


def repair_after_kill(data_dir: Path, *, settings: Settings | None = None) -> None:
    """Run the repair every ingest and refresh starts with, and check its outcome: no document
    left pending, each one it found pending either indexed whole (all its chunks in Chroma) or
    gone from both the catalog and Chroma, and the catalog, FTS5 and Chroma in agreement."""
    service = Service(settings or Settings(data_dir=data_dir), embeddings=lambda: None)
    try:
        pending = service.catalog.pending()
        assert pending, "the kill left no pending document, so the repair had nothing to do"
        service.index.repair()
        assert service.catalog.pending() == []
        in_catalog = set(service.catalog.hashes())
        with_vectors = {m["doc_id"] for m in service.vectors.collection.get(
            where={"doc_id": {"$in": pending}}, include=["metadatas"])["metadatas"]}
        gone = set(pending) - in_catalog
        assert not gone & with_vectors, "a dropped document kept vectors in Chroma"
        counts = service.index.consistency()
        assert counts["orphan_vectors"] == counts["missing_vectors"] == counts["fts_mismatch"] == 0, counts
    finally:
        service.close()
