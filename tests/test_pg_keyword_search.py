"""Postgres keyword search at scale: a term in many chunks only scores, rarer terms select.

``ts_rank`` reads every row it ranks, so at 100,000 chunks ranking every match of a common
term cost 50 to 260 ms (bench/query.py --backend postgres). The statistics ANALYZE keeps on
``tsv`` tell which terms are common; here ``COMMON_ROWS`` is lowered so a few documents show it.
"""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.retrieval import pg_catalog
from assistant.retrieval.filters import Filters
from assistant.retrieval.pg_catalog import selecting_query
from assistant.service import Service
from assistant.types import Document

RARE, COMMON = 10.0, 5000.0


def test_without_common_terms_any_term_selects():
    assert selecting_query([("cbet", True, RARE), ("exam", True, 0.0)]) == "cbet | exam"


def test_a_common_term_next_to_a_rare_one_only_scores():
    assert selecting_query([("bmet", True, COMMON), ("cbet", True, RARE)]) == "cbet"


def test_common_terms_select_together():
    rows = [("bmet", True, COMMON), ("pay", True, COMMON), ("salary", True, RARE)]
    assert selecting_query(rows) == "salary | (bmet & pay)"
    assert selecting_query(rows[:2]) == "(bmet & pay)"
    assert selecting_query(rows[:1]) == "(bmet)"


def test_a_term_without_a_lexeme_selects_nothing():
    assert selecting_query([("the", False, 0.0), ("cbet", True, RARE)]) == "cbet"
    assert selecting_query([("the", False, 0.0)]) == ""


def _doc(doc_id: str, title: str, text: str) -> Document:
    return Document(doc_id=doc_id, source=f"https://example.org/{doc_id}", title=title, text=text)


@pytest.fixture
def service(postgres_server, tmp_path, fake_embeddings):
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_server.create_database())
    service = Service(settings, embeddings=lambda: fake_embeddings)
    yield service
    service.close()


def keyword_ids(service, question: str) -> list[str]:
    return [m.chunk_id for m in service.catalog.keyword_search(question, k=10, filters=Filters())]


def test_common_terms_rank_but_rare_terms_select(service, monkeypatch):
    pumps = [_doc(f"pump-{n}", f"Pump note {n}", "Infusion pumps need routine checks.") for n in range(8)]
    service.index.replace([
        *pumps,
        _doc("both", "Pump calibration", "Infusion pumps and their calibration."),
        _doc("rare", "Calibration", "Calibration of scales."),
    ])
    everything = keyword_ids(service, "pumps calibration")
    assert len(everything) == 10  # no statistics yet: every term selects, as before
    service.catalog.conn.execute("ANALYZE chunks_fts")
    monkeypatch.setattr(pg_catalog, "COMMON_ROWS", 3)
    # "pumps" is in 9 of 10 chunks: it no longer selects, but still lifts the chunk that has both.
    assert keyword_ids(service, "pumps calibration") == ["both:0", "rare:0"]
    # Only common terms: chunks with all of them, best first.
    assert set(keyword_ids(service, "infusion pumps")) == {f"pump-{n}:0" for n in range(8)} | {"both:0"}
    assert keyword_ids(service, "routine pumps") == [f"pump-{n}:0" for n in range(8)]
