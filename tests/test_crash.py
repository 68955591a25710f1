"""SIGKILL an ingest half-way, repair, run it again: Chroma, the catalog and FTS5 agree (real model)."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.service import Service

sys.path.insert(0, str(Path(__file__).parent))
from index_checks import repair_after_kill  # noqa: E402

#: Kills a real ingest of the whole corpus and reruns it: minutes, so the bounded slow step runs it.
pytestmark = pytest.mark.slow


def make_corpus(folder, n=160):
    folder.mkdir()
    for i in range(n):
        paragraphs = "\n\n".join(
            f"Section {j} of note {i}: technicians calibrate infusion pumps, test defibrillator energy, "
            f"log work orders and keep patient monitors safe in unit {i * 7 + j}." * 3
            for j in range(3)
        )
        (folder / f"note-{i:03d}.md").write_text(f"---\nid: note-{i:03d}\n---\n# Note {i}\n\n{paragraphs}\n")


def documents(db_path, state: str) -> int:
    try:
        with sqlite3.connect(db_path, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM documents WHERE state = ?", (state,)).fetchone()[0]
    except sqlite3.Error:
        return 0


def test_sigkill_mid_ingest_then_rerun_leaves_stores_in_agreement(tmp_path):
    corpus = tmp_path / "corpus"
    make_corpus(corpus)
    data_dir = tmp_path / "data"
    command = [sys.executable, "-m", "assistant", "--data-dir", str(data_dir), "ingest", str(corpus), "--json"]
    env = {**os.environ, "ASSISTANT_EMBED_BATCH": "16"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    db = data_dir / "assistant.db"
    # A batch committed and the next one marked pending while it is embedded.
    while not (documents(db, "ready") and documents(db, "pending")) and process.poll() is None:
        assert time.monotonic() < deadline, "ingest never committed a batch"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    partial = documents(db, "ready")
    assert 0 < partial < 160

    repair_after_kill(data_dir)

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["added"] + report["unchanged"] + report["updated"] == 160
    assert report["failed"] == []

    service = Service(Settings(data_dir=data_dir), embeddings=lambda: None)
    counts = service.index.consistency()
    assert counts["orphan_vectors"] == counts["missing_vectors"] == counts["fts_mismatch"] == 0
    assert counts["pending_documents"] == 0
    assert counts["chroma"] == counts["chunks"] == counts["fts"]
    ids = service.vectors.collection.get(include=[])["ids"]
    assert len(ids) == len(set(ids))
    assert service.catalog.counts()[0] == 160
    service.close()
