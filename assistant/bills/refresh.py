"""Refresh tracked bills from GovInfo's BILLSTATUS files; one ``BillUpdate`` per bill, never an abort.

The pipeline, per bill::

    bill | claim (claims.py) | fetch (feeds.fetch, thread pool) | parse | same hash? | decide
         | store (1 transaction) | release

then, once for the run, ``sync_index`` hands new versions to the search index as
``policy_update`` documents. Fetching goes through the feed tracker's ``fetch`` (conditional GET,
redirects checked hop by hop, the SSRF guard, size and time caps) and its ``RetryPolicy``
(back-off, Retry-After, 410 stops polling), so everything the assistant downloads takes one
network path with one set of rules.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime

import httpx

from assistant import db
from assistant.bills import ma_refresh, store
from assistant.bills.claims import claimed_fetches
from assistant.bills.decide import OTHER, Change, content_hash, decide, headline, newest_action
from assistant.bills.ma import MaBill
from assistant.bills.models import Bill
from assistant.bills.parse import BillError, parse_billstatus
from assistant.errors import FeedError
from assistant.feeds.fetch import DEFAULT_MAX_BYTES, HTTPStatusFetchError, fetch, make_client
from assistant.feeds.index_updates import BATCH, Index, IndexResult
from assistant.feeds.models import Fetched, utc_now
from assistant.feeds.refresh import RetryPolicy
from assistant.feeds.store import iso
from assistant.types import Document

log = logging.getLogger(__name__)

#: ``bill_versions.indexed`` of a version that changed nothing a reader would call news.
NO_DOCUMENT = 2


@dataclass(frozen=True)
class BillUpdate:
    """The result of refreshing one bill (the ``bills refresh --json`` entry of DESIGN.md)."""

    bill: str
    congress: int
    label: str
    status: str
    changes: tuple[str, ...] = ()
    error: str | None = None
    #: ``us``, or ``ma`` where ``congress`` holds the General Court.
    jurisdiction: str = "us"

    def to_json(self) -> dict:
        session = {"court": self.congress} if self.jurisdiction == "ma" else {"congress": self.congress}
        return {
            "bill": self.bill,
            **session,
            "jurisdiction": self.jurisdiction,
            "status": self.status,
            "changes": list(self.changes),
            "error": self.error,
        }


def refresh_bills(
    conn,
    *,
    client: httpx.Client | None = None,
    now: Callable[[], datetime] = utc_now,
    allow_private: bool = False,
    workers: int = 16,
    force: bool = False,
    keys: Iterable[str] | None = None,
    policy: RetryPolicy = RetryPolicy(),
    rng: random.Random | None = None,
    fetch_options: dict | None = None,
) -> Iterator[BillUpdate]:
    """Refresh every tracked bill (or just ``keys``); yield a result per bill as it finishes.

    ``force`` ignores back-off waits, not bills that stopped being polled (410 Gone). A bill
    another process refreshed meanwhile is reported from what that process stored, without its
    changes (that process reports them).
    """
    store.ensure_schema(conn)
    rng = rng or random.Random()
    wanted = set(keys) if keys is not None else None
    due = []
    for tracked in store.list_tracked(conn, jurisdiction="us"):
        if wanted is not None and tracked.key not in wanted:
            continue
        if tracked.disabled_reason:
            yield _error(tracked, f"not polled: {tracked.disabled_reason}; `assistant bills track` resumes it")
        elif not force and tracked.next_check and tracked.next_check > iso(now()):
            yield _error(
                tracked,
                f"waiting until {tracked.next_check} after {tracked.consecutive_errors} failed attempt(s); "
                f"last error: {tracked.last_error}",
            )
        else:
            due.append(tracked)
    if not due:
        return
    options = {"max_bytes": DEFAULT_MAX_BYTES, **(fetch_options or {})}
    own_client = client is None
    client = client or make_client(max_connections=workers)
    size = max(1, min(workers, len(due)))
    pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="bills")
    try:
        fetches = claimed_fetches(
            conn, due, lambda tracked: pool.submit(_fetch_and_parse, tracked, client, allow_private, now, options),
            limit=size,
        )
        for tracked, future in fetches:
            if future is None:
                yield refreshed_elsewhere(tracked, _update(tracked, "ok"))
                continue
            try:
                fetched, bill = future.result()
                yield _store(conn, tracked, fetched, bill, now=now)
            except (FeedError, BillError) as exc:
                yield _fail(conn, tracked, exc, now=now, policy=policy, rng=rng)
            except Exception as exc:  # a bug or a broken database must not end the batch
                log.exception("%s: unexpected error while refreshing", tracked.key)
                wrapped = BillError(tracked.key, f"unexpected error ({type(exc).__name__}: {exc})")
                yield _fail(conn, tracked, wrapped, now=now, policy=policy, rng=rng)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if own_client:
            client.close()


def _fetch_and_parse(tracked: store.TrackedBill, client, allow_private, now, options) -> tuple[Fetched, Bill | None]:
    fetched = fetch(
        tracked.url,
        client=client,
        etag=tracked.etag,
        last_modified=tracked.last_modified,
        allow_private=allow_private,
        now=now,
        **options,
    )
    if fetched.not_modified:
        return fetched, None
    bill = parse_billstatus(fetched.content, name=f"{tracked.ref.label} ({tracked.key})")
    if bill.ref.key != tracked.key:
        raise BillError(tracked.key, f"{tracked.url} describes {bill.ref.key}, not {tracked.key}")
    return fetched, bill


def _store(conn, tracked: store.TrackedBill, fetched: Fetched, bill: Bill | None, *, now) -> BillUpdate:
    moment = now()
    if bill is None:
        store.save_not_modified(conn, tracked, fetched, now=moment)
        return _update(tracked, "not_modified")
    digest = content_hash(bill)
    if digest == tracked.content_hash:
        store.save_not_modified(conn, tracked, fetched, now=moment)
        return _update(tracked, "ok")
    previous = store.latest_bill(conn, tracked.id) if tracked.version else None
    changes = decide(previous, bill)
    latest = newest_action(bill)
    stored = store.save_version(
        conn, tracked, fetched, bill, digest=digest, changes=changes,
        latest_action_date=latest.date if latest else None, now=moment,
        indexed=NO_DOCUMENT if all(c.kind == OTHER for c in changes) else 0,
    )  # fmt: skip
    return _update(tracked, "ok", tuple(c.text for c in changes) if stored else ())


def _fail(conn, tracked: store.TrackedBill, exc: FeedError | BillError, *, now, policy: RetryPolicy, rng) -> BillUpdate:
    return _error(tracked, record_failure(conn, tracked, exc, now=now, policy=policy, rng=rng))


def record_failure(
    conn, tracked: store.TrackedBill, exc: FeedError | BillError, *, now, policy: RetryPolicy, rng
) -> str:
    """Record a failed fetch with the feed tracker's back-off; return the one-line cause."""
    federal = tracked.jurisdiction == "us"
    moment = now()
    failures = tracked.consecutive_errors + 1
    next_check = moment + policy.delay(failures, rng)
    status, disable, cause = None, None, exc.cause
    if isinstance(exc, HTTPStatusFetchError):
        status = exc.status
        if exc.retry_after is not None:
            next_check = max(next_check, min(exc.retry_after, moment + policy.max_retry_after))
        if exc.status == 404 and federal:
            cause += f" (no BILLSTATUS file at {tracked.url}: check the number and the Congress)"
        if exc.gone:
            disable = f"gone (HTTP 410): {'GovInfo' if federal else 'the Legislature'} no longer publishes this record"
            cause = f"gone (HTTP 410) at {tracked.url}: polling stopped"
    refused = isinstance(exc, HTTPStatusFetchError) and exc.refused  # a 403 is retried, never dropped
    if disable is None and failures >= policy.max_failures and not refused:
        disable = f"{failures} consecutive failures"
    try:
        store.save_error(conn, tracked, cause, now=moment, status=status, next_check=next_check, disable=disable)
    except db.errors():
        log.exception("%s: could not record the error", tracked.key)
    return cause


def refreshed_elsewhere(tracked: store.TrackedBill, update: BillUpdate) -> BillUpdate:
    """The report of a bill another process refreshed during this run, from its stored state."""
    if tracked.disabled_reason:
        return replace(update, status="error", error=f"not polled: {tracked.disabled_reason}")
    if tracked.consecutive_errors:
        return replace(update, status="error", error=tracked.last_error)
    return replace(update, status="not_modified" if tracked.last_status == 304 else "ok")


def _update(tracked: store.TrackedBill, status: str, changes: tuple[str, ...] = ()) -> BillUpdate:
    ref = tracked.ref
    return BillUpdate(bill=ref.bill, congress=ref.congress, label=ref.label, status=status, changes=changes)


def _error(tracked: store.TrackedBill, message: str) -> BillUpdate:
    ref = tracked.ref
    return BillUpdate(bill=ref.bill, congress=ref.congress, label=ref.label, status="error", error=message)


# -- the search index --------------------------------------------------------------------------


def to_document(row, bill: Bill, changes: list[Change]) -> Document:
    """The ``policy_update`` Document of one version: what changed, dated by the news it carries."""
    ref = bill.ref
    name = bill.short_title or bill.popular_title or bill.title
    latest = newest_action(bill)
    lines = [f"{ref.label} ({ref.congress_label}), {name}: {bill.official_title}"]
    lines.append(f"What changed in the BILLSTATUS record (version {row['version']}, seen {row['fetched_at'][:10]}):")
    lines += [f"- {c.text}" for c in changes]
    if latest:
        lines.append(f"Latest action, {latest.date}: {latest.text}")
    return Document(
        doc_id=row["doc_id"],
        source=row["url"],
        title=f"{ref.label}: {headline(changes)}",
        text="\n".join(lines),
        doc_type="policy_update",
        audience=("advocacy",),
        jurisdiction="US",
        source_urls=(ref.congress_gov_url,),
        published=_news_date(latest, changes, fallback=row["fetched_at"]),
        extra=(("feed", "BILLSTATUS (GovInfo)"), ("topic", "bills"), ("bill", ref.key)),
    )


def _news_date(latest, changes: list[Change], *, fallback: str) -> date:
    # The newest action's date; a change dated later (a cosponsor who signed on after the last
    # action) moves it forward, so "what happened this month" finds that news too.
    dates = [d[:10] for d in [latest.date if latest else None, *(c.date for c in changes)] if d]
    return date.fromisoformat(max(dates) if dates else fallback[:10])


def sync_index(conn, get_index: Callable[[], Index], *, batch: int = BATCH) -> IndexResult:
    """Index versions not yet indexed; touch the index only when there are some.

    As for feed items, the store says what is pending, so a crash between storing a version and
    indexing it is repaired by the next run (``replace`` is idempotent by doc id). One process
    indexes at a time (a claim on the index, waited for), so the next finds the versions done.
    """
    store.ensure_schema(conn)
    with db.exclusive(conn, "index"):  # the lock feeds and ingest take too: one index writer at a time
        return _sync_index(conn, get_index, batch=batch)


def _sync_index(conn, get_index: Callable[[], Index], *, batch: int) -> IndexResult:
    pending = []
    for row in store.pending_versions(conn):
        changes = store.changes_of(conn, row["bill_id"], row["version"])
        if row["jurisdiction"] == "ma":
            pending.append(ma_refresh.to_document(row, MaBill.from_json(json.loads(row["record"])), changes))
        else:
            pending.append(to_document(row, Bill.from_json(json.loads(row["record"])), changes))
    if not pending:
        return IndexResult()
    index = get_index()
    for start in range(0, len(pending), batch):
        chunk = pending[start : start + batch]
        index.replace(chunk)
        store.mark_indexed(conn, [doc.doc_id for doc in chunk])
    return IndexResult(indexed=len(pending))
