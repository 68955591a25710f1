"""Importing the official data files: real rows checked value by value, refusals, idempotence, CLI.

The refusal and idempotence tests run on both backends (the ``database`` fixture).

The expected values were read by hand from the publisher files in ../shared/data (zcat | grep
for OEWS, the tab-separated O*NET files, occupation.xlsx opened in a spreadsheet).
"""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import db
from assistant.cli import main
from assistant.errors import AssistantError, DataImportError
from assistant.occupations import importers, store

REPO = Path(__file__).resolve().parents[1]
_BESIDE = REPO.parent / "shared" / "data"
SHARED = _BESIDE if _BESIDE.is_dir() else Path("/work/shared/data")
OEWS = SHARED / "oews" / "oews_may2025_cross_industry.csv.gz"
ONET = SHARED / "onet"
PROJECTIONS = SHARED / "bls-ep" / "occupation.xlsx"
CIP = SHARED / "cip" / "CIP2020_SOC2018_Crosswalk.csv"


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """Every real file imported once, the full OEWS file included (about 12 s here)."""
    conn = db.connect(tmp_path_factory.mktemp("full") / "assistant.db")
    for source, path in (("oews", OEWS), ("onet", ONET), ("projections", PROJECTIONS), ("cip", CIP)):
        importers.import_source(conn, source, path)
    yield conn
    conn.close()


#: Rows checked by hand below, kept in every small copy of the real file.
PICKED = {("25", "49-9062"), ("44140", "49-9062"), ("99", "49-9062"), ("10540", "29-1215"), ("01", "49-9062")}


def small_oews(tmp_path: Path, *, name: str = "oews_may2025_small.csv.gz", lines: int = 400) -> Path:
    """The real file's header, its first ``lines`` rows and the ``PICKED`` rows further down."""
    keep = []
    with gzip.open(OEWS, "rt", encoding="utf-8", newline="") as handle:
        for n, row in enumerate(csv.reader(handle)):
            if n <= lines or (row[0], row[4]) in PICKED:
                keep.append(row)
    path = tmp_path / name
    with gzip.open(path, "wt", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(keep)
    return path


def count_rows(path: Path) -> tuple[int, int]:
    """(data rows, distinct areas) of a small OEWS copy."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    return len(rows), len({r[0] for r in rows})


def wage(conn: sqlite3.Connection, area: str, occ: str) -> sqlite3.Row:
    return conn.execute("SELECT * FROM oews_wages WHERE area = ? AND occ_code = ?", (area, occ)).fetchone()


def snapshot(conn: sqlite3.Connection) -> tuple:
    rel = {name: (r.release, r.rows, r.checksum, r.imported_at) for name, r in store.releases(conn).items()}
    return rel, conn.execute("SELECT count(*), sum(a_median) FROM oews_wages").fetchone()[:]


# -- real rows, value by value -------------------------------------------------------------------


def test_oews_medical_equipment_repairers_in_massachusetts_springfield_and_the_nation(full):
    ma = wage(full, "25", "49-9062")
    assert (ma["occ_title"], ma["o_group"], ma["tot_emp"], ma["a_median"], ma["h_median"]) == (
        "Medical Equipment Repairers", "detailed", 2200.0, 78230.0, 37.61)
    assert (ma["a_pct10"], ma["a_pct25"], ma["a_pct75"], ma["a_pct90"]) == (48860.0, 62930.0, 92510.0, 100490.0)
    assert (ma["jobs_1000"], ma["loc_quotient"], ma["markers"]) == (0.606, 1.43, "")
    springfield = wage(full, "44140", "49-9062")
    assert (springfield["tot_emp"], springfield["a_median"], springfield["a_pct90"]) == (90.0, 73580.0, 107800.0)
    nation = wage(full, "99", "49-9062")
    assert (nation["tot_emp"], nation["a_median"], nation["a_mean"]) == (65990.0, 61660.0, 65930.0)
    # The national row publishes no jobs per 1,000 or location quotient: '*' kept as meaning.
    assert nation["jobs_1000"] is None and json.loads(nation["markers"]) == {"JOBS_1000": "*", "LOC_QUOTIENT": "*"}


def test_oews_markers_are_never_numbers(full):
    physicians = wage(full, "10540", "29-1215")  # Family Medicine Physicians, Albany OR: every wage '#'
    assert physicians["tot_emp"] == 50.0 and physicians["a_pct90"] is None and physicians["a_median"] is None
    assert json.loads(physicians["markers"])["A_PCT90"] == "#"
    claims = wage(full, "10180", "13-1031")  # Claims adjusters, Abilene TX: employment not released
    assert claims["tot_emp"] is None and claims["a_median"] == 35580.0
    assert json.loads(claims["markers"]) == {"TOT_EMP": "**", "EMP_PRSE": "**", "JOBS_1000": "*", "LOC_QUOTIENT": "*"}
    annual_only = wage(full, "10180", "11-9032")  # ANNUAL=TRUE: hourly wages not published
    assert annual_only["annual"] == 1 and annual_only["hourly"] == 0 and annual_only["h_median"] is None


def test_oews_release_counts_and_areas(full):
    release = store.releases(full)["oews"]
    assert (release.release, release.rows) == ("May 2025", 236799)
    areas = {row["area"]: tuple(row) for row in full.execute("SELECT * FROM oews_areas")}
    assert areas["44140"] == ("44140", "Springfield, MA", 4, "MA")
    assert areas["25"] == ("25", "Massachusetts", 2, "MA") and areas["99"] == ("99", "National", 1, "US")


def test_onet_bmet_titles_job_zone_education_and_related(full):
    occupation = full.execute("SELECT * FROM onet_occupations WHERE code = '49-9062.00'").fetchone()
    assert (occupation["soc"], occupation["title"], occupation["job_zone"]) == (
        "49-9062", "Medical Equipment Repairers", 3)
    assert occupation["description"] == "Test, adjust, or repair biomedical or electromedical equipment."
    titles = {(r["title"], r["short_title"]) for r in full.execute(
        "SELECT title, short_title FROM onet_titles WHERE code = '49-9062.00' AND kind = 'alternate'")}
    assert ("Biomedical Equipment Technician (BMET)", "BMET") in titles
    assert ("Certified Biomedical Equipment Technician (CBET)", "CBET") in titles
    assert ("Biomedical Technician (Biomed Tech)", "Biomed Tech") in titles
    education = {r["category"]: (r["label"], r["share"]) for r in full.execute(
        "SELECT * FROM onet_education WHERE code = '49-9062.00'")}
    assert education[5] == ("Associate's Degree (or other 2-year degree)", 39.32)
    assert education[2][1] == 34.72 and len(education) == 12
    release = store.releases(full)["onet"]
    assert (release.release, release.rows) == ("O*NET 30.1", 1016)


def test_onet_tasks_keep_type_and_missing_incumbents(full):
    task = full.execute("SELECT * FROM onet_tasks WHERE task_id = '8823'").fetchone()
    assert (task["code"], task["task_type"], task["incumbents"]) == ("11-1011.00", "Core", 95.0)
    unrated = full.execute("SELECT * FROM onet_tasks WHERE task_id = '15267'").fetchone()
    assert unrated["task_type"] == "" and unrated["incumbents"] is None
    hot = full.execute("SELECT hot, in_demand FROM onet_technology WHERE code = '11-1011.00' "
                       "AND example = 'Adobe Acrobat'").fetchone()
    assert tuple(hot) == (1, 0)


def test_projections_bmet_total_and_marked_wage(full):
    bmet = full.execute("SELECT * FROM projections WHERE soc = '49-9062'").fetchone()
    assert (bmet["title"], bmet["emp_2024"], bmet["emp_2034"], bmet["change"]) == (
        "Medical equipment repairers", 68000, 76800, 8800)
    assert (bmet["pct_change"], bmet["openings"], bmet["median_wage"]) == (12.9, 7300, 62630)
    assert (bmet["entry_education"], bmet["work_experience"], bmet["training"]) == (
        "Associate's degree", "None", "Moderate-term on-the-job training")
    total = full.execute("SELECT * FROM projections WHERE soc = '00-0000'").fetchone()
    assert (total["pct_change"], total["emp_2024"], total["entry_education"]) == (3.1, 169956100, "")
    anesthesiologists = full.execute("SELECT * FROM projections WHERE soc = '29-1211'").fetchone()
    assert anesthesiologists["median_wage"] is None
    assert json.loads(anesthesiologists["markers"]) == {"median_wage": ">=$239,200"}
    # Summary rows (major and minor groups) are left out; 832 line items plus the total.
    assert full.execute("SELECT count(*) FROM projections WHERE occ_type = 'Summary'").fetchone()[0] == 1
    assert store.releases(full)["projections"].release == "2024-34"


def test_cip_biomedical_technology_leads_to_bmet(full):
    socs = {r["soc"]: r["soc_title"] for r in full.execute("SELECT * FROM cip_soc WHERE cip = '15.0401'")}
    assert socs["49-9062"] == "Medical Equipment Repairers" and "17-3028" in socs
    title = full.execute("SELECT DISTINCT cip_title FROM cip_soc WHERE cip = '15.0401'").fetchone()[0]
    assert title == "Biomedical Technology/Technician."
    assert store.releases(full)["cip"].release == "CIP 2020"


# -- refusals leave the stored release as it was ------------------------------------------------


@pytest.fixture
def conn(database, tmp_path):
    """A small real OEWS release on each backend (SQLite, Postgres): refusals behave the same on both."""
    importers.import_source(database, "oews", small_oews(tmp_path))
    return database


def refused(conn, source, path, match):
    before = snapshot(conn)
    with pytest.raises(DataImportError, match=match) as caught:
        importers.import_source(conn, source, path)
    assert "\n" not in str(caught.value) and isinstance(caught.value, AssistantError)
    assert snapshot(conn) == before
    assert wage(conn, "25", "49-9062")["a_median"] == 78230.0  # still answers
    return str(caught.value)


def test_truncated_gzip_found_mid_file_rolls_back(conn, tmp_path):
    cut = tmp_path / "oews_may2025_cut.csv.gz"
    cut.write_bytes(OEWS.read_bytes()[:200_000])  # many rows are inserted before the end is missed
    message = refused(conn, "oews", cut, "truncated gzip")
    assert message.startswith(str(cut))


def test_missing_columns_are_named(conn, tmp_path):
    header = gzip.open(OEWS, "rt").readline().strip()
    names = header.split(",")
    drop = [names.index("A_MEDIAN"), names.index("TOT_EMP")]
    bad = tmp_path / "oews_may2025_bad.csv"
    bad.write_text("\n".join(",".join(c for i, c in enumerate(line.split(",")) if i not in drop)
                             for line in [header]) + "\n")
    assert refused(conn, "oews", bad, "missing columns") == f"{bad}: missing columns A_MEDIAN, TOT_EMP"


def test_empty_files_and_bad_cells(conn, tmp_path):
    empty = tmp_path / "oews_may2025_empty.csv"
    empty.write_bytes(b"")
    assert refused(conn, "oews", empty, "file is empty") == f"{empty}: file is empty"
    header_only = tmp_path / "oews_may2025_header.csv.gz"
    with gzip.open(OEWS, "rt") as src, gzip.open(header_only, "wt") as out:
        out.write(src.readline())
    refused(conn, "oews", header_only, "no data rows")
    text = gzip.open(small_oews(tmp_path, lines=30), "rt").read().replace(",75070,", ",seventy,", 1)
    garbled = tmp_path / "oews_may2025_garbled.csv"
    garbled.write_text(text)
    refused(conn, "oews", garbled, r"line 2: TOT_EMP 'seventy' is not a number")


def test_wrong_workbook_and_wrong_folder(conn, tmp_path):
    refused(conn, "projections", SHARED / "bls-ep" / "education.xlsx",
            r'education.xlsx: no sheet "Table 1\.2" \(is this BLS\'s occupation.xlsx\?\)')
    refused(conn, "projections", CIP, "not an Excel workbook")
    message = refused(conn, "onet", SHARED / "cip", "missing Read Me.txt, Occupation Data.txt")
    assert message.startswith(f"{SHARED / 'cip'}/: missing")
    partial = tmp_path / "onet"
    shutil.copytree(ONET, partial)
    (partial / "Occupation Data.txt").unlink()
    refused(conn, "onet", partial, r"onet/: missing Occupation Data.txt \(")
    refused(conn, "cip", OEWS, "no CIP<year>Code column")
    refused(conn, "oews", tmp_path / "nowhere.csv", "no such file")


def test_release_must_be_known(conn, tmp_path):
    plain = tmp_path / "wages.csv.gz"
    shutil.copyfile(small_oews(tmp_path), plain)
    refused(conn, "oews", plain, "cannot tell the release")
    release = importers.import_oews(conn, plain, release="May 2025")
    assert (release.release, release.rows) == ("May 2025", count_rows(plain)[0])


def test_reimport_is_idempotent(conn, tmp_path):
    first = snapshot(conn)
    path = small_oews(tmp_path)
    again = importers.import_source(conn, "oews", path)
    rows, areas = count_rows(path)
    assert again.rows == first[0]["oews"][1] == rows
    assert snapshot(conn)[1] == first[1]
    assert conn.execute("SELECT count(*) FROM oews_areas").fetchone()[0] == areas
    assert conn.execute("SELECT count(*) FROM oews_wages").fetchone()[0] == rows


def test_bls_xlsx_all_data_layout_keeps_cross_industry_rows(conn, tmp_path):
    import openpyxl

    rows = list(csv.reader(gzip.open(small_oews(tmp_path, lines=5), "rt", newline="")))
    header, data = rows[0], rows[1:]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "All May 2025 data"
    at = header.index("OCC_CODE")
    sheet.append(header[:4] + ["NAICS", "NAICS_TITLE", "I_GROUP", "OWN_CODE"] + header[4:])
    for row in data:
        # Figures and area codes as numbers, as a spreadsheet holds them ("01" becomes 1).
        cells = [float(c.replace(",", "")) if c.replace(".", "").isdigit() else c for c in row]
        row = [int(row[0]), *row[1:]]
        sheet.append(row[:4] + ["000000", "Cross-industry", "cross-industry", 1235] + cells[4:])
        # an industry row for the same area and occupation: must be left out
        sheet.append(row[:4] + ["622000", "Hospitals", "3-digit", 5] + cells[4:])
    sheet.append(["Note: a footnote line under the table"])
    path = tmp_path / "all_data_M_2025.xlsx"
    book.save(path)
    release = importers.import_oews(conn, path)
    assert (release.release, release.rows) == ("May 2025", len(data))
    ma = wage(conn, "25", "49-9062")
    assert ma["a_median"] == 78230.0 and ma["tot_emp"] == 2200.0 and data[0][at] == "00-0000"
    titles = dict(conn.execute("SELECT area, area_title FROM oews_areas").fetchall())
    assert titles["99"] == "National" and titles["01"] == "Alabama" and "1" not in titles


# -- the command line ------------------------------------------------------------------------------


def test_cli_import_status_and_refusal(tmp_path):
    data_dir = str(tmp_path / "cli")
    runner = CliRunner()
    result = runner.invoke(main, ["--data-dir", data_dir, "data", "import", "cip", str(CIP), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"source": "cip", "release": "CIP 2020", "rows": 6097}
    result = runner.invoke(main, ["data", "import", "projections", str(PROJECTIONS), "--data-dir", data_dir])
    assert result.exit_code == 0 and "projections: 2024-34, 833 rows" in result.output
    status = runner.invoke(main, ["data", "status", "--json", "--data-dir", data_dir])
    sources = json.loads(status.output)["sources"]
    assert [(s["name"], s["release"], s["rows"]) for s in sources] == [("cip", "CIP 2020", 6097),
                                                                       ("projections", "2024-34", 833)]
    assert set(sources[0]) == {"name", "release", "rows", "imported_at"}
    bad = runner.invoke(main, ["data", "import", "projections", str(SHARED / "bls-ep" / "skills.xlsx"),
                               "--data-dir", data_dir])
    assert bad.exit_code == 1
    assert bad.stderr.strip().splitlines() == [f'Error: {SHARED / "bls-ep" / "skills.xlsx"}: no sheet "Table 1.2" '
                                                "(is this BLS's occupation.xlsx?)"]
    after = runner.invoke(main, ["data", "status", "--json", "--data-dir", data_dir])
    assert json.loads(after.output)["sources"] == sources
    text = runner.invoke(main, ["data", "status", "--data-dir", data_dir])
    assert "oews" in text.output and "not imported" in text.output and "CIP 2020" in text.output
