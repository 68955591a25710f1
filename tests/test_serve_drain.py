"""`assistant serve` stopped while an answer streams (issue 15): the answer finishes within the
grace period, or ends with a clear message; the stored chat never holds half an answer.

A real `assistant serve` process, a real Chromium on its chat, and an OpenAI-compatible model on
loopback that streams the first sentence and then waits, so the stop signal always arrives
mid-answer.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
from llm_server import OpenAIServer, Reply
from test_service_run import BIN, REPO, children_of, free_port, wait_for_health
from ui_support import CHROMIUM, CHROMIUM_ARGS

from assistant.chat.server import GRACE_S, STOPPED_NOTICE

pytestmark = [pytest.mark.slow, pytest.mark.browser]

import playwright.sync_api as playwright_api  # noqa: E402

QUESTION = "How do I become a BMET?"
FIRST = "Most BMETs start with an associate degree in biomedical equipment technology [1]. "
REST = "Others learn the trade in the military before they move to hospital work [1]."
ANSWER = '[data-step-type="assistant_message"]'


class GatedModel(OpenAIServer):
    """Streams ``FIRST``, then holds the answer until ``release`` is set (or the server closes)."""

    def __init__(self) -> None:
        super().__init__(default=Reply(FIRST + REST))
        self.release = threading.Event()

    def handle_post(self, handler, body: dict, reply: Reply) -> None:
        if not body.get("stream"):
            return super().handle_post(handler, body, reply)
        self.start_stream(handler, "text/event-stream")

        def event(delta: dict, finish: str | None = None) -> None:
            chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": self.model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            handler.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            handler.wfile.flush()

        event({"role": "assistant", "content": FIRST})
        self.release.wait(self.hang_seconds)
        event({"content": REST})
        event({}, "stop")
        handler.wfile.write(b"data: [DONE]\n\n")

    def __exit__(self, *exc) -> None:
        self.release.set()
        super().__exit__(*exc)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> Path:
    """A data dir holding one corpus document, indexed with the real model."""
    data_dir = tmp_path_factory.mktemp("drain") / "data"
    one_file = REPO / "corpus" / "careers" / "bmet-entry-routes.md"
    ingest = subprocess.run([str(BIN / "assistant"), "--data-dir", str(data_dir), "ingest", str(one_file)],
                            capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert ingest.returncode == 0, ingest.stderr
    return data_dir


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Served:
    """`assistant serve` over a copy of ``indexed`` with the gated model as its LLM."""

    def __init__(self, indexed: Path, tmp_path: Path, model: GatedModel) -> None:
        self.data_dir = tmp_path / "data"
        shutil.copytree(indexed, self.data_dir)
        self.log = tmp_path / "serve.log"
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "CHAINLIT_AUTH_SECRET": "t" * 48,
               "ASSISTANT_LLM_PROVIDER": "openai", "ASSISTANT_LLM_BASE_URL": model.base_url,
               "ASSISTANT_LLM_MODEL": model.model, "ASSISTANT_LLM_API_KEY": "x", "ASSISTANT_LLM_TIMEOUT": "60"}
        self.process = subprocess.Popen(
            [str(BIN / "assistant"), "--data-dir", str(self.data_dir), "serve", "--port", str(port)],
            cwd=tmp_path, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
        )
        wait_for_health(self.url, self.process, self.log)

    def stop(self) -> int:
        """SIGTERM; the exit code, once it has exited (bounded: the grace period plus shutdown)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=GRACE_S + 10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"serve outlived SIGTERM: {self.log.read_text()[-2000:]}") from None

    def stored_replies(self) -> list[str]:
        """The assistant messages the chat history holds, oldest first."""
        conn = sqlite3.connect(self.data_dir / "chat.db")
        try:
            rows = conn.execute("SELECT output FROM steps WHERE type = 'assistant_message' ORDER BY createdAt")
            return [r[0] or "" for r in rows]
        finally:
            conn.close()


@pytest.fixture
def served(indexed, tmp_path):
    with GatedModel() as model:
        running = Served(indexed, tmp_path, model)
        running.model = model
        try:
            yield running
        finally:
            if running.process.poll() is None:
                running.process.kill()
                running.process.wait()


def ask_until_streaming(browser, url: str):
    """A guest's page that has sent ``QUESTION`` and shows the first sentence of the answer; what
    reaches it over the chat's websocket is kept in ``page.received``."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(60_000)
    page.received = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: page.received.append(str(frame))))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("#chat-input")
    page.fill("#chat-input", QUESTION)
    page.click("#chat-submit")
    page.locator(ANSWER, has_text="Most BMETs start with").first.wait_for()
    return page


def notice_reached(page, *, polls: int = 50) -> bool:
    """Whether ``STOPPED_NOTICE`` came over the websocket; the sync API hands over the browser's
    events only while it waits, so this waits in short steps (bounded)."""
    for _ in range(polls):
        if any(STOPPED_NOTICE in frame and "new_message" in frame for frame in page.received):
            return True
        page.wait_for_timeout(100)
    return False


def test_an_answer_streaming_at_sigterm_finishes_and_is_stored_whole(served, browser):
    page = ask_until_streaming(browser, served.url)
    stopping = threading.Thread(target=lambda: setattr(served, "code", served.stop()))
    stopping.start()
    time.sleep(1)  # the signal is in; the model then finishes well inside the grace period
    served.model.release.set()
    page.locator(ANSWER, has_text="move to hospital work").first.wait_for()  # the reader sees it all
    stopping.join()
    assert served.code == 0
    assert children_of(served.process.pid) == []
    replies = [r for r in served.stored_replies() if "Most BMETs" in r]
    assert len(replies) == 1 and "move to hospital work" in replies[0], served.stored_replies()
    page.context.close()


def test_an_answer_still_streaming_after_the_grace_period_ends_with_a_clear_message(served, browser):
    page = ask_until_streaming(browser, served.url)
    assert served.stop() == 0  # the model never finishes: the grace period runs out
    replies = served.stored_replies()
    assert STOPPED_NOTICE in replies, served.log.read_text()[-3000:]  # the chat says what happened...
    assert not [r for r in replies if "Most BMETs" in r], replies  # ...and holds no half answer
    # The reader's browser was sent the notice before the connection closed. (What it shows then is
    # Chainlit's: its page sometimes reloads once the server is gone, losing what was on screen.)
    assert notice_reached(page), page.received[-5:]
    page.context.close()
