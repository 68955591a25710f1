"""A chat question run through ``Service.ask_stream`` in a worker thread, its pieces streamed back.

The library is synchronous (the model, Chroma and SQLite all block), the chat is asyncio: each
answer runs in the event loop's default thread pool and hands its pieces over a queue, so one
slow answer never stalls other people's chats. One ``Service`` serves every chat, so the
embedding model is loaded once per process.

Within one chat, answers are given one at a time in the order the questions came (``Turns``):
someone who sends three questions before the first is answered gets three answers, in order,
each searched with the questions before it as context.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from assistant.chat.panel import Choice
from assistant.chat.profiles import Profile
from assistant.errors import AssistantError
from assistant.retrieval.search import asks_for_news
from assistant.types import Answer

log = logging.getLogger(__name__)

#: Earlier questions of the thread considered for a follow-up (``contextualize`` uses 3).
HISTORY_TURNS = 5


@dataclass(frozen=True)
class Request:
    question: str
    profile: Profile
    choice: Choice
    #: The user's earlier questions in this chat, oldest first.
    history: tuple[str, ...] = ()
    #: What to search (the question with what the conversation is about); None: the library decides.
    search_query: str | None = None
    #: The place for this question when it names none (remembered, or the chat's home area setting).
    home_area: str | None = None
    #: The occupation the conversation is about, for "how much would I make?".
    occupation_hint: str | None = None
    #: What a follow-up asks by referring back (see ``conversation.carried_asks``).
    asks_hint: frozenset[str] = frozenset()

    @property
    def news(self) -> bool:
        return asks_for_news(self.question)


class AnswerFailed(Exception):
    """The question could not be answered; ``str()`` is fit to show the user."""


@dataclass(frozen=True)
class Turn:
    """A message of the chat as far as follow-ups care."""

    id: str
    author_is_user: bool
    text: str
    command: str | None = None


def history_before(turns: Iterable[Turn], current_id: str, *, max_chars: int = 2000) -> tuple[str, ...]:
    """The user's questions before message ``current_id`` (commands and blanks left out)."""
    questions: list[str] = []
    for turn in turns:
        if turn.id == current_id:
            break
        if turn.author_is_user and not turn.command and turn.text.strip():
            questions.append(" ".join(turn.text.split())[:max_chars])
    return tuple(questions[-HISTORY_TURNS:])


async def stream_answer(service, request: Request) -> AsyncIterator[str | Answer]:
    """Yield the answer's text pieces, then the ``Answer``; raise ``AnswerFailed`` on failure."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    done = object()
    cancelled = False

    def post(item) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop closed (server shutting down); nobody is listening
            pass

    def work() -> None:
        try:
            for item in service.ask_stream(
                request.question,
                profile=request.profile.key,
                filters=request.choice.filters,
                k=request.choice.k,
                history=request.history,
                home_area=request.home_area,
                occupation_hint=request.occupation_hint,
                asks_hint=request.asks_hint,
                search_query=request.search_query,
            ):
                if cancelled:
                    return
                post(item)
        except AssistantError as exc:
            post(AnswerFailed(str(exc)))
        except Exception:
            log.exception("answering %r failed", request.question[:200])
            post(AnswerFailed("something went wrong on our side. Please try again in a moment."))
        finally:
            post(done)

    worker = loop.run_in_executor(None, work)
    try:
        while True:
            item = await queue.get()
            if item is done:
                break
            if isinstance(item, AnswerFailed):
                raise item
            yield item
    finally:
        cancelled = True  # the user pressed stop or left: the worker stops at its next piece
        if worker.done():
            worker.result()


class Turns:
    """One answer at a time per chat, first come first served (``asyncio.Lock`` is FIFO)."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def of(self, chat_id: str) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = self._locks[chat_id] = asyncio.Lock()
        return lock

    def forget(self, chat_id: str) -> None:
        lock = self._locks.get(chat_id)
        if lock is not None and not lock.locked():
            del self._locks[chat_id]

    def __len__(self) -> int:
        return len(self._locks)
