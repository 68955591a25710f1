"""Conversations without an LLM: follow-ups, and what the person told us (pure functions).

"and in Massachusetts?" after "how do I become a BMET?" is searched as both together, so the
search keeps the subject the user is still talking about. ``Memory`` keeps the place,
background, target occupation and constraints a person mentioned ("I'm an Army veteran in
Springfield"), so "how much would I make?" later means that occupation in that place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.retrieval.lexical import query_terms

_REFERS_BACK = re.compile(
    r"^\s*(and|what about|how about|also|but|so|then|same|that|those|it|they|them|there|what does (it|that)|"
    r"does (it|that)|is (it|that)|in (massachusetts|ma)\b)|\b(it|that|this|they|them|those|there)\b",
    re.I,
)
#: A message with this many content words or fewer is treated as a follow-up when history exists.
SHORT = 3


def is_follow_up(question: str) -> bool:
    terms = query_terms(question)
    return len(terms) <= SHORT or bool(_REFERS_BACK.search(question)) and len(terms) <= 6


def contextualize(question: str, history: Sequence[str]) -> str:
    """The text to search for ``question`` given the user's earlier messages (newest last)."""
    if not history or not is_follow_up(question):
        return question
    carried: list[str] = []
    for earlier in reversed(history[-3:]):
        for term in query_terms(earlier):
            if term not in carried and term not in question.lower():
                carried.append(term)
        if len(carried) >= 6:
            break
    return f"{question} {' '.join(carried[:6])}".strip()


# -- what the person told us -------------------------------------------------------------------

BACKGROUNDS = ("high-school", "veteran", "it-worker", "career-changer", "healthcare-worker")

_BACKGROUND_PATTERNS = (
    ("veteran", r"\b(veteran|vet\b|army|navy|air force|marines?|coast guard|national guard|military|served|"
                r"deployed|enlisted|gi bill)\b"),
    ("high-school", r"\b(high school|high-school|hs (senior|junior|student)|senior in high|junior in high|"
                    r"(i'?m|i am) (a )?(senior|junior|sophomore|freshman)\b|(in|finishing) (11th|12th) grade|"
                    r"graduating (this|next) (year|spring))"),
    ("it-worker", r"\b(i work in it|work(ing)? in it\b|it (job|worker|support|guy|person|background)|help ?desk|"
                  r"network (admin|tech|engineer)|sysadmin|system administrator|desktop support|"
                  r"(software|computer) (job|work|background)|electronics tech(nician)?)\b"),
    ("healthcare-worker", r"\b((i'?m|i am|work as) (a |an )?(cna|nurse|lpn|rn|medical assistant|phlebotomist|"
                          r"pharmacy tech|emt|patient care tech)|already work in (a )?(hospital|healthcare)|"
                          r"work(ing)? in (a )?hospital|healthcare worker)\b"),
    ("career-changer", r"\b(career chang(e|er|ing)|chang(e|ing) careers?|switch(ing)? careers?|new career|"
                       r"laid off|after \d+ years (in|as|of)|retrain(ing)?|second career)\b"),
)
_CONSTRAINT_PATTERNS = (
    ("earn while training", r"\b(earn while|paid (training|apprenticeship)|get paid (to|while) (learn|train)|"
                            r"need (to|an?) (work|income|paycheck)|can'?t afford|no money|while working)\b"),
    ("no car", r"\b(no car|don'?t (have a )?car|don'?t drive|can'?t drive|by bus|public transit|"
               r"public transportation)\b"),
    ("evening classes", r"\b(evening|at night|night classes|nights|weekends?|part[- ]time)\b"),
)
_CORRECTION = re.compile(r"\b(actually|no,|not |i meant|instead)\b", re.I)
_GOAL = re.compile(r"\b(want(ed)? to|wanna|plan(ning)? to|hop(e|ing) to|my goal|become|aim|interested in|"
                   r"thinking (about|of)|would like to|work on|work with|career (as|in))\b", re.I)
#: A message about where the person is ("I'm in Worcester", "I live near Springfield").
_SELF_PLACE = re.compile(r"\b(i'?m|i am|i live|living|i'?m from|i am from|based|moving|moved|located|we'?re|"
                         r"our|my (town|city|area|home))\b", re.I)

#: A follow-up that moves the conversation somewhere else ("what about in Boston instead?").
_SHIFT = re.compile(r"^\s*(and|what about|how about)\b|\binstead\b", re.I)


def carried_asks(question: str, history: Sequence[str]) -> frozenset[str]:
    """What a follow-up asks by referring back: "and what about x-ray techs?" after "how much do
    BMETs make here" asks for pay; "what about in Boston?" with nothing asked before, the headline
    figure (pay). Empty unless ``question`` is such a "what about ..." follow-up: "which colleges
    teach it" asks something new."""
    from assistant.occupations.facts import DATA_ASKS
    from assistant.occupations.resolve import detect_asks

    if not history or not is_follow_up(question) or not _SHIFT.search(question):
        return frozenset()
    earlier = frozenset().union(*(detect_asks(turn) for turn in history[-2:])) & DATA_ASKS
    return earlier or frozenset({"pay"})


@dataclass(frozen=True)
class Memory:
    """What a person has told us in this conversation; nothing of it is stored elsewhere."""

    place: str | None = None
    occupation: str | None = None
    #: The occupation's SOC code, and the words the person used for it.
    soc: str | None = None
    occupation_words: str | None = None
    background: str | None = None
    constraints: tuple[str, ...] = ()
    #: Whether the person said the occupation is what they want to do (not only asked about it).
    goal: bool = False

    def assumed(self) -> dict:
        """The ``assumed`` object of ``ask --conversation``."""
        occupation = f"{self.occupation} ({self.soc})" if self.occupation and self.soc else self.occupation
        return {"place": self.place, "occupation": occupation, "background": self.background}

    def summary(self) -> str:
        """One short line the chat shows, so the person can correct it."""
        parts = []
        if self.background:
            parts.append(self.background.replace("-", " "))
        if self.occupation:
            parts.append(f"{'aiming for' if self.goal else 'about'} {self.occupation.lower()}")
        if self.place:
            parts.append(f"in {self.place}")
        if self.constraints:
            parts.append(", ".join(self.constraints))
        return ("Assuming: " + "; ".join(parts) + ". Tell me if any of that is wrong.") if parts else ""

    def search_terms(self, question: str) -> str:
        """Words of the remembered facts the question lacks, to add to the search."""
        lowered = question.lower()
        extra = []
        if self.occupation_words and self.occupation_words not in lowered:
            extra.append(self.occupation_words)
        if self.place and self.place.split(",")[0].lower() not in lowered:
            extra.append(self.place.split(",")[0])
        if self.background == "veteran" and "veteran" not in lowered:
            extra.append("veteran military")
        if self.background == "high-school" and "high school" not in lowered:
            extra.append("high school")
        if "earn while training" in self.constraints and re.search(r"\btrain|program|school|learn", lowered):
            extra.append("apprenticeship paid")
        return " ".join(extra)


def detect_background(message: str) -> str | None:
    for name, pattern in _BACKGROUND_PATTERNS:
        if re.search(pattern, message, re.I):
            return name
    return None


def detect_constraints(message: str) -> tuple[str, ...]:
    return tuple(name for name, pattern in _CONSTRAINT_PATTERNS if re.search(pattern, message, re.I))


def remember(memory: Memory, message: str, *, place=None, occupation=None) -> Memory:
    """``memory`` updated with what ``message`` says; ``place`` and ``occupation`` are what the
    data resolver found in it (an ``Area`` and an ``Occupation``, or None). Newer wins."""
    changes: dict = {}
    background = detect_background(message)
    if background and (background != memory.background or _CORRECTION.search(message)):
        changes["background"] = background
    constraints = detect_constraints(message)
    if constraints:
        changes["constraints"] = tuple(dict.fromkeys(memory.constraints + constraints))
    # A place only moves where the person is when they say it of themselves (or it is the first):
    # "how much do BMETs make in Boston?" asks about Boston, it does not move them there.
    if place is not None and (memory.place is None or _SELF_PLACE.search(message) or _SHIFT.search(message)):
        changes["place"] = place.title
    if occupation is not None:
        changes.update(occupation=occupation.title, soc=occupation.soc, occupation_words=occupation.matched,
                       goal=bool(_GOAL.search(message)) or (memory.goal and memory.soc == occupation.soc))
    return replace(memory, **changes) if changes else memory
