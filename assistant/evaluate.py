"""The built-in evaluation: retrieval and answer quality over a gold question set.

Each line of the gold file is ``{"id", "split": "tune"|"heldback", "audience", "question",
"expected_doc_ids": [...], "must_mention": [...], "off_topic": bool}``. In-scope questions score
recall@1, recall@5, MRR, must-mention and citation precision; off-topic ones score abstention.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ConfigError

METRICS = ("recall@1", "recall@5", "mrr", "must_mention", "citation_precision", "abstention_accuracy")


@dataclass(frozen=True)
class GoldItem:
    id: str
    split: str
    audience: str
    question: str
    expected: tuple[str, ...]
    must_mention: tuple[str, ...]
    off_topic: bool


@dataclass(frozen=True)
class Outcome:
    item: GoldItem
    retrieved: tuple[str, ...]  # unique document ids in rank order
    answer: str
    abstained: bool
    cited: tuple[str, ...]

    @property
    def rank(self) -> int | None:
        for position, doc_id in enumerate(self.retrieved, start=1):
            if doc_id in self.item.expected:
                return position
        return None

    @property
    def mentions(self) -> bool:
        text = self.answer.lower()
        return all(term.lower() in text for term in self.item.must_mention)


def load_gold(path: Path) -> list[GoldItem]:
    items = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the gold file: {exc.strerror}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            items.append(
                GoldItem(
                    id=str(raw.get("id", number)),
                    split=raw.get("split", "tune"),
                    audience=raw.get("audience", "student"),
                    question=raw["question"],
                    expected=tuple(raw.get("expected_doc_ids", ())),
                    must_mention=tuple(raw.get("must_mention", ())),
                    off_topic=bool(raw.get("off_topic", False)),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}:{number}: not a gold question ({exc})") from None
    return items


def score(outcomes: Sequence[Outcome]) -> dict:
    """The metrics of DESIGN.md over a set of outcomes (pure)."""
    scoped = [o for o in outcomes if not o.item.off_topic]
    off = [o for o in outcomes if o.item.off_topic]
    answered = [o for o in scoped if o.cited]

    def mean(values: Iterable[float]) -> float:
        values = list(values)
        return round(sum(values) / len(values), 4) if values else 0.0

    return {
        "n": len(outcomes),
        "recall@1": mean(o.rank == 1 for o in scoped),
        "recall@5": mean(o.rank is not None and o.rank <= 5 for o in scoped),
        "mrr": mean(1 / o.rank if o.rank else 0.0 for o in scoped),
        "must_mention": mean(o.mentions for o in scoped),
        "citation_precision": mean(sum(c in o.item.expected for c in o.cited) / len(o.cited) for o in answered),
        "abstention_accuracy": mean(o.abstained for o in off),
        "false_abstentions": sum(o.abstained for o in scoped),
    }


def report(outcomes: Sequence[Outcome]) -> dict:
    """``{"splits": {...}, "audiences": {...}, "misses": [...]}``."""
    splits = {name: score([o for o in outcomes if o.item.split == name]) for name in ("tune", "heldback")}
    splits["all"] = score(outcomes)
    audiences = {
        name: score([o for o in outcomes if o.item.audience == name]) for name in ("student", "advocacy")
    }
    misses = []
    for o in outcomes:
        problems = []
        if o.item.off_topic and not o.abstained:
            problems.append("answered an off-topic question")
        if not o.item.off_topic:
            if o.rank is None or o.rank > 5:
                problems.append("expected document not in the top 5")
            if not o.mentions:
                problems.append("answer lacks " + ", ".join(repr(t) for t in o.item.must_mention))
            if o.abstained:
                problems.append("abstained")
        if problems:
            misses.append({
                "id": o.item.id, "split": o.item.split, "question": o.item.question,
                "expected": list(o.item.expected), "retrieved": list(o.retrieved[:5]),
                "problems": problems,
            })
    return {"splits": splits, "audiences": audiences, "misses": misses}


def run(service, items: Sequence[GoldItem], *, k: int = 5, on_item: Callable[[], None] | None = None) -> list[Outcome]:
    outcomes = []
    for item in items:
        answer, hits = service.ask_with_hits(item.question, profile=item.audience, k=k)
        retrieved = tuple(dict.fromkeys(h.doc_id for h in hits))
        outcomes.append(
            Outcome(
                item=item, retrieved=retrieved, answer=answer.text, abstained=answer.abstained,
                cited=tuple(dict.fromkeys(c.doc_id for c in answer.citations)),
            )
        )
        if on_item:
            on_item()
    return outcomes
