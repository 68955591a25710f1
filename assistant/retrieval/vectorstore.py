"""Chroma, the vector side (the only importer of chromadb and langchain_chroma).

Vectors are computed by us and handed over; the collection is created with no embedding
function, so Chroma's default one (which downloads a model) can never run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from assistant.errors import ConfigError, IndexNotReadyError

# Chroma rejects a write larger than its max batch (5,461 with the default SQLite limits).
MAX_BATCH = 5000


@dataclass(frozen=True)
class VectorMatch:
    chunk_id: str
    text: str
    metadata: dict
    distance: float


class VectorStore:
    """One Chroma collection of chunk vectors (cosine space), embedded on disk or on a server."""

    def __init__(self, *, collection_name: str, path: Path | None = None, url: str = "") -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if url:
                parsed = urlparse(url)
                if parsed.scheme not in ("http", "https") or not parsed.hostname:
                    raise ConfigError(f"ASSISTANT_CHROMA_URL {url!r}: expected http://host:port")
                self.client = chromadb.HttpClient(
                    host=parsed.hostname,
                    port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                    ssl=parsed.scheme == "https",
                    settings=chroma_settings,
                )
                self.location = url
            else:
                assert path is not None
                path.mkdir(parents=True, exist_ok=True)
                self.client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
                self.location = str(path)
            self.collection = self.client.get_or_create_collection(
                collection_name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - connection and disk errors vary by backend
            where = url or str(path)
            raise IndexNotReadyError(f"Chroma at {where}: cannot open: {exc}") from exc
        self.name = collection_name

    def upsert(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        texts: Sequence[str],
        metadatas: Sequence[dict],
    ) -> None:
        for start in range(0, len(ids), MAX_BATCH):
            end = start + MAX_BATCH
            self.collection.upsert(
                ids=list(ids[start:end]),
                embeddings=vectors[start:end],
                documents=list(texts[start:end]),
                metadatas=list(metadatas[start:end]),
            )

    def delete(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), MAX_BATCH):
            self.collection.delete(ids=list(ids[start: start + MAX_BATCH]))

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        if doc_ids:
            self.collection.delete(where={"doc_id": {"$in": list(doc_ids)}})

    def count(self) -> int:
        return self.collection.count()

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset = 0
        while True:
            page = self.collection.get(include=[], limit=MAX_BATCH, offset=offset)["ids"]
            ids.update(page)
            if len(page) < MAX_BATCH:
                return ids
            offset += MAX_BATCH

    def query(self, vector: np.ndarray, *, k: int, where: dict | None) -> list[VectorMatch]:
        if k <= 0:
            return []
        result = self.collection.query(
            query_embeddings=[vector],
            n_results=k,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            VectorMatch(chunk_id=i, text=t or "", metadata=m or {}, distance=float(d))
            for i, t, m, d in zip(
                result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0]
            )
        ]
