"""A personal pathway plan: 4-8 concrete, cited steps from a person's background, place and goal.

Each step asks the same question pipeline a person could ask in chat ("how does military
training count toward BMET work in Springfield?"), keeps the one or two sentences that answer it
and their citations, and renumbers the citations across the whole plan. A step whose question
finds nothing says so instead of inventing an answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant import quoting
from assistant.conversation import BACKGROUNDS
from assistant.errors import ConfigError
from assistant.types import Answer, Citation

#: What to do first, by background: the question asked ({goal} filled in), and how the step starts.
FIRST_STEPS = {
    "veteran": ("how do military training and experience count toward civilian {goal} work", "Start from your service"),
    "high-school": ("high school student dual enrollment, CABT and first steps toward {goal}",
                    "Start while you are still in high school"),
    "it-worker": ("which IT, networking and cybersecurity skills and certifications carry over to {goal} work",
                  "Start from your IT skills"),
    "career-changer": ("career changer entry routes into {goal} work from another field",
                       "Start by choosing your entry route"),
    "healthcare-worker": ("moving into {goal} work from a hospital or healthcare job", "Start from where you already work"),
}

#: A way to pay that only some backgrounds have, asked before the general help (WIOA).
OWN_FUNDING = {
    "veteran": [("Use your GI Bill", "using GI Bill education benefits to pay for a college or training program")],
}


@dataclass(frozen=True)
class PlanStep:
    n: int
    text: str
    citations: tuple[int, ...]


@dataclass(frozen=True)
class Plan:
    goal: str
    place: str
    background: str
    steps: tuple[PlanStep, ...]
    citations: tuple[Citation, ...]

    def to_json(self) -> dict:
        return {
            "goal": self.goal,
            "place": self.place,
            "background": self.background,
            "steps": [{"n": s.n, "text": s.text, "citations": list(s.citations)} for s in self.steps],
            "citations": Answer("", "", False, self.citations).to_json()["citations"],
        }

    def to_markdown(self) -> str:
        """The downloadable checklist."""
        lines = [f"# Your plan: {self.goal} in {self.place}", "",
                 f"For a {self.background.replace('-', ' ')}. Tick each step as you finish it.", ""]
        lines += [f"- [ ] **Step {s.n}.** {s.text}" for s in self.steps]
        lines += ["", "## Sources", ""]
        for c in self.citations:
            link = f" <{c.url}>" if c.url else ""
            lines.append(f"{c.n}. {c.title}, {c.source}{link}")
        return "\n".join(lines) + "\n"


AskFn = Callable[..., Answer]


def build_plan(ask: AskFn, *, background: str, place: str, goal: str, goal_title: str | None = None) -> Plan:
    """The plan for one person; ``ask(question, home_area=..., occupation_hint=...)`` answers a step.

    ``goal_title`` is the official occupation title the goal resolved to (for the data steps).
    """
    if background not in BACKGROUNDS:
        raise ConfigError(f"--background: {background!r} is not one of {', '.join(BACKGROUNDS)}")
    if not goal.strip():
        raise ConfigError("--goal: say which occupation the plan is for, e.g. bmet")
    title = goal_title or goal
    shown = goal.upper() if len(goal) <= 5 else goal
    shown = f"{shown} ({goal_title.lower()})" if goal_title else shown
    first_question, first_lead = FIRST_STEPS[background]
    town = place.split(",")[0].strip() or place
    nearby = f"near {town}" if "," in place else f"in {place}"  # "near Springfield", "in Massachusetts"
    who = {"veteran": "a veteran", "high-school": "a high school student", "it-worker": "an IT worker",
           "career-changer": "a career changer", "healthcare-worker": "a healthcare worker"}[background]
    # (lead, question, sentences kept, whether the official data should answer it)
    certificate = ("what do I need to take the CBET exam: CBET eligibility routes" if goal.lower() in ("bmet", "biomed")
                   else f"which certification or license does a {goal} need, and how do you get it")
    steps_asked = [
        (first_lead, first_question.format(goal=goal), 2, False),
        (f"Find a program or apprenticeship {nearby}",
         f"where can {who} train to become a {goal} {nearby}: {goal} training programs and apprenticeships "
         f"in {place}", 2, False),
        ("Aim for the certificate", certificate, 2, False),
        # Here and nationally: the local median, its range, the national median (a fourth would be an older figure).
        (f"Know what the work pays in {town} and nationally", f"how much does a {goal} make in {place}", 3, True),
        ("Check the outlook", f"is {goal} work growing: projected growth and openings for {goal}", 2, True),
        *[(lead, question.format(goal=goal), 2, False) for lead, question in OWN_FUNDING.get(background, ())],
        ("If the plan stalls, get help paying for training",
         f"WIOA funding individual training account career center help paying for {goal} training in {place}",
         2, False),
    ]
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    steps: list[PlanStep] = []
    for lead, question, keep, data in steps_asked:
        answer = ask(question, home_area=place, occupation_hint=title if data else None)
        text, cited = _first_sentences(answer, keep)
        if not text:
            text = "I have no source that covers this step for you yet; ask your local career center."
        renumbered = []
        for n in cited:
            citation = next((c for c in answer.citations if c.n == n), None)
            if citation is None:
                continue
            key = citation.doc_id or citation.title
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                citations.append(_renumber(citation, numbers[key]))
            renumbered.append(numbers[key])
        for old, new in zip(cited, renumbered):
            text = text.replace(f"[{old}]", f"[@{new}]")
        text = text.replace("[@", "[")
        steps.append(PlanStep(len(steps) + 1, f"{lead}. {text}", tuple(dict.fromkeys(renumbered))))
    return Plan(goal=shown, place=place, background=background, steps=tuple(steps), citations=tuple(citations))


_CITED = re.compile(r"(.+?\[\d+\])(?:\s+|$)", re.S)
_ITEM = re.compile(r"[;.]?\s*\n-\s+")


def _first_sentences(answer: Answer, keep: int) -> tuple[str, list[int]]:
    """The first ``keep`` cited pieces of an answer, and the citation numbers they carry. A quoted
    list stays whole, its items run on after its introducing sentence ("... routes: A; B; C"); a
    list with no introducing sentence says little in a plan step and is left out."""
    if answer.abstained:
        return "", []
    pieces = [p.strip() for p in _CITED.findall(answer.text)]
    pieces = [_ITEM.sub("; ", p).replace(":;", ":") for p in pieces if p and not p.startswith("-")]
    # A step says what to do: a note about what the sources leave open, or about the page itself, does not.
    pieces = [p for p in pieces if not quoting.side_note(p)][:keep]
    text = " ".join(pieces)
    numbers = [int(n) for n in re.findall(r"\[(\d+)\]", text)]
    return text, list(dict.fromkeys(numbers))


def _renumber(citation: Citation, n: int) -> Citation:
    from dataclasses import replace

    return replace(citation, n=n)
