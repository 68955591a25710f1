""""Make me a plan" in the chat: what the plan needs from the conversation, and the plan as a checklist.

The plan itself is the library's (``Service.plan``). The chat fills its three inputs from what
the person said (``Memory``): background, place (else the home area setting, else the
deployment's) and goal (else BMET, the occupation this assistant is about). When the background
is missing it asks for it in one short message with one button per background.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.chat import markup, render
from assistant.conversation import BACKGROUNDS, Memory

DEFAULT_GOAL = "BMET"
BACKGROUND_LABELS = {
    "high-school": "High school student",
    "veteran": "Veteran or in the military",
    "it-worker": "Working in IT or electronics",
    "career-changer": "Changing careers",
    "healthcare-worker": "Already in healthcare",
}
assert set(BACKGROUND_LABELS) == set(BACKGROUNDS), "a background without a button label"

_ASKS_FOR_PLAN = re.compile(r"\b(make|build|give|write|create|draw up)\b.{0,12}\b(me |my |a )?(personal )?"
                            r"(plan|pathway|roadmap|checklist)\b|^\s*(my )?plan\s*[.!?]?\s*$", re.I)


def asks_for_plan(text: str) -> bool:
    """Whether a message asks for the pathway plan ("Make me a plan", "can you build my plan?")."""
    return bool(_ASKS_FOR_PLAN.search(text or ""))


@dataclass(frozen=True)
class PlanInputs:
    background: str | None
    place: str | None
    goal: str

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(name for name in ("background", "place") if not getattr(self, name))


def inputs(memory: Memory, *, home_area: str | None) -> PlanInputs:
    """What the plan would be made from: remembered facts first, then the settings' defaults."""
    goal = memory.occupation_words or memory.occupation or DEFAULT_GOAL
    return PlanInputs(background=memory.background, place=memory.place or home_area or None, goal=goal)


def gather(service, text: str, memory: Memory, *, choice, background: str | None = None,
           default_home: str = "") -> tuple[Memory, PlanInputs]:
    """The memory after the plan request (``text`` may say more: "I'm a veteran, make me a plan")
    and what the plan would be made from. Blocks on SQLite: call it in a worker thread."""
    from assistant.chat.memory import home_area

    remembered = memory if choice.remember else Memory()
    if text.strip():
        remembered = service.understand(text, remembered)
    if background:
        remembered = replace(remembered, background=background)
    home = home_area(service, choice.home_area)[0] if choice.home_area else None
    return remembered, inputs(remembered, home_area=home or default_home or None)


def working_note(needs: PlanInputs) -> str:
    goal = needs.goal.upper() if len(needs.goal) <= 5 else needs.goal
    return (f"Making your plan for {markup.escape_text(goal)} in {markup.escape_text(needs.place or '')}; "
            f"this takes a few seconds…")


def ask_for(missing: tuple[str, ...]) -> str:
    """One short message asking for what is missing (the background comes with buttons)."""
    if "background" in missing and "place" in missing:
        return ("To make your plan I need two things: where you're starting from (pick one below) and your "
                'town, e.g. "I live in Worcester, MA".')
    if "background" in missing:
        return "To make your plan, tell me where you're starting from:"
    return 'To make your plan, tell me your town or state, e.g. "I live in Springfield, MA", then ask again.'


def checklist(plan, *, download: str = "") -> str:
    """The plan as a Markdown task list, then its numbered sources (each opens a card), then the
    name of its downloadable file (which Chainlit links to the file)."""
    lines = [f"**Your plan: {markup.escape_text(plan.goal)} in {markup.escape_text(plan.place)}**", "",
             f"For a {markup.escape_text(plan.background.replace('-', ' '))}. Tick each step off as you go.", ""]
    lines += [f"- [ ] **Step {s.n}.** {markup.escape_quoted(s.text)}" for s in plan.steps]
    if plan.citations:
        lines += ["", render.sources_block(plan.citations)]
    if download:
        lines += ["", f"Download it as a checklist: {download}"]
    return "\n".join(lines)


def filename(plan) -> str:
    goal = re.sub(r"[^a-z0-9]+", "-", plan.goal.split("(")[0].lower()).strip("-") or "career"
    return f"{goal}-plan.md"
