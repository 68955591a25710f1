"""Import one publisher file (or the O*NET folder) as its source's new release.

    file | checksum | check header | parse.* rows (generators) | store.replace_source

Everything that can be checked before writing is checked first (the file exists, is not
empty, has the columns, names its release). A problem only found while reading (a gzip cut
short, a bad cell on line 200,000) is raised from inside the row generators, so
``replace_source`` rolls back and the stored release stays exactly as it was. Every refusal is
one ``DataImportError`` line naming the file and the cause. openpyxl is imported here only.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from assistant import db
from assistant.errors import DataImportError
from assistant.occupations import parse, store
from assistant.occupations.store import Release

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"


def import_source(conn, source: str, path: str | Path, *, release: str | None = None,
                  now: datetime | None = None) -> Release:
    """Import ``path`` as the new release of ``source`` (oews, onet, projections, cip)."""
    if source not in IMPORTERS:
        raise DataImportError(str(path), f"unknown data source {source!r} (one of {', '.join(IMPORTERS)})")
    if source == "oews":
        return import_oews(conn, path, release=release, now=now)
    return IMPORTERS[source](conn, path, now=now)


# -- OEWS -------------------------------------------------------------------------------------------


def import_oews(conn, path: str | Path, *, release: str | None = None,
                now: datetime | None = None) -> Release:
    """OEWS "all data" rows from a .csv, a .csv.gz or BLS's own .xlsx (cross-industry rows kept).

    The release is ``release`` when given, else read from the file name (``oews_may2025...``,
    BLS's ``all_data_M_2025.xlsx``) or the workbook's sheet title ("All May 2025 data").
    """
    path = Path(path)
    name = str(path)
    head = _head(path)
    with ExitStack() as stack:
        if head.startswith(_ZIP_MAGIC):
            sheet_title, rows = _xlsx_rows(path, None, stack)
        else:
            sheet_title, rows = "", _csv_rows(path, gzipped=head.startswith(_GZIP_MAGIC), stack=stack)
        header = _first(name, rows)
        areas: dict[str, tuple] = {}
        try:
            wages = parse.oews_rows(header, rows, areas)
            release = release or parse.oews_release(path.name) or parse.oews_release(sheet_title)
        except parse.FormatProblem as exc:
            raise DataImportError(name, str(exc)) from None
        if not release:
            raise DataImportError(name, "cannot tell the release from the file name; "
                                        "pass --release (e.g. --release 'May 2025')")
        return _replace(conn, "oews", name, release=release, checksum=_checksum([path]), now=now,
                        count_table="oews_wages", tables={
                            "oews_wages": (parse.OEWS_COLUMNS, wages),
                            # After the wages: the areas are collected while the wages are read.
                            "oews_areas": (parse.AREA_COLUMNS, _later(lambda: areas.values())),
                        })


# -- O*NET ------------------------------------------------------------------------------------------

_ONET_README = "Read Me.txt"


def import_onet(conn, folder: str | Path, *, now: datetime | None = None) -> Release:
    """The O*NET text release folder (``db_30_1_text.zip`` unzipped)."""
    folder = Path(folder)
    name = str(folder).rstrip("/") + "/"
    if not folder.is_dir():
        raise DataImportError(name, "not a folder (pass the unzipped O*NET text release folder)")
    needed = [_ONET_README, *parse.ONET_FILES]
    missing = [f for f in needed if not (folder / f).is_file()]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise DataImportError(name, f"missing {', '.join(missing[:3])}{more} (is this the O*NET text release?)")
    readme = (folder / _ONET_README).read_text(encoding="utf-8", errors="replace")
    release = parse.onet_release(readme)
    if not release:
        raise DataImportError(name, f"{_ONET_README} does not start with 'O*NET <version> Database'")
    with ExitStack() as stack:
        opened = {f: _tsv(folder / f, stack) for f in parse.ONET_FILES}
        headers = {f: _first(f"{name}{f}", rows) for f, rows in opened.items()}
        try:
            for f, header in headers.items():
                parse.require(header, parse.ONET_FILES[f])
            zones = parse.job_zones(headers["Job Zones.txt"], opened["Job Zones.txt"])
            labels_file = "Education, Training, and Experience Categories.txt"
            labels = parse.education_labels(headers[labels_file], opened[labels_file])
        except parse.FormatProblem as exc:
            raise DataImportError(name, str(exc)) from None

        def part(f: str):
            return headers[f], opened[f]

        rows = {
            "onet_occupations": parse.onet_occupations(*part("Occupation Data.txt"), zones),
            "onet_titles": parse.onet_titles(part("Alternate Titles.txt"), part("Sample of Reported Titles.txt")),
            "onet_tasks": parse.onet_tasks(*part("Task Statements.txt")),
            "onet_related": parse.onet_related(*part("Related Occupations.txt")),
            "onet_technology": parse.onet_technology(*part("Technology Skills.txt")),
            "onet_tools": parse.onet_tools(*part("Tools Used.txt")),
            "onet_education": parse.onet_education(*part("Education, Training, and Experience.txt"), labels),
        }
        files = [folder / f for f in sorted(needed)]
        return _replace(conn, "onet", name, release=release, checksum=_checksum(files), now=now,
                        count_table="onet_occupations",
                        tables={t: (parse.ONET_COLUMNS[t], r) for t, r in rows.items()})


# -- BLS Employment Projections -------------------------------------------------------------------


def import_projections(conn, path: str | Path, *, now: datetime | None = None) -> Release:
    """BLS's ``occupation.xlsx``, sheet "Table 1.2" (title row, then the header, then the rows)."""
    path = Path(path)
    name = str(path)
    if not _head(path).startswith(_ZIP_MAGIC):
        raise DataImportError(name, "not an Excel workbook (expected BLS's occupation.xlsx)")
    with ExitStack() as stack:
        _, rows = _xlsx_rows(path, parse.PROJECTIONS_SHEET, stack)
        title = _first(name, rows)[0]  # "Table 1.2 Occupational projections, 2024–2034, ..."
        header = _first(name, rows)
        release = parse.projections_release(str(title or ""))
        try:
            parse.projection_columns(header)
        except parse.FormatProblem as exc:
            raise DataImportError(name, f"{exc} in sheet {parse.PROJECTIONS_SHEET!r}") from None
        if not release:
            raise DataImportError(name, f"sheet {parse.PROJECTIONS_SHEET!r} title names no projection years")
        return _replace(conn, "projections", name, release=release, checksum=_checksum([path]), now=now,
                        count_table="projections",
                        tables={"projections": (parse.PROJECTIONS_COLUMNS, parse.projection_rows(header, rows))})


# -- NCES CIP-SOC crosswalk -----------------------------------------------------------------------


def import_cip(conn, path: str | Path, *, now: datetime | None = None) -> Release:
    """NCES's ``CIP2020_SOC2018_Crosswalk.csv`` (UTF-8 with a byte-order mark)."""
    path = Path(path)
    name = str(path)
    head = _head(path)
    with ExitStack() as stack:
        rows = _csv_rows(path, gzipped=head.startswith(_GZIP_MAGIC), stack=stack)
        header = _first(name, rows)
        release = parse.cip_release(header)
        if not release:
            raise DataImportError(name, "no CIP<year>Code column (is this NCES's CIP-SOC crosswalk?)")
        try:
            crosswalk = parse.cip_rows(header, rows)
        except parse.FormatProblem as exc:
            raise DataImportError(name, str(exc)) from None
        return _replace(conn, "cip", name, release=release, checksum=_checksum([path]), now=now,
                        count_table="cip_soc", tables={"cip_soc": (parse.CIP_COLUMNS, crosswalk)})


IMPORTERS: dict[str, Callable[..., Release]] = {
    "oews": import_oews, "onet": import_onet, "projections": import_projections, "cip": import_cip,
}


# -- shared -----------------------------------------------------------------------------------------


def _head(path: Path) -> bytes:
    if path.is_dir():
        raise DataImportError(str(path), "is a folder, expected a file")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except FileNotFoundError:
        raise DataImportError(str(path), "no such file") from None
    except OSError as exc:
        raise DataImportError(str(path), f"cannot read: {exc.strerror or exc}") from None
    if not head:
        raise DataImportError(str(path), "file is empty")
    return head


def _csv_rows(path: Path, *, gzipped: bool, stack: ExitStack) -> Iterator[list[str]]:
    opener = gzip.open if gzipped else open
    handle = stack.enter_context(opener(path, "rt", encoding="utf-8-sig", newline=""))
    return _guarded(str(path), csv.reader(handle))


def _tsv(path: Path, stack: ExitStack) -> Iterator[list[str]]:
    # O*NET's text files are tab-separated with no quoting: a quote is part of the text.
    handle = stack.enter_context(open(path, encoding="utf-8-sig", newline=""))
    return _guarded(str(path), csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _xlsx_rows(path: Path, sheet: str | None, stack: ExitStack) -> tuple[str, Iterator[tuple]]:
    """``(sheet title, rows)`` of ``sheet`` (the first sheet when None), read streaming."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises zipfile, KeyError, its own errors
        raise DataImportError(str(path), f"not a readable Excel workbook ({type(exc).__name__}: {exc})") from None
    stack.callback(workbook.close)
    if sheet is not None and sheet not in workbook.sheetnames:
        raise DataImportError(str(path), f'no sheet "{sheet}" (is this BLS\'s occupation.xlsx?)')
    worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    return worksheet.title, _guarded(str(path), worksheet.iter_rows(values_only=True))


def _guarded(name: str, rows: Iterable) -> Iterator:
    """``rows``, with any reading problem turned into the one-line refusal for ``name``."""
    try:
        yield from rows
    except EOFError as exc:
        raise DataImportError(name, f"truncated gzip ({exc})") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise DataImportError(name, f"corrupt gzip ({exc})") from None
    except UnicodeDecodeError as exc:
        raise DataImportError(name, f"not UTF-8 text (byte {exc.start} of a block): save it as UTF-8") from None
    except csv.Error as exc:
        raise DataImportError(name, f"not a readable CSV ({exc})") from None
    except OSError as exc:
        raise DataImportError(name, f"cannot read ({exc})") from None


def _first(name: str, rows: Iterator):
    """The header row; a file with none is refused before anything is written."""
    for row in rows:
        if row and any(cell not in (None, "") for cell in row):
            return list(row)
    raise DataImportError(name, "file is empty (no header row)")


def _later(make: Callable[[], Iterable]) -> Iterator:
    yield from make()


def _counted(name: str, rows: Iterable) -> Iterator:
    """``rows``, refusing a file with a header and no data (found at the end, inside the transaction)."""
    count = 0
    try:
        for row in rows:
            count += 1
            yield row
    except parse.FormatProblem as exc:
        raise DataImportError(name, str(exc)) from None
    if count == 0:
        raise DataImportError(name, "no data rows")


def _checksum(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _replace(conn, source: str, name: str, *, release: str, checksum: str, now,
             count_table: str, tables: dict[str, tuple]) -> Release:
    guarded = {t: (columns, _counted(name, rows) if t == count_table else _plain(name, rows))
               for t, (columns, rows) in tables.items()}
    try:
        return store.replace_source(conn, source, release=release, tables=guarded, file=name,
                                    checksum=checksum, count_table=count_table, now=now)
    except db.integrity_errors() as exc:
        # Postgres adds DETAIL and CONTEXT lines; the first names the broken rule, as SQLite's does.
        cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataImportError(name, f"rows break the table's rules ({cause})") from None


def _plain(name: str, rows: Iterable) -> Iterator:
    try:
        yield from rows
    except parse.FormatProblem as exc:
        raise DataImportError(name, str(exc)) from None
