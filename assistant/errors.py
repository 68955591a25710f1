"""The exception tree. Every message is shown to the user: it names the thing and the cause.

    AssistantError
    ├── ConfigError              a setting or a config file is wrong
    ├── LoadError(path)          one input file could not be read (ingest goes on with the rest)
    ├── IndexNotReadyError       nothing is ingested yet, or the store cannot be opened
    ├── ModelUnavailableError    the embedding model or the LLM cannot be loaded or reached
    ├── DataImportError(path)    an official data file is refused (the stored release stays as it was)
    └── FeedError(url)           one feed failed (a refresh goes on with the others)
        ├── FetchError           network, HTTP status, size cap, refused address
        └── ParseError           the body is not a feed
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class; ``str(error)`` is a one-line message fit for the user."""


class ConfigError(AssistantError):
    pass


class LoadError(AssistantError):
    def __init__(self, path: str, cause: str) -> None:
        self.path = path
        self.cause = cause
        super().__init__(f"{path}: {cause}")


class IndexNotReadyError(AssistantError):
    pass


class ModelUnavailableError(AssistantError):
    pass


class DataImportError(AssistantError):
    def __init__(self, path: str, cause: str) -> None:
        self.path = path
        self.cause = cause
        super().__init__(f"{path}: {cause}")


class FeedError(AssistantError):
    def __init__(self, url: str, cause: str) -> None:
        self.url = url
        self.cause = cause
        super().__init__(f"{url}: {cause}")


class FetchError(FeedError):
    pass


class ParseError(FeedError):
    pass
