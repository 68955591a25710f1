"""Tracked bills, every version of their records, and what changed (component ``bills``).

Plain SQL with no SQLite-only constructs beyond ``INTEGER PRIMARY KEY``, so the tables can move
to Postgres with the rest of the catalog. As in ``feeds.store``, crash safety comes from
transactions: a version, its changes and the bill's new validators and state are written in one
transaction, so a run killed before the commit fetches the same file again next time (the old
ETag is still stored), and one killed after it finds the version there and still unindexed.

Dates are ISO 8601 UTC strings with seconds, so they sort as text.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from assistant.bills.decide import Change
from assistant.bills.ids import BillRef
from assistant.bills.models import Bill
from assistant.db import migrate
from assistant.feeds.models import Fetched
from assistant.feeds.store import iso, transaction

MIGRATIONS = [
    """
    CREATE TABLE bills (
        id INTEGER PRIMARY KEY,
        bill_key TEXT NOT NULL UNIQUE,       -- 119-hr-6655
        congress INTEGER NOT NULL,
        bill_type TEXT NOT NULL,
        number INTEGER NOT NULL,
        url TEXT NOT NULL,                   -- the BILLSTATUS file
        added_at TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        last_status INTEGER,
        last_checked TEXT,
        last_success TEXT,
        last_error TEXT,
        last_error_at TEXT,
        consecutive_errors INTEGER NOT NULL DEFAULT 0,
        next_check TEXT,
        disabled_reason TEXT,                -- set on 410 Gone or too many failures
        version INTEGER NOT NULL DEFAULT 0,  -- number of the latest version, 0 before the first
        content_hash TEXT                    -- hash of the latest version's record
    );
    CREATE INDEX bills_number ON bills (bill_type, number);
    CREATE TABLE bill_versions (
        bill_id INTEGER NOT NULL REFERENCES bills(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        fetched_at TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        record TEXT NOT NULL,                -- the parsed Bill as JSON
        latest_action_date TEXT,
        doc_id TEXT NOT NULL UNIQUE,         -- its policy_update document
        indexed INTEGER NOT NULL DEFAULT 0,  -- 0 pending, 1 handed to the search index, 2 no document
        PRIMARY KEY (bill_id, version)
    );
    CREATE INDEX bill_versions_pending ON bill_versions (indexed);
    CREATE TABLE bill_changes (
        bill_id INTEGER NOT NULL,
        version INTEGER NOT NULL,
        position INTEGER NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        change_date TEXT,
        PRIMARY KEY (bill_id, version, position),
        FOREIGN KEY (bill_id, version) REFERENCES bill_versions (bill_id, version) ON DELETE CASCADE
    );
    """,
    # Massachusetts bills share the table: ``congress`` then holds the General Court, ``bill_type``
    # the Legislature's prefix (h, s, hd, sd), and ``url`` the document's API address.
    """
    ALTER TABLE bills ADD COLUMN jurisdiction TEXT NOT NULL DEFAULT 'us';
    """,
    # Topic monitors over a Massachusetts General Court: its document list, kept so a day's searches
    # cost one request, and every matching document with when it was first seen.
    """
    CREATE TABLE ma_document_lists (
        court INTEGER PRIMARY KEY,
        fetched_at TEXT NOT NULL,
        body BLOB NOT NULL                   -- the API's JSON list, zlib-compressed
    );
    CREATE TABLE ma_monitor_hits (
        court INTEGER NOT NULL,
        docket TEXT NOT NULL,                -- HD1234: a filing keeps it when it gets a bill number
        bill TEXT,                           -- H4521; null while only docketed
        title TEXT NOT NULL,
        sponsor TEXT,
        keywords TEXT NOT NULL,              -- the monitors' keywords it matched, comma-separated
        first_seen TEXT NOT NULL,
        baseline INTEGER NOT NULL DEFAULT 0, -- 1: found by the first search, so not "newly filed"
        PRIMARY KEY (court, docket)
    );
    """,
]


@dataclass(frozen=True)
class TrackedBill:
    """A tracked bill with its polling state, as stored."""

    id: int
    key: str
    congress: int
    type: str
    number: int
    url: str
    added_at: str
    etag: str | None
    last_modified: str | None
    last_status: int | None
    last_checked: str | None
    last_success: str | None
    last_error: str | None
    consecutive_errors: int
    next_check: str | None
    disabled_reason: str | None
    version: int
    content_hash: str | None
    #: ``us`` (BILLSTATUS) or ``ma`` (the Massachusetts Legislature's API).
    jurisdiction: str = "us"

    @property
    def ref(self) -> BillRef:
        return BillRef(self.congress, self.type, self.number)


def ensure_schema(conn: sqlite3.Connection) -> None:
    migrate(conn, "bills", MIGRATIONS)


def doc_id_for(key: str, version: int) -> str:
    return f"bill:{key}:v{version}"


def track(conn: sqlite3.Connection, ref, *, url: str, now: datetime, jurisdiction: str = "us") -> bool:
    """Track ``ref`` (True), or update the URL and re-enable a bill already tracked (False).

    ``ref`` is a ``BillRef``, or with ``jurisdiction="ma"`` an ``ma.MaRef`` (court and prefix
    go in the congress and type columns).
    """
    session, kind = (ref.court, ref.prefix) if jurisdiction == "ma" else (ref.congress, ref.type)
    with transaction(conn):
        row = conn.execute("SELECT id FROM bills WHERE bill_key = ?", (ref.key,)).fetchone()
        if row is not None:
            conn.execute(
                "UPDATE bills SET url = ?, disabled_reason = NULL, consecutive_errors = 0, next_check = NULL"
                " WHERE id = ?",
                (url, row["id"]),
            )
            return False
        conn.execute(
            "INSERT INTO bills (bill_key, congress, bill_type, number, url, added_at, jurisdiction)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (ref.key, session, kind, ref.number, url, iso(now), jurisdiction),
        )
        return True


def untrack(conn: sqlite3.Connection, key: str) -> list[str] | None:
    """Forget a bill and its versions; return the doc ids that were indexed (None: not tracked)."""
    with transaction(conn):
        row = conn.execute("SELECT id FROM bills WHERE bill_key = ?", (key,)).fetchone()
        if row is None:
            return None
        doc_ids = [
            r[0]
            for r in conn.execute("SELECT doc_id FROM bill_versions WHERE bill_id = ? AND indexed = 1", (row["id"],))
        ]
        conn.execute("DELETE FROM bill_changes WHERE bill_id = ?", (row["id"],))
        conn.execute("DELETE FROM bill_versions WHERE bill_id = ?", (row["id"],))
        conn.execute("DELETE FROM bills WHERE id = ?", (row["id"],))
        return doc_ids


def get(conn: sqlite3.Connection, key: str) -> TrackedBill | None:
    row = conn.execute("SELECT * FROM bills WHERE bill_key = ?", (key,)).fetchone()
    return _tracked(row) if row else None


def list_tracked(conn: sqlite3.Connection, *, jurisdiction: str | None = None) -> list[TrackedBill]:
    """Every tracked bill, or those of one ``jurisdiction`` (``us`` or ``ma``)."""
    rows = conn.execute(
        "SELECT * FROM bills WHERE ? IS NULL OR jurisdiction = ? ORDER BY jurisdiction DESC, congress DESC,"
        " bill_type, number",
        (jurisdiction, jurisdiction),
    ).fetchall()
    return [_tracked(r) for r in rows]


def newest_congress(conn: sqlite3.Connection, bill_type: str, number: int) -> int | None:
    """The newest Congress in which a bill of this type and number is tracked and fetched."""
    row = conn.execute(
        "SELECT max(congress) FROM bills WHERE bill_type = ? AND number = ? AND version > 0 AND jurisdiction = 'us'",
        (bill_type, number),
    ).fetchone()
    return row[0] if row else None


def latest_record(conn: sqlite3.Connection, bill_id: int) -> dict | None:
    """The latest stored version's record as plain JSON (any jurisdiction)."""
    row = conn.execute(
        "SELECT v.record FROM bill_versions v JOIN bills b ON b.id = v.bill_id AND b.version = v.version"
        " WHERE b.id = ?",
        (bill_id,),
    ).fetchone()
    return json.loads(row[0]) if row else None


def latest_bill(conn: sqlite3.Connection, bill_id: int) -> Bill | None:
    """The latest version of a federal bill (None for a Massachusetts one: see ``latest_record``)."""
    row = conn.execute(
        "SELECT v.record FROM bill_versions v JOIN bills b ON b.id = v.bill_id AND b.version = v.version"
        " WHERE b.id = ? AND b.jurisdiction = 'us'",
        (bill_id,),
    ).fetchone()
    return Bill.from_json(json.loads(row[0])) if row else None


def changes_of(conn: sqlite3.Connection, bill_id: int, version: int) -> list[Change]:
    rows = conn.execute(
        "SELECT kind, text, change_date FROM bill_changes WHERE bill_id = ? AND version = ? ORDER BY position",
        (bill_id, version),
    ).fetchall()
    return [Change(r["kind"], r["text"], r["change_date"]) for r in rows]


def save_not_modified(conn: sqlite3.Connection, tracked: TrackedBill, fetched: Fetched, *, now: datetime) -> None:
    """A 304, or a 200 whose record hashes as the stored one: only the polling state changes."""
    with transaction(conn):
        _record_success(conn, tracked, fetched, now=now)


def save_version(
    conn: sqlite3.Connection,
    tracked: TrackedBill,
    fetched: Fetched,
    bill: Bill,
    *,
    digest: str,
    changes: Sequence[Change],
    latest_action_date: str | None,
    now: datetime,
    indexed: int = 0,
) -> int:
    """Store a new version, its changes and the bill's new state in one transaction.

    ``indexed`` is 0 for a version whose document is still to be indexed, 2 for one that gets no
    document (nothing a reader would call news changed).
    """
    with transaction(conn):
        current = conn.execute("SELECT version FROM bills WHERE id = ?", (tracked.id,)).fetchone()[0]
        version = current + 1
        conn.execute(
            "INSERT INTO bill_versions (bill_id, version, fetched_at, content_hash, record, latest_action_date,"
            " doc_id, indexed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (tracked.id, version, iso(now), digest, json.dumps(bill.to_json(), ensure_ascii=False),
             latest_action_date, doc_id_for(tracked.key, version), indexed),
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO bill_changes (bill_id, version, position, kind, text, change_date) VALUES (?, ?, ?, ?, ?, ?)",
            [(tracked.id, version, n, c.kind, c.text, c.date) for n, c in enumerate(changes)],
        )
        conn.execute("UPDATE bills SET version = ?, content_hash = ? WHERE id = ?", (version, digest, tracked.id))
        _record_success(conn, tracked, fetched, now=now)
        return version


def save_error(
    conn: sqlite3.Connection,
    tracked: TrackedBill,
    error: str,
    *,
    now: datetime,
    status: int | None,
    next_check: datetime,
    disable: str | None = None,
) -> None:
    with transaction(conn):
        conn.execute(
            "UPDATE bills SET last_status = ?, last_checked = ?, last_error = ?, last_error_at = ?,"
            " consecutive_errors = consecutive_errors + 1, next_check = ?,"
            " disabled_reason = coalesce(?, disabled_reason) WHERE id = ?",
            (status, iso(now), error, iso(now), iso(next_check), disable, tracked.id),
        )


def pending_versions(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Versions not yet handed to the search index, with their bill's key."""
    return conn.execute(
        "SELECT v.bill_id, v.version, v.doc_id, v.record, v.latest_action_date, v.fetched_at, b.bill_key, b.url,"
        " b.jurisdiction"
        " FROM bill_versions v JOIN bills b ON b.id = v.bill_id WHERE v.indexed = 0 ORDER BY v.bill_id, v.version"
    ).fetchall()


def mark_indexed(conn: sqlite3.Connection, doc_ids: Sequence[str]) -> None:
    with transaction(conn):
        conn.executemany("UPDATE bill_versions SET indexed = 1 WHERE doc_id = ?", [(d,) for d in doc_ids])


def _record_success(conn: sqlite3.Connection, tracked: TrackedBill, fetched: Fetched, *, now: datetime) -> None:
    # A 304 may omit validators (RFC 9110 15.4.5 only says SHOULD); keep the ones we sent then.
    etag = fetched.etag or (tracked.etag if fetched.not_modified else None)
    last_modified = fetched.last_modified or (tracked.last_modified if fetched.not_modified else None)
    conn.execute(
        "UPDATE bills SET etag = ?, last_modified = ?, last_status = ?, last_checked = ?, last_success = ?,"
        " last_error = NULL, last_error_at = NULL, consecutive_errors = 0, next_check = NULL WHERE id = ?",
        (etag, last_modified, fetched.status, iso(now), iso(now), tracked.id),
    )


def _tracked(row: sqlite3.Row) -> TrackedBill:
    return TrackedBill(
        id=row["id"],
        key=row["bill_key"],
        congress=row["congress"],
        type=row["bill_type"],
        number=row["number"],
        url=row["url"],
        added_at=row["added_at"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_status=row["last_status"],
        last_checked=row["last_checked"],
        last_success=row["last_success"],
        last_error=row["last_error"],
        consecutive_errors=row["consecutive_errors"],
        next_check=row["next_check"],
        disabled_reason=row["disabled_reason"],
        version=row["version"],
        content_hash=row["content_hash"],
        jurisdiction=row["jurisdiction"],
    )
