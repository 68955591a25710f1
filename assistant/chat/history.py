"""Chat history: the tables Chainlit's SQLAlchemy data layer writes (SQLite or Postgres), and a file store.

Chainlit's ``SQLAlchemyDataLayer`` creates no tables, and without a storage client it does not
persist elements ("elements will not be persisted!", chainlit/data/sql_alchemy.py), so a resumed
chat would lose its source cards and charts. ``ensure_schema`` creates the tables it reads and
writes (column names as in its queries, chainlit 2.12) in ``chat.db``; with
``ASSISTANT_DATABASE_URL`` set, ``ensure_postgres_schema`` creates them in that database instead
(component ``chat`` of ``assistant.db.migrate``), so every replica reads the same history.
``LocalFileStore`` keeps element bytes under the data directory and is served by the app at
``/chat-files/<key>`` to the chat's owner; on Postgres ``PgFileStore`` keeps them in the
``chat_files`` table instead, so a source card stored through one replica opens on any other.

Thread tags stay off (``auto_tag_thread = false``): the data layer binds them as a Python list,
which SQLite cannot store, and the failed write would also lose the thread's owner.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    "id" TEXT PRIMARY KEY,
    "identifier" TEXT NOT NULL UNIQUE,
    "createdAt" TEXT,
    "metadata" TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS threads (
    "id" TEXT PRIMARY KEY,
    "createdAt" TEXT,
    "name" TEXT,
    "userId" TEXT REFERENCES users("id") ON DELETE CASCADE,
    "userIdentifier" TEXT,
    "tags" TEXT,
    "metadata" TEXT
);
CREATE INDEX IF NOT EXISTS threads_user ON threads ("userId");
CREATE TABLE IF NOT EXISTS steps (
    "id" TEXT PRIMARY KEY,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "threadId" TEXT NOT NULL REFERENCES threads("id") ON DELETE CASCADE,
    "parentId" TEXT,
    "streaming" INTEGER NOT NULL DEFAULT 0,
    "waitForAnswer" INTEGER,
    "isError" INTEGER,
    "metadata" TEXT,
    "tags" TEXT,
    "input" TEXT,
    "output" TEXT,
    "createdAt" TEXT,
    "command" TEXT,
    "modes" TEXT,
    "start" TEXT,
    "end" TEXT,
    "generation" TEXT,
    "showInput" TEXT,
    "language" TEXT,
    "indent" INTEGER,
    "defaultOpen" INTEGER,
    "autoCollapse" INTEGER
);
CREATE INDEX IF NOT EXISTS steps_thread ON steps ("threadId");
CREATE TABLE IF NOT EXISTS elements (
    "id" TEXT PRIMARY KEY,
    "threadId" TEXT REFERENCES threads("id") ON DELETE CASCADE,
    "type" TEXT,
    "url" TEXT,
    "chainlitKey" TEXT,
    "name" TEXT NOT NULL,
    "display" TEXT,
    "objectKey" TEXT,
    "size" TEXT,
    "page" INTEGER,
    "language" TEXT,
    "forId" TEXT,
    "mime" TEXT,
    "props" TEXT,
    "autoPlay" INTEGER,
    "playerConfig" TEXT
);
CREATE INDEX IF NOT EXISTS elements_thread ON elements ("threadId");
CREATE TABLE IF NOT EXISTS feedbacks (
    "id" TEXT PRIMARY KEY,
    "forId" TEXT NOT NULL,
    "threadId" TEXT REFERENCES threads("id") ON DELETE CASCADE,
    "value" INTEGER NOT NULL,
    "comment" TEXT
);
CREATE INDEX IF NOT EXISTS feedbacks_for ON feedbacks ("forId");
"""


#: The same tables on Postgres, typed as Chainlit's own Postgres schema types them
#: (docs.chainlit.io, "SQLAlchemy" data layer): ``metadata`` and ``generation`` JSONB (the layer
#: binds ``json.dumps`` text, which Postgres casts, and reads back dicts, which it accepts),
#: ``tags`` TEXT[] (it binds Python lists), flags BOOLEAN. Two columns stay TEXT where its code
#: parses text: ``elements.props`` (``get_element`` calls ``json.loads`` on it) and
#: ``createdAt``/``start``/``end`` (ISO strings; ``get_user`` asserts a str). Ids are TEXT, not
#: UUID: a guest's user id is its ``guest-...`` identifier (``datalayer.ChatDataLayer``).
POSTGRES_MIGRATIONS = [
    """
    CREATE TABLE IF NOT EXISTS users (
        "id" TEXT PRIMARY KEY,
        "identifier" TEXT NOT NULL UNIQUE,
        "createdAt" TEXT,
        "metadata" JSONB NOT NULL DEFAULT '{}'
    );
    CREATE TABLE IF NOT EXISTS threads (
        "id" TEXT PRIMARY KEY,
        "createdAt" TEXT,
        "name" TEXT,
        "userId" TEXT REFERENCES users("id") ON DELETE CASCADE,
        "userIdentifier" TEXT,
        "tags" TEXT[],
        "metadata" JSONB
    );
    CREATE INDEX IF NOT EXISTS threads_user ON threads ("userId");
    CREATE TABLE IF NOT EXISTS steps (
        "id" TEXT PRIMARY KEY,
        "name" TEXT NOT NULL,
        "type" TEXT NOT NULL,
        "threadId" TEXT NOT NULL REFERENCES threads("id") ON DELETE CASCADE,
        "parentId" TEXT,
        "streaming" BOOLEAN NOT NULL DEFAULT false,
        "waitForAnswer" BOOLEAN,
        "isError" BOOLEAN,
        "metadata" JSONB,
        "tags" TEXT[],
        "input" TEXT,
        "output" TEXT,
        "createdAt" TEXT,
        "command" TEXT,
        "modes" TEXT,
        "start" TEXT,
        "end" TEXT,
        "generation" JSONB,
        "showInput" TEXT,
        "language" TEXT,
        "indent" INTEGER,
        "defaultOpen" BOOLEAN,
        "autoCollapse" BOOLEAN
    );
    CREATE INDEX IF NOT EXISTS steps_thread ON steps ("threadId");
    CREATE TABLE IF NOT EXISTS elements (
        "id" TEXT PRIMARY KEY,
        "threadId" TEXT REFERENCES threads("id") ON DELETE CASCADE,
        "type" TEXT,
        "url" TEXT,
        "chainlitKey" TEXT,
        "name" TEXT NOT NULL,
        "display" TEXT,
        "objectKey" TEXT,
        "size" TEXT,
        "page" INTEGER,
        "language" TEXT,
        "forId" TEXT,
        "mime" TEXT,
        "props" TEXT,
        "autoPlay" BOOLEAN,
        "playerConfig" TEXT
    );
    CREATE INDEX IF NOT EXISTS elements_thread ON elements ("threadId");
    CREATE TABLE IF NOT EXISTS feedbacks (
        "id" TEXT PRIMARY KEY,
        "forId" TEXT NOT NULL,
        "threadId" TEXT REFERENCES threads("id") ON DELETE CASCADE,
        "value" INTEGER NOT NULL,
        "comment" TEXT
    );
    CREATE INDEX IF NOT EXISTS feedbacks_for ON feedbacks ("forId");
    """,
    # Element bytes (source cards, charts, plans): a few kilobytes each.
    "CREATE TABLE IF NOT EXISTS chat_files (key TEXT PRIMARY KEY, mime TEXT NOT NULL, body BYTEA NOT NULL)",
]


def store_url(*, database_url: str, path: Path) -> str:
    """The data layer's SQLAlchemy URL, its tables in place: Postgres when ``database_url`` is set,
    else the SQLite file ``path``."""
    return ensure_postgres_schema(database_url) if database_url else ensure_schema(path)


def ensure_postgres_schema(url: str) -> str:
    """Create the chat tables in the database at ``url`` if missing; return the SQLAlchemy URL
    for psycopg 3's async driver (``postgresql+psycopg://``)."""
    from assistant import db, pg

    conn = pg.connect(url)
    try:
        db.migrate(conn, "chat", POSTGRES_MIGRATIONS)
    finally:
        conn.close()
    return sqlalchemy_url(url)


def sqlalchemy_url(url: str) -> str:
    """``postgresql://...`` (or ``postgres://``) as SQLAlchemy names psycopg 3: ``postgresql+psycopg://...``."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("postgresql", "postgres"):
        raise ValueError(f"not a postgresql:// URL: {scheme}://...")
    return f"postgresql+psycopg://{rest}"


def ensure_schema(path: Path) -> str:
    """Create the chat tables in ``path`` if missing; return the SQLAlchemy URL for aiosqlite."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")  # the thread list reads while answers are written
        conn.executescript(SCHEMA)
    finally:
        conn.close()
    return f"sqlite+aiosqlite:///{path.resolve()}"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_key(object_key: str) -> str:
    """``object_key`` as a relative path that cannot leave the store (``..``, ``/``, odd names)."""
    parts = []
    for part in str(object_key).replace("\\", "/").split("/"):
        part = _UNSAFE.sub("_", part).strip(".")
        if part:
            parts.append(part[:120])
    if not parts:
        raise ValueError(f"empty object key {object_key!r}")
    return "/".join(parts)


class LocalFileStore:
    """A storage client for Chainlit's data layer that keeps files under ``root``.

    It implements the four methods of ``chainlit.data.storage_clients.base.BaseStorageClient``
    (duck-typed, so Chainlit stays imported only by ``app.py``). Keys start with the owner's
    user id (the data layer writes ``<user id>/<element id>/<name>``), which is what the app
    checks before serving a file.
    """

    def __init__(self, root: Path, *, url_prefix: str = "/chat-files") -> None:
        self.root = Path(root)
        self.url_prefix = url_prefix.rstrip("/")

    def path_of(self, object_key: str) -> Path:
        return self.root / safe_key(object_key)

    async def upload_file(
        self,
        object_key: str,
        data: bytes | str,
        mime: str = "application/octet-stream",
        overwrite: bool = True,
        content_disposition: str | None = None,
    ) -> dict:
        key = safe_key(object_key)
        body = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        await asyncio.to_thread(self._write, key, body, mime, overwrite)
        return {"object_key": key, "url": await self.get_read_url(key)}

    def _write(self, key: str, body: bytes, mime: str, overwrite: bool) -> None:
        path = self.root / key
        if path.exists() and not overwrite:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # The type first, then the file: a reader that finds the file always finds its type too.
        self._meta(path).write_text(json.dumps({"mime": mime or "application/octet-stream"}), encoding="utf-8")
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(body)
        tmp.replace(path)  # readers never see half a file

    async def delete_file(self, object_key: str) -> bool:
        path = self.path_of(object_key)
        existed = path.exists()
        for p in (path, self._meta(path)):
            p.unlink(missing_ok=True)
        return existed

    async def get_read_url(self, object_key: str) -> str:
        return f"{self.url_prefix}/{quote(safe_key(object_key))}"

    async def close(self) -> None:
        return None

    def read(self, object_key: str) -> tuple[Path, str]:
        """The file and its MIME type, for serving; ``FileNotFoundError`` if absent."""
        path = self.path_of(object_key)
        if not path.is_file():
            raise FileNotFoundError(object_key)
        try:
            mime = json.loads(self._meta(path).read_text(encoding="utf-8"))["mime"]
        except (OSError, ValueError, KeyError):
            mime = "application/octet-stream"
        return path, mime

    @staticmethod
    def owner(object_key: str) -> str:
        """The user id a key belongs to (its first segment)."""
        return safe_key(object_key).split("/", 1)[0]

    @staticmethod
    def _meta(path: Path) -> Path:
        return path.with_name(path.name + ".meta.json")


class PgFileStore:
    """``LocalFileStore``'s methods over the ``chat_files`` table of a Postgres database.

    ``read`` returns the bytes instead of a path. The calls from the event loop run in a worker
    thread.
    """

    def __init__(self, link, *, url_prefix: str = "/chat-files") -> None:
        from assistant import db

        db.migrate(link.conn, "chat", POSTGRES_MIGRATIONS)
        #: ``assistant.chat.database.Link``: one statement at a time, reopened after a drop.
        self._link = link
        self.url_prefix = url_prefix.rstrip("/")

    @classmethod
    def open(cls, url: str) -> PgFileStore:
        from assistant.chat.database import Link

        return cls(Link.open(url))

    def _run(self, sql: str, params: tuple):
        return self._link.run(lambda conn: conn.execute(sql, params).fetchall())

    async def upload_file(
        self,
        object_key: str,
        data: bytes | str,
        mime: str = "application/octet-stream",
        overwrite: bool = True,
        content_disposition: str | None = None,
    ) -> dict:
        key = safe_key(object_key)
        body = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        on_conflict = "DO UPDATE SET mime = excluded.mime, body = excluded.body" if overwrite else "DO NOTHING"
        await asyncio.to_thread(self._run, "INSERT INTO chat_files (key, mime, body) VALUES (?, ?, ?) "
                                f"ON CONFLICT (key) {on_conflict} RETURNING key",
                                (key, mime or "application/octet-stream", body))  # fmt: skip
        return {"object_key": key, "url": await self.get_read_url(key)}

    async def delete_file(self, object_key: str) -> bool:
        gone = await asyncio.to_thread(self._run, "DELETE FROM chat_files WHERE key = ? RETURNING key",
                                       (safe_key(object_key),))
        return bool(gone)

    async def get_read_url(self, object_key: str) -> str:
        return f"{self.url_prefix}/{quote(safe_key(object_key))}"

    async def close(self) -> None:
        return None  # the connection lives as long as the process (Runtime)

    owner = staticmethod(LocalFileStore.owner)

    def read(self, object_key: str) -> tuple[bytes, str]:
        """The file's bytes and MIME type, for serving; ``FileNotFoundError`` if absent."""
        rows = self._run("SELECT body, mime FROM chat_files WHERE key = ?", (safe_key(object_key),))
        if not rows:
            raise FileNotFoundError(object_key)
        return bytes(rows[0][0]), rows[0][1]
