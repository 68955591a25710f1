"""One worker per bill when several processes refresh one database at once.

Both refreshes (federal and Massachusetts) fetch in a thread pool and store on the calling
thread; this module sits between the two and decides which bills this process fetches::

    due bills | claim (try) | re-read: changed since listed? -> another process refreshed it
              | fetch in the pool | the caller stores | release
    then each bill that was busy: claim (wait) | re-read | changed? -> refreshed elsewhere, else fetch

A bill another process held is waited for at the end rather than skipped, so every due bill is
reported by each run, and one whose holder was killed (its claim goes with its connection) is
fetched here instead of waiting for the next run. On SQLite every claim succeeds and the
re-read finds nothing changed: the behaviour is the single-process one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, as_completed

from assistant import db
from assistant.bills import store


def claimed_fetches(
    conn, due: Sequence[store.TrackedBill], submit: Callable[[store.TrackedBill], Future]
) -> Iterator[tuple[store.TrackedBill, Future | None]]:
    """Yield ``(bill, finished fetch)`` for each due bill this process fetched, and ``(bill, None)``
    for one another process refreshed since ``due`` was listed (``bill`` is then its stored state).

    The bill stays claimed while the caller stores it (until the next item is asked for); closing
    the iterator early releases every claim.
    """
    held: set[str] = set()

    def take(tracked: store.TrackedBill, *, wait: bool) -> store.TrackedBill | None | bool:
        """The bill re-read under its claim; False if busy; None if it was untracked meanwhile."""
        if not store.claim(conn, tracked.key, wait=wait):
            return False
        held.add(tracked.key)
        return store.get(conn, tracked.key)

    def let_go(key: str) -> None:
        held.discard(key)
        store.release(conn, key)

    try:
        busy, futures = [], {}
        for tracked in due:
            fresh = take(tracked, wait=False)
            if fresh is False:
                busy.append(tracked)
            elif fresh != tracked:
                let_go(tracked.key)
                if fresh is not None:
                    yield fresh, None
            else:
                futures[submit(tracked)] = tracked
        for future in as_completed(futures):
            yield futures[future], future
            let_go(futures[future].key)
        for tracked in busy:
            fresh = take(tracked, wait=True)
            if fresh is None:
                let_go(tracked.key)
            elif fresh != tracked:
                let_go(tracked.key)
                yield fresh, None
            else:
                future = submit(tracked)
                future.exception()  # wait for the fetch; the caller reads its result or error
                yield tracked, future
                let_go(tracked.key)
    finally:
        for key in list(held):
            try:
                let_go(key)
            except db.errors():  # a lost connection took its claims with it
                pass
