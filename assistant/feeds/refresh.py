"""Refresh every due feed and report one ``FeedUpdate`` per feed; never abort the batch.

The pipeline, per feed::

    feed | fetch (thread pool) | parse + prepare (skipped on 304) | decide | store (1 transaction)

then, once for the run, ``index_updates.sync_index``. Fetches run in worker threads so slow
servers overlap; parsing runs in the fetching thread, or in worker processes when many feeds are
due (feedparser is pure Python and holds the GIL); database writes stay on the calling thread (one
writer, no lock contention).

Several workers may refresh at once (two ``feeds refresh`` against one Postgres database, a
``feeds watch`` beside a manual run): a feed is claimed (``store.claim``) just before its fetch is
queued and released once its result is stored. A feed another worker holds, or refreshed after
this run listed it, is skipped and reported ``not_modified`` with ``other_worker`` set: that
worker fetched it, stored its items and reports its outcome, so nothing is fetched or stored twice.

Failures follow what Miniflux and reader do: the error is recorded on the feed, the next attempt
waits an exponential back-off with jitter (or the server's Retry-After, when later), a 410 stops
polling at once, and ``max_failures`` consecutive failures disable the feed until the operator
re-adds it. Disabled and waiting feeds are reported as errors, so they are never silently stale.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from assistant import db
from assistant.errors import FeedError, ParseError
from assistant.feeds import store
from assistant.feeds.decide import CHANGED, NEW, UNCHANGED, prepare
from assistant.feeds.fetch import DEFAULT_MAX_BYTES, HTTPStatusFetchError, fetch, make_client
from assistant.feeds.models import FeedUpdate, Fetched, utc_now
from assistant.feeds.parse import parse

log = logging.getLogger(__name__)

#: Below this many due feeds, starting worker processes costs more than parsing inline.
PROCESS_POOL_MIN_FEEDS = 40
#: Feeds claimed per fetch thread: one fetching, one queued behind it, so no thread idles while
#: the calling thread stores a result.
CLAIM_AHEAD = 2


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
    conn,
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
    parse_processes: int | None = None,
) -> Iterator[FeedUpdate]:
    """Refresh the stored subscriptions (or just ``urls``); yield a result per feed as it finishes.

    ``force`` ignores back-off and Retry-After waits, not disablement. ``fetch_options`` go to
    ``fetch.fetch`` (``max_bytes``, ``deadline_s``, ``resolve`` ...). ``parse_processes``: worker
    processes for parsing; None picks up to 4 (one per CPU) when ``PROCESS_POOL_MIN_FEEDS`` or
    more feeds are due, 0 or 1 parses in the fetching threads.
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
    if parse_processes is None:
        parse_processes = min(4, os.cpu_count() or 1) if len(due) >= PROCESS_POOL_MIN_FEEDS else 0
    parser = _Parser(parse_processes)
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(due))), thread_name_prefix="feeds")
    waiting = deque(due)
    running: dict[Future, store.Feed] = {}
    try:
        while waiting or running:
            # Claim a feed only when a fetch slot is near, so a second worker started at the same
            # time finds the rest unclaimed and shares the run instead of waiting behind us.
            while waiting and len(running) < CLAIM_AHEAD * max(1, workers):
                listed = waiting.popleft()
                feed = store.claim(conn, listed)
                if feed is None:
                    yield _elsewhere(listed)
                    continue
                running[pool.submit(_fetch_and_parse, feed, client, allow_private, now, options, parser)] = feed
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                feed = running.pop(future)
                try:
                    update = _outcome(conn, feed, future, now=now, policy=policy, rng=rng)
                finally:
                    store.release(conn, feed)
                yield update
    finally:
        for feed in running.values():  # the consumer stopped early: let other workers have them
            store.release(conn, feed)
        pool.shutdown(wait=True, cancel_futures=True)
        parser.close()
        if own_client:
            client.close()


def _outcome(conn, feed: store.Feed, future: Future, *, now, policy: RetryPolicy, rng) -> FeedUpdate:
    try:
        fetched, prepared = future.result()
        return _store(conn, feed, fetched, prepared, now=now)
    except FeedError as exc:
        return _fail(conn, feed, exc, now=now, policy=policy, rng=rng)
    except Exception as exc:  # a bug or a broken database must not end the batch
        log.exception("%s: unexpected error while refreshing", feed.url)
        wrapped = FeedError(feed.url, f"unexpected error ({type(exc).__name__}: {exc})")
        return _fail(conn, feed, wrapped, now=now, policy=policy, rng=rng)


def _fetch_and_parse(feed, client, allow_private, now, options, parser: _Parser):
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
    return fetched, parser(fetched, feed.keywords)


def parse_and_prepare(content: bytes, url: str, headers: dict, keywords: tuple[str, ...]):
    """The CPU-bound part of a refresh (pure, so it can run in another process).

    Returns ``(parsed, items, warnings)``, or ``("error", cause)`` for a ParseError, because
    our exceptions do not survive pickling (their __init__ takes two arguments).
    """
    try:
        parsed = parse(content, url=url, headers=headers)
    except ParseError as exc:
        return ("error", exc.cause)
    items, warnings = prepare(parsed.entries, keywords=keywords)
    return parsed, items, warnings


class _Parser:
    """Runs ``parse_and_prepare`` inline or, for big batches, in a process pool.

    feedparser is pure Python: parsing 50 items takes about 40 ms of CPU under the GIL, so with
    many feeds threads stop helping once the network is overlapped (bench/feeds.py). Worker
    processes are started on the first body that needs parsing, never for an all-304 run.
    """

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def __call__(self, fetched: Fetched, keywords: tuple[str, ...]):
        args = (fetched.content, fetched.final_url, fetched.headers, tuple(keywords))
        result = None
        if self.processes > 1:
            try:
                result = self._get_pool().submit(parse_and_prepare, *args).result()
            except BrokenProcessPool:  # a worker died (OOM killer?): finish the run inline
                log.warning("parser processes died; parsing in threads for the rest of this run")
                self.processes = 0
        if result is None:
            result = parse_and_prepare(*args)
        if result[0] == "error":
            raise ParseError(fetched.url, result[1])
        return result

    def _get_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # forkserver, not fork: forking a process that runs threads can copy held locks.
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["assistant.feeds.refresh"])
                self._pool = ProcessPoolExecutor(max_workers=self.processes, mp_context=context)
            return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _store(conn, feed: store.Feed, fetched: Fetched, prepared, *, now) -> FeedUpdate:
    moment = now()
    if prepared is None:
        moved = store.save_not_modified(conn, feed, fetched, now=moment)
        return FeedUpdate(url=feed.url, status="not_modified", name=feed.label, moved_to=moved)
    parsed, items, warnings = prepared
    decisions, moved = store.save_fetch(conn, feed, fetched, parsed, items, warnings=warnings, now=moment)
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
    status, disable, refused = None, None, False
    if isinstance(exc, HTTPStatusFetchError):
        refused = exc.refused
        status = exc.status
        if exc.retry_after is not None:
            next_check = max(next_check, min(exc.retry_after, moment + policy.max_retry_after))
        if exc.gone:
            disable = "gone (HTTP 410): the publisher removed this feed"
    if disable is None and failures >= policy.max_failures and not refused:  # a 403 is retried, never dropped
        disable = f"{failures} consecutive failures"
    try:
        store.save_error(conn, feed, exc.cause, now=moment, status=status, next_check=next_check, disable=disable)
    except db.errors():
        log.exception("%s: could not record the error", feed.url)
    return _error(feed, exc.cause)


def _elsewhere(feed: store.Feed) -> FeedUpdate:
    return FeedUpdate(url=feed.url, status="not_modified", name=feed.label, other_worker=True)


def _error(feed: store.Feed, message: str) -> FeedUpdate:
    return FeedUpdate(url=feed.url, status="error", error=message, name=feed.label)
