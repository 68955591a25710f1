"""Shared fixtures: an isolated data dir per test, a keyword-count fake model, a real-model index."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.retrieval.embeddings import ChunkVectors
from assistant.service import Service

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """No test reads the user's data dir or reaches the model hub."""
    for name in list(__import__("os").environ):
        if name.startswith("ASSISTANT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


class KeywordEmbeddings:
    """Vectors that count words into hashed buckets: cheap, deterministic, and they rank
    passages sharing a question's words above others, so ranking tests mean something."""

    dimension = 128

    def __init__(self) -> None:
        self.calls = 0
        self.texts_embedded = 0

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dimension, dtype=np.float32)
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            v[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
        norm = np.linalg.norm(v)
        return v / norm if norm else v

    def embed_query_array(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_chunks(self, texts, spans, *, progress=None):
        self.calls += 1
        self.texts_embedded += len(texts)
        return [
            ChunkVectors(
                vector=self._vector(t),
                sentences=np.stack([self._vector(t[s:e]) for s, e in sp]) if sp else np.zeros((0, self.dimension)),
            )
            for t, sp in zip(texts, spans)
        ]


@pytest.fixture
def fake_embeddings():
    return KeywordEmbeddings()


@pytest.fixture
def fake_service(tmp_path, fake_embeddings):
    """A Service over real Chroma and SQLite in tmp_path, with the fake model."""
    service = Service(Settings(data_dir=tmp_path / "data"), embeddings=lambda: fake_embeddings)
    yield service
    service.close()


@pytest.fixture
def corpus_copy(tmp_path):
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="session")
def real_index(tmp_path_factory):
    """The fixture corpus indexed once with the real packaged all-MiniLM-L6-v2."""
    data_dir = tmp_path_factory.mktemp("real") / "data"
    service = Service(Settings(data_dir=data_dir))
    report = service.ingest([str(CORPUS)])
    assert not report.failed, report.failed
    yield service
    service.close()


@pytest.fixture(scope="session")
def starter_service(tmp_path_factory):
    """The real starter corpus (documents and the shipped data extract) indexed once with the
    real model: what `make run` serves."""
    data_dir = tmp_path_factory.mktemp("starter") / "data"
    service = Service(Settings(data_dir=data_dir))
    report = service.ingest([str(REPO / "corpus")])
    assert not report.failed, report.failed
    yield service
    service.close()


@pytest.fixture(scope="session")
def postgres_server():
    """A real Postgres on loopback for the whole session (tests/pg_support.py), started on first use."""
    from pg_support import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def backend_settings(request, tmp_path):
    """Settings for each catalog backend in turn: SQLite under tmp_path, or a fresh Postgres database."""
    if request.param == "sqlite":
        return Settings(data_dir=tmp_path / "data")
    url = request.getfixturevalue("postgres_server").create_database()
    return Settings(data_dir=tmp_path / "data", database_url=url)


@pytest.fixture
def database(backend_settings):
    """An open store connection (``db.open_database``) on each backend in turn: the contract tests' handle."""
    from assistant import db

    conn = db.open_database(backend_settings)
    yield conn
    conn.close()
