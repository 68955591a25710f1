"""Warm `ask` latency at N chunks against its floor (query embedding + Chroma + FTS5 alone).

The index is filled with N synthetic chunks: their texts mix real corpus sentences with unique
tokens, and their vectors are the real model's vectors of those sentences plus small noise,
so building 50,000 chunks takes a minute instead of an hour of embedding. Query-time work is
all real: the packaged model embeds each question, Chroma and FTS5 search, the answerer quotes.

    python bench/query.py --chunks 10000
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import REPO, emit, gold_questions, percentile, timed_ms

from assistant.config import Settings
from assistant.retrieval import lexical
from assistant.retrieval.embeddings import ChunkVectors, SentenceEmbeddings
from assistant.retrieval.filters import Filters
from assistant.service import Service
from assistant.types import Document


class SyntheticVectors:
    """Reuses real sentence vectors (plus noise) for synthetic chunks; embeds questions for real."""

    def __init__(self, model: SentenceEmbeddings, sentences: list[str], seed: int = 7) -> None:
        self.model = model
        self.sentences = sentences
        self.base = model._encode(sentences)
        self.index = {s: i for i, s in enumerate(sentences)}
        self.rng = np.random.default_rng(seed)

    def embed_query_array(self, text: str):
        return self.model.embed_query_array(text)

    def embed_chunks(self, texts, spans, *, progress=None):
        out = []
        for text, sp in zip(texts, spans):
            rows = []
            for s, e in sp:
                key = re.sub(r" \[k\d+\]$", "", text[s:e].strip())
                base = self.base[self.index.get(key, 0)]
                v = base + self.rng.normal(0, 0.02, base.shape).astype(np.float32)
                rows.append(v / np.linalg.norm(v))
            sentences = np.stack(rows) if rows else np.zeros((0, self.base.shape[1]), np.float32)
            chunk = sentences.mean(axis=0) if rows else self.base[0]
            out.append(ChunkVectors(vector=chunk / np.linalg.norm(chunk), sentences=sentences))
        return out


def corpus_sentences() -> list[str]:
    from assistant.retrieval.chunking import split_sentences

    sentences = []
    for path in sorted((REPO / "corpus").rglob("*.md")):
        text = path.read_text().split("---", 2)[-1]
        for line in text.splitlines():
            if line.strip() and not line.startswith(("#", "|")):
                sentences += [line[s:e].strip() for s, e in split_sentences(line) if e - s > 40]
    return sorted(set(sentences))


def build(service: Service, synthetic: SyntheticVectors, chunks: int) -> float:
    rng = random.Random(11)
    per_doc = 4
    docs = []
    for d in range(chunks // per_doc):
        # Each paragraph is one chunk: about 3 sentences with a unique tag so texts differ.
        paragraphs = []
        for p in range(per_doc):
            picks = rng.sample(synthetic.sentences, 3)
            paragraphs.append(" ".join(f"{s} [k{d * per_doc + p}]" for s in picks))
        docs.append(Document(
            doc_id=f"syn-{d}", source=f"synthetic/{d}.md", title=f"Synthetic document {d}",
            text="\n\n".join(f"## Part {p}\n{para}" for p, para in enumerate(paragraphs)), markdown=True,
            doc_type=rng.choice(["career_pathway", "training_program", "policy"]),
            jurisdiction=rng.choice(["US", "MA"]),
        ))
    start = time.perf_counter()
    service.index.replace(docs)
    return time.perf_counter() - start


def measure(service: Service, questions: list[str], rounds: int) -> dict:
    ask, floor = [], []
    vectors, conn = service.vectors, service.db
    for _ in range(rounds):
        for q in questions:
            ms, _ = timed_ms(service.ask, q)
            ask.append(ms)

            def floor_path():
                v = service.embeddings.embed_query_array(q)
                vectors.query(v, k=service.settings.candidates, where=None)
                lexical.search(conn, q, k=service.settings.candidates, filters=Filters())

            ms, _ = timed_ms(floor_path)
            floor.append(ms)
    return {
        "p50_ms": percentile(ask, 50), "p95_ms": percentile(ask, 95),
        "floor_p50_ms": percentile(floor, 50), "floor_p95_ms": percentile(floor, 95),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    model = SentenceEmbeddings("all-MiniLM-L6-v2")
    synthetic = SyntheticVectors(model, corpus_sentences())
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(Settings(data_dir=Path(tmp)), embeddings=lambda: synthetic)
        build_s = build(service, synthetic, args.chunks)
        chunks = service.catalog.counts()[1]
        questions = gold_questions(40)
        for q in questions[:5]:
            service.ask(q)  # warm caches
        figures = measure(service, questions, args.rounds)
        service.close()
    figures["ratio_p95"] = figures["p95_ms"] / figures["floor_p95_ms"]
    print(f"indexed {chunks} chunks in {build_s:.1f} s; {len(questions) * args.rounds} questions")
    emit({"chunks": chunks, **figures})


if __name__ == "__main__":
    main()
