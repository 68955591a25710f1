"""The chat app's own settings, read once by ``app.py`` from the environment (never at import).

They sit beside ``assistant.config.Settings`` (which holds everything the library needs) because
only the web app uses them; the data directory comes from ``Settings``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ConfigError

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class ChatConfig:
    #: Where chat history (``chat.db``), its files and the session secret live: the data directory.
    data_dir: Path = Path("data")
    #: Let students use the Career guide without an account (each browser gets its own guest
    #: identity, so its history stays its own). Staff still sign in for the Policy desk.
    #: ``ASSISTANT_OPEN_CAREER_GUIDE`` (default on).
    open_career_guide: bool = True
    #: A TOML file of staff accounts with hashed passwords (see ``assistant.chat.auth``); keep it
    #: outside the repository. ``ASSISTANT_STAFF_USERS_FILE``.
    staff_users_file: Path | None = None
    #: Accounts inline, ``name:hash[:role]`` separated by commas or spaces (for containers whose
    #: secrets arrive as variables). ``ASSISTANT_STAFF_PASSWORDS``.
    staff_passwords: str = ""
    #: Longest question searched; longer messages are cut here, and the user is told.
    #: ``ASSISTANT_MAX_QUESTION_CHARS``.
    max_question_chars: int = 2000

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, data_dir: Path) -> ChatConfig:
        open_guide = env.get("ASSISTANT_OPEN_CAREER_GUIDE", "").strip().lower()
        if open_guide and open_guide not in _TRUE + _FALSE:
            raise ConfigError(f"ASSISTANT_OPEN_CAREER_GUIDE: {open_guide!r} is not one of 1/0, true/false")
        users_file = env.get("ASSISTANT_STAFF_USERS_FILE", "").strip()
        raw_cap = env.get("ASSISTANT_MAX_QUESTION_CHARS", "").strip()
        try:
            cap = int(raw_cap) if raw_cap else cls.max_question_chars
        except ValueError:
            raise ConfigError(f"ASSISTANT_MAX_QUESTION_CHARS: {raw_cap!r} is not a whole number") from None
        if cap < 20:
            raise ConfigError("ASSISTANT_MAX_QUESTION_CHARS must be at least 20")
        return cls(
            data_dir=Path(data_dir),
            open_career_guide=open_guide not in _FALSE,
            staff_users_file=Path(users_file) if users_file else None,
            staff_passwords=env.get("ASSISTANT_STAFF_PASSWORDS", ""),
            max_question_chars=cap,
        )

    @property
    def chat_db_path(self) -> Path:
        """Chainlit's threads, steps, elements and feedback (separate from the catalog's writer)."""
        return self.data_dir / "chat.db"

    @property
    def files_dir(self) -> Path:
        """Element files (source cards, charts, digests) of persisted chats."""
        return self.data_dir / "chat-files"

    @property
    def staff_store_path(self) -> Path:
        """The app's own staff accounts (``assistant staff ...``; the first run's account), mode 600."""
        return self.data_dir / "staff.toml"

    @property
    def signin_db_path(self) -> Path:
        """Failed sign-ins, signed-out sessions and new guests (``assistant.chat.signins``)."""
        return self.data_dir / "signin.db"

    @property
    def secret_path(self) -> Path:
        """The sign-in token secret when ``CHAINLIT_AUTH_SECRET`` is not set (created once, mode 600)."""
        return self.data_dir / "chat-secret"
