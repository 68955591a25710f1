"""Helpers shared by the benchmarks (not part of the package)."""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPO = Path(__file__).resolve().parents[1]


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed_ms(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return (time.perf_counter() - start) * 1000, result


def emit(figures: dict) -> None:
    """The last line of every benchmark: one JSON object of flat figures."""
    print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in figures.items()}))


def gold_questions(limit: int = 60) -> list[str]:
    lines = (REPO / "corpus" / "eval" / "gold.jsonl").read_text().splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()][:limit]


__all__ = ["percentile", "timed_ms", "emit", "gold_questions", "statistics", "REPO"]
