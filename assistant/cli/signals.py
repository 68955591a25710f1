"""Stopping the long commands (``feeds watch``, ``bills refresh``) under a process supervisor.

systemd, a container runtime or ``kill`` sends SIGTERM, a person at a terminal SIGINT (issue 15).
The first asks the command to finish the item it is writing (each feed and each bill is stored
in its own transaction) and stop; a second stops at once, and the next run repairs anything left
pending.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def stop_on_signals(say: Callable[[str], None], *, finishing: str) -> Iterator[threading.Event]:
    """An event set by the first SIGTERM or SIGINT while the block runs; ``say`` tells the
    operator that the command is finishing ``finishing`` (e.g. "the current run").

    The previous handlers come back when the block ends. Outside the main thread, where Python
    delivers no signals, the event is never set.
    """
    stop = threading.Event()

    def handle(signum: int, _frame) -> None:
        if stop.is_set():
            say("second signal: stopping now")
            os._exit(128 + signum)
        stop.set()
        say(f"{signal.Signals(signum).name}: finishing {finishing}, then stopping")

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, handle) for sig in SIGNALS}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
