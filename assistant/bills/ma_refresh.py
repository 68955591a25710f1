"""Refresh tracked Massachusetts bills from the Legislature's API; one ``BillUpdate`` per bill.

Per bill, in a small thread pool (the API is slow and drops out under load)::

    GET {base}/GeneralCourts/{n}/Documents/{id}              the detail
    GET {base}/GeneralCourts/{n}/Documents/{id}/DocumentHistoryActions
    GET {base}/Hearings/{id}                                  hearings the detail offers, newest few
    | parse (ma.parse_document) | same hash? | ma.decide | store (one transaction, as federal bills)

Bills are claimed one worker at a time across processes as federal ones are (``claims.py``).

Every request goes through ``feeds.fetch`` (SSRF guard, size and time caps) with ``Accept:
application/json``; a failed bill is recorded with the feed tracker's ``RetryPolicy`` back-off and
the others go on. The API sends no validators, so "unchanged" means "same hash of the parsed record".
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import httpx

from assistant.bills import ma, store
from assistant.bills.claims import claimed_fetches
from assistant.bills.decide import OTHER, Change, headline
from assistant.bills.parse import BillError
from assistant.errors import FeedError
from assistant.feeds.fetch import HTTPStatusFetchError, fetch, make_client
from assistant.feeds.models import Fetched, utc_now
from assistant.feeds.refresh import RetryPolicy
from assistant.feeds.store import iso
from assistant.types import Document

log = logging.getLogger(__name__)

#: Hearings of the committee holding a bill that are fetched per refresh (newest first).
MAX_HEARINGS = 3
#: Bills fetched at once: the API answers slowly and fails under parallel load.
WORKERS = 4
MAX_BYTES = 8 * 1024 * 1024


def ma_client() -> httpx.Client:
    """A client that asks for JSON (the API answers XML otherwise), with long timeouts."""
    client = make_client(timeout=60.0, connect_timeout=20.0, max_connections=WORKERS)
    client.headers["Accept"] = "application/json"
    return client


def refresh_ma_bills(
    conn,
    *,
    base: str,
    client: httpx.Client | None = None,
    now: Callable[[], datetime] = utc_now,
    allow_private: bool = False,
    force: bool = False,
    keys: Iterable[str] | None = None,
    policy: RetryPolicy = RetryPolicy(),
    rng: random.Random | None = None,
) -> Iterator:
    """Refresh every tracked Massachusetts bill (or just ``keys``); yield a ``BillUpdate`` each."""
    from assistant.bills.refresh import record_failure, refreshed_elsewhere  # refresh imports this module

    store.ensure_schema(conn)
    rng = rng or random.Random()
    wanted = set(keys) if keys is not None else None
    due = []
    for tracked in store.list_tracked(conn, jurisdiction="ma"):
        if wanted is not None and tracked.key not in wanted:
            continue
        if tracked.disabled_reason:
            why = f"not polled: {tracked.disabled_reason}; `assistant bills track` resumes it"
            yield _update(tracked, "error", error=why)
        elif not force and tracked.next_check and tracked.next_check > iso(now()):
            why = (f"waiting until {tracked.next_check} after {tracked.consecutive_errors} failed attempt(s);"
                   f" last error: {tracked.last_error}")  # fmt: skip
            yield _update(tracked, "error", error=why)
        else:
            due.append(tracked)
    if not due:
        return
    own_client = client is None
    client = client or ma_client()
    size = min(WORKERS, len(due))
    pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="ma-bills")
    try:
        fetches = claimed_fetches(
            conn, due, lambda t: pool.submit(_fetch_bill, t, client, base, allow_private, now), limit=size
        )
        for tracked, future in fetches:
            if future is None:
                yield refreshed_elsewhere(tracked, _update(tracked, "ok"))
                continue
            try:
                fetched, bill = future.result()
                yield _store(conn, tracked, fetched, bill, now=now)
            except (FeedError, BillError) as exc:
                cause = record_failure(conn, tracked, _explain(exc, tracked), now=now, policy=policy, rng=rng)
                yield _update(tracked, "error", error=cause)
            except Exception as exc:  # a bug or a broken database must not end the batch
                log.exception("%s: unexpected error while refreshing", tracked.key)
                wrapped = BillError(tracked.key, f"unexpected error ({type(exc).__name__}: {exc})")
                cause = record_failure(conn, tracked, wrapped, now=now, policy=policy, rng=rng)
                yield _update(tracked, "error", error=cause)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if own_client:
            client.close()


def _get_json(url: str, *, client, allow_private, now, name: str):
    fetched = fetch(url, client=client, allow_private=allow_private, now=now, max_bytes=MAX_BYTES, deadline_s=180.0)
    try:
        return fetched, json.loads(fetched.content)
    except ValueError as exc:
        raise BillError(name, f"{url} is not JSON ({exc}); was Accept: application/json ignored?") from exc


def _fetch_bill(tracked: store.TrackedBill, client, base: str, allow_private, now) -> tuple[Fetched, ma.MaBill]:
    ref = _ref(tracked)
    args = {"client": client, "allow_private": allow_private, "now": now, "name": ref.label}
    fetched, detail = _get_json(ref.document_url(base), **args)
    _, history = _get_json(ref.history_url(base), **args)
    records = []
    for event_id in ma.hearing_ids(detail if isinstance(detail, dict) else {})[:MAX_HEARINGS]:
        try:
            _, record = _get_json(ma.hearing_url(base, event_id), **args)
        except (FeedError, BillError) as exc:  # some hearings answer 500 for good: the history still tells
            log.warning("%s: hearing %s skipped: %s", ref.label, event_id, exc)
            continue
        if isinstance(record, dict) and ma.lists_bill(record, ref):
            records.append(record)
    try:
        return fetched, ma.parse_document(ref, detail, history, records)
    except (ValueError, TypeError, AttributeError) as exc:
        raise BillError(ref.label, f"unreadable API answer for {ref.document_url(base)}: {exc}") from exc


def _explain(exc: FeedError | BillError, tracked: store.TrackedBill):
    if isinstance(exc, HTTPStatusFetchError) and exc.status in (400, 404):
        ref = _ref(tracked)
        exc.cause += f" (the Legislature has no {ref.bill} in the {ref.court_label}: check the number and --court)"
    elif isinstance(exc, HTTPStatusFetchError) and exc.status >= 500:
        exc.cause += " (the Legislature's API failed on this bill; it is tried again later with back-off)"
    return exc


def _store(conn, tracked: store.TrackedBill, fetched: Fetched, bill: ma.MaBill, *, now):
    moment = now()
    digest = ma.content_hash(bill)
    if digest == tracked.content_hash:
        store.save_not_modified(conn, tracked, fetched, now=moment)
        return _update(tracked, "ok")
    record = store.latest_record(conn, tracked.id) if tracked.version else None
    changes = ma.decide(ma.MaBill.from_json(record) if record else None, bill)
    latest = bill.latest_action
    stored = store.save_version(
        conn, tracked, fetched, bill, digest=digest, changes=changes,
        latest_action_date=latest.date if latest else None, now=moment,
        indexed=2 if all(c.kind == OTHER for c in changes) else 0,
    )  # fmt: skip
    return _update(tracked, "ok", tuple(c.text for c in changes) if stored else ())


def _ref(tracked: store.TrackedBill) -> ma.MaRef:
    return ma.MaRef(tracked.congress, tracked.type, tracked.number)


def _update(tracked: store.TrackedBill, status: str, changes: tuple[str, ...] = (), *, error: str | None = None):
    from assistant.bills.refresh import BillUpdate

    ref = _ref(tracked)
    return BillUpdate(bill=ref.bill, congress=ref.court, label=ref.label, status=status, changes=changes,
                      error=error, jurisdiction="ma")  # fmt: skip


def to_document(row, bill: ma.MaBill, changes: list[Change]) -> Document:
    """The ``policy_update`` Document of one Massachusetts version, cited to the bill's page."""
    ref = bill.ref
    latest = bill.latest_action
    lines = [f"{ref.label} ({ref.court_label}, Massachusetts), {bill.title}"]
    if bill.sponsor:
        lines.append(f"Filed by {bill.sponsor}.")
    lines.append(f"What changed in the Legislature's record (version {row['version']}, seen {row['fetched_at'][:10]}):")
    lines += [f"- {c.text}" for c in changes]
    if latest:
        lines.append(f"Latest action, {latest.date} ({latest.branch}): {latest.text}")
    dates = [d for d in [latest.date if latest else None, *(c.date for c in changes)] if d]
    return Document(
        doc_id=row["doc_id"],
        source=ref.page_url,
        title=f"{ref.label}: {headline(changes)}",
        text="\n".join(lines),
        doc_type="policy_update",
        audience=("advocacy",),
        jurisdiction="MA",
        source_urls=(ref.page_url,),
        published=date.fromisoformat(max(dates) if dates else row["fetched_at"][:10]),
        extra=(("feed", "Massachusetts Legislature"), ("topic", "bills"), ("bill", ref.key)),
    )
