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
- SIGTERM and SIGINT end with exit code 0 once uvicorn has shut down (answers in flight get
  ``GRACE_S`` seconds; a second SIGINT stops at once), where uvicorn would re-raise the signal.
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

from assistant import shipped
from assistant.errors import ConfigError

#: Seconds that open connections and answers being written get after a stop signal.
GRACE_S = 5
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

    server = uvicorn.Server(uvicorn.Config(
        web, host=host, port=port, log_level="warning", timeout_graceful_shutdown=GRACE_S,
        ws_per_message_deflate=os.environ.get("UVICORN_WS_PER_MESSAGE_DEFLATE", "true").lower() in ("true", "1", "yes"),
    ))
    stopped: list[int] = []

    def note(sig: int, _frame) -> None:
        # uvicorn re-raises the stop signal after its shutdown; recorded here, it ends with 0.
        stopped.append(sig)

    previous = {sig: signal.signal(sig, note) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info("serving the chat on http://%s:%d (data dir %s)", host, port, data_dir)
    try:
        asyncio.run(server.serve())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if app._runtime is not None:  # answers in flight have finished: close the stores
            app._runtime.service.close()
    if not server.started:
        raise ConfigError(f"{host}:{port}: the chat server could not start (is the port in use?)")
    log.info("stopped%s", f" on {signal.Signals(stopped[-1]).name}" if stopped else "")
    return 0
