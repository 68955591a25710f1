"""One Postgres connection shared by the chat's threads, opened again when the server dropped it.

The chat's own stores on Postgres (staff accounts, the sign-in ledger, chat files) each hold one
connection for the life of the replica. A database restart or failover breaks it; psycopg then
marks it ``broken``, and ``Link.run`` opens a new one and runs the work once more, so a replica
outlives its database's restarts without being restarted itself (a request arriving while the
database is down still fails, with the driver's one-line error).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Link:
    """``conn`` (an ``assistant.pg.Connection``) used by one thread at a time; ``reopen`` makes a
    new one after a broken connection (None: never, e.g. a CLI command's own connection)."""

    def __init__(self, conn, *, reopen: Callable[[], object] | None = None) -> None:
        self.conn = conn
        self._reopen = reopen
        self._lock = threading.Lock()

    @classmethod
    def open(cls, url: str) -> Link:
        from assistant import pg

        return cls(pg.open_connection(url), reopen=lambda: pg.open_connection(url))

    @property
    def url(self) -> str:
        return self.conn.url

    def run(self, work: Callable[[object], T]) -> T:
        """``work(conn)`` under the lock; once more on a fresh connection if the old one broke.

        ``work`` must be safe to repeat when its connection broke under it: a single statement,
        or a transaction (which the broken connection rolled back).
        """
        from assistant import pg

        with self._lock:
            try:
                return work(self._live())
            except pg.Error:
                if self._reopen is None or not self.conn.raw.broken:
                    raise
            return work(self._live())

    def _live(self):
        if self._reopen is not None and (self.conn.raw.closed or self.conn.raw.broken):
            try:
                self.conn.close()
            finally:
                self.conn = self._reopen()
        return self.conn

    def close(self) -> None:
        with self._lock:
            self.conn.close()
