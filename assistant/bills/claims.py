"""One worker per bill when several processes refresh one database at once.

Both refreshes (federal and Massachusetts) fetch in a thread pool and store on the calling
thread; this module sits between the two and decides which bills this process fetches::

    due bills | claim (try), at most ``limit`` in flight | re-read: changed since listed?
              | yes: another process refreshed it, report its stored state
              | no: fetch in the pool | the caller stores | release
    then each bill that was busy, once nothing of ours is in flight: claim (wait) | the same

A bill is claimed only when a worker is free to fetch it, so two processes started together
share the bills instead of the first claiming them all. One another process holds is waited for
at the end rather than skipped, so every run reports every due bill, and a bill whose holder was
killed (its claim goes with its connection) is fetched here instead of at the next run. On
SQLite every claim succeeds and the re-read finds nothing changed: the single-process behaviour.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait

from assistant import db
from assistant.bills import store


def claimed_fetches(
    conn, due: Sequence[store.TrackedBill], submit: Callable[[store.TrackedBill], Future], *, limit: int
) -> Iterator[tuple[store.TrackedBill, Future | None]]:
    """Yield ``(bill, finished fetch)`` for each due bill this process fetched, and ``(bill, None)``
    for one another process refreshed since ``due`` was listed (``bill`` is then its stored state).

    The bill stays claimed while the caller stores it (until the next item is asked for); closing
    the iterator early releases every claim.
    """
    held: set[str] = set()
    first, busy = deque(due), deque()
    running: dict[Future, store.TrackedBill] = {}

    def let_go(key: str) -> None:
        held.discard(key)
        store.release(conn, key)

    try:
        while first or busy or running:
            while len(running) < limit and (first or (busy and not running)):
                waiting = not first  # a busy bill: wait for its holder, nothing of ours is in flight
                tracked = first.popleft() if first else busy.popleft()
                if not store.claim(conn, tracked.key, wait=waiting):
                    busy.append(tracked)
                    continue
                held.add(tracked.key)
                fresh = store.get(conn, tracked.key)
                if fresh == tracked:
                    running[submit(tracked)] = tracked
                    continue
                let_go(tracked.key)
                if fresh is not None:  # None: untracked meanwhile
                    yield fresh, None
            if running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    tracked = running.pop(future)
                    yield tracked, future
                    let_go(tracked.key)
    finally:
        for future in running:
            future.cancel()
        for key in list(held):
            try:
                let_go(key)
            except db.errors():  # a lost connection took its claims with it
                pass
