"""Ingest files into the index incrementally: skip unchanged, replace changed, prune gone."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import LoadError
from assistant.retrieval.catalog import Catalog
from assistant.retrieval.index import Index, document_hash
from assistant.retrieval.loaders import discover, load_file
from assistant.types import Document


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_embedded: int = 0
    failed: list[LoadError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: Data releases loaded from a shipped extract (``"data"`` in the JSON only when there are any).
    data: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        """The ``ingest --json`` object of DESIGN.md."""
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "chunks_embedded": self.chunks_embedded,
            "failed": [{"path": e.path, "error": e.cause} for e in self.failed],
            **({"data": self.data} if self.data else {}),
        }


def ingest(
    paths: Iterable[str | Path],
    *,
    index: Index,
    catalog: Catalog,
    prune: bool = False,
    on_load: Callable[[int], None] | None = None,
    on_index: Callable[[int, int], Callable[[int], None]] | None = None,
) -> IngestReport:
    """Load every file under ``paths`` and bring the index up to date with it.

    ``on_load(total_files)`` is told how many files there are; ``on_index(documents, 0)`` returns
    a progress callback advanced once per document written.
    """
    report = IngestReport()
    index.repair()
    found, report.skipped, missing = discover(paths)
    report.failed.extend(missing)
    if on_load:
        on_load(len(found))
    known = {doc_id: digest for doc_id, (digest, state) in catalog.hashes().items() if state == "ready"}
    by_path = catalog.documents_by_path()
    seen: dict[str, str] = {}
    to_write: list[Document] = []
    stale: list[str] = []
    for item in found:
        try:
            docs = load_file(item)
            docs = [_with_path(doc, str(item.path)) for doc in docs]
            for doc in docs:
                if doc.doc_id in seen:
                    raise LoadError(item.display, f"duplicate document id {doc.doc_id!r} (also in {seen[doc.doc_id]})")
        except LoadError as exc:
            report.failed.append(exc)
            continue
        except Exception as exc:  # noqa: BLE001 - a loader bug must not stop the other files
            report.failed.append(LoadError(item.display, f"unexpected {type(exc).__name__}: {exc}"))
            continue
        produced = set()
        for doc in docs:
            seen[doc.doc_id] = item.display
            produced.add(doc.doc_id)
            old = known.get(doc.doc_id)
            if old == document_hash(doc):
                report.unchanged += 1
            else:
                to_write.append(doc)
                if old is None:
                    report.added += 1
                else:
                    report.updated += 1
        # Rows gone from a CSV (or an id changed in front matter) leave with the old version.
        stale += [d for d in by_path.get(str(item.path), []) if d not in produced]
    if prune:
        stale += [d for path, ids in by_path.items() if not Path(path).exists() for d in ids]
    stale = [d for d in dict.fromkeys(stale) if d not in seen]
    if to_write:
        progress = on_index(len(to_write), 0) if on_index else None
        stats = index.replace(to_write, progress=progress)
        report.chunks_embedded = stats.chunks_embedded
    report.removed = index.remove(stale)
    return report


def _with_path(doc: Document, path: str) -> Document:
    from dataclasses import replace

    return replace(doc, path=path)
