"""The feed tracker with the real Service: real Chroma, FTS5 and catalog on tmp_path.

The in-process test uses the suite's keyword-count embeddings (conftest ``KeywordEmbeddings``);
the subprocess test runs ``python -m assistant feeds ...`` end to end, real model included.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli.feeds import feeds
from assistant.config import Settings
from assistant.db import connect
from assistant.feeds import store
from assistant.feeds.models import FeedSource, utc_now
from assistant.service import Service

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import FeedServer  # noqa: E402

DATA = Path(__file__).parent / "data" / "feeds"
ROOT = Path(__file__).resolve().parents[1]


def invoke(service, *args):
    result = CliRunner().invoke(feeds, list(args), obj=service, catch_exceptions=False)
    return result


@pytest.fixture()
def service(tmp_path, fake_embeddings):
    svc = Service(Settings(data_dir=tmp_path / "data", feeds_allow_private=True), embeddings=lambda: fake_embeddings)
    store.ensure_schema(svc.db)
    store.seed_defaults(svc.db, [], now=utc_now())  # the loopback feed only, no real network
    yield svc
    svc.close()


def feed_hits(service, question):
    hits, _ = service.search(question, profile="advocacy", k=5)
    return [h for h in hits if h.doc_id.startswith("feed-")]


def test_refresh_indexes_updates_replaces_changes_and_remove_cleans_up(service):
    with FeedServer() as server:
        url = server.feed("/policy.rss", (DATA / "policy.rss").read_bytes())
        invoke(service, "add", url, "--name", "DOL notices", "--topic", "workforce",
               "--keyword", "apprentice", "--keyword", "WIOA", "--keyword", "biomedical")  # fmt: skip
        first = invoke(service, "refresh")
        assert first.exit_code == 0, first.output
        assert "Indexed 3 item(s)" in first.output
        assert service.catalog.counts()[0] == 3
        hits = feed_hits(service, "registered apprenticeship modernization rule 29 CFR part 29")
        assert hits and hits[0].metadata["doc_type"] == "policy_update"
        assert hits[0].metadata["published"] == 20250106 and hits[0].metadata["aud_advocacy"] is True

        server.feed("/policy.rss", (DATA / "policy_changed.rss").read_bytes())
        second = invoke(service, "refresh")
        assert second.exit_code == 0 and "1 new, 1 changed, 3 unchanged" in second.output
        assert service.catalog.counts()[0] == 4
        bill = feed_hits(service, "Biomedical Technician Training Act passed House voice vote")
        assert bill and "Passed House by voice vote" in " ".join(h.text for h in bill)
        assert not any("Referred to the Committee" in h.text for h in bill)  # old chunks replaced
        state = service.index.consistency()
        assert state["orphan_vectors"] == state["missing_vectors"] == state["fts_mismatch"] == 0

    assert invoke(service, "remove", url).exit_code == 0
    assert service.catalog.counts() == (0, 0)
    assert service.index.consistency()["chroma"] == 0


def test_python_m_assistant_feeds_end_to_end(tmp_path):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path / "data"), "ASSISTANT_FEEDS_ALLOW_PRIVATE": "1",
           "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}  # fmt: skip

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "assistant", "feeds", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)  # fmt: skip

    listed = json.loads(cli("list", "--json").stdout)["feeds"]
    assert len(listed) >= 10  # the defaults of corpus/feeds.toml, seeded on first use
    conn = connect(tmp_path / "data" / "assistant.db")
    for feed in listed:  # they are unreachable from a test machine; keep the run on loopback
        store.remove_feed(conn, feed["url"])
    with FeedServer() as server:
        good = server.feed("/policy.rss", (DATA / "policy.rss").read_bytes())
        gone = server.status("/gone", 410)
        store.add_feed(conn, FeedSource(gone), now=utc_now())
        conn.close()
        assert cli("add", good, "--keyword", "apprentice").returncode == 0
        run = cli("refresh", "--json")
    assert run.returncode == 1, run.stderr
    report = {f["url"]: f for f in json.loads(run.stdout)["feeds"]}
    assert report[good]["status"] == "ok" and report[good]["new"] == 4
    assert report[gone]["status"] == "error" and "HTTP 410" in report[gone]["error"]
    updates = json.loads(cli("updates", "--since", "2025-01-01", "--json").stdout)["updates"]
    assert [u["title"] for u in updates] == ["Registered Apprenticeship modernization rule"]
