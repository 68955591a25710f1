"""`feeds watch` under a process supervisor: SIGTERM ends it cleanly between runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def _start(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_DATA_DIR": str(tmp_path / "data")}
    return subprocess.Popen([sys.executable, "-m", "assistant", "feeds", "watch", "--every", "1h"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True)


def _wait_for(proc, text: str, timeout: float = 60) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        seen += line
        if text in line:
            return seen
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"{text!r} never came; stderr was:\n{seen}")


def test_sigterm_between_runs_exits_zero_at_once(tmp_path):
    proc = _start(tmp_path)
    try:
        _wait_for(proc, "next run in")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0  # not the hour to the next run
        assert "stopped" in proc.stderr.read()
    finally:
        proc.kill()


def test_second_signal_stops_at_once(tmp_path):
    proc = _start(tmp_path)
    try:
        _wait_for(proc, "run 1 started")
        proc.send_signal(signal.SIGTERM)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
        assert code in (0, 128 + signal.SIGTERM)  # the run may have ended between the two signals
    finally:
        proc.kill()
