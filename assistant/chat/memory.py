"""What a chat remembers between questions, and the ``ask`` options that follow from it.

The library decides what a message says (``Service.understand``) and what a remembered
conversation implies for a question (``Service.turn_options``); this module adds the chat's
own settings on top: the "Home area" text (the place when the person named none and nothing is
remembered) and the "Remember what I tell you" switch (off: nothing is kept or used).

Everything here blocks on SQLite, so the app calls it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.chat.panel import Choice
from assistant.conversation import Memory


@dataclass(frozen=True)
class Prepared:
    """One question made ready to answer: the memory after it, and what to pass to ``ask_stream``."""

    memory: Memory
    search_query: str
    home_area: str | None = None
    occupation_hint: str | None = None
    #: What a follow-up asks by referring back ("and what about x-ray techs?" after a pay question).
    asks_hint: frozenset[str] = frozenset()
    #: Short sentences for the person (a home area that is not a known place).
    notices: tuple[str, ...] = ()

    def options(self) -> dict:
        return {"search_query": self.search_query, "home_area": self.home_area,
                "occupation_hint": self.occupation_hint, "asks_hint": self.asks_hint}


def prepare(service, question: str, memory: Memory, history: Sequence[str], *, choice: Choice) -> Prepared:
    """``question`` understood in the light of ``memory`` (when the chat remembers) and the panel."""
    if choice.remember:
        memory = service.understand(question, memory)
        options = service.turn_options(question, memory, history)
    else:
        memory = Memory()
        options = {"search_query": service.search_query(question, history), "home_area": None,
                   "occupation_hint": None}
    home, notices = options.get("home_area"), ()
    if not home and choice.home_area:
        home, problem = home_area(service, choice.home_area)
        notices = (problem,) if problem else ()
    return Prepared(memory=memory, search_query=options.get("search_query") or question, home_area=home,
                    occupation_hint=options.get("occupation_hint"), asks_hint=options.get("asks_hint", frozenset()),
                    notices=notices)


def home_area(service, text: str) -> tuple[str | None, str]:
    """The "Home area" setting as a place the data knows, else (None, a sentence saying why not).

    With no labour-market data imported nothing can be checked, so the text is used as given
    (the library still reads a trailing state code from it for local-first passages).
    """
    text = " ".join(text.split())
    if not text:
        return None, ""
    resolver = service.data_desk.resolver
    if resolver is None:
        return text, ""
    area = service.data_desk.area(text)
    if area is None:
        return None, (f'The home area in your settings, "{text}", is not a place I have figures for; '
                      f'try a town with its state ("Springfield, MA"), a metro area or a state. '
                      f"I used the default instead.")
    return area.title, ""


def replay(service, thread: Mapping) -> Memory:
    """The memory a resumed chat had: its user messages understood again, oldest first.

    ``thread`` is Chainlit's stored thread (its ``steps``). Nothing is stored besides the chat's
    own history, so this is how a reopened chat remembers.
    """
    memory = Memory()
    for step in thread.get("steps") or ():
        text = step.get("output") or ""
        if step.get("type") == "user_message" and not step.get("command") and text.strip():
            memory = service.understand(text, memory)
    return memory


def summary_line(memory: Memory, *, remember: bool) -> str:
    """The one short line shown under an answer ("Assuming: ...; Tell me if any of that is wrong.")."""
    return memory.summary() if remember else ""
