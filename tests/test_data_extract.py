"""The shipped extract in corpus/data/: rebuilt identically, small, loaded by ingest, user imports win."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from pathlib import Path

import pytest

from assistant import db
from assistant.occupations import extract, importers, store
from assistant.retrieval.loaders import discover

REPO = Path(__file__).resolve().parents[1]
EXTRACT = REPO / "corpus" / "data"
_BESIDE = REPO.parent / "shared" / "data"
SHARED = _BESIDE if _BESIDE.is_dir() else Path("/work/shared/data")
ONET_CREDIT = ("This product includes information from O*NET 30.1 Database by the U.S. Department of Labor, "
               "Employment and Training Administration (USDOL/ETA), used under the CC BY 4.0 license.")


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "README.md"}


def oews_rows(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    conn = db.connect(tmp_path_factory.mktemp("extract") / "assistant.db")
    releases = extract.load_extract(conn, EXTRACT)
    yield conn, releases
    conn.close()


def test_the_committed_extract_is_what_the_script_builds_byte_for_byte(tmp_path):
    manifest = extract.build_extract(SHARED, tmp_path / "data")
    assert files(tmp_path / "data") == files(EXTRACT)  # deterministic, and the committed copy is current
    assert manifest == json.loads((EXTRACT / "MANIFEST.json").read_text())
    assert (EXTRACT / "README.md").is_file()


def test_extract_is_small_and_credits_its_publishers():
    size = sum(p.stat().st_size for p in EXTRACT.rglob("*") if p.is_file())
    assert size < 15_000_000
    manifest = json.loads((EXTRACT / "MANIFEST.json").read_text())
    assert manifest["kind"] == extract.KIND
    assert manifest["credits"]["onet"] == ONET_CREDIT
    assert "Bureau of Labor Statistics" in manifest["credits"]["oews"]
    assert "NCES" in manifest["credits"]["cip"]
    assert {p["release"] for p in manifest["parts"].values()} == {"May 2025", "O*NET 30.1", "2024-34", "CIP 2020"}
    assert (EXTRACT / "occupation.xlsx").read_bytes() == (SHARED / "bls-ep" / "occupation.xlsx").read_bytes()


def test_extract_holds_the_occupations_of_the_issue_in_every_area():
    rows = oews_rows(EXTRACT / "oews_may2025_extract.csv.gz")
    with gzip.open(SHARED / "oews" / "oews_may2025_cross_industry.csv.gz", "rt", newline="") as handle:
        full = list(csv.DictReader(handle))
    areas = {r["AREA"] for r in full}
    assert {r["AREA"] for r in rows} == areas
    codes = {r["OCC_CODE"] for r in rows}
    for code in ("49-9062", "17-2031", "11-9111", "15-1212", "29-2034", "31-9093", "00-0000", "49-0000"):
        assert code in codes
    assert {r["OCC_CODE"] for r in full if r["OCC_CODE"].startswith(("29-", "31-", "15-12"))} <= codes
    bmet = [r for r in rows if r["OCC_CODE"] == "49-9062"]
    assert len(bmet) == sum(r["OCC_CODE"] == "49-9062" for r in full)
    springfield = next(r for r in bmet if r["AREA"] == "44140")
    assert (springfield["TOT_EMP"], springfield["A_MEDIAN"]) == ("90", "73580")
    assert list(rows[0]) == list(full[0])  # the publisher's columns, in order


def test_related_occupations_resolve_to_titles():
    onet = EXTRACT / "onet"
    titled = {line.split("\t")[0] for line in (onet / "Occupation Data.txt").read_text().splitlines()[1:]}
    related = [line.split("\t") for line in (onet / "Related Occupations.txt").read_text().splitlines()[1:]]
    assert any(code == "49-9062.00" for code, *_ in related)
    assert {target for _, target, *_ in related} <= titled


def test_load_extract_fills_every_source_and_answers(loaded):
    conn, releases = loaded
    assert sorted((r.source, r.release) for r in releases) == [
        ("cip", "CIP 2020"), ("oews", "May 2025"), ("onet", "O*NET 30.1"), ("projections", "2024-34")]
    ma = conn.execute("SELECT a_median, tot_emp FROM oews_wages WHERE area = '25' AND occ_code = '49-9062'").fetchone()
    assert tuple(ma) == (78230.0, 2200.0)
    assert conn.execute("SELECT count(*) FROM onet_titles WHERE code = '49-9062.00' AND short_title = 'BMET'"
                        ).fetchone()[0] == 1
    assert conn.execute("SELECT pct_change FROM projections WHERE soc = '49-9062'").fetchone()[0] == 12.9
    assert extract.load_extract(conn, EXTRACT) == []  # same version: nothing to do


def test_user_imports_win_and_a_new_extract_version_reloads(tmp_path):
    conn = db.connect(tmp_path / "assistant.db")
    folder = tmp_path / "corpus" / "data"
    folder.mkdir(parents=True)
    for name in ("MANIFEST.json", "CIP2020_SOC2018_Crosswalk.csv"):
        shutil.copyfile(EXTRACT / name, folder / name)
    manifest = json.loads((folder / "MANIFEST.json").read_text())
    manifest["parts"] = {"cip": manifest["parts"]["cip"]}
    (folder / "MANIFEST.json").write_text(json.dumps(manifest))
    assert [r.source for r in extract.load_extract(conn, folder)] == ["cip"]

    # A newer extract version replaces what an extract loaded...
    manifest["version"] = "newer"
    (folder / "MANIFEST.json").write_text(json.dumps(manifest))
    assert [r.release for r in extract.load_extract(conn, folder)] == ["CIP 2020"]
    # ...but never a release the user imported from their own file.
    own = tmp_path / "my_crosswalk.csv"
    lines = (SHARED / "cip" / "CIP2020_SOC2018_Crosswalk.csv").read_bytes().splitlines(keepends=True)
    own.write_bytes(b"".join(lines[:100]))
    mine = importers.import_source(conn, "cip", own)
    manifest["version"] = "newest"
    (folder / "MANIFEST.json").write_text(json.dumps(manifest))
    assert extract.load_extract(conn, folder) == []
    assert store.releases(conn)["cip"].checksum == mine.checksum and mine.rows == 99
    conn.close()


def test_ingest_loads_the_extract_and_does_not_index_it(tmp_path, fake_service):
    corpus = tmp_path / "corpus"
    (corpus / "careers").mkdir(parents=True)
    (corpus / "careers" / "bmet.md").write_text("# BMET\n\nBiomedical equipment technicians repair devices.\n")
    shutil.copytree(EXTRACT, corpus / "data")
    found, skipped, missing = discover([corpus])
    assert [f.path.name for f in found] == ["bmet.md"] and skipped == [] and missing == []
    assert discover([corpus / "data" / "README.md"])[0] == []

    report = fake_service.ingest([str(corpus)]).to_json()
    assert report["added"] == 1 and report["failed"] == []
    assert sorted(d["name"] for d in report["data"]) == ["cip", "oews", "onet", "projections"]
    assert {d["name"]: d["rows"] for d in report["data"]}["oews"] == 98343
    again = fake_service.ingest([str(corpus)]).to_json()
    assert "data" not in again and again["unchanged"] == 1

    # A user's own import still works after the extract, and replaces it.
    cip = importers.import_source(fake_service.db, "cip", SHARED / "cip" / "CIP2020_SOC2018_Crosswalk.csv")
    assert store.releases(fake_service.db)["cip"].file == cip.file != str(corpus / "data")


def test_a_broken_extract_is_reported_as_a_failed_path(tmp_path, fake_service):
    folder = tmp_path / "corpus" / "data"
    folder.mkdir(parents=True)
    part = {"path": "missing.csv", "release": "CIP 2020"}
    (folder / "MANIFEST.json").write_text(json.dumps({"kind": extract.KIND, "version": "x", "parts": {"cip": part}}))
    report = fake_service.ingest([str(tmp_path / "corpus")])
    assert [(e.path, e.cause) for e in report.failed] == [(str(folder / "missing.csv"), "no such file")]
    assert store.releases(fake_service.db) == {}
