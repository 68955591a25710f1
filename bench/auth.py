"""Time a password sign-in by what it names: an unknown name, a scrypt account, a pbkdf2 account.

Issue 13 measured 208 ms for a pbkdf2 account against 50 ms for any other name, so names could be
found by timing. ``Directory`` now checks one hash of each kind in use on every attempt; this
prints the median milliseconds per case and each case's ratio to the unknown name (1.0 is the aim),
as wall time and as this thread's CPU time (the hash work itself, which a busy machine does not blur).

    python bench/auth.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import statistics
import time

from _common import emit, timed_ms

from assistant.chat import auth
from assistant.chat.signins import Limits, SignInLedger

PBKDF2 = "pbkdf2_sha256$600000"  # the OWASP 2023 count the module documents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    accounts = [auth.Account("maria", auth.hash_password("maria's passphrase")),
                auth.Account("sam", auth.hash_like(PBKDF2, "sam's passphrase"))]
    # No limit gets in the way of the measurement: every attempt is a wrong password.
    ledger = SignInLedger(":memory:", limits=Limits(per_name=10**6, per_address=10**6))
    directory = auth.Directory(accounts, ledger=ledger)
    cases = {"unknown": "nobody", "scrypt": "maria", "pbkdf2": "sam"}
    wall: dict[str, list[float]] = {case: [] for case in cases}
    cpu: dict[str, list[float]] = {case: [] for case in cases}
    for _ in range(rounds):  # interleaved, so a busy spell on the machine hits every case alike
        for case, name in cases.items():
            started = time.thread_time()
            wall[case].append(timed_ms(directory.authenticate, name, "a wrong password")[0])
            cpu[case].append((time.thread_time() - started) * 1000)
    figures: dict[str, float] = {}
    for kind, times in (("wall", wall), ("cpu", cpu)):
        medians = {case: statistics.median(values) for case, values in times.items()}
        for case, ms in medians.items():
            ratio = ms / medians["unknown"]
            print(f"{kind:4} {case:8} {ms:8.1f} ms  ratio {ratio:.2f} (median of {rounds})")
            figures[f"{kind}_{case}_ms"] = ms
            figures[f"{kind}_{case}_ratio"] = ratio
    emit(figures)


if __name__ == "__main__":
    main()
