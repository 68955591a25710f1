"""Two refresh workers at once over the same 50 loopback feeds and one database: every item is
stored exactly once, indexed once, and (on Postgres, where feeds are claimed) fetched once.

The workers are the real command line in two processes, fetching from a real HTTP server on
127.0.0.1, storing in a real Postgres (or the SQLite file) and indexing with the real packaged
model into the catalog and a real ``chroma run`` server, as the deployment runs them. The feed
server holds every answer until both workers have requests in flight, so the two runs overlap
for certain instead of by luck of process start-up.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from assistant import db
from assistant.config import Settings
from assistant.feeds import store
from assistant.feeds.index_updates import pending_documents
from assistant.feeds.models import FeedSource, utc_now
from assistant.service import Service

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import FeedServer  # noqa: E402

#: Two worker processes with the real model and a Chroma server: about a minute and a half.
pytestmark = pytest.mark.slow

FEEDS, ITEMS = 50, 4
#: Fetch threads per worker (the CLI's default): at most this many requests of one worker are
#: in flight, so more than this many held at the gate means both workers are fetching.
THREADS = 16


def rss(feed: int) -> bytes:
    items = "".join(
        f"<item><guid>f{feed}-i{i}</guid><link>https://gov.example/{feed}/{i}</link>"
        f"<title>Apprenticeship notice {feed}.{i}</title>"
        f"<description>Grant round {feed}.{i} funds registered apprenticeships in hospital equipment repair."
        f"</description></item>"
        for i in range(ITEMS)
    )
    channel = f"<channel><title>Feed {feed}</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    process = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None, "chroma run exited"
        assert time.monotonic() < deadline, "chroma server did not start"
        time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=20)


#: (backend, the worker command): the daily ``feeds refresh`` on both, and on Postgres also the
#: deployment's worker, ``feeds watch`` (one run is the same ``run_once``).
CASES = [
    ("sqlite", ["feeds", "refresh", "--json"]),
    ("postgres", ["feeds", "refresh", "--json"]),
    ("postgres", ["feeds", "watch", "--max-runs", "1"]),
]


@pytest.fixture(params=CASES, ids=[f"{backend}-{command[1]}" for backend, command in CASES])
def world(request, tmp_path, chroma_server):
    backend, command = request.param
    url = request.getfixturevalue("postgres_server").create_database() if backend == "postgres" else None
    settings = Settings(data_dir=tmp_path / "data", database_url=url, chroma_url=chroma_server)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_FEEDS_ALLOW_PRIVATE": "1",
           "ASSISTANT_CHROMA_URL": chroma_server}  # fmt: skip
    if url:
        env["ASSISTANT_DATABASE_URL"] = url
    conn = db.open_database(settings)
    store.ensure_schema(conn)
    store.seed_defaults(conn, [], now=utc_now())  # no default feeds: no network
    with FeedServer() as server:
        for n in range(FEEDS):
            store.add_feed(conn, FeedSource(server.feed(f"/feed{n}.rss", rss(n))), now=utc_now())
        conn.close()
        yield backend, command, settings, env, server


def start(command, settings: Settings, env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "--data-dir", str(settings.data_dir), *command],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def results(command, out: str, err: str) -> dict[str, tuple[str, int]]:
    """Per feed URL, what this worker did: ("fetched", new items) or ("skipped", 0)."""
    if command[1] == "refresh":
        return {f["url"]: ("fetched", f["new"]) if f["status"] == "ok" else (f["status"], 0)
                for f in json.loads(out)["feeds"]}  # fmt: skip
    found = {}
    for url, line in re.findall(r"feeds watch:   (\S+): (.*)", err):
        new = re.match(r"(\d+) new", line)
        found[url] = ("fetched", int(new.group(1))) if new else (line, 0)
    return found


def run_together(command, settings, env, server) -> tuple[list[dict], float]:
    """Both workers at once, the feed server holding answers until both have requests in flight."""
    server.gate = threading.Event()
    started = time.monotonic()
    children = [start(command, settings, env) for _ in range(2)]
    deadline = time.monotonic() + 120
    while len(server.requests) <= THREADS and time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            break
        time.sleep(0.05)
    server.gate.set()
    outputs = [child.communicate(timeout=600) for child in children]
    elapsed = time.monotonic() - started
    server.gate = None
    for child, (_, err) in zip(children, outputs):
        assert child.returncode == 0, err[-3000:]
    return [results(command, out, err) for out, err in outputs], elapsed


def stored(settings: Settings) -> dict[str, int]:
    conn = db.open_database(settings)
    try:
        counts = conn.execute(
            "SELECT count(*), count(DISTINCT feed_id || ' ' || identity), count(DISTINCT doc_id), max(version)"
            " FROM feed_items"
        ).fetchone()
        versions = conn.execute(
            "SELECT count(*), count(DISTINCT CAST(item_id AS TEXT) || ' ' || CAST(version AS TEXT))"
            " FROM feed_item_versions"
        ).fetchone()
        per_feed = [row[0] for row in conn.execute(
            "SELECT count(i.id) FROM feeds f LEFT JOIN feed_items i ON i.feed_id = f.id GROUP BY f.id")]  # fmt: skip
        assert pending_documents(conn) == []
        return {"items": counts[0], "distinct_items": counts[1], "doc_ids": counts[2], "max_version": counts[3],
                "versions": versions[0], "distinct_versions": versions[1], "feeds": len(per_feed),
                "min_per_feed": min(per_feed), "max_per_feed": max(per_feed)}  # fmt: skip
    finally:
        conn.close()


def assert_indexed_once(settings: Settings) -> None:
    service = Service(settings, embeddings=lambda: None)
    try:
        counts = service.index.consistency()
        assert counts["orphan_vectors"] == counts["missing_vectors"] == counts["fts_mismatch"] == 0, counts
        assert counts["pending_documents"] == 0
        assert counts["chroma"] == counts["chunks"] == counts["fts"] >= FEEDS * ITEMS, counts
        metadatas = service.vectors.collection.get(include=["metadatas"])
        assert len(metadatas["ids"]) == len(set(metadatas["ids"]))
        conn = service.db
        items = {row[0] for row in conn.execute("SELECT doc_id FROM feed_items")}
        assert {m["doc_id"] for m in metadatas["metadatas"]} == items
    finally:
        service.close()


def test_two_workers_at_once_store_and_index_every_item_exactly_once(world):
    backend, command, settings, env, server = world
    reports, elapsed = run_together(command, settings, env, server)
    print(f"\n{backend}: two workers over {FEEDS} feeds in {elapsed:.1f} s")

    counts = stored(settings)
    total = FEEDS * ITEMS
    assert counts == {"items": total, "distinct_items": total, "doc_ids": total, "max_version": 1, "versions": total,
                      "distinct_versions": total, "feeds": FEEDS, "min_per_feed": ITEMS, "max_per_feed": ITEMS}
    urls = {server.url(f"/feed{n}.rss") for n in range(FEEDS)}
    assert all(set(report) == urls for report in reports)
    fetched = [{url for url, (what, _) in report.items() if what == "fetched"} for report in reports]
    assert all(fetched), f"both workers must have fetched feeds for the run to prove anything: {fetched}"
    assert sum(new for report in reports for _, new in report.values()) == total  # reported once, too
    if backend == "postgres":  # claimed: each feed fetched by exactly one worker, the other says so
        assert fetched[0].isdisjoint(fetched[1]) and fetched[0] | fetched[1] == urls
        assert all(server.hits(f"/feed{n}.rss") == 1 for n in range(FEEDS))
        skipped = "not_modified" if command[1] == "refresh" else "refreshed by another worker"
        for report, other in ((reports[0], fetched[1]), (reports[1], fetched[0])):
            assert {url for url, (what, _) in report.items() if what == skipped} == other
    assert_indexed_once(settings)

    before = sum(server.hits(f"/feed{n}.rss") for n in range(FEEDS))
    child = start(command, settings, env)  # the next run: every feed answers 304, nothing new
    out, err = child.communicate(timeout=600)
    assert child.returncode == 0, err[-3000:]
    again = results(command, out, err)
    assert all(new == 0 and what != "fetched" for what, new in again.values()), again
    assert sum(server.hits(f"/feed{n}.rss") for n in range(FEEDS)) == before + FEEDS
    assert stored(settings) == counts
    assert_indexed_once(settings)
