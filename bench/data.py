"""Official data: what resolving and looking up a question's facts costs, and how long imports take.

    python bench/data.py [--rounds 20] [--shared ../shared/data]

The lookup figures time ``DataDesk.answer`` (resolve the occupation and place, query the
releases, render the cited sentences) over the gold set's data questions, against a baseline
measured in the same process: the question embedding every answer already pays. The import
figures time the full OEWS file (236,799 rows) and the shipped extract into fresh databases.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from _common import REPO, emit, percentile

from assistant import db
from assistant.occupations.desk import DataDesk
from assistant.occupations.extract import load_extract
from assistant.occupations.importers import import_source


def data_questions() -> list[str]:
    lines = (REPO / "corpus" / "eval" / "gold.jsonl").read_text().splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    return [i["question"] for i in items if i.get("group") == "data"] or [
        "How much do biomed techs make in Massachusetts?", "bmet pay boston vs worcester",
        "What other jobs are similar to being a BMET?", "is radiology tech growing",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    with tempfile.TemporaryDirectory() as tmp:
        conn = db.connect(Path(tmp) / "extract.db")
        start = time.perf_counter()
        load_extract(conn, REPO / "corpus" / "data")
        extract_load_s = time.perf_counter() - start
        print(f"extract loaded in {extract_load_s:.2f} s")

        desk = DataDesk(conn, home_area="Springfield, MA")
        assert desk.resolver is not None  # the vocabulary is built once per release, at start-up
        questions = data_questions()
        lookups = []
        facts = 0
        for _ in range(args.rounds):
            for question in questions:
                t0 = time.perf_counter()
                answer = desk.answer(question)
                lookups.append((time.perf_counter() - t0) * 1000)
                facts += len(answer.facts)
        print(f"{len(questions)} data questions x {args.rounds} rounds, {facts / args.rounds:.0f} facts a round")

        from assistant.retrieval.embeddings import SentenceEmbeddings

        model = SentenceEmbeddings("all-MiniLM-L6-v2")
        model.embed_query_array("warm up")
        embeds = []
        for question in questions[: min(len(questions), 40)]:
            t0 = time.perf_counter()
            model.embed_query_array(question)
            embeds.append((time.perf_counter() - t0) * 1000)
        conn.close()

        oews = args.shared / "oews" / "oews_may2025_cross_industry.csv.gz"
        full_conn = db.connect(Path(tmp) / "full.db")
        start = time.perf_counter()
        release = import_source(full_conn, "oews", oews)
        full_oews_import_s = time.perf_counter() - start
        full_conn.close()
        print(f"full OEWS import: {release.rows:,} rows in {full_oews_import_s:.1f} s")

    p50, p95 = percentile(lookups, 50), percentile(lookups, 95)
    embed_p95 = percentile(embeds, 95)
    print(f"lookup p50 {p50:.2f} ms, p95 {p95:.2f} ms (target p95 <= 10 ms); "
          f"query embedding p95 {embed_p95:.1f} ms; extract {extract_load_s:.1f} s (target <= 15 s); "
          f"full OEWS {full_oews_import_s:.1f} s (target <= 60 s)")
    emit({
        "lookup_p50_ms": p50,
        "lookup_p95_ms": p95,
        "embed_p95_ms": embed_p95,
        "ratio_lookup_to_embed_p95": p95 / embed_p95 if embed_p95 else 0.0,
        "full_oews_import_s": full_oews_import_s,
        "extract_load_s": extract_load_s,
    })


if __name__ == "__main__":
    main()
