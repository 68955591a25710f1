"""Feed refresh benchmark: 200 feeds x 50 items served on loopback.

Measures, in one run and against the same server:

* ``first_refresh_s``: ``refresh_feeds`` on an empty store (fetch in parallel, parse, decide,
  store every item; indexing is not included, it belongs to the embedding benchmark);
* ``all_304_s``: the same refresh again, every feed answering 304 Not Modified;
* ``naive_s``: the baseline, ``feedparser.parse(url)`` on each feed in a loop (no parallelism,
  no conditional GET, nothing stored);
* ``speedup`` = naive_s / first_refresh_s.

Loopback answers in microseconds, while one request to a real government feed host costs a TCP
and a TLS handshake plus the server building the feed (Federal Register and GovTrack build search
feeds on demand): a few hundred milliseconds. The server therefore waits ``--latency-ms``
(default 200) before each response, in a process of its own; ``--latency-ms 0`` measures CPU cost
alone, where the naive loop, which parses but stores nothing, cannot be beaten by 5x on a small
machine. The last line printed is one JSON object of flat figures.

    python bench/feeds.py [--feeds 200] [--items 50] [--latency-ms 200] [--workers 64]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import feedparser  # noqa: E402  (the naive baseline only)
from feedserver import FeedServer  # noqa: E402

from assistant.db import connect  # noqa: E402
from assistant.feeds import store  # noqa: E402
from assistant.feeds.fetch import make_client  # noqa: E402
from assistant.feeds.models import FeedSource  # noqa: E402
from assistant.feeds.refresh import refresh_feeds  # noqa: E402

WORDS = (
    "apprenticeship workforce training grant program notice rule comment biomedical equipment repair "
    "technician health care hospital device cybersecurity advisory state federal funding labor education "
    "community college registered standards committee amendment section report agency public"
).split()


def make_feed(n: int, items: int, rng: random.Random) -> bytes:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    parts = []
    for i in range(items):
        title = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize()
        paragraphs = "".join(
            f"<p>{' '.join(rng.choice(WORDS) for _ in range(40))}.</p>" for _ in range(3)
        )  # about 900 characters of HTML, like a Federal Register abstract
        date = format_datetime(start + timedelta(hours=n * items + i), usegmt=True)
        parts.append(
            f"<item><title>{escape(title)}</title><link>https://gov.example/{n}/{i}?utm_source=rss</link>"
            f'<guid isPermaLink="false">feed{n}-item{i}</guid><pubDate>{date}</pubDate>'
            f"<category>{rng.choice(WORDS)}</category><description>{escape(paragraphs)}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {n}</title>'
        f"<link>https://gov.example/{n}</link><description>bench</description>{''.join(parts)}</channel></rss>"
    ).encode()


def serve(bodies: list[bytes], latency_s: float, ready, stop) -> None:
    """Run the feed server in its own process: real feed hosts are other machines, and a server
    sharing our interpreter would compete with the refresh for the GIL."""
    with FeedServer(latency_s=latency_s) as server:
        for n, body in enumerate(bodies):
            server.feed(f"/feed/{n}.xml", body)
        ready.put(server.base)
        stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=200.0, help="server delay per response")
    parser.add_argument("--workers", type=int, default=64, help="as `feeds refresh --workers`")
    parser.add_argument("--parse-processes", type=int, default=None, help="default: refresh_feeds decides")
    parser.add_argument("--skip-naive", action="store_true", help="only time the refresh (for tuning)")
    args = parser.parse_args()

    rng = random.Random(42)
    bodies = [make_feed(n, args.items, rng) for n in range(args.feeds)]
    context = multiprocessing.get_context("fork")  # no threads exist yet in this process
    ready, stop = context.Queue(), context.Event()
    server = context.Process(target=serve, args=(bodies, args.latency_ms / 1000, ready, stop), daemon=True)
    server.start()
    base = ready.get(timeout=60)
    urls = [f"{base}/feed/{n}.xml" for n in range(len(bodies))]
    with tempfile.TemporaryDirectory() as tmp:
        conn = connect(Path(tmp) / "assistant.db")
        store.ensure_schema(conn)
        for url in urls:
            store.add_feed(conn, FeedSource(url), now=datetime.now(UTC))

        started = time.perf_counter()
        naive_items = 0 if args.skip_naive else sum(len(feedparser.parse(url).entries) for url in urls)
        naive_s = time.perf_counter() - started

        with make_client(max_connections=args.workers) as client:

            def refresh():
                began = time.perf_counter()
                results = list(
                    refresh_feeds(
                        conn, client=client, allow_private=True, workers=args.workers,
                        parse_processes=args.parse_processes,
                    )
                )  # fmt: skip
                return time.perf_counter() - began, results

            first_s, first = refresh()
            all_304_s, second = refresh()
        stored = conn.execute("SELECT count(*) FROM feed_items").fetchone()[0]
        conn.close()
    stop.set()
    server.join(timeout=10)

    assert stored == args.feeds * args.items and naive_items in (0, stored), (naive_items, stored)
    assert all(r.status == "ok" for r in first) and all(r.status == "not_modified" for r in second)
    mib = sum(map(len, bodies)) / 2**20
    print(f"{args.feeds} feeds x {args.items} items ({mib:.1f} MiB), {args.latency_ms:g} ms server latency, "
          f"{args.workers} workers")  # fmt: skip
    print(f"naive feedparser.parse(url) loop: {naive_s:.2f} s")
    print(f"first refresh (fetch, parse, decide, store {stored} items): {first_s:.2f} s")
    print(f"second refresh, all 304: {all_304_s:.2f} s")
    figures = {
        "first_refresh_s": round(first_s, 3),
        "all_304_s": round(all_304_s, 3),
        "naive_s": round(naive_s, 3),
        "speedup": round(naive_s / first_s, 2),
        "parse_processes": args.parse_processes,
        "latency_ms": args.latency_ms,
        "feeds": args.feeds,
        "items_per_feed": args.items,
        "workers": args.workers,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
