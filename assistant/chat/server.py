"""``assistant serve``: the chat's web server, run in this very process.

A supervisor (systemd, a container runtime, ``kill``) stops what it started, so the server is
not a child: ``chainlit run`` once ran as one and outlived its parent, holding the port (issue
15). This starts Chainlit's FastAPI app under uvicorn the way ``chainlit run`` does (its
``run_chainlit``: config first, then the app module, then the server on the plain asyncio loop,
which Chainlit re-enters through nest_asyncio), with three differences:

- Chainlit's working folder (``CHAINLIT_APP_ROOT``, read when chainlit is first imported) is
  ``<data dir>/chat-site``: it writes uploads (``.files``) and translations there at every start,
  so it must be writable, while the static files and config it reads are the package's own
  (``assistant.shipped``), linked in, never the repository's;
- the app is imported as ``assistant.chat.app``, not loaded from a file path;
- SIGTERM and SIGINT end with exit code 0, where uvicorn would re-raise the signal. The first
  one drains before uvicorn closes any connection: answers in flight get ``GRACE_S`` seconds to
  finish and reach their readers; any still running then are cancelled and end with
  ``STOPPED_NOTICE``, so the stored chat holds a whole answer or that notice, never half an
  answer (streamed tokens are not stored; assistant/chat/app.py stores the answer with its one
  ``send()``). A second signal stops at once.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import os
import signal
import sys
from pathlib import Path

import uvicorn.server as uvicorn_server

from assistant import shipped
from assistant.errors import ConfigError

#: Seconds that answers being written get after a stop signal (then again open connections).
GRACE_S = 5
#: What a reader sees, and the chat history keeps, when the server stops before their answer is done.
STOPPED_NOTICE = "The assistant was stopped before this answer was finished. Please ask again in a minute."
SITE_DIR = "chat-site"
log = logging.getLogger(__name__)


def _link(link: Path, target: Path) -> None:
    """Make ``link`` point at ``target``, replacing what was there (an upgrade moves the package)."""
    if link.is_symlink() or link.is_file():
        if link.is_symlink() and Path(os.readlink(link)) == target:
            return
        link.unlink()
    link.symlink_to(target)


def prepare_site(data_dir: Path) -> Path:
    """``<data_dir>/chat-site``, Chainlit's working folder, linked to the packaged site files."""
    files = shipped.site_files()
    site = data_dir / SITE_DIR
    (site / ".chainlit").mkdir(parents=True, exist_ok=True)
    _link(site / "public", files.public.resolve())
    _link(site / ".chainlit" / "config.toml", files.config.resolve())
    _link(site / "chainlit.md", files.welcome.resolve())
    return site


def _use_site(site: Path) -> None:
    """Point Chainlit at ``site``; refuse when chainlit was imported already with another root."""
    loaded = sys.modules.get("chainlit.config")
    if loaded is not None and Path(loaded.APP_ROOT).resolve() != site.resolve():
        raise ConfigError(f"chainlit was imported with its root at {loaded.APP_ROOT} before serve set {site}")
    os.environ["CHAINLIT_APP_ROOT"] = str(site)


def _log_to_stderr(level: str) -> None:
    """One line per event on stderr (journald and container runtimes collect it): time, level,
    logger, message."""
    if level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"ASSISTANT_LOG_LEVEL {level!r}: expected debug, info, warning or error")
    logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level.upper())


def serve(*, data_dir: Path, host: str, port: int) -> int:
    """Serve the chat on ``host:port`` until SIGTERM or SIGINT; return the exit code (0)."""
    _log_to_stderr(os.environ.get("ASSISTANT_LOG_LEVEL") or "info")
    site = prepare_site(data_dir)
    _use_site(site)
    os.environ["ASSISTANT_DATA_DIR"] = str(data_dir)
    os.environ["CHAINLIT_HOST"], os.environ["CHAINLIT_PORT"] = host, str(port)

    import nest_asyncio
    import uvicorn
    from chainlit.auth import ensure_jwt_secret
    from chainlit.config import config
    from chainlit.markdown import init_markdown

    nest_asyncio.apply()
    config.run.host, config.run.port, config.run.headless = host, port, True
    from chainlit.server import app as web

    module = "assistant.chat.app"
    # app.py reads ``module_name`` to know it is being served (then it loads the sign-in secret).
    config.run.module_name = str(Path(importlib.util.find_spec(module).origin))
    app = importlib.import_module(module)
    ensure_jwt_secret()
    init_markdown(config.root)

    server = _DrainingServer(uvicorn.Config(
        web, host=host, port=port, log_level="warning", timeout_graceful_shutdown=GRACE_S,
        ws_per_message_deflate=os.environ.get("UVICORN_WS_PER_MESSAGE_DEFLATE", "true").lower() in ("true", "1", "yes"),
    ), grace_s=GRACE_S)
    log.info("serving the chat on http://%s:%d (data dir %s)", host, port, data_dir)
    try:
        asyncio.run(server.serve())
    finally:
        if app._runtime is not None:  # answers in flight have finished or been ended: close the stores
            app._runtime.service.close()
    if not server.started:
        raise ConfigError(f"{host}:{port}: the chat server could not start (is the port in use?)")
    log.info("stopped%s", f" on {signal.Signals(server.stop_signal).name}" if server.stop_signal else "")
    return 0


class _DrainingServer(uvicorn_server.Server):
    """uvicorn's server, except that the first SIGTERM or SIGINT drains the answers in flight
    (``drain_answers``) before uvicorn's own shutdown closes the connections, and that a signal
    ends with 0 instead of being re-raised; a second signal stops at once."""

    def __init__(self, config, *, grace_s: float) -> None:
        super().__init__(config)
        self.grace_s = grace_s
        self.stop_signal: int | None = None
        self._drain: asyncio.Future | None = None

    def handle_exit(self, sig: int, frame) -> None:
        if self.stop_signal is None:
            self.stop_signal = sig  # on_tick starts the drain; uvicorn's shutdown follows it
        else:
            self.should_exit = self.force_exit = True

    async def on_tick(self, counter: int) -> bool:
        """True once uvicorn should shut down: after the drain, or at once on a second signal."""
        if await super().on_tick(counter):
            return True
        if self.stop_signal is None:
            return False
        if self._drain is None:
            log.info("%s: stopping", signal.Signals(self.stop_signal).name)
            from assistant.chat import routes

            routes.mark_stopping()
            self._drain = asyncio.ensure_future(drain_answers(self.grace_s))
        return self._drain.done()


async def drain_answers(grace_s: float) -> None:
    """Wait up to ``grace_s`` for the chats' running tasks (answers, commands); cancel those still
    running and tell their readers with ``STOPPED_NOTICE``; let the history writes land; then close
    the chat connections once their queued messages are sent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace_s
    running = _in_flight()
    if running:
        log.info("waiting up to %g s for %d answer(s) in flight", grace_s, len(running))
    while running and loop.time() < deadline:
        await asyncio.wait([task for _, task in running], timeout=deadline - loop.time())
        running = _in_flight()
    for _, task in running:
        task.cancel()
    if running:
        await asyncio.wait([task for _, task in running], timeout=1)
        log.warning("ended %d answer(s) unfinished after %g s", len(running), grace_s)
    for session, _ in running:
        await _say_stopped(session)
    writes = _history_writes()
    if writes:
        await asyncio.wait(writes, timeout=grace_s)
    await _close_connections(timeout_s=grace_s)


async def _close_connections(*, timeout_s: float) -> None:
    """Close the chats' connections from our side, after what is queued for them has been sent.

    uvicorn's shutdown would drop them at once, and with them a notice still queued behind them
    (seen in tests/test_serve_drain.py); python-engineio's ``disconnect`` sends each socket's queue
    before its close packet.
    """
    from chainlit.server import sio

    if sio.eio.sockets:
        try:
            await asyncio.wait_for(sio.eio.disconnect(), timeout=timeout_s)
        except TimeoutError:
            log.warning("some chat connections did not close within %g s", timeout_s)


def _in_flight() -> list[tuple[object, asyncio.Task]]:
    """(chat session, task) for each message (a question, a command) being handled.

    Found by coroutine rather than by the session's ``current_task``, which other events also set
    (chainlit/socket.py starts ``on_chat_start`` there when a page reconnects).
    """
    from chainlit.socket import process_message

    running = []
    for task in asyncio.all_tasks():
        coro = task.get_coro()
        if getattr(coro, "cr_code", None) is process_message.__code__ and coro.cr_frame is not None:
            running.append((coro.cr_frame.f_locals["session"], task))
    return running


async def _say_stopped(session) -> None:
    from chainlit.context import init_ws_context
    from chainlit.message import Message

    init_ws_context(session)
    await Message(content=STOPPED_NOTICE).send()


def _history_writes() -> list[asyncio.Task]:
    """The chat history writes still running: Chainlit stores each message in a task of its own
    (``asyncio.create_task(data_layer.create_step(...))``, chainlit/message.py), which the end of
    the event loop would cancel."""
    from chainlit.data import get_data_layer

    layer = get_data_layer()
    if layer is None:
        return []

    def writes_history(task: asyncio.Task) -> bool:
        frame = getattr(task.get_coro(), "cr_frame", None)
        return frame is not None and frame.f_locals.get("self") is layer

    return [t for t in asyncio.all_tasks() if writes_history(t)]
