"""Warm `ask` latency at N chunks against its floor (query embedding + Chroma + keyword search alone).

The index is filled with N synthetic chunks: their texts mix real corpus sentences with unique
tokens, and their vectors are the real model's vectors of those sentences plus small noise,
so building 50,000 chunks takes a minute instead of an hour of embedding. Query-time work is
all real: the packaged model embeds each question, Chroma and FTS5 search, the answerer quotes.

``--backend postgres`` runs the scale-out deployment instead (issue 12): the benchmark starts
its own throw-away Postgres (tests/pg_support.py) and ``chroma run`` server on 127.0.0.1, points
``database_url`` and ``chroma_url`` at them, and stops both on exit, Ctrl-C and errors included.
Its floor is the query embedding, the Chroma server query and ``PgCatalog.keyword_search``.

    python bench/query.py --chunks 10000
    python bench/query.py --backend postgres --chunks 100000
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from _common import REPO, ChromaServer, emit, gold_questions, percentile, timed_ms

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
        self.base = cached_vectors(model, sentences)
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


def cached_vectors(model: SentenceEmbeddings, sentences: list[str]) -> np.ndarray:
    """The model's vectors of ``sentences``, kept on disk between runs: the corpus has about
    5,000 sentences, which took 4 minutes to encode on the shared 2-core machine (measured)."""
    key = hashlib.sha256("\x1f".join([model.model_name, *sentences]).encode()).hexdigest()[:16]
    path = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "assistant-bench" / f"{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = model._encode(sentences)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path.with_suffix(".tmp.npy"), vectors)
    path.with_suffix(".tmp.npy").replace(path)
    return vectors


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
    vectors = service.vectors
    candidates = service.settings.candidates
    if service.settings.database_url:
        def keyword_search(q: str):
            return service.catalog.keyword_search(q, k=candidates, filters=Filters())
    else:
        def keyword_search(q: str):
            return lexical.search(service.db, q, k=candidates, filters=Filters())

    def floor_path(q: str):
        v = service.embeddings.embed_query_array(q)
        vectors.query(v, k=candidates, where=None)
        keyword_search(q)

    for _ in range(rounds):
        for q in questions:
            ms, _ = timed_ms(service.ask, q)
            ask.append(ms)
            ms, _ = timed_ms(floor_path, q)
            floor.append(ms)
    return {
        "p50_ms": percentile(ask, 50), "p95_ms": percentile(ask, 95),
        "floor_p50_ms": percentile(floor, 50), "floor_p95_ms": percentile(floor, 95),
    }


@contextlib.contextmanager
def postgres_servers(root: Path) -> Iterator[dict]:
    """A throw-away Postgres and ``chroma run`` on loopback: the settings that point at them.

    Both stop when the block exits, however it exits; SIGTERM is turned into an exit so that
    holds for ``kill`` too (Ctrl-C already raises ``KeyboardInterrupt``).
    """
    sys.path.insert(0, str(REPO / "tests"))
    from pg_support import PostgresServer

    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    postgres = PostgresServer()
    chroma = ChromaServer(root / "chroma")
    try:
        postgres.start()
        chroma.start()
        yield {"database_url": postgres.create_database(), "chroma_url": chroma.url}
    finally:
        chroma.stop()
        try:
            postgres.stop()
        except subprocess.CalledProcessError as exc:  # never started: nothing to stop, files removed
            print(f"postgres at {postgres.root}: pg_ctl stop: {exc.stderr.decode().strip()}", file=sys.stderr)
        signal.signal(signal.SIGTERM, previous)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite",
                        help="sqlite: files under a temp dir (default); postgres: a Postgres and a Chroma server")
    args = parser.parse_args()
    model = SentenceEmbeddings("all-MiniLM-L6-v2")
    synthetic = SyntheticVectors(model, corpus_sentences())
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        servers = stack.enter_context(postgres_servers(Path(tmp))) if args.backend == "postgres" else {}
        service = Service(Settings(data_dir=Path(tmp) / "data", **servers), embeddings=lambda: synthetic)
        stack.callback(service.close)
        build_s = build(service, synthetic, args.chunks)
        if args.backend == "postgres":
            # Keyword search picks its selecting terms from the planner's statistics (pg_catalog.py),
            # which autovacuum gathers within a minute of an ingest; measure that settled state.
            analyze_s, _ = timed_ms(service.catalog.conn.execute, "ANALYZE")
            print(f"postgres: ANALYZE after the build took {analyze_s / 1000:.1f} s")
        chunks = service.catalog.counts()[1]
        questions = gold_questions(40)
        for q in questions[:5]:
            service.ask(q)  # warm caches
        figures = measure(service, questions, args.rounds)
    figures["ratio_p95"] = figures["p95_ms"] / figures["floor_p95_ms"]
    print(f"{args.backend}: indexed {chunks} chunks in {build_s:.1f} s; {len(questions) * args.rounds} questions")
    emit({"backend": args.backend, "chunks": chunks, "build_s": build_s, **figures})


if __name__ == "__main__":
    main()
