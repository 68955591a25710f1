"""The chat as people feel it: submit-to-first-token and submit-to-answer in a real browser, and
20 chat sessions at once over websockets on loopback.

The app runs as ``python -m chainlit run app.py`` on 127.0.0.1 over the test fixture index (a
few corpus documents and a policy feed; built once into bench/out/ui-data). Then:

1. Headless Chromium (Debian's, via Playwright) asks ``--questions`` questions in one chat; a
   MutationObserver in the page timestamps the first streamed text and the finished answer
   (its feedback buttons appear) from the moment the send button is clicked.
2. ``--sessions`` python-socketio clients, each its own guest, connect as the browser does and
   send one question at the same moment; each answer is timed from send to the final message.
3. Baseline, in this process: ``Service.ask_stream`` on the same questions with no web in
   between (the floor the UI adds to).

    python bench/ui.py                     # 5 browser questions, 20 concurrent sessions
    python bench/ui.py --sessions 50 --rebuild

The last line is one JSON object of flat figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from _common import REPO, emit, percentile

sys.path.insert(0, str(REPO / "tests"))
from ui_support import CHROMIUM, CHROMIUM_ARGS, RunningApp, build_fixture, write_users_file  # noqa: E402

OUT = REPO / "bench" / "out"
QUESTIONS = [
    "How do I become a BMET?",
    "What does a BMET earn?",
    "What do I need to qualify for the CBET?",
    "What does a biomedical equipment technician do day to day?",
    "What does WIOA pay for?",
    "What are the rules for registered apprenticeship?",
    "Which states have right-to-repair bills for medical devices?",
    "Is the BMET field growing?",
]
ANSWER = '[data-step-type="assistant_message"]'
_TIME_ANSWER = """
([sel, before]) => new Promise((resolve, reject) => {
  const t0 = performance.now();
  let first = null;
  const check = () => {
    const all = document.querySelectorAll(sel);
    if (all.length <= before) return;
    const last = all[all.length - 1];
    if (first === null && last.innerText.trim().length > 0) first = performance.now() - t0;
    if (last.querySelector('.positive-feedback-off, .positive-feedback-on')) {
      observer.disconnect();
      resolve({first: first ?? performance.now() - t0, done: performance.now() - t0});
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
  setTimeout(() => reject(new Error('no answer in 120 s')), 120000);
  document.querySelector('#chat-submit').click();
})
"""


def fixture(rebuild: bool) -> Path:
    data = OUT / "ui-data"
    if rebuild and data.exists():
        shutil.rmtree(data)
    if not (data / "assistant.db").exists():
        data.mkdir(parents=True, exist_ok=True)
        print("building the fixture index ...", file=sys.stderr)
        build_fixture(data)
    return data


def browser_timings(url: str, questions: list[str]) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    firsts, dones = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(60_000)
        page.goto(url)
        page.wait_for_selector("#chat-input")
        ask(page, "warm up: what is a BMET?")  # the first answer may still wait for the model
        for question in questions:
            first, done = ask(page, question)
            firsts.append(first)
            dones.append(done)
            print(f"browser  first token {first:7.1f} ms  answer {done:7.1f} ms  {question}", file=sys.stderr)
        browser.close()
    return firsts, dones


def ask(page, question: str) -> tuple[float, float]:
    before = page.locator(ANSWER).count()
    page.fill("#chat-input", question)
    page.wait_for_function("!document.querySelector('#chat-submit').disabled")  # connected, text taken
    result = page.evaluate(_TIME_ANSWER, [ANSWER, before])
    return result["first"], result["done"]


async def one_session(url: str, question: str, start: asyncio.Event) -> dict:
    import httpx
    import socketio

    async with httpx.AsyncClient(base_url=url) as http:
        (await http.post("/auth/header", json={})).raise_for_status()  # a guest, as a browser gets
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    client = socketio.AsyncClient(reconnection=False)
    done = asyncio.get_running_loop().create_future()
    marks: dict = {}

    @client.on("stream_start")
    async def _stream(data):
        marks.setdefault("first", time.perf_counter())

    @client.on("new_message")
    async def _message(data):
        if data.get("type") == "assistant_message" and "sent" in marks and not done.done():
            marks.setdefault("first", time.perf_counter())
            done.set_result(data.get("output", ""))

    await client.connect(
        url,
        socketio_path="/ws/socket.io",
        transports=["websocket"],
        headers={"Cookie": cookie},
        auth={"clientType": "webapp", "sessionId": str(uuid.uuid4()), "userEnv": "{}", "chatProfile": "Career guide"},
    )
    await client.emit("connection_successful")
    await start.wait()
    message = {
        "id": str(uuid.uuid4()),
        "output": question,
        "name": "User",
        "type": "user_message",
        "createdAt": datetime.now(UTC).isoformat(),
    }
    marks["sent"] = time.perf_counter()
    await client.emit("client_message", {"message": message, "fileReferences": []})
    try:
        output = await asyncio.wait_for(done, timeout=120)
        ok = "Sources" in output or "don't have a source" in output
    except TimeoutError:
        output, ok = "", False
    end = time.perf_counter()
    await client.disconnect()
    return {
        "ok": ok,
        "ms": (end - marks["sent"]) * 1000,
        "first_ms": (marks.get("first", end) - marks["sent"]) * 1000,
    }


async def concurrent(url: str, sessions: int) -> list[dict]:
    start = asyncio.Event()
    tasks = [asyncio.create_task(one_session(url, QUESTIONS[i % len(QUESTIONS)], start)) for i in range(sessions)]
    await asyncio.sleep(3)  # let every client connect and start its chat
    start.set()
    return await asyncio.gather(*tasks)


def direct_ms(data: Path, questions: list[str]) -> list[float]:
    from assistant.config import Settings
    from assistant.service import Service

    service = Service(Settings(data_dir=data))
    list(service.ask_stream("warm up: what is a BMET?"))
    out = []
    for question in questions:
        start = time.perf_counter()
        list(service.ask_stream(question, profile="student"))
        out.append((time.perf_counter() - start) * 1000)
    service.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=5, help="questions timed in the browser")
    parser.add_argument("--sessions", type=int, default=20, help="chat sessions at once over websockets")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the fixture index")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    data = fixture(args.rebuild)
    OUT.mkdir(parents=True, exist_ok=True)
    users = write_users_file(OUT / "ui-users.toml")
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(args.questions)]
    with RunningApp(data, users_file=users, log_path=OUT / "ui-app.log") as app:
        firsts, dones = browser_timings(app.url, questions)
        results = asyncio.run(concurrent(app.url, args.sessions))
    latencies = [r["ms"] for r in results]
    first_tokens = [r["first_ms"] for r in results]
    direct = direct_ms(data, questions)
    emit(
        {
            "browser_questions": len(questions),
            "browser_first_token_p50_ms": percentile(firsts, 50),
            "browser_first_token_max_ms": max(firsts),
            "browser_answer_p50_ms": percentile(dones, 50),
            "browser_answer_max_ms": max(dones),
            "sessions": args.sessions,
            "sessions_answered": sum(r["ok"] for r in results),
            "sessions_first_token_p95_ms": percentile(first_tokens, 95),
            "sessions_answer_p50_ms": percentile(latencies, 50),
            "sessions_answer_p95_ms": percentile(latencies, 95),
            "sessions_answer_max_ms": max(latencies),
            "direct_answer_p50_ms": percentile(direct, 50),
            "ratio_browser_answer_p50_to_direct": percentile(dones, 50) / max(percentile(direct, 50), 1e-6),
        }
    )


if __name__ == "__main__":
    main()
