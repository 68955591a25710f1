"""The catalog contract on both backends: SQLite (default) and a real Postgres on loopback.

Each test runs twice through ``backend_settings``: ingest and its idempotency, prune, repair,
keyword search with its weights and filters, hybrid search and status must behave alike.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.retrieval.filters import Filters
from assistant.service import Service
from assistant.types import Document


@pytest.fixture
def service(backend_settings, fake_embeddings):
    service = Service(backend_settings, embeddings=lambda: fake_embeddings)
    yield service
    service.close()


def consistent(service):
    report = service.index.consistency()
    assert report["orphan_vectors"] == report["missing_vectors"] == 0, report
    assert report["fts_mismatch"] == report["pending_documents"] == 0, report
    return report


def keyword_ids(service, question, filters=Filters(), k=10):
    return [m.chunk_id for m in service.catalog.keyword_search(question, k=k, filters=filters)]


def test_ingest_is_idempotent_and_the_stores_agree(service, corpus_copy, fake_embeddings):
    first = service.ingest([str(corpus_copy)])
    assert not first.failed and (first.added, first.updated, first.unchanged) == (9, 0, 0)
    counts = consistent(service)
    assert counts["chroma"] == counts["chunks"] == first.chunks_embedded > 9
    embedded = fake_embeddings.texts_embedded
    again = service.ingest([str(corpus_copy)])
    assert (again.added, again.updated, again.unchanged, again.chunks_embedded) == (0, 0, 9, 0)
    assert fake_embeddings.texts_embedded == embedded
    assert service.catalog.counts() == (9, counts["chunks"])


def test_a_changed_file_replaces_its_chunks_and_keyword_rows(service, corpus_copy):
    service.ingest([str(corpus_copy)])
    assert len(service.catalog.chunk_ids(["bmet-basics"])) > 1
    assert keyword_ids(service, "ventilators") == []
    path = corpus_copy / "bmet-basics.md"
    path.write_text(path.read_text().split("# Becoming")[0] + "# Short\nBMETs now fix ventilators only.\n")
    report = service.ingest([str(corpus_copy)])
    assert (report.updated, report.unchanged) == (1, 8)
    assert service.catalog.chunk_ids(["bmet-basics"]) == ["bmet-basics:0"]
    assert keyword_ids(service, "ventilators") == ["bmet-basics:0"]
    stored = service.catalog.load_chunks(["bmet-basics:0"])["bmet-basics:0"]
    assert "ventilators" in stored.text and stored.vectors.shape == (len(stored.spans), 128)
    consistent(service)


def test_prune_and_repair(service, corpus_copy):
    service.ingest([str(corpus_copy)])
    (corpus_copy / "notes.txt").unlink()
    assert service.ingest([str(corpus_copy)], prune=True).removed == 1
    assert service.catalog.counts()[0] == 8
    consistent(service)
    service.catalog.mark_pending(
        [Document(doc_id="cbet-certification", source="x", title="t", text="x")], {"cbet-certification": "h"})
    assert service.catalog.pending() == ["cbet-certification"]
    assert service.index.repair() == 1
    assert service.catalog.pending() == [] and service.catalog.chunk_ids(["cbet-certification"]) == []
    assert not [i for i in keyword_ids(service, "CBET") if i.startswith("cbet-certification")]
    consistent(service)


def _doc(doc_id, title, text, **fields):
    return Document(doc_id=doc_id, source=f"https://example.org/{doc_id}", title=title, text=text, **fields)


def test_a_term_in_the_title_outranks_the_same_term_in_the_body(service):
    service.index.replace([
        _doc("body", "Notes", "Routine work on infusion pumps. " * 3 + "Calibration too."),
        _doc("title", "Calibration", "Routine work on infusion pumps and monitors in a hospital. " * 3),
    ])
    # The title's chunk is the longer one, so only the title's weight can put it first.
    assert keyword_ids(service, "calibration") == ["title:0", "body:0"]


def test_keyword_search_applies_every_filter(service):
    service.index.replace([
        _doc("ma-news", "Apprenticeship grant", "Apprenticeship grants for BMET programs.", doc_type="policy_update",
             jurisdiction="MA", audience=("advocacy",), published=date(2025, 3, 1)),
        _doc("us-guide", "Apprenticeship guide", "Apprenticeship paths for BMET students.", doc_type="career_guide",
             jurisdiction="US", audience=("student",), published=date(2023, 1, 1)),
    ])
    assert sorted(keyword_ids(service, "apprenticeship")) == ["ma-news:0", "us-guide:0"]
    assert keyword_ids(service, "apprenticeship", Filters(doc_types=("policy_update",))) == ["ma-news:0"]
    assert keyword_ids(service, "apprenticeship", Filters(audience="student")) == ["us-guide:0"]
    assert keyword_ids(service, "apprenticeship", Filters(jurisdictions=("MA",))) == ["ma-news:0"]
    assert keyword_ids(service, "apprenticeship", Filters(since=date(2024, 1, 1))) == ["ma-news:0"]
    assert keyword_ids(service, "apprenticeship", Filters(jurisdictions=("MA",), audience="student")) == []
    # Stopwords only, or nothing asked: no keyword side at all, never an error.
    assert keyword_ids(service, "what is the") == [] and keyword_ids(service, "") == []


def test_dotted_acronyms_and_expansions_match_as_in_fts5(service):
    service.index.replace([
        _doc("bill", "H.R. 6655", "A bill on apprenticeship."),
        _doc("pay", "BMET pay", "The median salary of technicians."),
    ])
    assert keyword_ids(service, "what is HR 6655") == ["bill:0"]
    assert keyword_ids(service, "how much do they earn") == ["pay:0"]


def test_hybrid_search_fuses_both_sides(service, corpus_copy):
    service.ingest([str(corpus_copy)])
    hits, _ = service.search("what is CBET?")
    assert hits[0].doc_id == "cbet-certification"
    assert hits[0].keyword_rank is not None and hits[0].vector_rank is not None
    hits, _ = service.search("apprenticeship", filters=Filters(jurisdictions=("MA",)))
    assert hits and all(h.metadata["jurisdiction"] == "MA" for h in hits)


def test_status_names_the_backend_and_schema_versions(backend_settings, corpus_copy):
    env = {"ASSISTANT_DATABASE_URL": backend_settings.database_url} if backend_settings.database_url else {}
    data_dir = str(backend_settings.data_dir)
    runner = CliRunner(env=env)
    result = runner.invoke(main, ["--data-dir", data_dir, "status", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["schema"]["catalog"] == 1
    if backend_settings.database_url:
        assert info["backend"] == "postgres"
        assert info["database"] == "postgres: 127.0.0.1:" + backend_settings.database_url.split("@127.0.0.1:")[1]
    else:
        assert info["backend"] == "sqlite"
        assert info["database"] == f"sqlite: {backend_settings.data_dir / 'assistant.db'}"
    text = runner.invoke(main, ["--data-dir", data_dir, "status"]).output
    assert f"database: {info['database']}" in text and "catalog 1" in text
