"""One index writer at a time across processes: ingest waits for the lock feed and bill syncs take."""

from __future__ import annotations

import threading

from conftest import KeywordEmbeddings

from assistant import db
from assistant.service import Service


def test_ingest_waits_while_another_writer_holds_the_index_lock(backend_settings, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "one.md").write_text("# One\n\nBiomedical equipment technicians repair medical devices.\n")
    service = Service(backend_settings, embeddings=KeywordEmbeddings)
    other = db.open_database(backend_settings)  # another process's connection, holding the lock
    order: list[str] = []
    try:
        assert service.status()["documents"] == 0  # the database exists (on SQLite the lock sits beside it)
        with db.exclusive(other, "index"):
            worker = threading.Thread(target=lambda: service.ingest([str(corpus)],
                                                                    on_load=lambda *_: order.append("ingest")))
            worker.start()
            worker.join(1.0)
            order.append("released")
        worker.join(60)
        assert order[:2] == ["released", "ingest"]
        assert service.catalog.counts()[0] == 1
    finally:
        other.close()
        service.close()
