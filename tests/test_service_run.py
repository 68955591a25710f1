"""`assistant serve` run as a service: one process that stops cleanly on SIGTERM, `/healthz`
for readiness, and a wheel that serves and indexes from any install (issue 15)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

import httpx
import pytest
from conftest import CORPUS, REPO, KeywordEmbeddings

from assistant.chat import routes, server
from assistant.chat.auth import Directory, hash_password
from assistant.chat.config import ChatConfig
from assistant.chat.history import LocalFileStore
from assistant.chat.runtime import Runtime
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.service import Service
from assistant.types import Answer

BIN = Path(sys.executable).parent
HEALTH_KEYS = {"status", "index", "model", "database", "feeds_last_success"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def runtime_over(data_dir: Path, *, chroma_url: str = "") -> Runtime:
    settings = Settings(data_dir=data_dir, chroma_url=chroma_url)
    chat = ChatConfig(data_dir=data_dir)
    return Runtime(settings=settings, chat=chat, service=Service(settings, embeddings=KeywordEmbeddings),
                   directory=Directory.from_config(users_file=None, inline=""), files=LocalFileStore(chat.files_dir))


async def get_healthz(monkeypatch, rt: Runtime) -> tuple[int, dict]:
    monkeypatch.setattr(routes, "_runtime", lambda: rt)
    response = await routes.healthz()
    return response.status_code, json.loads(response.body)


def indexed(data_dir: Path) -> Path:
    service = Service(Settings(data_dir=data_dir), embeddings=KeywordEmbeddings)
    try:
        report = service.ingest([str(CORPUS)])
        assert not report.failed and report.added > 0
    finally:
        service.close()
    return data_dir


# -- /healthz -----------------------------------------------------------------------------


async def test_healthz_is_503_before_the_index_exists(tmp_path, monkeypatch):
    rt = runtime_over(tmp_path / "data")
    rt.warm_up().join()
    status, body = await get_healthz(monkeypatch, rt)
    assert status == 503
    assert HEALTH_KEYS <= body.keys() and body["status"] != "ok"
    assert body["index"] == {"documents": 0, "chunks": 0} and body["model"] == "ready"
    assert any(p.startswith("index:") for p in body["problems"])


async def test_healthz_is_200_when_ready_and_503_while_the_model_loads(tmp_path, monkeypatch):
    rt = runtime_over(indexed(tmp_path / "data"))
    status, body = await get_healthz(monkeypatch, rt)
    assert (status, body["model"]) == (503, "loading")
    rt.warm_up().join()
    status, body = await get_healthz(monkeypatch, rt)
    assert status == 200, body
    assert set(body) == HEALTH_KEYS and body["status"] == "ok" and body["database"] == "ok"
    assert body["index"]["documents"] > 0 and body["index"]["chunks"] >= body["index"]["documents"]
    assert body["feeds_last_success"] is None  # no feed has been refreshed in this data dir


async def test_healthz_is_503_when_the_chroma_server_is_down(tmp_path, monkeypatch):
    data_dir = indexed(tmp_path / "data")
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    rt = runtime_over(data_dir, chroma_url=dead)
    rt.warm_up().join()
    status, body = await get_healthz(monkeypatch, rt)
    assert status == 503
    assert body["database"] == "ok" and body["index"]["documents"] > 0
    assert any(p.startswith("vector store:") and "127.0.0.1" in p for p in body["problems"]), body


async def test_healthz_is_503_stopping_once_the_drain_begins(tmp_path, monkeypatch):
    rt = runtime_over(indexed(tmp_path / "data"))
    rt.warm_up().join()
    assert (await get_healthz(monkeypatch, rt))[0] == 200
    monkeypatch.setattr(routes, "_stopping", False)  # restored after the test, whatever it sets
    routes.mark_stopping()
    status, body = await get_healthz(monkeypatch, rt)
    assert (status, body["status"]) == (503, "stopping") and body["index"]["documents"] > 0


async def test_healthz_is_503_when_the_runtime_cannot_be_built(monkeypatch):
    def broken():
        raise ConfigError("ASSISTANT_CHUNK_SIZE 'big': expected a number")

    monkeypatch.setattr(routes, "_runtime", broken)
    response = await routes.healthz()
    body = json.loads(response.body)
    assert response.status_code == 503 and HEALTH_KEYS <= body.keys()
    assert body["problems"] == ["startup: ASSISTANT_CHUNK_SIZE 'big': expected a number"]


# -- what the operator reads ------------------------------------------------------------------


def test_sign_ins_are_logged_with_the_name_and_never_the_password(tmp_path, caplog):
    rt = runtime_over(tmp_path / "data")
    rt.directory = Directory.from_config(users_file=None, inline=f"maria:{hash_password('a long password 1')}")
    with caplog.at_level(logging.INFO, logger="assistant.chat.runtime"):
        assert rt.sign_in("maria", "a long password 1") is not None
        assert rt.sign_in("maria", "wrong password 2") is None
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["sign-in accepted for 'maria'", "sign-in refused for 'maria'"]


def test_answers_are_logged_with_timings_and_the_question_only_at_debug(tmp_path, caplog):
    rt = runtime_over(tmp_path / "data")
    answer = Answer(question="I live at 12 Elm St, how do I become a BMET?", text="...", abstained=False,
                    citations=(), timings_ms={"embed": 12.4, "search": 3.6})
    with caplog.at_level(logging.INFO, logger="assistant.chat.runtime"):
        rt.answered(answer, profile="Career guide")
    assert [r.getMessage() for r in caplog.records] == [
        "answered profile=Career guide abstained=False citations=0 timings_ms: embed=12 search=4"]
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="assistant.chat.runtime"):
        rt.answered(answer, profile="Career guide")
    assert any("12 Elm St" in r.getMessage() for r in caplog.records)


def test_a_refresh_from_the_chat_logs_one_line_per_feed(tmp_path, caplog):
    from datetime import UTC, datetime

    from feedserver import FakeIndex, FeedServer
    from ui_support import policy_rss

    from assistant.chat import updates
    from assistant.feeds import store
    from assistant.feeds.models import FeedSource

    service = Service(Settings(data_dir=tmp_path / "data"), embeddings=KeywordEmbeddings)
    conn = service.db
    store.ensure_schema(conn)
    conn.execute("INSERT INTO feeds_meta (key, value) VALUES ('defaults_seeded', 'test')")  # no real feeds
    now = datetime.now(UTC)
    with FeedServer() as server, caplog.at_level(logging.INFO, logger="assistant.chat.updates"):
        store.add_feed(conn, FeedSource(url=server.feed("/policy.xml", policy_rss(now)), name="Loopback feed"), now=now)
        store.add_feed(conn, FeedSource(url=server.status("/gone.xml", 500), name="Broken feed"), now=now)
        updates.refresh(conn, FakeIndex, allow_private=True)
    service.close()
    lines = sorted((r.levelname, r.getMessage()) for r in caplog.records)
    assert lines[0] == ("INFO", "feed refresh Loopback feed: 3 new, 0 changed, 0 unchanged")
    assert lines[1] == ("INFO", "feed refresh indexed 3 item(s), removed 0")
    level, message = lines[2]
    assert level == "WARNING" and message.startswith("feed refresh Broken feed: error: ") and "500" in message
    assert len(lines) == 3


# -- the process ----------------------------------------------------------------------------


def test_chainlit_works_in_the_data_dir_on_the_packaged_site_files(tmp_path):
    site = server.prepare_site(tmp_path / "data")
    assert site == tmp_path / "data" / "chat-site"
    assert (site / "public" / "style.css").resolve() == (REPO / "public" / "style.css").resolve()
    assert (site / ".chainlit" / "config.toml").resolve() == (REPO / ".chainlit" / "config.toml").resolve()
    assert (site / "chainlit.md").resolve() == (REPO / "chainlit.md").resolve()
    assert server.prepare_site(tmp_path / "data") == site  # a restart finds its links in place


def test_a_log_level_that_is_not_one_is_refused():
    with pytest.raises(ConfigError, match="ASSISTANT_LOG_LEVEL 'loud'"):
        server._log_to_stderr("loud")


def children_of(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if any(line.split() == ["PPid:", str(pid)] for line in text.splitlines()):
            found.append(int(status.parent.name))
    return found


def wait_for_health(url: str, process: subprocess.Popen, log: Path, *, timeout_s: float = 120) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"serve exited: {log.read_text()[-2000:]}"
        try:
            response = httpx.get(url + "/healthz", timeout=2)
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"/healthz never answered 200: {log.read_text()[-2000:]}")


def start_serve(assistant: Path, data_dir: Path, log: Path, *, cwd: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CHAINLIT_AUTH_SECRET": "t" * 48}
    process = subprocess.Popen(
        [str(assistant), "--data-dir", str(data_dir), "serve", "--port", str(port)],
        cwd=cwd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}"


def stop_and_check(process: subprocess.Popen, url: str, *, sig: int = signal.SIGTERM) -> None:
    assert children_of(process.pid) == []
    process.send_signal(sig)
    try:
        code = process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"serve did not stop within 10 s of {signal.Signals(sig).name}") from None
    assert code == 0
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):
        s.connect(("127.0.0.1", port))
    assert children_of(process.pid) == [] and not Path(f"/proc/{process.pid}").exists()


@pytest.mark.slow
def test_serve_is_the_server_and_sigterm_stops_it_with_nothing_left(tmp_path):
    data_dir = tmp_path / "data"
    one_file = REPO / "corpus" / "careers" / "bmet-entry-routes.md"
    ingest = subprocess.run(
        [str(BIN / "assistant"), "--data-dir", str(data_dir), "ingest", str(one_file)],
        capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert ingest.returncode == 0, ingest.stderr
    log = tmp_path / "serve.log"
    process, url = start_serve(BIN / "assistant", data_dir, log, cwd=tmp_path)
    try:
        health = wait_for_health(url, process, log)
        assert health["status"] == "ok" and health["index"]["documents"] == 1
        page = httpx.get(url + "/", timeout=5)
        assert page.status_code == 200 and "<html" in page.text.lower()
        # The static files come from the package, linked into the data dir, not from the cwd.
        assert httpx.get(url + "/public/style.css", timeout=5).status_code == 200
        assert (data_dir / "chat-site" / "public").resolve() == (REPO / "public").resolve()
    finally:
        if process.poll() is None:
            stop_and_check(process, url)
    assert process.returncode == 0


# -- any install ----------------------------------------------------------------------------


def source_tree(target: Path) -> Path:
    """The checkout's files that a build reads, copied with their symlinks (assistant/_shipped)."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "pyproject.toml", "README.md", "assistant", "corpus",
         "public", ".chainlit/config.toml", "chainlit.md"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.split("\n")
    for name in filter(None, listed):
        src, dst = REPO / name, target / name
        if not src.exists() and not src.is_symlink():
            continue  # listed but deleted in the working tree
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            dst.symlink_to(os.readlink(src))
        else:
            shutil.copy2(src, dst)
    return target


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


@pytest.mark.slow
def test_a_built_wheel_installs_ingests_the_starter_corpus_and_serves(tmp_path):
    src = source_tree(tmp_path / "src")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(src)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("bmet_assistant-*.whl")

    # A fresh environment that reuses the installed dependencies (a path line in a .pth file
    # adds .venv's site-packages after the new one, without running its editable-install hook).
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    site_dir = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                   capture_output=True, text=True, check=True).stdout.strip())
    deps = subprocess.run([sys.executable, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (site_dir / "reuse-deps.pth").write_text(deps + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True)

    run_dir = tmp_path / "elsewhere"  # not the checkout: nothing there to fall back on
    run_dir.mkdir()
    probe = "import assistant.shipped as s; print(s.__file__); print(s.starter_corpus())"
    where = subprocess.run([str(py), "-c", probe], cwd=run_dir, capture_output=True, text=True, check=True)
    module, corpus = (Path(line) for line in where.stdout.split())
    assert module.is_relative_to(site_dir) and corpus.is_relative_to(site_dir)
    assert not corpus.is_symlink() and files_under(corpus) == files_under(REPO / "corpus")

    # The same command over the installed corpus, reduced to two documents for time.
    keep = {"careers/bmet-entry-routes.md", "careers/bmet-what-they-do.md"}
    for name in files_under(corpus) - keep:
        (corpus / name).unlink()
    data_dir = tmp_path / "data"
    assistant = env_dir / "bin" / "assistant"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    ingest = subprocess.run([str(assistant), "--data-dir", str(data_dir), "ingest", "--starter-corpus", "--json"],
                            cwd=run_dir, capture_output=True, text=True, env=env)
    assert ingest.returncode == 0, ingest.stderr
    report = json.loads(ingest.stdout)
    assert report["added"] == 2 and report["failed"] == []

    log = tmp_path / "serve.log"
    process, url = start_serve(assistant, data_dir, log, cwd=run_dir)
    try:
        health = wait_for_health(url, process, log)
        assert health["index"]["documents"] == 2 and health["model"] == "ready"
        page = httpx.get(url + "/", timeout=5)
        assert page.status_code == 200 and "<html" in page.text.lower()
        style = httpx.get(url + "/public/style.css", timeout=5)
        assert style.status_code == 200 and style.content == (src / "public" / "style.css").read_bytes()
    finally:
        if process.poll() is None:
            stop_and_check(process, url, sig=signal.SIGINT)  # Ctrl-C ends it as cleanly as SIGTERM
    assert process.returncode == 0
