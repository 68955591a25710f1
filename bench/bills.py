"""Bill tracking benchmark: 200 tracked bills on a loopback BILLSTATUS server, and the parser.

Measures, in one run:

* ``first_refresh_s``: ``refresh_bills`` on bills never fetched (fetch in parallel, parse, decide,
  store a first version of each);
* ``all_304_s``: the same refresh again, every file answering 304 Not Modified (target <= 2 s);
* ``naive_s``: the baseline, in the same process against the same server: a loop that downloads
  and parses every file one after the other with no conditional GET, storing nothing;
  ``ratio_304`` = naive_s / all_304_s;
* ``parse_largest_ms``: the median of ``parse_billstatus`` on the largest sample (117 hr1, 330 KB;
  target <= 200 ms), beside ``etree_largest_ms``, the median of a bare
  ``xml.etree.ElementTree.fromstring`` of the same bytes (the floor), and their ``parse_ratio``.

The server waits ``--latency-ms`` (default 100) before each response, in a process of its own,
because a real request to GovInfo costs a TLS handshake and a round trip, and loopback costs
nothing. The last line printed is one JSON object of flat figures.

    python bench/bills.py [--bills 200] [--latency-ms 100] [--workers 32]
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import httpx  # noqa: E402  (the naive baseline only)
from _common import emit  # noqa: E402
from feedserver import FeedServer  # noqa: E402

from assistant.bills import store  # noqa: E402
from assistant.bills.ids import BillRef  # noqa: E402
from assistant.bills.parse import parse_billstatus  # noqa: E402
from assistant.bills.refresh import refresh_bills  # noqa: E402
from assistant.db import connect  # noqa: E402
from assistant.feeds.fetch import make_client  # noqa: E402

_BESIDE = ROOT.parent / "shared" / "data" / "billstatus"
SAMPLES = _BESIDE if _BESIDE.is_dir() else Path("/work/shared/data/billstatus")
CONGRESS = 119


def bodies(count: int) -> dict[BillRef, bytes]:
    """``count`` distinct bills: the real samples in turn, renumbered as H.R. 1..count of the 119th."""
    samples = [p.read_text() for p in sorted(SAMPLES.glob("BILLSTATUS-*.xml"))]
    out = {}
    for n in range(1, count + 1):
        text = samples[n % len(samples)]
        text = re.sub(r"<billNumber>\d+</billNumber>", f"<billNumber>{n}</billNumber>", text, count=1)
        text = re.sub(r"<billType>\w+</billType>", "<billType>HR</billType>", text, count=1)
        text = re.sub(r"<congress>\d+</congress>", f"<congress>{CONGRESS}</congress>", text, count=1)
        out[BillRef(CONGRESS, "hr", n)] = text.encode()
    return out


def serve(files: dict[str, bytes], latency_s: float, ready, stop) -> None:
    with FeedServer(latency_s=latency_s) as server:
        for path, body in files.items():
            server.feed(path, body, content_type="application/xml")
        ready.put(server.base)
        stop.wait()


def median_ms(fn, data: bytes, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn(data)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bills", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=100.0, help="server delay per response")
    parser.add_argument("--workers", type=int, default=32, help="as `bills refresh --workers`")
    parser.add_argument("--repeat", type=int, default=30, help="parser timings to take the median of")
    args = parser.parse_args()

    files = bodies(args.bills)
    paths = {"/BILLSTATUS" + ref.file_url(""): body for ref, body in files.items()}
    context = multiprocessing.get_context("fork")  # no threads exist yet in this process
    ready, stop = context.Queue(), context.Event()
    server = context.Process(target=serve, args=(paths, args.latency_ms / 1000, ready, stop), daemon=True)
    server.start()
    base = ready.get(timeout=60) + "/BILLSTATUS"
    with tempfile.TemporaryDirectory() as tmp:
        conn = connect(Path(tmp) / "assistant.db")
        store.ensure_schema(conn)
        for ref in files:
            store.track(conn, ref, url=ref.file_url(base), now=datetime.now(UTC))

        started = time.perf_counter()
        with httpx.Client() as plain:
            naive = [parse_billstatus(plain.get(ref.file_url(base)).content) for ref in files]
        naive_s = time.perf_counter() - started

        with make_client(max_connections=args.workers) as client:

            def refresh():
                began = time.perf_counter()
                results = list(refresh_bills(conn, client=client, allow_private=True, workers=args.workers))
                return time.perf_counter() - began, results

            first_s, first = refresh()
            all_304_s, second = refresh()
        versions = conn.execute("SELECT count(*) FROM bill_versions").fetchone()[0]
        conn.close()
    stop.set()
    server.join(timeout=10)
    assert len(naive) == args.bills and versions == args.bills, (len(naive), versions)
    assert all(r.status == "ok" for r in first) and all(r.status == "not_modified" for r in second)

    largest = max(SAMPLES.glob("BILLSTATUS-*.xml"), key=lambda p: p.stat().st_size)
    data = largest.read_bytes()
    parse_ms = median_ms(parse_billstatus, data, args.repeat)
    etree_ms = median_ms(ET.fromstring, data, args.repeat)

    print(f"{args.bills} tracked bills, {args.latency_ms:g} ms server latency, {args.workers} workers")
    print(f"naive sequential download + parse, no conditional GET: {naive_s:.2f} s")
    print(f"first refresh (fetch, parse, decide, store {versions} versions): {first_s:.2f} s")
    print(f"second refresh, all 304: {all_304_s:.2f} s (target <= 2 s)")
    print(f"parse {largest.name} ({len(data) / 1024:.0f} KiB): {parse_ms:.1f} ms (target <= 200 ms); "
          f"bare ElementTree.fromstring: {etree_ms:.1f} ms")  # fmt: skip
    emit({
        "all_304_s": round(all_304_s, 3),
        "parse_largest_ms": round(parse_ms, 2),
        "first_refresh_s": round(first_s, 3),
        "naive_s": round(naive_s, 3),
        "ratio_304": round(naive_s / all_304_s, 2),
        "etree_largest_ms": round(etree_ms, 2),
        "parse_ratio": round(parse_ms / etree_ms, 2),
        "bills": args.bills,
        "latency_ms": args.latency_ms,
        "workers": args.workers,
    })  # fmt: skip


if __name__ == "__main__":
    main()
