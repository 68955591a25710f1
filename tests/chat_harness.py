"""A Chainlit context for calling the app's handlers directly, and a scriptable fake ``Service``.

The context is Chainlit's own (``ChainlitContext`` over an ``HTTPSession``); only the emitter,
which would write to a websocket, is replaced by one that records every event. So handlers run
through the real ``cl.Message``, ``cl.Text``, ``cl.ChatSettings`` and data layer code.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import chainlit as cl
import chainlit.config as cl_config
import chainlit.data as cl_data
import pytest
from chainlit.context import ChainlitContext, context_var
from chainlit.emitter import BaseChainlitEmitter
from chainlit.session import HTTPSession

from assistant.chat.auth import Directory, hash_password
from assistant.chat.config import ChatConfig
from assistant.chat.history import LocalFileStore
from assistant.chat.runtime import Runtime
from assistant.config import Settings
from assistant.conversation import remember
from assistant.feeds import store
from assistant.types import Answer, Citation

STAFF_PASSWORD = "correct horse battery staple"
GUEST = cl.User(identifier="guest-abc", metadata={"role": "student", "provider": "guest"})
STAFF = cl.User(identifier="maria", metadata={"role": "staff", "provider": "password"})


class RecordingEmitter(BaseChainlitEmitter):
    """Records what the app would send to the browser, as ``(event, payload)`` pairs."""

    def __init__(self, session) -> None:
        super().__init__(session)
        self.events: list[tuple[str, object]] = []

    async def emit(self, event, data):
        self.events.append((event, data))

    async def send_step(self, step_dict):
        self.events.append(("new_message", dict(step_dict)))

    async def update_step(self, step_dict):
        self.events.append(("update_message", dict(step_dict)))

    async def delete_step(self, step_dict):
        self.events.append(("delete_message", dict(step_dict)))

    async def stream_start(self, step_dict):
        self.events.append(("stream_start", dict(step_dict)))

    async def send_token(self, id, token, is_sequence=False, is_input=False):
        self.events.append(("token", {"id": id, "token": token}))

    async def send_element(self, element_dict):
        self.events.append(("element", dict(element_dict)))

    def set_chat_settings(self, settings):  # sync, as in ChainlitEmitter
        self.session.chat_settings = settings

    async def set_commands(self, commands):
        self.events.append(("set_commands", commands))

    # -- what the tests read ---------------------------------------------------------------

    def of(self, event: str) -> list:
        return [data for name, data in self.events if name == event]

    def messages(self) -> dict[str, dict]:
        """Each assistant message's latest state, by id, in the order they were first sent."""
        latest: dict[str, dict] = {}
        for name, data in self.events:
            if name in ("new_message", "update_message", "stream_start") and data.get("type") == "assistant_message":
                latest[data["id"]] = {**latest.get(data["id"], {}), **data}
        return latest

    def replies(self) -> list[str]:
        return [m["output"] for m in self.messages().values()]

    def elements_for(self, message_id: str) -> list[dict]:
        return [e for e in self.of("element") if e.get("forId") == message_id]


@dataclass
class Chat:
    """One browser tab's worth of Chainlit state."""

    session: HTTPSession
    emitter: RecordingEmitter

    def enter(self) -> None:
        context_var.set(ChainlitContext(self.session, self.emitter))


def open_chat(
    *, user=None, profile: str = "Career guide", settings: dict | None = None, files_dir: Path | None = None
) -> Chat:
    session = HTTPSession(
        id=str(uuid.uuid4()), thread_id=str(uuid.uuid4()), user=user, token=None, client_type="webapp", user_env={}
    )
    session.chat_profile = profile
    session.chat_settings = dict(settings or {})
    chat = Chat(session=session, emitter=RecordingEmitter(session))
    chat.enter()
    return chat


async def settle() -> None:
    """Let the data layer's fire-and-forget writes finish."""
    for _ in range(50):
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if not pending:
            return
        await asyncio.sleep(0.02)


# -- a fake library ------------------------------------------------------------------------


def citation(
    n: int, title: str, *, doc_type: str = "career_pathway", published: str | None = "2025-05-01", url: str = ""
) -> Citation:
    return Citation(
        n=n,
        title=title,
        source=f"corpus/careers/doc-{n}.md",
        doc_type=doc_type,
        snippet=f"Snippet of {title}.",
        published=published,
        doc_id=f"doc-{n}",
        url=url or f"https://example.org/doc-{n}",
    )


@dataclass
class FakeService:
    """Answers from a script; records every call. ``delay_s`` slows each piece (a slow answer)."""

    delay_s: float = 0.0
    fail: Exception | None = None
    calls: list[dict] = field(default_factory=list)
    db: sqlite3.Connection = field(default_factory=lambda: _feeds_db())
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ask_stream(self, question, *, profile=None, filters=None, k=None, history=(), **options):
        with self.lock:
            call = {"question": question, "profile": profile, "filters": filters, "k": k, "history": tuple(history)}
            self.calls.append({**call, **{name: value for name, value in options.items() if value is not None}})
        if self.fail is not None:
            raise self.fail
        if "pizza" in question.lower():
            text = "I don't have a source for that in my documents, so I won't guess."
            yield text
            yield Answer(question=question, text=text, abstained=True, citations=())
            return
        pieces = [
            "BMETs maintain and repair hospital equipment. [1] ",
            "Most start with an associate degree <script>window.__pwned=1</script> "
            "![x](https://tracker.example/p.png). [2] ",
        ]
        for piece in pieces:
            if self.delay_s:
                time.sleep(self.delay_s)
            yield piece
        yield Answer(
            question=question,
            text="".join(pieces).strip(),
            abstained=False,
            citations=(
                citation(1, "What BMETs do", published="2025-11-01"),
                citation(2, "Ways to become a BMET <b>fast</b>", doc_type="policy_update", published="2026-01-05"),
            ),
        )

    # -- conversations, as Service has them (no labour-market data: places are not resolved) ----

    def understand(self, message, memory):
        return remember(memory, message)

    def turn_options(self, question, memory, history):
        return {"search_query": None, "home_area": memory.place, "occupation_hint": memory.occupation}

    def search_query(self, question, history):
        return None

    @property
    def data_desk(self):
        return _NoData()

    @property
    def index(self):
        from feedserver import FakeIndex

        return self._index.setdefault("index", FakeIndex())

    _index: dict = field(default_factory=dict)


class _NoData:
    """A data desk before any labour-market data is imported."""

    resolver = None

    def area(self, text):
        return None


def _feeds_db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
    store.ensure_schema(conn)
    return conn


def make_runtime(
    tmp: Path, service, *, open_guide: bool = True, max_chars: int = 2000, allow_private: bool = False
) -> Runtime:
    chat = ChatConfig(data_dir=tmp, open_career_guide=open_guide, max_question_chars=max_chars)
    directory = Directory.from_config(users_file=None, inline=f"maria:{hash_password(STAFF_PASSWORD)}")
    # A real Service brings its deployment settings (home area, memory) for the panel's defaults.
    deployed = getattr(service, "settings", None)
    return Runtime(
        settings=Settings(
            data_dir=tmp,
            feeds_allow_private=allow_private,
            home_area=getattr(deployed, "home_area", ""),
            conversation_memory=getattr(deployed, "conversation_memory", True),
        ),
        chat=chat,
        service=service,
        directory=directory,
        files=LocalFileStore(chat.files_dir),
    )


def data_service(data_dir: Path, *, home_area: str = "Springfield, MA", memory: bool = True):
    """A real ``Service`` over ``data_dir``: the shipped labour-market extract (corpus/data) and the
    test corpus, indexed with the keyword-count fake model so no model is loaded (about 15 s)."""
    from conftest import CORPUS, REPO, KeywordEmbeddings

    from assistant.occupations.extract import load_extract
    from assistant.service import Service

    settings = Settings(data_dir=data_dir, home_area=home_area, conversation_memory=memory)
    embeddings = KeywordEmbeddings()
    service = Service(settings, embeddings=lambda: embeddings)
    report = service.ingest([str(CORPUS)])
    assert not report.failed, report.failed
    load_extract(service.db, REPO / "corpus" / "data")
    return service


# -- fixtures for the handler tests --------------------------------------------------------


@pytest.fixture(name="service")
def service_fixture():
    return FakeService()


@pytest.fixture(name="rt")
async def rt_fixture(tmp_path, monkeypatch, service):
    """The app's Runtime over ``service``, with Chainlit's data layer and files under ``tmp_path``."""
    import app

    runtime = make_runtime(tmp_path, service)
    monkeypatch.setattr(app, "_runtime", runtime)
    monkeypatch.setattr(cl_data, "_data_layer", None)
    monkeypatch.setattr(cl_data, "_data_layer_initialized", False)
    monkeypatch.setattr(cl_config, "FILES_DIRECTORY", tmp_path / "session-files")
    (tmp_path / "session-files").mkdir()
    yield runtime
    await settle()  # the data layer writes in the background; let it finish before the loop closes
    if cl_data._data_layer is not None:
        await cl_data._data_layer.engine.dispose()


def user_message(text: str, *, command: str | None = None) -> cl.Message:
    return cl.Message(content=text, type="user_message", author="User", command=command)


async def ask(text: str, **kw) -> cl.Message:
    """Send ``text`` as the user and run the app's on_message on it."""
    import app

    message = user_message(text, **kw)
    await message.send()
    await app.on_message(message)
    return message
