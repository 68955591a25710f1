"""Everything the chat app holds for the life of its process, built once from the environment.

``app.py`` builds one ``Runtime`` on first use (not at import, so a test can put its own in
place), and every chat shares it: one ``Service``, hence one embedding model per process.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from assistant.chat.answering import Turns
from assistant.chat.auth import Directory
from assistant.chat.config import ChatConfig
from assistant.chat.history import LocalFileStore, PgFileStore
from assistant.chat.staff import FIRST_USER, StaffFile, StaffTable, first_run_notice
from assistant.config import Settings

log = logging.getLogger(__name__)


def _to_console(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def open_desk(directory: Directory, *, announce: Callable[[str], None] = _to_console) -> str | None:
    """Make sure some staff account can open the Policy desk: on the very first start, with no
    account anywhere, create one and ``announce`` its password (returned too); else warn if none."""
    if directory.has_staff() or directory.store is None:
        if not directory.has_staff():
            log.warning("no staff accounts: the Policy desk cannot be opened")
        return None
    store: StaffFile | StaffTable = directory.store
    password = store.first_run()
    if password is None:
        log.warning(
            "no staff accounts in %s, ASSISTANT_STAFF_USERS_FILE or ASSISTANT_STAFF_PASSWORDS: the Policy "
            "desk cannot be opened; add one with `assistant staff add NAME`",
            store.where,
        )
        return None
    announce(first_run_notice(store.where, FIRST_USER, password))
    return password


@dataclass
class Runtime:
    settings: Settings
    chat: ChatConfig
    #: ``assistant.service.Service`` or anything with its ``ask_stream``, ``db`` and ``index``.
    service: object
    directory: Directory
    files: LocalFileStore | PgFileStore
    turns: Turns = field(default_factory=Turns)
    #: Set once the embedding model has answered (``warm_up``); ``/healthz`` reports it.
    model_ready: threading.Event = field(default_factory=threading.Event)
    #: Why the model could not be loaded, when it could not.
    model_problem: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, announce: Callable[[str], None] = _to_console) -> Runtime:
        """Build everything from ``env``; ``announce`` shows the first run's password once."""
        from assistant.service import Service

        settings = Settings.from_env(env)
        chat = ChatConfig.from_env(env, data_dir=settings.data_dir)
        service = Service(settings)  # first: it makes the data directory owner-only
        directory = Directory.from_config(
            users_file=chat.staff_users_file, inline=chat.staff_passwords, store_file=chat.staff_store_path,
            ledger_file=chat.signin_db_path, database_url=settings.database_url,
        )
        open_desk(directory, announce=announce)
        return cls(
            settings=settings,
            chat=chat,
            service=service,
            directory=directory,
            files=PgFileStore.open(settings.database_url) if settings.database_url else LocalFileStore(chat.files_dir),
        )

    def warm_up(self) -> threading.Thread:
        """Load the embedding model and open the index in the background, so the first question
        does not wait for them (loading takes seconds; a question then takes milliseconds)."""

        def load() -> None:
            try:
                self.service.embeddings.embed_query_array("warm up")
            except Exception as exc:
                self.model_problem = f"error: {exc}"
                log.warning("the embedding model could not be loaded: %s", exc)
                return
            self.model_ready.set()
            try:
                self.service.require_index()
                _ = self.service.vectors
            except Exception as exc:  # the first question reports it properly
                log.warning("warm-up failed: %s", exc)

        thread = threading.Thread(target=load, name="warm-up", daemon=True)
        thread.start()
        return thread

    @property
    def ledger(self):
        """Failed sign-ins, ended sessions and new guests (``assistant.chat.signins``)."""
        return self.directory.ledger

    def sign_in(self, username: str, password: str, *, address: str = ""):
        """Check a password (``Directory.authenticate``); log the outcome with the name, never the password."""
        identity = self.directory.authenticate(username, password, address=address)
        log.info("sign-in %s for %r", "accepted" if identity else "refused", username)
        return identity

    def answered(self, answer, *, profile: str) -> None:
        """Log one line per answer: its timings and shape; the question's text only at debug level."""
        timings = " ".join(
            f"{k}={round(v) if isinstance(v, float) else v}" for k, v in sorted(answer.timings_ms.items()))
        log.info("answered profile=%s abstained=%s citations=%d timings_ms: %s", profile,
                 answer.abstained, len(answer.citations), timings or "none")
        log.debug("question was %r", answer.question)

    def health(self) -> tuple[bool, dict]:
        """Whether this replica can answer now, and what ``/healthz`` shows (counts, no personal data).

        Ready means: documents are indexed, the catalog answers, the vector store (embedded or the
        ``ASSISTANT_CHROMA_URL`` server) answers, and the embedding model is loaded.
        """
        problems: list[str] = []
        documents = chunks = 0
        database = "ok"
        try:
            documents, chunks = self.service.catalog.counts()
        except Exception as exc:  # noqa: BLE001 - SQLite and Postgres fail differently
            database = f"error: {exc}"
            problems.append(f"database: {exc}")
        if database == "ok" and documents == 0:
            problems.append("index: no documents are indexed yet (run `assistant ingest`)")
        try:
            self.service.vectors.count()  # a live call: a Chroma server that went away fails here
        except Exception as exc:  # noqa: BLE001 - connection and disk errors vary by backend
            problems.append(f"vector store: {exc}")
        model = "ready" if self.model_ready.is_set() else (self.model_problem or "loading")
        if model != "ready":
            problems.append(f"model: {model}")
        body = {
            "status": "ok" if not problems else "unavailable",
            "index": {"documents": documents, "chunks": chunks},
            "model": model,
            "database": database,
            "feeds_last_success": self._feeds_last_success() if database == "ok" else None,
        }
        if problems:
            body["problems"] = problems
        return not problems, body

    def _feeds_last_success(self) -> str | None:
        try:
            feeds = self.service.feed_status()
        except Exception as exc:  # noqa: BLE001 - feeds are not part of readiness
            log.warning("feed status unavailable for /healthz: %s", exc)
            return None
        return max((f["last_success"] for f in feeds if f.get("last_success")), default=None)
