"""Refresh every due feed and report one ``FeedUpdate`` per feed; never abort the batch.

The pipeline, per feed::

    feed | fetch (thread pool) | parse (same worker, skipped on 304) | decide | store (1 transaction)

then, once for the run, ``index_updates.sync_index``. Network and parsing run in worker threads
so slow servers overlap; SQLite writes stay on the calling thread (one writer, no lock contention).

Failures follow what Miniflux and reader do: the error is recorded on the feed, the next attempt
waits an exponential back-off with jitter (or the server's Retry-After, when later), a 410 stops
polling at once, and ``max_failures`` consecutive failures disable the feed until the operator
re-adds it. Disabled and waiting feeds are reported as errors, so they are never silently stale.
"""

from __future__ import annotations

import logging
import random
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from assistant.errors import FeedError
from assistant.feeds import store
from assistant.feeds.decide import CHANGED, NEW, UNCHANGED, decide, prepare
from assistant.feeds.fetch import DEFAULT_MAX_BYTES, HTTPStatusFetchError, fetch, make_client
from assistant.feeds.models import Fetched, FeedUpdate, ParsedFeed, utc_now
from assistant.feeds.parse import parse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    #: Consecutive failures after which a feed is disabled (tt-rss and Miniflux default to ~10).
    max_failures: int = 10
    #: First back-off; doubles with each further failure, up to ``cap``.
    base: timedelta = timedelta(minutes=30)
    cap: timedelta = timedelta(hours=24)
    #: A Retry-After further away than this is treated as this (a typo'd header must not
    #: silence a feed for a year).
    max_retry_after: timedelta = timedelta(days=7)

    def delay(self, failures: int, rng: random.Random) -> timedelta:
        """Back-off with "equal jitter": half fixed, half random, so feeds on one host that
        failed together do not all retry in the same second."""
        full = min(self.cap, self.base * (2 ** max(0, failures - 1)))
        return full / 2 + full / 2 * rng.random()


def refresh_feeds(
    conn: sqlite3.Connection,
    *,
    client: httpx.Client | None = None,
    now: Callable[[], datetime] = utc_now,
    allow_private: bool = False,
    workers: int = 16,
    force: bool = False,
    urls: Iterable[str] | None = None,
    policy: RetryPolicy = RetryPolicy(),
    rng: random.Random | None = None,
    fetch_options: dict | None = None,
) -> Iterator[FeedUpdate]:
    """Refresh the stored subscriptions (or just ``urls``); yield a result per feed as it finishes.

    ``force`` ignores back-off and Retry-After waits, not disablement. ``fetch_options`` go to
    ``fetch.fetch`` (``max_bytes``, ``deadline_s``, ``resolve`` ...).
    """
    store.ensure_schema(conn)
    rng = rng or random.Random()
    wanted = set(urls) if urls is not None else None
    due = []
    for feed in store.list_feeds(conn):
        if wanted is not None and feed.url not in wanted and feed.added_url not in wanted:
            continue
        if feed.disabled_reason:
            yield _error(feed, f"disabled: {feed.disabled_reason}; `assistant feeds add {feed.url}` re-enables it")
        elif not force and feed.next_check and feed.next_check > store.iso(now()):
            yield _error(
                feed,
                f"waiting until {feed.next_check} after {feed.consecutive_errors} failed attempt(s); "
                f"last error: {feed.last_error}",
            )
        else:
            due.append(feed)
    if not due:
        return
    options = {"max_bytes": DEFAULT_MAX_BYTES, **(fetch_options or {})}
    own_client = client is None
    client = client or make_client(max_connections=workers)
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(due))), thread_name_prefix="feeds")
    try:
        futures: dict[Future, store.Feed] = {
            pool.submit(_fetch_and_parse, feed, client, allow_private, now, options): feed for feed in due
        }
        for future in as_completed(futures):
            feed = futures[future]
            try:
                fetched, parsed = future.result()
                yield _store(conn, feed, fetched, parsed, now=now)
            except FeedError as exc:
                yield _fail(conn, feed, exc, now=now, policy=policy, rng=rng)
            except Exception as exc:  # a bug or a broken database must not end the batch
                log.exception("%s: unexpected error while refreshing", feed.url)
                wrapped = FeedError(feed.url, f"unexpected error ({type(exc).__name__}: {exc})")
                yield _fail(conn, feed, wrapped, now=now, policy=policy, rng=rng)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if own_client:
            client.close()


def _fetch_and_parse(feed, client, allow_private, now, options) -> tuple[Fetched, ParsedFeed | None]:
    fetched = fetch(
        feed.url,
        client=client,
        etag=feed.etag,
        last_modified=feed.last_modified,
        allow_private=allow_private,
        now=now,
        **options,
    )
    if fetched.not_modified:
        return fetched, None
    return fetched, parse(fetched.content, url=fetched.final_url, headers=fetched.headers)


def _store(conn, feed: store.Feed, fetched: Fetched, parsed: ParsedFeed | None, *, now) -> FeedUpdate:
    moment = now()
    if parsed is None:
        moved = store.save_not_modified(conn, feed, fetched, now=moment)
        return FeedUpdate(url=feed.url, status="not_modified", name=feed.label, moved_to=moved)
    items, warnings = prepare(parsed.entries, keywords=feed.keywords)
    decisions = decide(items, store.stored_hashes(conn, feed.id))
    moved = store.save_items(conn, feed, fetched, parsed, decisions, warnings=warnings, now=moment)
    counts = {kind: sum(d.kind == kind for d in decisions) for kind in (NEW, CHANGED, UNCHANGED)}
    return FeedUpdate(
        url=feed.url,
        status="ok",
        new=counts[NEW],
        changed=counts[CHANGED],
        unchanged=counts[UNCHANGED],
        name=feed.label,
        moved_to=moved,
        warnings=(*parsed.warnings, *warnings),
    )


def _fail(conn, feed: store.Feed, exc: FeedError, *, now, policy: RetryPolicy, rng) -> FeedUpdate:
    moment = now()
    failures = feed.consecutive_errors + 1
    next_check = moment + policy.delay(failures, rng)
    status, disable = None, None
    if isinstance(exc, HTTPStatusFetchError):
        status = exc.status
        if exc.retry_after is not None:
            next_check = max(next_check, min(exc.retry_after, moment + policy.max_retry_after))
        if exc.gone:
            disable = "gone (HTTP 410): the publisher removed this feed"
    if disable is None and failures >= policy.max_failures:
        disable = f"{failures} consecutive failures"
    try:
        store.save_error(conn, feed, exc.cause, now=moment, status=status, next_check=next_check, disable=disable)
    except sqlite3.Error:
        log.exception("%s: could not record the error", feed.url)
    return _error(feed, exc.cause)


def _error(feed: store.Feed, message: str) -> FeedUpdate:
    return FeedUpdate(url=feed.url, status="error", error=message, name=feed.label)
