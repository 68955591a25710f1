"""``assistant data import legislators DIR``: members and committees as one release.

    DIR | find layouts (congress-legislators files, Open States folders, or a parent of both)
        | parse.* every file (all checked before writing) | store.replace

DIR may be the congress-legislators folder, the Open States Massachusetts folder, or a folder
holding both. Importing one layout keeps the other's rows. A file that cannot be read or
parsed is refused with one ``DataImportError`` line naming it, and the stored release stays.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path

from assistant import db
from assistant.errors import DataImportError
from assistant.occupations.store import Release
from assistant.people import parse, store

CONGRESS_FILES = ("legislators-current.yaml", "committees-current.yaml", "committee-membership-current.yaml")
OPENSTATES_FOLDERS = ("legislature", "executive", "committees")


def find_layouts(folder: Path) -> dict[str, Path]:
    """Layout name -> its folder, at ``folder`` or one level below it."""
    found: dict[str, Path] = {}
    for candidate in [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]:
        if (candidate / CONGRESS_FILES[0]).is_file():
            found.setdefault(parse.CONGRESS, candidate)
        elif any((candidate / name).is_dir() for name in ("legislature", "committees")):
            found.setdefault(parse.OPENSTATES_MA, candidate)
    return found


def import_legislators(conn, path: str | Path, *,
                       as_of: str | Mapping[str, str] | None = None, now: datetime | None = None) -> Release:
    """Import the layouts under ``path``; ``as_of`` is the date the files were published (one
    date for all layouts, or layout -> date); by default the day of the import."""
    folder = Path(path)
    if not folder.is_dir():
        raise DataImportError(str(path), "not a folder (give the congress-legislators or Open States folder)")
    layouts = find_layouts(folder)
    if not layouts:
        raise DataImportError(str(path), "no legislators-current.yaml and no Open States legislature/ or "
                                         "committees/ folder here or one level below")
    today = (now or datetime.now(UTC)).date().isoformat()
    dates = {name: (as_of.get(name) if isinstance(as_of, Mapping) else as_of) or today for name in layouts}
    for name, value in dates.items():
        try:
            date.fromisoformat(value)
        except ValueError:
            raise DataImportError(str(path), f"release date {value!r} for {name} is not YYYY-MM-DD") from None
    members, committees, memberships = [], [], []
    files: list[Path] = []
    try:
        if parse.CONGRESS in layouts:
            paths = [layouts[parse.CONGRESS] / name for name in CONGRESS_FILES]
            for p in paths:
                if not p.is_file():
                    raise parse.FormatProblem(str(p), "missing (congress-legislators needs all three files)")
            members += parse.congress_members(str(paths[0]), _read(paths[0]))
            committees += parse.congress_committees(str(paths[1]), _read(paths[1]))
            memberships += parse.congress_memberships(str(paths[2]), _read(paths[2]))
            files += paths
        if parse.OPENSTATES_MA in layouts:
            root = layouts[parse.OPENSTATES_MA]
            day = date.fromisoformat(dates[parse.OPENSTATES_MA])
            for sub in OPENSTATES_FOLDERS:
                for p in sorted((root / sub).glob("*.y*ml")):
                    files.append(p)
                    if sub == "committees":
                        committee, roster = parse.openstates_committee(str(p), _read(p))
                        committees.append(committee)
                        memberships += roster
                    else:
                        member = parse.openstates_person(str(p), _read(p), as_of=day)
                        if member is not None:
                            members.append(member)
    except parse.FormatProblem as exc:
        raise DataImportError(exc.file, exc.cause) from None
    _check_unique(members, committees)
    try:
        return store.replace(
            conn, layouts={name: (dates[name], sum(1 for f in files if f.is_relative_to(layouts[name])))
                           for name in layouts},
            members=members, committees=committees, memberships=memberships, file=str(path),
            checksum=_checksum(files), now=now,
        )
    except db.integrity_errors() as exc:
        raise DataImportError(str(path), f"conflicting rows ({exc})") from None


def _read(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise parse.FormatProblem(str(path), f"cannot be read ({exc.strerror})") from None
    if not data.strip():
        raise parse.FormatProblem(str(path), "file is empty")
    return data


def _check_unique(members: list, committees: list) -> None:
    for kind, rows, key in (("member", members, "member_id"), ("committee", committees, "committee_id")):
        seen: set[str] = set()
        for row in rows:
            value = getattr(row, key)
            if value in seen:
                raise DataImportError(row.source, f"{kind} id {value} appears twice")
            seen.add(value)


def _checksum(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()
