"""The default data extract shipped in ``corpus/data/``: building it, and loading it into the store.

An extract is a folder with ``MANIFEST.json`` (``"kind": "assistant-data-extract"``) and one
part per source, each in its publisher's own format, so it is loaded by the same importers as
a user's file:

    ../shared/data | build_extract (select occupations, filter rows) | corpus/data/
    corpus/data/MANIFEST.json | load_extract | importers.import_* per part | store

Replace rule: a source is (re)loaded from the extract when the store has no release for it, or
when its release was itself loaded from an extract of another version. A release the user
imported with ``assistant data import`` is never replaced by the extract (user imports win).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import shutil
from collections.abc import Iterable
from pathlib import Path

from assistant import db
from assistant.errors import DataImportError
from assistant.occupations import importers, parse, store
from assistant.occupations.store import Release

KIND = "assistant-data-extract"
MANIFEST = "MANIFEST.json"

#: Which extract version each source's release came from (absent: the user imported it).
MIGRATIONS = [
    """
    CREATE TABLE data_extract_loads (
        source TEXT PRIMARY KEY,
        version TEXT NOT NULL,
        checksum TEXT NOT NULL
    );
    """,
]

# -- what the extract holds (issue 9) -------------------------------------------------------------

#: SOC major groups kept whole: healthcare practitioners (29) and healthcare support (31).
WHOLE_GROUPS = ("29-", "31-")
#: Further occupations a BMET student compares with; 15-12xx (computer and security) by prefix.
NAMED = ("49-9062", "17-2031", "17-3023", "17-3024", "17-3026", "17-3027", "17-3028", "49-2094",
         "49-2095", "49-9069", "51-9061", "11-9111")
PREFIXES = ("15-12",)
ONET_FILES = (
    "Read Me.txt", "Occupation Data.txt", "Job Zones.txt", "Job Zone Reference.txt", "Alternate Titles.txt",
    "Sample of Reported Titles.txt", "Task Statements.txt", "Related Occupations.txt", "Technology Skills.txt",
    "Tools Used.txt", "Education, Training, and Experience.txt",
    "Education, Training, and Experience Categories.txt",
)
CREDITS = {
    "oews": "U.S. Bureau of Labor Statistics, Occupational Employment and Wage Statistics (OEWS), May 2025 "
            "(public domain).",
    "onet": "This product includes information from O*NET 30.1 Database by the U.S. Department of Labor, "
            "Employment and Training Administration (USDOL/ETA), used under the CC BY 4.0 license.",
    "projections": "U.S. Bureau of Labor Statistics, Employment Projections program, 2024-34 projections "
                   "(public domain).",
    "cip": "National Center for Education Statistics (NCES), CIP 2020 to SOC 2018 crosswalk (public domain).",
}


def is_extract(folder: Path) -> bool:
    """Whether ``folder`` holds a data extract (so document ingest leaves it alone)."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("kind") == KIND


def find_extracts(paths: Iterable[str | Path]) -> list[Path]:
    """Extract folders at or under ``paths`` (hidden folders are not searched)."""
    found: list[Path] = []
    for raw in paths:
        root = Path(raw)
        if not root.is_dir():
            continue
        for manifest in sorted(root.rglob(MANIFEST)):
            relative = manifest.parent.relative_to(root).parts
            if not any(p.startswith(".") for p in relative) and is_extract(manifest.parent):
                found.append(manifest.parent)
    return list(dict.fromkeys(found))


# -- loading ---------------------------------------------------------------------------------------


def load_extract(conn, folder: str | Path, *,
                 malegislature_url: str | None = None) -> list[Release]:
    """Import the parts of the extract in ``folder`` that the replace rule allows; return them.

    ``malegislature_url`` is the API base seeded Massachusetts bills are tracked at.
    """
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        version, parts = str(manifest["version"]), dict(manifest["parts"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataImportError(str(folder / MANIFEST), f"not a readable extract manifest ({exc})") from None
    store.ensure_schema(conn)
    db.migrate(conn, "data_extract", MIGRATIONS)
    current = store.releases(conn)
    loads = {row["source"]: (row["version"], row["checksum"])
             for row in conn.execute("SELECT source, version, checksum FROM data_extract_loads")}
    loaded: list[Release] = []
    for source, part in parts.items():
        if source == "ma_bills":  # corpus/malegislature/: tracked bills (assistant.bills), not a data release
            if loads.get(source, ("",))[0] != version:  # once per seed version: a bill untracked since stays so
                from assistant.bills.ma_seed import DEFAULT_BASE, load_seed

                fresh = load_seed(conn, folder / part["path"], release=part["release"], captured=part["captured"],
                                  base=malegislature_url or DEFAULT_BASE)
                loaded.append(_record_load(conn, source, version, fresh))
            continue
        release = current.get(source)
        if release is not None:
            previous = loads.get(source)
            from_extract = previous is not None and previous[1] == release.checksum
            if not from_extract or previous[0] == version:
                continue  # the user's own import, or this very extract already
        if source == "legislators":  # corpus/legislators/: members and committees (assistant.people)
            from assistant.people.importers import import_legislators

            fresh = import_legislators(conn, folder / part["path"], as_of=part.get("as_of"))
        else:
            fresh = importers.import_source(conn, source, folder / part["path"],
                                            release=part["release"] if source == "oews" else None)
        loaded.append(_record_load(conn, source, version, fresh))
    return loaded


def _record_load(conn, source: str, version: str, fresh: Release) -> Release:
    conn.execute(
        "INSERT INTO data_extract_loads (source, version, checksum) VALUES (?, ?, ?) "
        "ON CONFLICT(source) DO UPDATE SET version = excluded.version, checksum = excluded.checksum",
        (source, version, fresh.checksum),
    )
    return fresh


def load_extracts(conn, paths: Iterable[str | Path], *,
                  malegislature_url: str | None = None) -> list[Release]:
    """``load_extract`` for every extract found under ``paths`` (what ``assistant ingest`` calls)."""
    return [release for folder in find_extracts(paths)
            for release in load_extract(conn, folder, malegislature_url=malegislature_url)]


# -- building --------------------------------------------------------------------------------------


def chosen_occupations(related_rows: Iterable[tuple[str, str]], oews_codes: Iterable[str]) -> set[str]:
    """SOC codes kept: groups 29 and 31, the named ones, 15-12xx, every O*NET relation of those,
    and every major group (xx-0000) with the all-occupations total for context."""
    codes = set(oews_codes)
    core = {c for c in codes if c.startswith(WHOLE_GROUPS + PREFIXES) or c in NAMED}
    related = {target[:7] for code, target in related_rows if code[:7] in core}
    majors = {c for c in codes if c.endswith("-0000")}
    return core | related | majors


def build_extract(source: Path, target: Path) -> dict:
    """Write the extract from the publisher files under ``source`` into ``target``; same bytes each run."""
    source, target = Path(source), Path(target)
    oews_file = source / "oews" / "oews_may2025_cross_industry.csv.gz"
    onet_dir = source / "onet"
    with gzip.open(oews_file, "rt", encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        occ = header.index("OCC_CODE")
        oews_codes = {row[occ] for row in reader}
    related = [tuple(line.split("\t")[:2]) for line in _lines(onet_dir / "Related Occupations.txt")[1:]]
    soc = chosen_occupations(related, oews_codes)
    target.mkdir(parents=True, exist_ok=True)

    oews_name = "oews_may2025_extract.csv.gz"
    oews_rows = _write_oews(oews_file, target / oews_name, soc)
    onet_codes = {line.split("\t")[0] for line in _lines(onet_dir / "Occupation Data.txt")[1:]
                  if line.split("\t")[0][:7] in soc}
    titled = onet_codes | {b for a, b in related if a in onet_codes}
    (target / "onet").mkdir(exist_ok=True)
    for name in ONET_FILES:
        keep = titled if name == "Occupation Data.txt" else onet_codes
        _write_onet(onet_dir / name, target / "onet" / name, keep)
    shutil.copyfile(source / "bls-ep" / "occupation.xlsx", target / "occupation.xlsx")
    shutil.copyfile(source / "cip" / "CIP2020_SOC2018_Crosswalk.csv", target / "CIP2020_SOC2018_Crosswalk.csv")

    parts = {
        "oews": {"path": oews_name, "release": "May 2025", "source_file": "oews/" + oews_file.name,
                 "rows": oews_rows, "soc_codes": len(soc)},
        "onet": {"path": "onet", "release": "O*NET 30.1", "source_file": "onet/",
                 "occupations": len(onet_codes), "titled_occupations": len(titled)},
        "projections": {"path": "occupation.xlsx", "release": "2024-34", "source_file": "bls-ep/occupation.xlsx"},
        "cip": {"path": "CIP2020_SOC2018_Crosswalk.csv", "release": "CIP 2020",
                "source_file": "cip/CIP2020_SOC2018_Crosswalk.csv"},
    }
    digest = hashlib.sha256()
    for file in sorted(p for p in target.rglob("*") if p.is_file() and p.name not in (MANIFEST, "README.md")):
        digest.update(str(file.relative_to(target)).encode() + b"\0" + file.read_bytes())
    manifest = {
        "kind": KIND,
        "name": "bmet-assistant default labor-market extract",
        "version": digest.hexdigest()[:16],
        "built_by": "python scripts/build_data_extract.py --from ../shared/data",
        "selection": "SOC major groups 29 and 31 whole; " + ", ".join(NAMED) + "; 15-12xx; every occupation "
                     "O*NET relates to those; all major groups (xx-0000) and the total 00-0000; every area",
        "parts": parts,
        "credits": CREDITS,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _write_oews(source: Path, target: Path, soc: set[str]) -> int:
    """The chosen rows in the publisher's columns, gzipped with mtime 0 (identical bytes each build)."""
    count = 0
    buffer = io.StringIO()
    with gzip.open(source, "rt", encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        writer = csv.writer(buffer, lineterminator="\n")
        header = next(reader)
        occ = header.index("OCC_CODE")
        writer.writerow(header)
        for row in reader:
            if row[occ] in soc:
                writer.writerow(row)
                count += 1
    with open(target, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
        out.write(buffer.getvalue().encode("utf-8"))
    return count


def _write_onet(source: Path, target: Path, codes: set[str]) -> None:
    """Copy an O*NET file keeping the header and the rows of ``codes`` (line endings untouched)."""
    data = source.read_bytes()
    lines = data.splitlines(keepends=True)
    if not lines or not lines[0].startswith(b"O*NET-SOC Code\t"):
        target.write_bytes(data)  # reference files (Read Me, categories) are copied whole
        return
    keep = [lines[0]] + [line for line in lines[1:] if line.split(b"\t", 1)[0].decode() in codes]
    if source.name == "Education, Training, and Experience.txt":
        # Only the required-level-of-education scale is imported; the other scales are 1.2 MB.
        scale = lines[0].rstrip(b"\r\n").split(b"\t").index(b"Scale ID")
        keep = keep[:1] + [line for line in keep[1:] if line.split(b"\t")[scale].decode() == parse.EDUCATION_SCALE]
    target.write_bytes(b"".join(keep))
