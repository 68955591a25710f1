"""Answers written by an LLM (any OpenAI-compatible server, or Ollama), held to the sources.

    question, passages | prompts.build_messages | chat model (streamed)
        | CitationFilter: drop markers to no source, renumber 1..n as they appear | Answer
    no passages                      -> the fallback's abstention, no LLM call
    the model replies NO_ANSWER      -> the abstention
    no valid citation, or a failure  -> the fallback (extractive) answer with a one-line notice

This is the only module that imports ``langchain_openai`` or ``langchain_ollama``; the chat
model is any LangChain ``BaseChatModel`` (tests pass ``FakeListChatModel``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from assistant import prompts
from assistant.answer import Answerer, Passage, citation_for
from assistant.citations import CitationFilter
from assistant.config import Settings
from assistant.conversation import contextualize, is_follow_up
from assistant.errors import AssistantError, ConfigError
from assistant.types import Answer

log = logging.getLogger(__name__)

#: Used when ``ASSISTANT_LLM_MODEL`` is empty.
DEFAULT_MODELS = {"openai": "gpt-4o-mini", "ollama": "llama3.2"}
#: Ollama's own default address.
DEFAULT_OLLAMA_URL = "http://localhost:11434"
#: One retry rides out a dropped connection; more would multiply the wait before the fallback.
MAX_RETRIES = 1
#: The prompt asks for about 200 words; an answer still going at this length is cut off.
MAX_TOKENS = 1024
#: ``assistant status`` waits at most this long for the provider.
CHECK_TIMEOUT = 10.0
#: After the provider could not be reached or timed out, answer without it for this long: a
#: dead server then costs one timeout per half-minute, not one per question (measured: with a
#: refused port the client's retry backoff added 0.6 s to each of 96 eval questions).
PAUSE_AFTER_OUTAGE = 30.0


def model_label(settings: Settings) -> str:
    """``provider:model`` as shown by ``status`` and in notices."""
    return f"{settings.llm_provider}:{settings.llm_model or DEFAULT_MODELS.get(settings.llm_provider, '')}"


def build_chat_model(settings: Settings, *, timeout: float | None = None, max_retries: int = MAX_RETRIES):
    """The LangChain chat model for ``settings.llm_provider`` (``openai`` or ``ollama``)."""
    provider = settings.llm_provider
    model = settings.llm_model or DEFAULT_MODELS.get(provider, "")
    timeout = settings.llm_timeout if timeout is None else timeout
    if provider == "openai":
        from langchain_openai import ChatOpenAI

        # Local servers (vLLM, llama.cpp, LM Studio) ignore the key, but the client insists on one.
        key = settings.llm_api_key or ("not-needed" if settings.llm_base_url else None)
        try:
            return ChatOpenAI(
                model=model, base_url=settings.llm_base_url or None, api_key=key,
                timeout=timeout, max_retries=max_retries, max_tokens=MAX_TOKENS,
            )
        except Exception as exc:
            if key is None:  # the client refuses to start without a key (or OPENAI_API_KEY)
                raise ConfigError(
                    "ASSISTANT_LLM_API_KEY is empty: set it, "
                    "or ASSISTANT_LLM_BASE_URL for a server without keys"
                ) from exc
            raise ConfigError(f"cannot set up the OpenAI client: {exc}") from exc
    if provider == "ollama":
        from langchain_ollama import ChatOllama

        client_kwargs: dict = {"timeout": timeout}
        if settings.llm_api_key:  # an Ollama behind an authenticating proxy
            client_kwargs["headers"] = {"Authorization": f"Bearer {settings.llm_api_key}"}
        return ChatOllama(
            model=model, base_url=settings.llm_base_url or DEFAULT_OLLAMA_URL,
            num_predict=MAX_TOKENS, temperature=0.2, client_kwargs=client_kwargs,
        )
    raise ConfigError(f"ASSISTANT_LLM_PROVIDER: {provider!r} is not an LLM provider (openai or ollama)")


def build_answerer(settings: Settings, *, fallback: Answerer, chat_model=None) -> LLMAnswerer:
    """The LLM answerer for ``settings``; the chat model is built on first use unless given."""
    return LLMAnswerer(settings=settings, fallback=fallback, chat_model=chat_model)


def check_provider(settings: Settings) -> str:
    """One line for ``assistant status``: ``openai:gpt-4o-mini (answers)``, else why not, e.g.
    ``ollama:llama3.2 (unreachable: cannot connect)`` or ``openai:m (not answering: HTTP 404)``."""
    if settings.llm_provider == "extractive":
        return "extractive"
    ok, detail = LLMAnswerer(settings=settings, fallback=None).check()
    if not ok:
        unreachable = detail.startswith(("cannot connect", "no reply"))
        detail = f"{'unreachable' if unreachable else 'not answering'}: {detail}"
    return f"{model_label(settings)} ({detail})"


def describe_failure(exc: BaseException, *, timeout: float) -> str:
    """A short cause for a failed call, from the exception and the ones it wraps."""
    chain, seen = [], exc
    while seen is not None and len(chain) < 8:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    for error in chain:
        if isinstance(error, (AssistantError, _Failure)):
            return str(error)
        names = {cls.__name__ for cls in type(error).__mro__}
        status = getattr(error, "status_code", None)
        if isinstance(status, int):
            # Ollama's ResponseError carries the server's text; -1 marks an error inside a stream.
            message = " ".join(str(getattr(error, "error", "") or "").split())[:80]
            label = f"HTTP {status}" if status > 0 else "server error"
            return label + (f" ({message})" if message else "")
        if any("Timeout" in name for name in names):
            return f"no reply within {timeout:g}s"
        if names & {"APIConnectionError", "ConnectError", "ConnectionError"}:
            return "cannot connect"
        if names & {"JSONDecodeError", "APIResponseValidationError", "ValidationError"}:
            return "malformed response"
    detail = " ".join(str(exc).split())[:100]
    return f"unexpected error ({type(exc).__name__}{': ' + detail if detail else ''})"


class _Failure(Exception):
    """The model replied, but not with a usable answer (empty, cut off)."""


class LLMAnswerer:
    """Answer with a chat model; fall back to ``fallback`` (the extractive answerer) when it fails.

    After a connection failure or a timeout the model is left alone for ``PAUSE_AFTER_OUTAGE``
    seconds. Counters for ``assistant eval --llm`` are in ``stats()``.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        fallback: Answerer | None,
        chat_model=None,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.fallback = fallback
        self.name = f"llm:{model_label(settings)}"
        self._chat_model = chat_model
        self._now = now
        self._lock = threading.Lock()
        self._counts: Counter = Counter()
        self._failures: Counter = Counter()
        self._paused_until = 0.0
        self._outage = ""

    @property
    def chat_model(self):
        if self._chat_model is None:
            self._chat_model = build_chat_model(self.settings)
        return self._chat_model

    # -- answering -------------------------------------------------------------------------------

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        query_vector: np.ndarray,
        profile: str | None = None,
    ) -> Answer:
        final = None
        for item in self.stream(question, passages, query_vector=query_vector, profile=profile):
            if isinstance(item, Answer):
                final = item
        return final

    def stream(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        query_vector: np.ndarray,
        profile: str | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the answer's text as the model writes it, then the finished ``Answer``.

        The pieces join to the final text unless the final ``Answer`` is a fallback (it then
        carries a notice), so a UI should show the final ``Answer``'s text once it arrives.
        """
        if not passages:
            self._count("no_passages")
            yield self.fallback.answer(question, passages, query_vector=query_vector, profile=profile)
            return
        self._count("answers")
        if paused := self._paused():
            yield self._failed(question, passages, query_vector, profile, paused)
            return
        groups = prompts.number_sources(passages)
        filtered = CitationFilter(len(groups))
        try:
            for piece in self._generate(prompts.build_messages(question, passages, profile)):
                if out := filtered.feed(piece):
                    yield out
            if out := filtered.close():
                yield out
            if not filtered.text and not filtered.no_answer:
                raise _Failure("empty response")
        except Exception as exc:  # every failure of the provider becomes the fallback, not a traceback
            yield self._failed(question, passages, query_vector, profile, self._diagnose(exc))
            return
        self._count("markers", filtered.markers)
        self._count("valid_markers", filtered.valid)
        if filtered.no_answer or (not filtered.numbers and prompts.NO_ANSWER_SENTINEL in filtered.text):
            self._count("abstentions")
            yield Answer(question=question, text=prompts.abstention(profile), abstained=True, citations=())
            return
        if not filtered.numbers:
            yield self._fallback(question, passages, query_vector, profile, "uncited")
            return
        citations = tuple(
            citation_for(n, groups[k - 1][0].hit, " ".join(p.hit.text for p in groups[k - 1]))
            for k, n in sorted(filtered.numbers.items(), key=lambda item: item[1])
        )
        notices = ()
        if filtered.invalid:
            markers = ", ".join(f"[{k}]" for k in dict.fromkeys(filtered.invalid))
            notices = (prompts.LLM_NOTICES["removed"].format(markers=markers),)
        yield Answer(
            question=question, text=filtered.text, abstained=False, citations=citations, notices=notices
        )

    def _generate(self, messages) -> Iterator[str]:
        finish = None
        for chunk in self.chat_model.stream(messages):
            meta = chunk.response_metadata or {}
            finish = meta.get("finish_reason") or meta.get("done_reason") or finish
            if chunk.text:
                yield chunk.text
        if finish == "length":
            raise _Failure("the answer was cut off at the length limit")

    def _diagnose(self, exc: Exception) -> str:
        """The failure's cause; an unreachable or hung server also starts a pause."""
        reason = describe_failure(exc, timeout=self.settings.llm_timeout)
        log.info("LLM call failed: %s", reason, exc_info=True)
        if reason.startswith(("cannot connect", "no reply")):
            with self._lock:
                self._outage, self._paused_until = reason, self._now() + PAUSE_AFTER_OUTAGE
        return reason

    def _paused(self) -> str:
        """Why the model is not being called now, or "" when it may be."""
        remaining = self._paused_until - self._now()
        return f"{self._outage} (not retried for {remaining:.0f}s)" if remaining > 0 else ""

    def _failed(self, question, passages, query_vector, profile, reason: str) -> Answer:
        with self._lock:
            self._failures[reason.split(" (")[0]] += 1
        return self._fallback(question, passages, query_vector, profile, "failed", reason=reason)

    def _fallback(self, question, passages, query_vector, profile, kind: str, **fields) -> Answer:
        self._count("fallbacks")
        answer = self.fallback.answer(question, passages, query_vector=query_vector, profile=profile)
        notice = prompts.LLM_NOTICES[kind].format(label=model_label(self.settings), **fields)
        return Answer(
            question=answer.question, text=answer.text, abstained=answer.abstained,
            citations=answer.citations, notices=(*answer.notices, notice),
        )

    # -- follow-ups and health -------------------------------------------------------------------

    def rewrite(self, question: str, history: Sequence[str]) -> str:
        """A standalone search query for a follow-up; a self-contained message as written."""
        if not history or not is_follow_up(question):
            return question
        self._count("rewrites")
        query = ""
        if not self._paused():
            try:
                reply = self.chat_model.invoke(prompts.build_rewrite_messages(question, history)).text.strip()
                query = reply.splitlines()[0].strip().strip("\"'`") if reply else ""
            except Exception as exc:
                self._diagnose(exc)
        if not query or query.startswith(prompts.NO_ANSWER_SENTINEL) or len(query) > 300:
            self._count("rewrite_fallbacks")
            return contextualize(question, history)
        return query

    def check(self) -> tuple[bool, str]:
        """Whether the provider answers a one-word prompt: ``(True, "answers")`` or the cause."""
        timeout = min(self.settings.llm_timeout, CHECK_TIMEOUT)
        try:
            model = self._chat_model or build_chat_model(self.settings, timeout=timeout, max_retries=0)
            reply = model.invoke([("human", prompts.PING)])
        except Exception as exc:
            return False, describe_failure(exc, timeout=timeout)
        return (True, "answers") if reply.text.strip() else (False, "empty response")

    # -- counters for evaluation -----------------------------------------------------------------

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._counts[key] += n

    def stats(self) -> dict:
        """Counters since this answerer was built, for ``assistant eval --llm``.

        ``answers``: questions sent to the LLM (retrieval found passages); ``fallbacks``: those
        answered by the fallback instead (failure or no valid citation); ``citation_validity``:
        ``valid_markers / markers`` over completed replies (None when no marker was written).
        """
        with self._lock:
            c = dict(self._counts)
            failures = dict(self._failures)
        answers, markers = c.get("answers", 0), c.get("markers", 0)
        return {
            "provider": model_label(self.settings),
            "answers": answers,
            "no_passages": c.get("no_passages", 0),
            "abstentions": c.get("abstentions", 0),
            "fallbacks": c.get("fallbacks", 0),
            "fallback_rate": round(c.get("fallbacks", 0) / answers, 4) if answers else None,
            "failures": failures,
            "markers": markers,
            "valid_markers": c.get("valid_markers", 0),
            "citation_validity": round(c.get("valid_markers", 0) / markers, 4) if markers else None,
            "rewrites": c.get("rewrites", 0),
            "rewrite_fallbacks": c.get("rewrite_fallbacks", 0),
        }
