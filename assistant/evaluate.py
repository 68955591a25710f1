"""The built-in evaluation: retrieval and answer quality over a gold question set.

Each line of the gold file is one JSON object with ``id``, ``split`` ("tune"|"heldback"),
``audience``, ``off_topic`` and a ``group`` (absent means "documents"):

- documents, data, policy_desk: ``question``, ``expected_doc_ids``, ``must_mention``;
- conversation: ``turns`` (the last one is scored), ``expected_doc_ids``, ``must_mention`` and
  ``assumed`` (place/occupation/background the service must report for the last turn);
- plan: ``plan`` (background, place, goal) and ``must_contain`` (terms the steps must hold).

docs/evaluation.md says what every figure means.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ConfigError

METRICS = ("recall@1", "recall@5", "mrr", "must_mention", "citation_precision", "abstention_accuracy")
QUALITY = ("directness", "repeats_per_answer", "urls_in_text", "false_abstention", "false_answer")
TURNS_AND_PLANS = ("assumed_accuracy", "plan_steps_ok", "plan_figures_cited")
GROUPS = ("documents", "data", "policy_desk", "conversation", "plan")
SPLITS = ("tune", "heldback")

# Figures as answers render them: $78,230 / $37.61, 13.2%, 1,230. Years and citation markers
# ([3]) are not figures, so a bare number needs a thousands comma to count.
_FIGURE = re.compile(r"\$\d[\d,]*(?:\.\d+)?|\b\d+(?:\.\d+)?%|\b\d{1,3}(?:,\d{3})+\b")
_URL = re.compile(r"https?://|\bwww\.", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9$])")
_MARKER = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
_AFTER_MARKER = re.compile(r"(?<=\])\s+(?=[\"'(A-Z0-9$])")
#: A full stop that ends an abbreviation, not a sentence: "H.R.", "U.S.", "St.", "Rep.", an initial.
_ABBREVIATION = re.compile(r"(?:\b(?:[A-Z]\.){1,3}|\b(?:St|Dr|Mr|Mrs|Ms|No|Sec|Rep|Sen|Gov|vs|Jr|Sr|Inc|Co)\.)$")
_WORD = re.compile(r"[a-z0-9$%.,]+")
#: Two sentences sharing this share of their words (Jaccard) state the same claim.
SAME_CLAIM = 0.8


@dataclass(frozen=True)
class GoldItem:
    id: str
    split: str
    audience: str
    question: str
    expected: tuple[str, ...]
    must_mention: tuple[str, ...]
    off_topic: bool
    group: str = "documents"
    turns: tuple[str, ...] = ()
    #: (key, value) pairs the service must report as assumed after the last turn.
    assumed: tuple[tuple[str, str], ...] = ()
    #: (key, value) pairs: background, place, goal.
    plan: tuple[tuple[str, str], ...] = ()
    must_contain: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    item: GoldItem
    retrieved: tuple[str, ...]  # unique document ids in rank order
    answer: str
    abstained: bool
    cited: tuple[str, ...]
    #: What the service said it assumed (conversations), as (key, value) pairs.
    reported: tuple[tuple[str, str | None], ...] = ()
    #: Plan steps as (text, number of citations).
    steps: tuple[tuple[str, int], ...] = ()
    #: Why the item could not be run (e.g. the service lacks ``plan``); it is then not scored.
    error: str | None = None

    @property
    def rank(self) -> int | None:
        for position, doc_id in enumerate(self.retrieved, start=1):
            if doc_id in self.item.expected:
                return position
        return None

    @property
    def mention_score(self) -> float:
        """1/0 for all must-mention terms present; for a plan, the share of must-contain terms."""
        text = self.answer.lower()
        if self.item.group == "plan":
            terms = self.item.must_contain
            return sum(t.lower() in text for t in terms) / len(terms) if terms else 1.0
        return float(all(term.lower() in text for term in self.item.must_mention))

    @property
    def mentions(self) -> bool:
        return self.mention_score == 1.0

    @property
    def direct(self) -> bool:
        first = sentences(self.answer)[:1]
        return bool(first) and any(t.lower() in first[0].lower() for t in self.item.must_mention)

    @property
    def repeats(self) -> int:
        return count_repeats(self.answer)

    @property
    def assumed_ok(self) -> bool:
        reported = {k: (v or "").lower() for k, v in self.reported}
        return all(value.lower() in reported.get(key, "") for key, value in self.item.assumed)

    @property
    def figures_cited(self) -> bool:
        return all(cites for text, cites in self.steps if _FIGURE.search(text))


def sentences(text: str) -> list[str]:
    """The answer's sentences, citation markers removed.

    A citation marker ends a quoted sentence ("... in May 2025. [1]"), and so does a full stop,
    except after an abbreviation: splitting "H.R. 6655" or "U.S. Code" there would make fragments
    that then count as leads and as repeats.
    """
    text = text.strip()
    breaks = {(m.start(), m.end()) for pattern in (_SENTENCE_END, _AFTER_MARKER) for m in pattern.finditer(text)}
    parts, start = [], 0
    for begin, finish in sorted(breaks):
        if begin < start or _ABBREVIATION.search(text[start:begin]):
            continue
        parts.append(text[start:begin])
        start = finish
    parts.append(text[start:])
    return [s for s in (_MARKER.sub("", part).strip() for part in parts) if s]


def count_repeats(text: str) -> int:
    """Sentences that restate an earlier one: the same figure, or near-identical wording."""
    seen_figures: set[str] = set()
    seen_words: list[set[str]] = []
    repeats = 0
    for sentence in sentences(text):
        figures = {f.rstrip(".,") for f in _FIGURE.findall(sentence)}
        words = set(_WORD.findall(sentence.lower()))
        same_claim = any(len(words & w) / len(words | w) >= SAME_CLAIM for w in seen_words if words | w)
        if figures & seen_figures or same_claim:
            repeats += 1
        seen_figures |= figures
        seen_words.append(words)
    return repeats


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
            items.append(_item(json.loads(line), number))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"{path}:{number}: not a gold question ({exc})") from None
    return items


def _item(raw: dict, number: int) -> GoldItem:
    group = raw.get("group", "documents")
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")
    turns = tuple(raw["turns"]) if group == "conversation" else ()
    plan = tuple((k, str(v)) for k, v in raw["plan"].items()) if group == "plan" else ()
    if group == "conversation":
        question = turns[-1]
    elif group == "plan":
        question = "plan: " + ", ".join(v for _, v in plan)
    else:
        question = raw["question"]
    return GoldItem(
        id=str(raw.get("id", number)),
        split=raw.get("split", "tune"),
        audience=raw.get("audience", "student"),
        question=question,
        expected=tuple(raw.get("expected_doc_ids", ())),
        must_mention=tuple(raw.get("must_mention", ())),
        off_topic=bool(raw.get("off_topic", False)),
        group=group,
        turns=turns,
        assumed=tuple((k, str(v)) for k, v in raw.get("assumed", {}).items()),
        plan=plan,
        must_contain=tuple(raw.get("must_contain", ())),
    )


def _mean(values: Iterable[float]) -> float | None:
    """The mean, or None when there is nothing to average (never a made-up 0)."""
    values = list(values)
    return round(sum(values) / len(values), 4) if values else None


def score(outcomes: Sequence[Outcome]) -> dict:
    """The metrics of DESIGN.md over the outcomes that ran (pure)."""
    ran = [o for o in outcomes if o.error is None]
    scoped = [o for o in ran if not o.item.off_topic]
    off = [o for o in ran if o.item.off_topic]
    asked = [o for o in scoped if o.item.group != "plan"]  # plans are not retrieved or abstained on
    ranked = [o for o in asked if o.item.expected]
    answered = [o for o in ranked if o.cited]
    spoken = [o for o in ran if o.answer and not o.abstained]
    conversations = [o for o in scoped if o.item.group == "conversation" and o.item.assumed]
    plans = [o for o in scoped if o.item.group == "plan"]
    result = {
        "n": len(ran),
        "recall@1": _mean(o.rank == 1 for o in ranked),
        "recall@5": _mean(o.rank is not None and o.rank <= 5 for o in ranked),
        "mrr": _mean(1 / o.rank if o.rank else 0.0 for o in ranked),
        "must_mention": _mean(o.mention_score for o in scoped),
        "citation_precision": _mean(sum(c in o.item.expected for c in o.cited) / len(o.cited) for o in answered),
        "abstention_accuracy": _mean(o.abstained for o in off),
        "directness": _mean(o.direct for o in asked if o.item.must_mention),
        "repeats_per_answer": _mean(o.repeats for o in spoken if o.item.group != "plan"),
        "urls_in_text": _mean(bool(_URL.search(o.answer)) for o in spoken),
        "false_abstention": _mean(o.abstained for o in asked),
        "false_answer": _mean(not o.abstained for o in off),
        "assumed_accuracy": _mean(o.assumed_ok for o in conversations),
        "plan_steps_ok": _mean(4 <= len(o.steps) <= 8 for o in plans),
        "plan_figures_cited": _mean(o.figures_cited for o in plans),
        "false_abstentions": sum(o.abstained for o in asked),
    }
    if len(ran) < len(outcomes):
        result["not_run"] = len(outcomes) - len(ran)
    return result


def score_group(outcomes: Sequence[Outcome]) -> dict:
    """``score``, plus the reason when the group's items could not be run."""
    result = score(outcomes)
    errors = [o.error for o in outcomes if o.error]
    if errors:
        result["n"] = len(outcomes)
        result["error"] = errors[0]
    return result


def report(outcomes: Sequence[Outcome]) -> dict:
    """``{"splits", "audiences", "groups", "groups_by_split", "misses"}``."""
    def of(**where) -> list[Outcome]:
        return [o for o in outcomes if all(getattr(o.item, k) == v for k, v in where.items())]

    splits = {name: score(of(split=name)) for name in SPLITS}
    splits["all"] = score(outcomes)
    return {
        "splits": splits,
        "audiences": {name: score(of(audience=name)) for name in ("student", "advocacy")},
        "groups": {g: score_group(of(group=g)) for g in GROUPS},
        "groups_by_split": {g: {s: score_group(of(group=g, split=s)) for s in SPLITS} for g in GROUPS},
        "misses": [miss for o in outcomes if (miss := _miss(o))],
    }


def _miss(o: Outcome) -> dict | None:
    if o.error:
        return None  # reported once per group, not once per item
    item, problems = o.item, []
    if item.off_topic and not o.abstained:
        problems.append("answered an off-topic question")
    if not item.off_topic and item.group == "plan":
        missing = [t for t in item.must_contain if t.lower() not in o.answer.lower()]
        if missing:
            problems.append("plan lacks " + ", ".join(repr(t) for t in missing))
        if not 4 <= len(o.steps) <= 8:
            problems.append(f"plan has {len(o.steps)} steps")
        if not o.figures_cited:
            problems.append("a step with a figure has no citation")
    elif not item.off_topic:
        if item.expected and (o.rank is None or o.rank > 5):
            problems.append("expected document not in the top 5")
        if not o.mentions:
            problems.append("answer lacks " + ", ".join(repr(t) for t in item.must_mention))
        elif not o.direct:
            problems.append("first sentence lacks the must-mention term")
        if o.abstained:
            problems.append("abstained")
        if item.assumed and not o.assumed_ok:
            problems.append(f"assumed {dict(o.reported)}, expected {dict(item.assumed)}")
    if o.answer and not o.abstained:
        if o.repeats and item.group != "plan":
            problems.append(f"repeats {o.repeats} fact(s)")
        if _URL.search(o.answer):
            problems.append("raw URL in the answer text")
    if not problems:
        return None
    return {
        "id": item.id, "group": item.group, "split": item.split, "question": item.question,
        "expected": list(item.expected), "retrieved": list(o.retrieved[:5]), "problems": problems,
    }


def run(service, items: Sequence[GoldItem], *, k: int = 5, on_item: Callable[[], None] | None = None) -> list[Outcome]:
    outcomes = []
    for item in items:
        outcomes.append(_run_one(service, item, k=k))
        if on_item:
            on_item()
    return outcomes


def _run_one(service, item: GoldItem, *, k: int) -> Outcome:
    if item.group == "conversation":
        return _guarded(service, "converse", item, _run_conversation)
    if item.group == "plan":
        return _guarded(service, "plan", item, _run_plan)
    answer, hits = service.ask_with_hits(item.question, profile=item.audience, k=k)
    cited = tuple(dict.fromkeys(c.doc_id for c in answer.citations))
    retrieved = tuple(dict.fromkeys(h.doc_id for h in hits))
    if item.group != "documents":
        # Facts are cited, not retrieved: the answer's own citations rank first.
        retrieved = tuple(dict.fromkeys((*cited, *retrieved)))
    return Outcome(item=item, retrieved=retrieved, answer=answer.text, abstained=answer.abstained, cited=cited)


def _guarded(service, method: str, item: GoldItem, runner) -> Outcome:
    """Run ``runner`` unless the feature is missing or breaks, so one half-built feature never
    stops the rest of the evaluation; the failure is reported in the item's group instead."""
    if not callable(getattr(service, method, None)):
        return Outcome(item=item, retrieved=(), answer="", abstained=False, cited=(),
                       error=f"not available: the service has no {method}()")
    try:
        return runner(service, item)
    except Exception as exc:  # noqa: BLE001 - any failure of the feature under test is a finding
        return Outcome(item=item, retrieved=(), answer="", abstained=False, cited=(),
                       error=f"{method}() failed on {item.id}: {type(exc).__name__}: {exc}")


def _run_conversation(service, item: GoldItem) -> Outcome:
    last = service.converse(list(item.turns), profile=item.audience)[-1]
    cited = tuple(dict.fromkeys(c.doc_id for c in last.citations))
    assumed = getattr(last, "assumed", None) or {}
    return Outcome(item=item, retrieved=cited, answer=last.text, abstained=last.abstained, cited=cited,
                   reported=tuple((k, assumed.get(k)) for k in ("place", "occupation", "background")))


def _run_plan(service, item: GoldItem) -> Outcome:
    plan = service.plan(**dict(item.plan)).to_json()
    steps = tuple((s["text"], len(s.get("citations") or ())) for s in plan["steps"])
    return Outcome(item=item, retrieved=(), answer="\n".join(text for text, _ in steps), abstained=False,
                   cited=(), steps=steps)
