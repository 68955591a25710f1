"""Publisher rows in, table rows out: OEWS, O*NET, BLS projections and the CIP-SOC crosswalk.

Pure: every function takes a header and rows (lists of cells, from ``csv`` or ``openpyxl``)
and yields tuples in the column order of ``assistant.occupations.store``. A row that cannot
be read raises ``FormatProblem`` naming the line and the cell; the importer adds the file
name. Nothing here opens a file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from assistant.occupations.store import OEWS_FIGURES

#: BLS's "not a number" cells: ``*`` wage not released, ``**`` employment not released,
#: ``#`` wage at or above $115.00 an hour / $239,200 a year (OEWS technical notes).
MARKERS = frozenset({"*", "**", "#"})
_TRUE = frozenset({"TRUE", "1", "1.0", "Y"})


class FormatProblem(ValueError):
    """What is wrong with a header or a row, without the file name (the caller knows it)."""


def require(header: Sequence[str], names: Iterable[str]) -> dict[str, int]:
    """Column positions of ``names`` in ``header`` (matched without case or spaces around)."""
    position = {str(h or "").strip().upper(): i for i, h in enumerate(header)}
    missing = [n for n in names if n.upper() not in position]
    if missing:
        raise FormatProblem(f"missing columns {', '.join(sorted(missing))}")
    return {n: position[n.upper()] for n in names}


def figure(value) -> tuple[float | None, str | None]:
    """A published figure as ``(number, None)``, ``(None, marker)`` or ``(None, None)`` if blank."""
    if value is None or isinstance(value, bool):
        return None, None
    if isinstance(value, (int, float)):
        return float(value), None
    text = str(value).strip()
    if not text:
        return None, None
    if text in MARKERS:
        return None, text
    try:
        return float(text.replace(",", "")), None
    except ValueError:
        raise FormatProblem(f"{text!r} is not a number or a BLS marker") from None


def flag(value) -> int:
    """BLS's ANNUAL/HOURLY columns: TRUE when only annual (or only hourly) wages are published."""
    if value is True:
        return 1
    return int(str(value if value is not None else "").strip().upper() in _TRUE)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


# -- OEWS ---------------------------------------------------------------------------------------

OEWS_KEYS = ("AREA", "AREA_TITLE", "AREA_TYPE", "PRIM_STATE", "OCC_CODE", "OCC_TITLE", "O_GROUP")
OEWS_COLUMNS = ("area", "occ_code", "occ_title", "o_group", *(f.lower() for f in OEWS_FIGURES),
                "annual", "hourly", "markers")
AREA_COLUMNS = ("area", "area_title", "area_type", "prim_state")
_OEWS_RELEASE = re.compile(r"(?:may[_ -]?|_m_?)(\d{4})", re.I)


def oews_release(filename: str) -> str | None:
    """"May 2025" from the shipped ``oews_may2025_...`` or BLS's ``all_data_M_2025.xlsx``."""
    match = _OEWS_RELEASE.search(filename)
    return f"May {match.group(1)}" if match else None


def oews_rows(header: Sequence, rows: Iterable[Sequence], areas: dict[str, tuple]) -> Iterator[tuple]:
    """Wage rows for ``oews_wages``; fills ``areas`` (AREA -> row of ``oews_areas``) as it goes.

    BLS's all-data workbook also holds one row per industry and ownership; only the
    cross-industry, all-ownership rows (NAICS 000000, I_GROUP "cross-industry") are kept,
    which are exactly the rows of the cross-industry CSV.
    """
    col = require(header, (*OEWS_KEYS, *OEWS_FIGURES))  # checked now, before any row is read
    upper = [str(h or "").strip().upper() for h in header]
    optional = {n: upper.index(n) for n in ("ANNUAL", "HOURLY", "NAICS", "I_GROUP") if n in upper}
    return _oews_rows(header, rows, areas, col, optional)


def _oews_rows(header, rows, areas, col, optional) -> Iterator[tuple]:
    figures = [(name, col[name]) for name in OEWS_FIGURES]
    seen: set[tuple[str, str]] = set()
    width = max(col.values()) + 1
    for line, row in enumerate(rows, start=2):
        if not any(row):
            continue
        if len(row) < width:
            raise FormatProblem(f"line {line}: {len(row)} cells, expected {len(header)}")
        if "NAICS" in optional and _text(row[optional["NAICS"]]).strip("0"):
            continue
        if "I_GROUP" in optional and _text(row[optional["I_GROUP"]]).lower() != "cross-industry":
            continue
        area, occ = _area(row[col["AREA"]], row[col["AREA_TYPE"]]), _text(row[col["OCC_CODE"]])
        if not occ and sum(cell not in (None, "") for cell in row) <= 1:
            continue  # a note line under a workbook's table
        if not area or not occ:
            raise FormatProblem(f"line {line}: empty AREA or OCC_CODE")
        if (area, occ) in seen:
            raise FormatProblem(f"line {line}: a second row for area {area} occupation {occ}")
        seen.add((area, occ))
        values, markers = [], {}
        for name, i in figures:
            try:  # most cells are plain numbers: the fast path (a full import parses 4 million)
                values.append(float(row[i]))
                continue
            except (TypeError, ValueError):
                pass
            try:
                number, marker = figure(row[i])
            except FormatProblem as exc:
                raise FormatProblem(f"line {line}: {name} {exc}") from None
            values.append(number)
            if marker:
                markers[name] = marker
        if area not in areas:
            try:
                area_type = int(float(_text(row[col["AREA_TYPE"]])))
            except ValueError:
                raise FormatProblem(f"line {line}: AREA_TYPE {row[col['AREA_TYPE']]!r} is not a number") from None
            areas[area] = (area, _text(row[col["AREA_TITLE"]]), area_type, _text(row[col["PRIM_STATE"]]))
        yield (
            area, occ, _text(row[col["OCC_TITLE"]]), _text(row[col["O_GROUP"]]), *values,
            flag(row[optional["ANNUAL"]]) if "ANNUAL" in optional else 0,
            flag(row[optional["HOURLY"]]) if "HOURLY" in optional else 0,
            json.dumps(markers, separators=(",", ":")) if markers else "",
        )


#: Code widths by AREA_TYPE: a workbook may hold area codes as numbers ("01" read as 1).
_AREA_WIDTH = {1: 2, 2: 2, 3: 2, 4: 5, 6: 7}


def _area(value, area_type) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            width = _AREA_WIDTH.get(int(float(_text(area_type))), 1)
        except ValueError:
            width = 1
        return str(int(value)).zfill(width)
    return _text(value)


# -- O*NET --------------------------------------------------------------------------------------

#: The O*NET files read, each with the columns it must have.
ONET_FILES: Mapping[str, tuple[str, ...]] = {
    "Occupation Data.txt": ("O*NET-SOC Code", "Title", "Description"),
    "Job Zones.txt": ("O*NET-SOC Code", "Job Zone"),
    "Alternate Titles.txt": ("O*NET-SOC Code", "Alternate Title", "Short Title"),
    "Sample of Reported Titles.txt": ("O*NET-SOC Code", "Reported Job Title"),
    "Task Statements.txt": ("O*NET-SOC Code", "Task ID", "Task", "Task Type", "Incumbents Responding"),
    "Related Occupations.txt": ("O*NET-SOC Code", "Related O*NET-SOC Code", "Relatedness Tier", "Index"),
    "Technology Skills.txt": ("O*NET-SOC Code", "Example", "Commodity Title", "Hot Technology", "In Demand"),
    "Tools Used.txt": ("O*NET-SOC Code", "Example", "Commodity Title"),
    "Education, Training, and Experience.txt": ("O*NET-SOC Code", "Scale ID", "Category", "Data Value"),
    "Education, Training, and Experience Categories.txt": ("Element ID", "Scale ID", "Category",
                                                           "Category Description"),
}
_ONET_RELEASE = re.compile(r"^\s*(O\*NET\s+\d+(?:\.\d+)?)\s+Database", re.I)
#: "Required Level of Education", the only Education/Training/Experience scale kept.
EDUCATION_SCALE = "RL"


def onet_release(readme: str) -> str | None:
    """"O*NET 30.1" from the first line of O*NET's ``Read Me.txt`` ("O*NET 30.1 Database")."""
    match = _ONET_RELEASE.match(readme.splitlines()[0] if readme.strip() else "")
    return match.group(1) if match else None


def _na(value: str) -> str:
    return "" if value.strip().lower() in ("", "n/a") else value.strip()


def _real(value: str, what: str) -> float | None:
    value = _na(value)
    try:
        return float(value) if value else None
    except ValueError:
        raise FormatProblem(f"{what} {value!r} is not a number") from None


def _records(name: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Iterator[dict[str, str]]:
    """Rows of one O*NET file as dicts of the required columns; the line is named on error."""
    col = require(header, ONET_FILES[name])
    width = max(col.values()) + 1
    for line, row in enumerate(rows, start=2):
        if not row or not any(row):
            continue
        if len(row) < width:
            raise FormatProblem(f"{name} line {line}: {len(row)} fields, expected {len(header)}")
        yield {n: row[i].strip() for n, i in col.items()}


def job_zones(header, rows) -> dict[str, int]:
    return {r["O*NET-SOC Code"]: int(_real(r["Job Zone"], "Job Zone")) for r in _records("Job Zones.txt", header, rows)}


def onet_occupations(header, rows, zones: Mapping[str, int]) -> Iterator[tuple]:
    for r in _records("Occupation Data.txt", header, rows):
        code = r["O*NET-SOC Code"]
        yield code, code[:7], r["Title"], r["Description"], zones.get(code)


def onet_titles(alternate: tuple, reported: tuple) -> Iterator[tuple]:
    """``(code, title, short_title, kind)``: alternate titles (with their short form), then reported."""
    for r in _records("Alternate Titles.txt", *alternate):
        yield r["O*NET-SOC Code"], r["Alternate Title"], _na(r["Short Title"]), "alternate"
    for r in _records("Sample of Reported Titles.txt", *reported):
        yield r["O*NET-SOC Code"], r["Reported Job Title"], "", "reported"


def onet_tasks(header, rows) -> Iterator[tuple]:
    for r in _records("Task Statements.txt", header, rows):
        yield (r["O*NET-SOC Code"], r["Task ID"], r["Task"], _na(r["Task Type"]),
               _real(r["Incumbents Responding"], "Incumbents Responding"))


def onet_related(header, rows) -> Iterator[tuple]:
    for r in _records("Related Occupations.txt", header, rows):
        yield r["O*NET-SOC Code"], r["Related O*NET-SOC Code"], r["Relatedness Tier"], int(_real(r["Index"], "Index"))


def onet_technology(header, rows) -> Iterator[tuple]:
    for r in _records("Technology Skills.txt", header, rows):
        yield (r["O*NET-SOC Code"], r["Example"], r["Commodity Title"],
               int(r["Hot Technology"].upper() == "Y"), int(r["In Demand"].upper() == "Y"))


def onet_tools(header, rows) -> Iterator[tuple]:
    for r in _records("Tools Used.txt", header, rows):
        yield r["O*NET-SOC Code"], r["Example"], r["Commodity Title"]


def education_labels(header, rows) -> dict[int, str]:
    return {int(r["Category"]): r["Category Description"]
            for r in _records("Education, Training, and Experience Categories.txt", header, rows)
            if r["Scale ID"] == EDUCATION_SCALE}


def onet_education(header, rows, labels: Mapping[int, str]) -> Iterator[tuple]:
    """``(code, category, label, share)``; share is the percent of respondents in that category."""
    for r in _records("Education, Training, and Experience.txt", header, rows):
        if r["Scale ID"] != EDUCATION_SCALE:
            continue
        category = int(_real(r["Category"], "Category"))
        yield r["O*NET-SOC Code"], category, labels.get(category, ""), _real(r["Data Value"], "Data Value") or 0.0


ONET_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "onet_occupations": ("code", "soc", "title", "description", "job_zone"),
    "onet_titles": ("code", "title", "short_title", "kind"),
    "onet_tasks": ("code", "task_id", "task", "task_type", "incumbents"),
    "onet_related": ("code", "related_code", "tier", "idx"),
    "onet_technology": ("code", "example", "commodity_title", "hot", "in_demand"),
    "onet_tools": ("code", "example", "commodity_title"),
    "onet_education": ("code", "category", "label", "share"),
}


# -- BLS Employment Projections (occupation.xlsx, Table 1.2) ------------------------------------

PROJECTIONS_SHEET = "Table 1.2"
PROJECTIONS_COLUMNS = ("soc", "title", "occ_type", "emp_2024", "emp_2034", "change", "pct_change",
                       "openings", "median_wage", "entry_education", "work_experience", "training", "markers")
_PROJECTION_HEADERS = {
    # our name: (how the publisher's header starts, the years moving with each release; label)
    "title": (r"\d{4} National Employment Matrix title", "National Employment Matrix title"),
    "soc": (r"\d{4} National Employment Matrix code", "National Employment Matrix code"),
    "occ_type": (r"Occupation type", "Occupation type"),
    "emp_base": (r"Employment, \d{4}$", "Employment (base year)"),
    "emp_target": (r"Employment, \d{4}$", "Employment (projected year)"),
    "change": (r"Employment change, numeric", "Employment change, numeric"),
    "pct_change": (r"Employment change, percent", "Employment change, percent"),
    "openings": (r"Occupational openings", "Occupational openings"),
    "median_wage": (r"Median annual wage", "Median annual wage"),
    "entry_education": (r"Typical education needed for entry", "Typical education needed for entry"),
    "work_experience": (r"Work experience in a related occupation", "Work experience in a related occupation"),
    "training": (r"Typical on-the-job training", "Typical on-the-job training"),
}
_PROJECTION_RELEASE = re.compile(r"(\d{4})\s*[–-]\s*(?:\d{2})?(\d{2})")
#: Employment and openings are published in thousands; we store jobs.
_THOUSAND = 1000


def projections_release(title: str) -> str | None:
    """"2024-34" from the sheet title "Table 1.2 Occupational projections, 2024–2034, ..."."""
    match = _PROJECTION_RELEASE.search(title or "")
    return f"{match.group(1)}-{match.group(2)}" if match else None


def projection_columns(header: Sequence) -> dict[str, int]:
    names = [_text(h) for h in header]
    found: dict[str, int] = {}
    for key, (pattern, _) in _PROJECTION_HEADERS.items():
        for i, name in enumerate(names):
            if re.match(pattern, name) and i not in found.values():
                found[key] = i
                break
    missing = [label for key, (_, label) in _PROJECTION_HEADERS.items() if key not in found]
    if missing:
        raise FormatProblem(f"missing columns {', '.join(missing)}")
    return found


def projection_rows(header: Sequence, rows: Iterable[Sequence]) -> Iterator[tuple]:
    """Detailed occupations ("Line item") plus the all-occupations total 00-0000 (for the average)."""
    return _projection_rows(header, rows, projection_columns(header))


def _projection_rows(header, rows, col) -> Iterator[tuple]:
    for line, row in enumerate(rows, start=3):
        if len(row) < len(header):
            if any(cell not in (None, "") for cell in row):
                raise FormatProblem(f"row {line}: {len(row)} cells, expected {len(header)}")
            continue
        soc, kind = _text(row[col["soc"]]), _text(row[col["occ_type"]])
        if kind != "Line item" and soc != "00-0000":
            continue
        markers: dict[str, str] = {}
        jobs = {k: _ep_number(row[col[k]], k, markers, _THOUSAND) for k in ("emp_base", "emp_target", "change",
                                                                            "openings")}
        yield (
            soc, _text(row[col["title"]]), kind, jobs["emp_base"], jobs["emp_target"], jobs["change"],
            _ep_number(row[col["pct_change"]], "pct_change", markers), jobs["openings"],
            _ep_number(row[col["median_wage"]], "median_wage", markers),
            *(_na(_text(row[col[k]])).replace("—", "") for k in ("entry_education", "work_experience", "training")),
            json.dumps(markers, separators=(",", ":"), ensure_ascii=False) if markers else "",
        )


def _ep_number(value, key: str, markers: dict[str, str], scale: int = 1) -> float | None:
    """A projections figure; a text cell ("—" not available, ">=$239,200") is kept as a marker."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        text = _text(value)
        try:
            value = float(text.replace(",", ""))
        except ValueError:
            if text:
                markers[key] = text
            return None
    return float(round(value * scale)) if scale != 1 else float(value)


# -- NCES CIP 2020 to SOC 2018 crosswalk --------------------------------------------------------

CIP_COLUMNS = ("cip", "cip_title", "soc", "soc_title")
_CIP_HEADER = re.compile(r"^CIP(\d{4})Code$", re.I)


def cip_release(header: Sequence[str]) -> str | None:
    """"CIP 2020" from the column name ``CIP2020Code``."""
    for name in header:
        match = _CIP_HEADER.match(_text(name).lstrip("\ufeff"))
        if match:
            return f"CIP {match.group(1)}"
    return None


def cip_rows(header: Sequence[str], rows: Iterable[Sequence[str]]) -> Iterator[tuple]:
    names = [_text(h).lstrip("\ufeff") for h in header]
    cip = next((n for n in names if _CIP_HEADER.match(n)), "CIPxxxxCode")
    soc = next((n for n in names if re.match(r"^SOC\d{4}Code$", n, re.I)), "SOCxxxxCode")
    col = require(names, (cip, cip.replace("Code", "Title"), soc, soc.replace("Code", "Title")))
    return _cip_rows(header, rows, list(col.values()))


def _cip_rows(header, rows, keys: list[int]) -> Iterator[tuple]:
    for line, row in enumerate(rows, start=2):
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) <= max(keys):
            raise FormatProblem(f"line {line}: {len(row)} fields, expected {len(header)}")
        # Excel-saved copies wrap codes as ="01.0000" to keep the leading zero.
        yield tuple(row[i].strip().removeprefix('="').removesuffix('"') for i in keys)
