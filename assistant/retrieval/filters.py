"""Metadata filters, translated once for each side of the hybrid search (pure).

The same ``Filters`` becomes a Chroma ``where`` (one top-level key; several conditions go under
``$and``) and an SQL condition over the ``documents`` table, so both sides see the same subset.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from assistant.errors import ConfigError
from assistant.types import AUDIENCES, DOC_TYPES

KEYS = ("doc_type", "audience", "jurisdiction", "since")


@dataclass(frozen=True)
class Filters:
    doc_types: tuple[str, ...] = ()
    audience: str | None = None
    jurisdictions: tuple[str, ...] = ()
    #: Only documents published (or "as of") on or after this date.
    since: date | None = None

    @classmethod
    def parse(cls, pairs: Iterable[str]) -> Filters:
        """Build filters from ``KEY=VALUE`` strings (``--where``); a repeated key means any of."""
        values: dict[str, list[str]] = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or not value:
                raise ConfigError(f"--where {pair!r}: expected KEY=VALUE with KEY one of {', '.join(KEYS)}")
            if key not in KEYS:
                raise ConfigError(f"--where {pair!r}: unknown key {key!r}; use one of {', '.join(KEYS)}")
            values.setdefault(key, []).extend(v.strip() for v in value.split(",") if v.strip())
        for doc_type in values.get("doc_type", []):
            if doc_type not in DOC_TYPES:
                raise ConfigError(f"--where doc_type={doc_type}: not one of {', '.join(DOC_TYPES)}")
        audience = values.get("audience", [None])[-1]
        if audience is not None and audience not in AUDIENCES:
            raise ConfigError(f"--where audience={audience}: not one of {', '.join(AUDIENCES)}")
        since = None
        if values.get("since"):
            raw = values["since"][-1]
            try:
                since = date.fromisoformat(raw)
            except ValueError:
                raise ConfigError(f"--where since={raw}: not a date (use YYYY-MM-DD)") from None
        return cls(
            doc_types=tuple(values.get("doc_type", ())),
            audience=audience,
            jurisdictions=tuple(j.upper() for j in values.get("jurisdiction", ())),
            since=since,
        )

    def merged(self, other: Filters) -> Filters:
        """``other``'s settings win where it has them."""
        return Filters(
            doc_types=other.doc_types or self.doc_types,
            audience=other.audience or self.audience,
            jurisdictions=other.jurisdictions or self.jurisdictions,
            since=other.since or self.since,
        )

    def to_chroma(self) -> dict | None:
        conditions: list[dict] = []
        if self.doc_types:
            conditions.append({"doc_type": {"$in": list(self.doc_types)}})
        if self.audience:
            conditions.append({f"aud_{self.audience}": {"$eq": True}})
        if self.jurisdictions:
            conditions.append({"jurisdiction": {"$in": list(self.jurisdictions)}})
        if self.since:
            conditions.append({"published": {"$gte": int(self.since.strftime("%Y%m%d"))}})
        if not conditions:
            return None
        return conditions[0] if len(conditions) == 1 else {"$and": conditions}

    def to_sql(self, alias: str = "d", *, mark: str = "?") -> tuple[str, list]:
        """An SQL condition over a table with the filter columns (aliased ``alias``) and its parameters.

        ``mark`` is the driver's parameter marker (``?`` for sqlite3, ``%s`` for psycopg).
        """
        clauses: list[str] = []
        params: list = []
        if self.doc_types:
            clauses.append(f"{alias}.doc_type IN ({','.join([mark] * len(self.doc_types))})")
            params += list(self.doc_types)
        if self.audience:
            clauses.append(f"(',' || {alias}.audience || ',') LIKE {mark}")
            params.append(f"%,{self.audience},%")
        if self.jurisdictions:
            clauses.append(f"{alias}.jurisdiction IN ({','.join([mark] * len(self.jurisdictions))})")
            params += list(self.jurisdictions)
        if self.since:
            clauses.append(f"{alias}.published >= {mark}")
            params.append(int(self.since.strftime("%Y%m%d")))
        return (" AND ".join(clauses) or "1"), params
