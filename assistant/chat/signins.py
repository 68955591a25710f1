"""The sign-in ledger: failed passwords, ended sessions and new guests, kept in SQLite.

It lives in ``<data dir>/signin.db`` so that a restart forgets none of it: a guesser cannot
reset the failure count by waiting for a deploy, and a token signed out stays signed out.

Failed passwords are counted three ways within ``window_s`` (15 minutes):

- per name and client address (``per_name`` failures): one place guessing one name;
- per client address (``per_address``): one place guessing many names;
- per name from anywhere (``per_name``), except from an address that name has signed in from
  before, so that a stranger's guesses cannot keep a staff member out of their usual desk.

A refused attempt is not counted, so a lock ends at most ``window_s`` after the failures that
caused it, however long someone keeps knocking. Each attempt takes its slot *before* the password
is checked (``reserve``), under one lock and one SQLite write transaction, so attempts sent at
once cannot all slip in under the limit (issue 13: five wrong and one right sent together let
the right one in).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS failures (id INTEGER PRIMARY KEY, name TEXT NOT NULL, address TEXT NOT NULL,
                                     at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_name ON failures (name, at);
CREATE INDEX IF NOT EXISTS failures_address ON failures (address, at);
CREATE TABLE IF NOT EXISTS known_addresses (name TEXT NOT NULL, address TEXT NOT NULL,
                                            PRIMARY KEY (name, address));
CREATE TABLE IF NOT EXISTS ended_sessions (session TEXT PRIMARY KEY, until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS guests (address TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS guests_address ON guests (address, at);
"""


@dataclass(frozen=True)
class Limits:
    #: Failed passwords for one name (from one address, or from anywhere) before it is refused.
    per_name: int = 5
    #: Failed passwords from one client address, whatever the names, before it is refused.
    per_address: int = 20
    #: Seconds a failure counts for; also the longest any lock lasts.
    window_s: float = 900.0
    #: New guest identities one client address may receive per hour (a classroom shares one).
    guests_per_hour: int = 30


class SignInLedger:
    """Failures, ended sessions and guest creations in one SQLite file (``":memory:"`` in tests)."""

    def __init__(self, path: Path | str, *, limits: Limits = Limits(), clock: Callable[[], float] = time.time):
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        self._conn.executescript(SCHEMA)
        self._lock = threading.Lock()
        self.limits = limits
        self._clock = clock

    def close(self) -> None:
        self._conn.close()

    def _write(self, work: Callable[[sqlite3.Connection, float], object]):
        """Run ``work`` in one write transaction, one thread at a time (other processes wait on
        SQLite's lock: ``BEGIN IMMEDIATE`` takes it before the first read)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(self._conn, self._clock())
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return result

    # -- passwords ------------------------------------------------------------------------------

    def reserve(self, name: str, address: str) -> int | None:
        """Count one attempt as failed until ``succeeded`` says otherwise; None when refused."""

        def work(conn: sqlite3.Connection, now: float) -> int | None:
            since = now - self.limits.window_s
            conn.execute("DELETE FROM failures WHERE at < ?", (since,))
            if self._blocked(conn, name, address):
                return None
            return conn.execute(
                "INSERT INTO failures (name, address, at) VALUES (?, ?, ?)", (name, address, now)
            ).lastrowid

        return self._write(work)

    def _blocked(self, conn: sqlite3.Connection, name: str, address: str) -> bool:
        def count(where: str, *args: str) -> int:
            return conn.execute(f"SELECT count(*) FROM failures WHERE {where}", args).fetchone()[0]

        if count("name = ? AND address = ?", name, address) >= self.limits.per_name:
            return True
        if count("address = ?", address) >= self.limits.per_address:
            return True
        known = conn.execute(
            "SELECT 1 FROM known_addresses WHERE name = ? AND address = ?", (name, address)
        ).fetchone()
        return known is None and count("name = ?", name) >= self.limits.per_name

    def succeeded(self, name: str, address: str) -> None:
        """Clear ``name``'s failures and remember ``address`` as one it signs in from."""

        def work(conn: sqlite3.Connection, _now: float) -> None:
            conn.execute("DELETE FROM failures WHERE name = ?", (name,))
            conn.execute("INSERT OR IGNORE INTO known_addresses (name, address) VALUES (?, ?)", (name, address))

        self._write(work)

    # -- sessions -------------------------------------------------------------------------------

    def end_session(self, session: str, *, lifetime_s: float) -> None:
        """Void every token of ``session`` (its renewals included) for ``lifetime_s`` seconds,
        the longest any of them can still be valid."""

        def work(conn: sqlite3.Connection, now: float) -> None:
            conn.execute("DELETE FROM ended_sessions WHERE until < ?", (now,))
            conn.execute(
                "INSERT INTO ended_sessions (session, until) VALUES (?, ?) "
                "ON CONFLICT(session) DO UPDATE SET until = max(until, excluded.until)",
                (session, now + lifetime_s),
            )

        self._write(work)

    def session_ended(self, session: str) -> bool:
        with self._lock:
            row = self._conn.execute("SELECT until FROM ended_sessions WHERE session = ?", (session,)).fetchone()
        return row is not None and row[0] >= self._clock()

    # -- guests ---------------------------------------------------------------------------------

    def admit_guest(self, address: str) -> bool:
        """Record a new guest identity for ``address``; False once its hourly share is used."""

        def work(conn: sqlite3.Connection, now: float) -> bool:
            conn.execute("DELETE FROM guests WHERE at < ?", (now - 3600,))
            made = conn.execute("SELECT count(*) FROM guests WHERE address = ?", (address,)).fetchone()[0]
            if made >= self.limits.guests_per_hour:
                return False
            conn.execute("INSERT INTO guests (address, at) VALUES (?, ?)", (address, now))
            return True

        return self._write(work)
