"""Topic monitors over a whole Massachusetts General Court: newly filed bills on our topics.

Once a day the court's document list (``{base}/GeneralCourts/{n}/Documents``: every filing, 8,000
or more, slow to answer) is fetched in one request and kept; any search within the day reads the
kept copy. Titles are searched for the monitors' keywords, matched like the feed filters
(case-insensitive, at the start of a word: "apprentice" finds "apprenticeship"). A filing is keyed
by its docket number, which it keeps when it later gets a bill number, so it is reported once.
The first search of a court records what is already there as a baseline, not as news.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from assistant.bills import store
from assistant.bills.ids import ordinal
from assistant.bills.ma import CURRENT_COURT
from assistant.feeds.models import utc_now
from assistant.feeds.store import iso, transaction

DEFAULT_KEYWORDS = (
    "apprentice",
    "allied health",
    "workforce",
    "right to repair",
    "community college",
    "vocational",
    "technical education",
    "biomedical",
    "medical device",
    "health care worker",
)
#: How long a fetched document list answers searches before the next request.
MAX_AGE = timedelta(days=1)
#: The list is large (3.7 MB for the 192nd court) and slow (8-27 s measured): generous caps.
LIST_MAX_BYTES = 64 * 1024 * 1024
LIST_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Filing:
    court: int
    docket: str
    bill: str | None
    title: str
    sponsor: str
    keywords: tuple[str, ...]

    @property
    def url(self) -> str:
        return f"https://malegislature.gov/Bills/{self.court}/{self.bill or self.docket}"

    def to_json(self) -> dict:
        return {"bill": self.bill, "docket": self.docket, "title": self.title, "sponsor": self.sponsor,
                "keywords": list(self.keywords), "url": self.url}  # fmt: skip


@dataclass(frozen=True)
class MonitorResult:
    court: int
    documents: int
    fetched: bool
    matching: int
    new: tuple[Filing, ...] = ()
    baseline: bool = False
    error: str | None = None

    def to_json(self) -> dict:
        return {"court": self.court, "documents": self.documents, "fetched": self.fetched,
                "matching": self.matching, "baseline": self.baseline, "new": [f.to_json() for f in self.new],
                "error": self.error}  # fmt: skip


def search(documents: Sequence[dict], keywords: Sequence[str], *, court: int) -> list[Filing]:
    """Filings whose title holds a keyword at a word start. Pure."""
    patterns = [(k, re.compile(r"(?<!\w)" + re.escape(k), re.IGNORECASE)) for k in keywords if k.strip()]
    found = []
    for doc in documents:
        title = (doc.get("Title") or "").strip()
        hits = tuple(k for k, p in patterns if p.search(title))
        if hits and doc.get("DocketNumber"):
            sponsor = ((doc.get("PrimarySponsor") or {}).get("Name") or "").strip()
            found.append(Filing(court, doc["DocketNumber"], doc.get("BillNumber"), title, sponsor, hits))
    return found


def run_monitor(
    conn: store.Connection,
    *,
    base: str,
    court: int = CURRENT_COURT,
    keywords: Sequence[str] = DEFAULT_KEYWORDS,
    client=None,
    now: Callable[[], datetime] = utc_now,
    allow_private: bool = False,
    force: bool = False,
) -> MonitorResult:
    """Search the court's document list (fetched at most once a day unless ``force``)."""
    store.ensure_schema(conn)
    moment = now()
    kept = conn.execute("SELECT fetched_at, body FROM ma_document_lists WHERE court = ?", (court,)).fetchone()
    fetched, error = False, None
    if force or kept is None or kept["fetched_at"] < iso(moment - MAX_AGE):
        try:
            body = _fetch_list(f"{base.rstrip('/')}/GeneralCourts/{court}/Documents", client, allow_private, now)
            with transaction(conn):
                conn.execute(
                    "INSERT INTO ma_document_lists (court, fetched_at, body) VALUES (?, ?, ?) ON CONFLICT(court)"
                    " DO UPDATE SET fetched_at = excluded.fetched_at, body = excluded.body",
                    (court, iso(moment), zlib.compress(body)),
                )
            kept, fetched = {"body": zlib.compress(body)}, True
        except Exception as exc:  # the API drops out: search yesterday's list, and say so
            error = f"document list of the {ordinal(court)} General Court not fetched: {exc}"
            if kept is None:
                return MonitorResult(court, 0, False, 0, error=error)
    documents = json.loads(zlib.decompress(kept["body"]))
    if not isinstance(documents, list):
        return MonitorResult(court, 0, fetched, 0, error=f"document list of court {court} is not a list")
    found = search(documents, keywords, court=court)
    baseline = conn.execute("SELECT 1 FROM ma_monitor_hits WHERE court = ? LIMIT 1", (court,)).fetchone() is None
    known = {r[0] for r in conn.execute("SELECT docket FROM ma_monitor_hits WHERE court = ?", (court,))}
    new = [f for f in found if f.docket not in known]
    with transaction(conn):  # a search in another process may have kept some of them meanwhile
        conn.executemany(
            "INSERT INTO ma_monitor_hits (court, docket, bill, title, sponsor, keywords, first_seen, baseline)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (court, docket) DO NOTHING",
            [(f.court, f.docket, f.bill, f.title, f.sponsor, ", ".join(f.keywords), iso(moment), int(baseline))
             for f in new],
        )  # fmt: skip
        for f in found:  # a docketed filing that got its bill number since
            if f.bill:
                conn.execute("UPDATE ma_monitor_hits SET bill = ? WHERE court = ? AND docket = ? AND bill IS NULL",
                             (f.bill, court, f.docket))  # fmt: skip
    return MonitorResult(court, len(documents), fetched, len(found), tuple(new), baseline, error)


def _fetch_list(url: str, client, allow_private: bool, now) -> bytes:
    from assistant.bills.ma_refresh import ma_client
    from assistant.feeds.fetch import fetch

    own = client is None
    client = client or ma_client()
    try:
        fetched = fetch(url, client=client, allow_private=allow_private, now=now, max_bytes=LIST_MAX_BYTES,
                        deadline_s=LIST_TIMEOUT_S * 3)  # fmt: skip
        json.loads(fetched.content)  # never keep a list we cannot read
        return fetched.content
    finally:
        if own:
            client.close()


def filed_since(conn: store.Connection, *, since: datetime) -> list:
    """Matching filings first seen since ``since`` (not the baseline), newest first."""
    if not store.has_table(conn, "ma_monitor_hits"):
        return []
    return conn.execute(
        "SELECT * FROM ma_monitor_hits WHERE baseline = 0 AND first_seen >= ? ORDER BY first_seen DESC, docket",
        (iso(since),),
    ).fetchall()
