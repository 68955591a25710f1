"""Hand new and changed relevant feed items to the search index as ``policy_update`` documents.

The store, not this run's memory, says what is pending: an item whose latest ``content_hash``
differs from its ``indexed_hash``. So a run killed after storing items but before indexing them
indexes them next time, and a crash between ``index.replace`` and marking them only costs a
second, idempotent ``replace``. Items that stopped being relevant (a revised text no longer
matches the feed's keywords) are removed from the index.

The index is reached through ``get_index()`` and only when there is work: building the real
one loads the embedding model, which takes seconds.

Two workers syncing at once (two ``feeds refresh`` against one database) take turns: the whole
sync holds ``db.exclusive(conn, INDEX_LOCK)``, because ``index.replace`` starts by repairing, which
drops any document another writer has marked pending and is still embedding. The first reads
pending items batch by batch until none is left, so it also indexes what the second stores
meanwhile; the second then reads what is still pending (usually nothing, so it never loads the
model), and each item is indexed once and none is left behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from assistant import db
from assistant.feeds.decide import describe_change
from assistant.feeds.store import load_version, transaction
from assistant.types import Document

#: Documents per ``index.replace`` call; a crash mid-way then re-does at most one batch.
BATCH = 256
#: The lock every writer of the search index should hold (``db.exclusive``): feeds take it here.
INDEX_LOCK = "index"


class Index(Protocol):
    def replace(self, documents: Sequence[Document]) -> object: ...

    def remove(self, doc_ids: Iterable[str]) -> int: ...


@dataclass(frozen=True)
class IndexResult:
    indexed: int = 0
    removed: int = 0


_PENDING = """
SELECT i.id, i.doc_id, i.content_hash, i.version, i.first_seen, i.last_changed,
       f.name AS feed_name, f.title AS feed_title, f.url AS feed_url, f.topic, f.jurisdiction,
       v.title, v.link, v.text, v.published, v.updated
FROM feed_items i
JOIN feeds f ON f.id = i.feed_id
JOIN feed_item_versions v ON v.item_id = i.id AND v.version = i.version
WHERE i.relevant = 1 AND (i.indexed_hash IS NULL OR i.indexed_hash != i.content_hash) AND i.id > ?
ORDER BY i.id
"""


def pending_documents(conn, *, after: int = 0, limit: int | None = None) -> list[tuple[int, str, Document]]:
    """(item id, content hash, Document) for every relevant item not indexed in its latest version
    (with an id above ``after``; the first ``limit`` of them), in id order."""
    out = []
    sql = _PENDING if limit is None else f"{_PENDING} LIMIT {int(limit)}"
    for row in conn.execute(sql, (after,)).fetchall():
        change = ""
        if row["version"] > 1:
            previous = load_version(conn, row["id"], row["version"] - 1)
            if previous is not None:
                change = describe_change(previous, load_version(conn, row["id"], row["version"]))
        out.append((row["id"], row["content_hash"], to_document(row, change=change)))
    return out


def to_document(row, *, change: str = "") -> Document:
    """The Document of one item version (DESIGN.md: doc_type policy_update, advocacy audience)."""
    link = row["link"] or ""
    title = row["title"] or (row["text"] or "").split("\n", 1)[0][:100] or "(untitled item)"
    parts = [title, row["text"] or ""]
    if change:
        parts.append(f"Updated {row['last_changed'][:10]} (version {row['version']}): {change}")
    return Document(
        doc_id=row["doc_id"],
        source=link or row["feed_url"],
        title=title,
        text="\n\n".join(p for p in parts if p),
        doc_type="policy_update",
        audience=("advocacy",),
        jurisdiction=row["jurisdiction"] or "US",
        source_urls=(link,) if link else (),
        published=item_date(row),
        extra=(
            ("feed", row["feed_name"] or row["feed_title"] or row["feed_url"]),
            ("topic", row["topic"] or ""),
        ),
    )


def item_date(row) -> date:
    """The item's date: published, else updated, else when we first saw it."""
    for key in ("published", "updated", "first_seen"):
        value = row[key]
        if value:
            return datetime.fromisoformat(value).date()
    raise ValueError("feed item without first_seen")


def sync_index(conn, get_index: Callable[[], Index], *, batch: int = BATCH) -> IndexResult:
    """Index pending items and drop items no longer relevant; touch the index only if needed."""
    if not _has_work(conn):
        return IndexResult()
    with db.exclusive(conn, INDEX_LOCK):
        return _sync(conn, get_index, batch=batch)  # re-read: a worker before us may have done it


def _has_work(conn) -> bool:
    return conn.execute(
        "SELECT 1 FROM feed_items WHERE (relevant = 1 AND (indexed_hash IS NULL OR indexed_hash != content_hash))"
        " OR (relevant = 0 AND indexed_hash IS NOT NULL) LIMIT 1"
    ).fetchone() is not None


def _sync(conn, get_index: Callable[[], Index], *, batch: int) -> IndexResult:
    stale = conn.execute("SELECT id, doc_id FROM feed_items WHERE relevant = 0 AND indexed_hash IS NOT NULL").fetchall()
    pending = pending_documents(conn, limit=batch)
    if not pending and not stale:
        return IndexResult()
    index = get_index()
    if stale:
        index.remove([row["doc_id"] for row in stale])
        with transaction(conn):
            conn.executemany("UPDATE feed_items SET indexed_hash = NULL WHERE id = ?", [(row["id"],) for row in stale])
    indexed = 0
    # Batch by batch, reading on after the last one: items another worker stores meanwhile are
    # indexed here too (its own sync, waiting for the lock, then finds nothing and loads no model).
    while pending:
        index.replace([doc for _, _, doc in pending])
        with transaction(conn):
            conn.executemany(
                "UPDATE feed_items SET indexed_hash = ? WHERE id = ? AND content_hash = ?",
                [(digest, item_id, digest) for item_id, digest, _ in pending],
            )
        indexed += len(pending)
        pending = pending_documents(conn, after=pending[-1][0], limit=batch)
    return IndexResult(indexed=indexed, removed=len(stale))
