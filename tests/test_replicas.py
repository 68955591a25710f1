"""Two `assistant serve` replicas over one Postgres and one `chroma run` server (issue 12).

What a deployment behind a load balancer relies on: both replicas answer the same question the
same way, a chat written through one is listed and reopened (messages and source cards) through
the other for the same signed-in person, and a lockout earned on one holds on the other. The
replicas share nothing on disk: each has its own data directory, and they agree only through the
database, the Chroma server and the settings (``CHAINLIT_AUTH_SECRET`` among them).

A browser keeps cookies per host, not per port, so one Chromium context signed in on replica A is
the same signed-in person on replica B, as behind one load balancer's address.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from test_service_run import BIN, REPO, free_port, wait_for_health
from ui_support import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

import playwright.sync_api as playwright_api  # noqa: E402

FILES = ["corpus/careers/bmet-certification-cbet.md", "corpus/careers/bmet-entry-routes.md",
         "corpus/careers/bmet-pay-and-outlook.md"]
QUESTION = "What is the CBET certification?"
USER, PASSWORD = "maria", "maria's passphrase"
ANSWER = '[data-step-type="assistant_message"]'
TIMEOUT_MS = 60_000


def chroma_run(path: Path) -> tuple[subprocess.Popen, str]:
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    process = subprocess.Popen([chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        assert process.poll() is None, "chroma run exited"
        assert time.monotonic() < deadline, "chroma server did not start"
        time.sleep(0.2)


class Replica:
    """`assistant serve` on its own data directory and port, stopped with SIGTERM."""

    def __init__(self, root: Path, env: dict) -> None:
        root.mkdir()
        self.log = root / "serve.log"
        self.url = f"http://127.0.0.1:{free_port()}"
        self.process = subprocess.Popen(
            [str(BIN / "assistant"), "--data-dir", str(root / "data"), "serve", "--port", self.url.rsplit(":", 1)[1]],
            cwd=root, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def deployment(postgres_server, tmp_path_factory):
    """One database, one Chroma server, a small corpus indexed by a worker, an account, two replicas."""
    root = tmp_path_factory.mktemp("replicas")
    database = postgres_server.create_database()
    chroma, chroma_url = chroma_run(root / "chroma")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update({"HF_HUB_OFFLINE": "1", "ASSISTANT_DATABASE_URL": database, "ASSISTANT_CHROMA_URL": chroma_url,
                "CHAINLIT_AUTH_SECRET": "replica-secret-" + "x" * 40,
                "PYTHONPATH": str(REPO)})  # this checkout's code, whichever one the venv installed
    worker = root / "worker"

    def assistant(*args: str, stdin: str | None = None) -> None:
        done = subprocess.run([str(BIN / "assistant"), "--data-dir", str(worker), *args], input=stdin,
                              capture_output=True, text=True, env=env, cwd=root)
        assert done.returncode == 0, done.stdout + done.stderr

    replicas: list[Replica] = []
    try:
        assistant("ingest", *(str(REPO / f) for f in FILES))
        assistant("staff", "add", USER, "--password-stdin", stdin=PASSWORD + "\n")
        replicas = [Replica(root / name, env) for name in ("a", "b")]
        health = [wait_for_health(r.url, r.process, r.log) for r in replicas]
        yield replicas, health, database
    finally:
        for replica in replicas:
            replica.stop()
        chroma.terminate()
        chroma.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def sign_in(page, url: str) -> None:
    page.goto(url + "/staff")
    page.click("#staff-continue")
    page.wait_for_selector("input[type=password]")
    page.fill("#email", USER)
    page.fill("input[type=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#chat-input")


def ask(page, question: str) -> str:
    """Send ``question``; the answer's text once it is final (its feedback buttons are shown)."""
    before = page.locator(ANSWER).count()
    page.fill("#chat-input", question)
    page.click("#chat-submit")
    page.wait_for_function(
        """([sel, n]) => {
            const all = document.querySelectorAll(sel);
            return all.length > n && all[all.length - 1].querySelector(
                '.positive-feedback-off, .positive-feedback-on') !== null;
        }""",
        arg=[ANSWER, before],
    )
    return page.locator(ANSWER).last.inner_text()


def wait_for_cards(database: str, count: int) -> None:
    """Source cards are stored after their message; wait (bounded) until ``count`` are."""
    deadline = time.monotonic() + 30
    with psycopg.connect(database, autocommit=True) as conn:
        while conn.execute('SELECT count(*) FROM elements WHERE "objectKey" IS NOT NULL').fetchone()[0] < count:
            assert time.monotonic() < deadline, "the source cards were never stored"
            time.sleep(0.2)


def test_both_replicas_are_ready_on_the_same_index(deployment):
    replicas, health, _ = deployment
    assert [h["status"] for h in health] == ["ok", "ok"]
    assert health[0]["index"] == health[1]["index"] and health[0]["index"]["documents"] == len(FILES)
    for replica in replicas:
        assert httpx.get(replica.url + "/healthz", timeout=10).json()["database"] == "ok"
        assert not (replica.log.parent / "data" / "chat.db").exists()  # history is in Postgres


def test_a_chat_from_one_replica_is_resumed_on_the_other_and_answers_agree(deployment, browser):
    (a, b), _, database = deployment
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    sign_in(page, a.url)
    on_a = ask(page, QUESTION)
    assert "CBET" in on_a and "Sources" in on_a
    cards = page.locator(ANSWER).last.locator("li a.element-link").count()
    assert cards > 0
    wait_for_cards(database, cards)

    page.goto(b.url)  # the same person, now on replica B
    page.wait_for_selector("#chat-input")
    page.locator("#thread-history a").filter(has_text=QUESTION).first.click()
    page.wait_for_selector(f"{ANSWER} li a.element-link")
    assert "/thread/" in page.url
    assert page.locator(ANSWER).last.inner_text() == on_a
    page.locator(ANSWER).last.locator("li a.element-link", has_text="[1]").first.click()
    page.wait_for_selector("#side-view-content")
    assert "CBET" in page.inner_text("#side-view-content")  # the card's file, served by B from Postgres

    page.click("#new-chat-button")
    page.wait_for_selector("#chat-input")
    assert ask(page, QUESTION) == on_a

    # Replica A lists both chats with their messages, the one written through B included.
    token = next(c["value"] for c in context.cookies() if c["name"] == "access_token")
    listed = httpx.post(a.url + "/project/threads", json={"pagination": {"first": 20}, "filter": {}},
                        cookies={"access_token": token}, timeout=30)
    assert listed.status_code == 200, listed.text
    threads = listed.json()["data"]
    assert len(threads) == 2 and all(t["userIdentifier"] == USER for t in threads)
    for thread in threads:
        full = httpx.get(f"{a.url}/project/thread/{thread['id']}", cookies={"access_token": token}, timeout=30)
        outputs = [(s["type"], s["output"]) for s in full.json()["steps"] if s["type"].endswith("_message")]
        assert outputs[0] == ("user_message", QUESTION)
        assert outputs[-1][0] == "assistant_message" and "CBET" in outputs[-1][1]
    context.close()


def test_a_lockout_from_failures_on_one_replica_holds_on_the_other(deployment):
    (a, b), _, _ = deployment

    def login(replica: Replica, password: str, address: str) -> int:
        response = httpx.post(replica.url + "/login", data={"username": USER, "password": password},
                              headers={"X-Forwarded-For": address}, timeout=60)
        return response.status_code

    assert [login(a, f"guess {n}", "10.9.0.50") for n in range(5)] == [401] * 5
    assert login(b, PASSWORD, "10.9.0.50") == 401
    assert login(b, PASSWORD, "10.9.0.51") == 401  # her name is locked from unknown places too
    assert login(b, PASSWORD, "127.0.0.1") == 200  # ... but not from where she signed in before
