"""Retrieval on Postgres matches SQLite on the gold documents questions (issue 12: within 0.02 recall@5).

The starter corpus is indexed twice with the real model, once per backend, so this is slow.
"""

from __future__ import annotations

import statistics

import pytest
from conftest import REPO

from assistant import evaluate
from assistant.config import Settings
from assistant.service import Service

pytestmark = pytest.mark.slow


def documents_items() -> list:
    return [i for i in evaluate.load_gold(REPO / "corpus" / "eval" / "gold.jsonl") if i.group == "documents"]


def documents_recall(service: Service) -> dict:
    return evaluate.score(evaluate.run(service, documents_items()))


def keyword_ms(service: Service) -> float:
    """Median milliseconds of the keyword side over the gold questions (printed, never asserted)."""
    times = []
    for item in documents_items():
        timings: dict = {}
        service.search(item.question, profile=item.audience, timings=timings)
        times.append(timings["fts"])
    return statistics.median(times)


def test_postgres_recall_at_5_is_within_0_02_of_sqlite(starter_service, postgres_server, tmp_path):
    url = postgres_server.create_database()
    postgres = Service(Settings(data_dir=tmp_path / "data", database_url=url),
                       embeddings=lambda: starter_service.embeddings)
    try:
        report = postgres.ingest([str(REPO / "corpus")])
        assert not report.failed, report.failed
        assert postgres.catalog.counts() == starter_service.catalog.counts()
        on_sqlite = documents_recall(starter_service)
        on_postgres = documents_recall(postgres)
        latency = (keyword_ms(starter_service), keyword_ms(postgres))
    finally:
        postgres.close()
    print(f"\ndocuments recall@5: sqlite {on_sqlite['recall@5']}, postgres {on_postgres['recall@5']}"
          f" (n={on_sqlite['n']}); mrr {on_sqlite['mrr']} / {on_postgres['mrr']};"
          f" keyword side median {latency[0]:.1f} ms / {latency[1]:.1f} ms")
    assert on_sqlite["n"] == on_postgres["n"] > 100
    assert abs(on_postgres["recall@5"] - on_sqlite["recall@5"]) <= 0.02
