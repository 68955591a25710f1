"""A small fixture index with tracked feed items, and the chat app started on loopback.

Shared by the browser tests and ``bench/ui.py``. The index holds a few corpus documents and a
policy feed whose items carry script tags in their titles, fetched from a local feed server
through the real refresh pipeline, so "shows as text" is tested on what a feed really delivers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

CORPUS_FILES = [
    "corpus/careers/bmet-entry-routes.md",
    "corpus/careers/bmet-pay-and-outlook.md",
    "corpus/careers/bmet-certification-cbet.md",
    "corpus/careers/bmet-what-they-do.md",
    "corpus/policy/wioa-overview.md",
    "corpus/policy/registered-apprenticeship-rules.md",
    "corpus/policy/medical-device-right-to-repair-states.md",
]
SCRIPT_TITLE = "Apprenticeship rule <script>window.__pwned=1</script> update for BMET programs"
STAFF_USER, STAFF_PASSWORD = "maria", "policy-desk-password"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def policy_rss(now: datetime) -> bytes:
    def item(guid: str, title: str, days: int, body: str) -> str:
        when = format_datetime(now - timedelta(days=days), usegmt=True)
        return (
            f"<item><guid>{guid}</guid><title>{title}</title><link>https://example.gov/policy/{guid}</link>"
            f"<description>{body}</description><pubDate>{when}</pubDate></item>"
        )

    items = [
        item(
            "rule-1",
            SCRIPT_TITLE.replace("<", "&lt;").replace(">", "&gt;"),
            1,
            "&lt;p&gt;The Department proposes apprenticeship standards for biomedical equipment technicians."
            ' &lt;script&gt;window.__pwned=2&lt;/script&gt;&lt;img src=x onerror="window.__pwned=3"&gt;&lt;/p&gt;',
        ),
        item(
            "rule-2",
            "Registered apprenticeship expansion grants for healthcare technology",
            3,
            "Grants for registered apprenticeship programs in healthcare technology and medical equipment repair.",
        ),
        item(
            "rule-3",
            "WIOA reauthorization hearing on workforce training accounts",
            16,
            "A hearing on WIOA reauthorization and individual training accounts.",
        ),
    ]
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Test policy feed</title>'
        "<link>https://example.gov/</link><description>fixture</description>" + "".join(items) + "</channel></rss>"
    ).encode("utf-8")


def build_fixture(data_dir: Path) -> Path:
    """Ingest the corpus files, the shipped labour-market extract (corpus/data) and the fixture feed
    into ``data_dir`` (about 25 s, model load included)."""
    from feedserver import FeedServer

    from assistant.config import Settings
    from assistant.feeds import store
    from assistant.feeds.index_updates import sync_index
    from assistant.feeds.models import FeedSource
    from assistant.feeds.refresh import refresh_feeds
    from assistant.service import Service

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    service = Service(Settings(data_dir=data_dir))
    try:
        report = service.ingest([str(ROOT / f) for f in CORPUS_FILES])
        assert not report.failed, report.failed
        from assistant.occupations.extract import load_extract

        assert load_extract(service.db, ROOT / "corpus" / "data"), "the shipped data extract did not load"
        now = datetime.now(UTC)
        with FeedServer() as server:
            url = server.feed("/policy.xml", policy_rss(now))
            conn = service.db
            store.ensure_schema(conn)
            store.add_feed(conn, FeedSource(url=url, name="Test policy feed", topic="apprenticeship"), now=now)
            results = list(refresh_feeds(conn, allow_private=True))
            assert [r.status for r in results] == ["ok"], results
            sync_index(conn, lambda: service.index)
    finally:
        service.close()
    return data_dir


def write_users_file(path: Path) -> Path:
    from assistant.chat.auth import hash_password

    path.write_text(
        f'[users.{STAFF_USER}]\npassword = "{hash_password(STAFF_PASSWORD)}"\nname = "Maria"\n', encoding="utf-8"
    )
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningApp:
    """``python -m chainlit run app.py`` on loopback, stopped (by its process group) on exit."""

    def __init__(self, data_dir: Path, *, users_file: Path, log_path: Path, extra_env: dict | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "ASSISTANT_DATA_DIR": str(data_dir),
            "ASSISTANT_STAFF_USERS_FILE": str(users_file),
            "HF_HUB_OFFLINE": "1",
            "CHAINLIT_AUTH_SECRET": "test-secret-" + "x" * 40,
            # The deployment's home area, as a workforce board in western Massachusetts would set it.
            "ASSISTANT_HOME_AREA": "Springfield, MA",
            **(extra_env or {}),
        }
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chainlit",
                "run",
                "app.py",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--headless",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"the app did not start in {timeout_s} s: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()

    def __enter__(self) -> RunningApp:
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
