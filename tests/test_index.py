"""Incremental sync over real Chroma and SQLite (fake model): skip, replace, prune, agree."""

import shutil
from pathlib import Path

from assistant.types import Document

DATA = Path(__file__).parent / "data"


def consistent(service):
    report = service.index.consistency()
    assert report["orphan_vectors"] == 0 and report["missing_vectors"] == 0
    assert report["fts_mismatch"] == 0 and report["pending_documents"] == 0
    return report


def test_first_ingest_indexes_every_file_and_stores_agree(fake_service, corpus_copy):
    report = fake_service.ingest([str(corpus_copy)])
    assert not report.failed
    # 4 Markdown + txt + html + pdf + 2 CSV rows
    assert (report.added, report.updated, report.unchanged) == (9, 0, 0)
    counts = consistent(fake_service)
    assert counts["chroma"] == counts["chunks"] == report.chunks_embedded > 9


def test_unchanged_files_are_skipped_without_embedding(fake_service, corpus_copy, fake_embeddings):
    fake_service.ingest([str(corpus_copy)])
    embedded = fake_embeddings.texts_embedded
    report = fake_service.ingest([str(corpus_copy)])
    assert (report.added, report.updated, report.unchanged, report.chunks_embedded) == (0, 0, 9, 0)
    assert fake_embeddings.texts_embedded == embedded


def test_changed_file_replaces_its_chunks_in_both_stores(fake_service, corpus_copy):
    fake_service.ingest([str(corpus_copy)])
    before = set(fake_service.catalog.chunk_ids(["bmet-basics"]))
    path = corpus_copy / "bmet-basics.md"
    head = path.read_text().split("# Becoming")[0]
    path.write_text(head + "# Short\nBMETs now fix ventilators only.\n")
    report = fake_service.ingest([str(corpus_copy)])
    assert (report.updated, report.unchanged) == (1, 8)
    after = set(fake_service.catalog.chunk_ids(["bmet-basics"]))
    assert after == {"bmet-basics:0"} and len(before) > 1
    stored = fake_service.vectors.collection.get(where={"doc_id": "bmet-basics"})
    assert stored["ids"] == ["bmet-basics:0"] and "ventilators" in stored["documents"][0]
    rows = fake_service.db.execute("SELECT text FROM chunks_fts WHERE chunks_fts MATCH 'ventilators'").fetchall()
    assert len(rows) == 1
    consistent(fake_service)


def test_prune_removes_documents_whose_files_are_gone(fake_service, corpus_copy):
    fake_service.ingest([str(corpus_copy)])
    (corpus_copy / "notes.txt").unlink()
    kept = fake_service.ingest([str(corpus_copy)])
    assert kept.removed == 0 and fake_service.catalog.counts()[0] == 9
    pruned = fake_service.ingest([str(corpus_copy)], prune=True)
    assert pruned.removed == 1 and fake_service.catalog.counts()[0] == 8
    consistent(fake_service)


def test_removed_csv_row_leaves_the_index(fake_service, corpus_copy):
    fake_service.ingest([str(corpus_copy)])
    csv = corpus_copy / "occupations.csv"
    csv.write_text("\n".join(csv.read_text().splitlines()[:2]) + "\n")
    report = fake_service.ingest([str(corpus_copy)])
    assert report.removed == 1 and report.unchanged == 8
    assert fake_service.catalog.chunk_ids(["occupations-29-1126"]) == []
    consistent(fake_service)


def test_one_bad_file_does_not_stop_the_others(fake_service, corpus_copy, tmp_path):
    shutil.copytree(corpus_copy, tmp_path / "mixed")
    for bad in (DATA / "bad").iterdir():
        shutil.copy(bad, tmp_path / "mixed" / bad.name)
    report = fake_service.ingest([str(tmp_path / "mixed")])
    assert report.added == 9
    assert sorted(e.path.rsplit("/", 1)[-1] for e in report.failed) == [
        "broken-front-matter.md", "corrupt.pdf", "empty.md", "junk.txt", "latin1.md"]


def test_duplicate_ids_in_one_run_are_an_error_for_the_second_file(fake_service, tmp_path):
    folder = tmp_path / "dup"
    folder.mkdir()
    for name in ("a.md", "b.md"):
        (folder / name).write_text("---\nid: same\n---\nSome text about pumps.\n")
    report = fake_service.ingest([str(folder)])
    assert report.added == 1 and len(report.failed) == 1
    assert "duplicate document id 'same'" in report.failed[0].cause


def test_replace_and_remove_documents_directly(fake_service):
    doc = Document(doc_id="feed-1", source="https://example.org/item", title="Notice",
                   text="A notice about apprenticeship grants.", doc_type="policy_update")
    stats = fake_service.index.replace([doc])
    assert stats.documents == 1 and stats.chunks_embedded == 1
    fake_service.index.replace([doc])
    assert fake_service.vectors.count() == 1
    assert fake_service.index.remove(["feed-1"]) == 1
    assert consistent(fake_service)["chroma"] == 0


def test_repair_drops_pending_documents_and_orphan_vectors(fake_service, corpus_copy):
    fake_service.ingest([str(corpus_copy)])
    # Simulate a crash between marking pending and finishing, plus a stray vector.
    fake_service.db.execute("UPDATE documents SET state = 'pending' WHERE doc_id = 'cbet-certification'")
    fake_service.vectors.collection.upsert(ids=["ghost:0"], embeddings=[[0.1] * 128], documents=["x"],
                                           metadatas=[{"doc_id": "ghost"}])
    assert fake_service.index.repair() == 1
    consistent(fake_service)
    report = fake_service.ingest([str(corpus_copy)])
    assert (report.added, report.unchanged) == (1, 8)
    consistent(fake_service)
