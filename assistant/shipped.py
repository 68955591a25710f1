"""Files that ship inside the package, so any install (a wheel, not only a checkout) has them.

``assistant/_shipped/`` holds symlinks to the repository's ``corpus/``, ``public/``,
``.chainlit/config.toml`` and ``chainlit.md``: the repository keeps the one copy, and a build
(``pyproject.toml``'s package data) copies the files they point to into the wheel at the same
places. Code asks this module for paths and never looks above the package.

    starter_corpus()   the starter documents, data extracts and feeds.toml (``corpus/``)
    site_files()       what the chat's web server serves or reads: public/, config, welcome page
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ConfigError

SHIPPED = Path(__file__).resolve().parent / "_shipped"


def _existing(path: Path, what: str) -> Path:
    if not path.exists():
        raise ConfigError(f"{path}: the {what} is missing from this install; reinstall bmet-assistant")
    return path


def starter_corpus() -> Path:
    """The folder of starter documents, the same files as the repository's ``corpus/``."""
    return _existing(SHIPPED / "corpus", "starter corpus").resolve()


@dataclass(frozen=True)
class SiteFiles:
    """The chat's static files (``public/``), its Chainlit config and its welcome page."""

    public: Path
    config: Path
    welcome: Path


def site_files() -> SiteFiles:
    return SiteFiles(
        public=_existing(SHIPPED / "public", "chat's public/ folder"),
        config=_existing(SHIPPED / "chainlit" / "config.toml", "chat's Chainlit config"),
        welcome=_existing(SHIPPED / "chainlit.md", "chat's welcome page (chainlit.md)"),
    )
