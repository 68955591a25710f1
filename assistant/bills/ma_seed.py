"""The shipped seed of Massachusetts bills (``corpus/malegislature/``): real API responses loaded
as tracked bills, so a fresh checkout answers "where is H.2073?" and shows its card offline.

The seed is the Legislature's own answers, saved as they came (see that folder's README)::

    documents_court{n}.json                        entries of GET /GeneralCourts/{n}/Documents
    details/ma_bill_{n}_{bill}.json                GET /GeneralCourts/{n}/Documents/{bill}
    history/document_history_actions_{n}_{bill}.json   .../DocumentHistoryActions
    hearings/*.json                                GET /Hearings/{id}
    | per listed bill: detail (else its list entry), history, hearings whose agenda names it
    | ma.parse_document | store.track + save_version (one version, as a first refresh stores)

A bill already tracked keeps its own record: whatever a refresh fetched is newer than the seed.
Each seed version is stored with the date its newest response was captured (``captured`` in
``MANIFEST.json``) and no search document (``indexed = 2``): it is a starting record, not news.
The next ``assistant bills refresh`` fetches the live record and reports what changed since.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from assistant.bills import ma, store
from assistant.errors import DataImportError
from assistant.feeds.models import Fetched
from assistant.occupations.store import Release

#: The API base a seed bill is tracked at when the caller gives none (``Settings.malegislature_url``).
DEFAULT_BASE = "https://malegislature.gov/api"
NO_DOCUMENT = 2


def load_seed(conn: store.Connection, folder: str | Path, *, release: str, captured: dict[str, str],
              base: str = DEFAULT_BASE) -> Release:  # fmt: skip
    """Track every bill the seed lists that is not tracked yet, with its seed record as version 1.

    ``captured`` maps a file's path under ``folder`` to the day its response was saved.

    Raises:
        DataImportError: a file is missing or not the API's JSON.
    """
    folder = Path(folder)
    hearings = [(p, _read(p)) for p in sorted((folder / "hearings").glob("*.json"))]
    lists = sorted(folder.glob("documents_court*.json"))
    if not lists:
        raise DataImportError(str(folder), "no documents_court{n}.json list of the bills to seed")
    store.ensure_schema(conn)
    added = 0
    for listed in lists:
        for entry in _read(listed):
            used, bill = _bill(folder, listed, entry, hearings)
            if store.get(conn, bill.ref.key) is None:
                _save(conn, bill, when=_captured(folder, used, captured), base=base)
                added += 1
    files = sorted(p for p in folder.rglob("*.json") if p.name != "MANIFEST.json")
    checksum = hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()
    return Release("ma_bills", release, added, str(folder), checksum, datetime.now(UTC).isoformat(timespec="seconds"))


def _bill(folder: Path, listed: Path, entry: dict, hearings: list[tuple[Path, dict]]) -> tuple[list[Path], ma.MaBill]:
    """The record a refresh would store for one list entry, and the files it was read from."""
    try:
        ref = ma.parse_ma_id(entry["BillNumber"], court=int(entry["GeneralCourtNumber"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise DataImportError(str(listed), f"an entry without a bill number and court ({exc})") from None
    detail_path = folder / "details" / f"ma_bill_{ref.court}_{ref.bill}.json"
    history_path = folder / "history" / f"document_history_actions_{ref.court}_{ref.bill}.json"
    used = [listed]
    detail = entry
    if detail_path.is_file():
        detail = _read(detail_path)
        used.append(detail_path)
    history = []
    if history_path.is_file():
        history = _read(history_path)
        used.append(history_path)
    agendas = [(p, h) for p, h in hearings if ma.lists_bill(h, ref)]
    used += [p for p, _ in agendas]
    try:
        return used, ma.parse_document(ref, detail, history, [h for _, h in agendas])
    except (ValueError, TypeError, AttributeError) as exc:
        raise DataImportError(str(used[-1]), f"{ref.label}: not the API's document JSON ({exc})") from None


def _save(conn: store.Connection, bill: ma.MaBill, *, when: datetime, base: str) -> None:
    ref = bill.ref
    url = ref.document_url(base)
    store.track(conn, ref, url=url, now=when, jurisdiction="ma")
    tracked = store.get(conn, ref.key)
    seeded = Fetched(url=url, final_url=url, status=200, content=b"", headers={}, permanent_redirect=False)
    latest = bill.latest_action
    store.save_version(conn, tracked, seeded, bill, digest=ma.content_hash(bill), changes=ma.decide(None, bill),
                       latest_action_date=latest.date if latest else None, now=when, indexed=NO_DOCUMENT)  # fmt: skip


def _captured(folder: Path, used: list[Path], captured: dict[str, str]) -> datetime:
    """The newest capture day of the files a record was read from (noon UTC, so it is that day in Boston)."""
    days = []
    for path in used:
        name = path.relative_to(folder).as_posix()
        if name not in captured:
            raise DataImportError(str(path), "not in the manifest's captured dates")
        days.append(captured[name])
    return datetime.fromisoformat(max(days)).replace(hour=12, tzinfo=UTC)


def _read(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataImportError(str(path), f"not readable JSON ({exc})") from None
