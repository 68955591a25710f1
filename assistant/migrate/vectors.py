"""The vectors of an embedded Chroma copied to the configured vector store, embeddings as stored."""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings
from assistant.migrate.tables import ComponentCopy, TableCopy


def copy_vectors(source_dir: Path, settings: Settings) -> ComponentCopy:
    """The vectors of ``source_dir``'s embedded Chroma that the target lacks, embeddings as stored.

    The collection is the current settings' (named after the embedding model and chunking), so
    the copy is what this configuration searches; nothing is embedded again.
    """
    from assistant.retrieval.vectorstore import MAX_BATCH, VectorStore

    result = ComponentCopy("vectors")
    source_path = source_dir / "chroma"
    if not source_path.is_dir():
        result.skipped = f"no chroma folder in {source_dir}"
        return result
    if not settings.chroma_url and settings.chroma_path.resolve() == source_path.resolve():
        result.skipped = "the vectors already live in this embedded store"
        return result
    source = VectorStore(collection_name=settings.collection_name, path=source_path)
    target = VectorStore(collection_name=settings.collection_name, path=settings.chroma_path, url=settings.chroma_url)
    held = target.all_ids()
    total = copied = 0
    offset = 0
    while True:
        page = source.collection.get(include=["embeddings", "documents", "metadatas"], limit=MAX_BATCH,
                                     offset=offset)
        offset += len(page["ids"])
        total += len(page["ids"])
        new = [i for i, chunk_id in enumerate(page["ids"]) if chunk_id not in held]
        if new:
            target.upsert([page["ids"][i] for i in new], page["embeddings"][new],
                          [page["documents"][i] for i in new], [page["metadatas"][i] for i in new])
            copied += len(new)
        if len(page["ids"]) < MAX_BATCH:
            break
    result.tables.append(TableCopy(f"{settings.collection_name} at {target.location}", total, copied))
    return result


#: Copied in this order: the catalog, then what refers to documents, then chat history.
