"""The imported data on both backends: the same question gets the same figures from SQLite and Postgres.

The shipped extract (corpus/data/) is loaded once into each; the figures checked by hand are
those of tests/test_data_import.py (read from ../shared/data). Import times are printed
(``-s`` shows them), never asserted: the machine is shared.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from shared_data import SHARED_DATA

from assistant import db
from assistant.cli import main
from assistant.config import Settings
from assistant.errors import DataImportError
from assistant.occupations import importers, store
from assistant.occupations.desk import DataDesk
from assistant.occupations.extract import load_extract
from assistant.occupations.lookup import DataLookup

REPO = Path(__file__).resolve().parents[1]
EXTRACT = REPO / "corpus" / "data"
OEWS = SHARED_DATA / "oews" / "oews_may2025_cross_industry.csv.gz"

QUESTIONS = [
    "how much do BMETs make in Massachusetts?",
    "what does a biomedical equipment technician earn around Springfield MA",
    "bmet pay in Worcester",
    "how much do x-ray techs make in boston",
    "surgical tech salary in Texas",
    "is there demand for medical equipment repairers? job growth",
    "what education do respiratory therapists need",
    "what do medical equipment repairers do all day",
    "which programs lead to becoming a BMET",
    "compare bmet and radiologic technologist pay in New York",
    "how much do family medicine physicians make in Albany, OR",
    "how many paramedics work in Massachusetts",
    "information security analyst salary nationally",
    "MRI tech pay in Atlantis",
    "how much do nurses make",
]


def _open(kind: str, tmp_path_factory, request):
    if kind == "sqlite":
        return db.connect(tmp_path_factory.mktemp("sqlite") / "assistant.db")
    return db.open_database(Settings(database_url=request.getfixturevalue("postgres_server").create_database()))


@pytest.fixture(scope="module")
def stores(tmp_path_factory, request):
    """The shipped extract loaded into a SQLite file and a Postgres database (timed)."""
    opened = {}
    for kind in ("sqlite", "postgres"):
        conn = _open(kind, tmp_path_factory, request)
        start = time.perf_counter()
        loaded = load_extract(conn, EXTRACT)
        print(f"\nshipped extract on {kind}: {time.perf_counter() - start:.1f} s "
              f"({', '.join(f'{r.source} {r.rows:,}' for r in loaded)})")
        opened[kind] = conn
    yield opened
    for conn in opened.values():
        conn.close()


def facts_of(answer) -> list[tuple]:
    return [(f.title, f.source, f.url, f.sentences) for f in answer.facts]


def test_the_same_question_gets_the_same_facts_on_both(stores):
    desks = {kind: DataDesk(conn, home_area="Springfield, MA") for kind, conn in stores.items()}
    answered = 0
    for question in QUESTIONS:
        sqlite = desks["sqlite"].answer(question)
        postgres = desks["postgres"].answer(question)
        assert facts_of(postgres) == facts_of(sqlite), question
        assert (postgres.lead, postgres.notes, postgres.state) == (sqlite.lead, sqlite.notes, sqlite.state), question
        answered += bool(sqlite.facts)
    assert answered >= len(QUESTIONS) - 2  # the list is data questions: nearly all have facts
    text = " ".join(" ".join(f.sentences) for f in desks["postgres"].answer(QUESTIONS[0]).facts)
    assert "$78,230" in text  # BMETs' annual median in Massachusetts, OEWS May 2025 (read by hand)


def test_every_lookup_agrees(stores):
    lookups = {kind: DataLookup(conn) for kind, conn in stores.items()}
    socs = [r[0] for r in stores["sqlite"].execute("SELECT DISTINCT soc FROM onet_occupations ORDER BY soc")]
    assert len(socs) > 300
    for soc in socs:
        for name in ("profile", "programs", "projection"):
            assert getattr(lookups["postgres"], name)(soc) == getattr(lookups["sqlite"], name)(soc), (name, soc)
        assert lookups["postgres"].wages("99", soc) == lookups["sqlite"].wages("99", soc), soc
    for state in ("MA", "CA", "NY", "TX", "OR"):
        assert (lookups["postgres"].wages_in_state("49-9062", state)
                == lookups["sqlite"].wages_in_state("49-9062", state)), state
    assert lookups["postgres"].average_growth() == lookups["sqlite"].average_growth() == 3.1
    releases = {kind: lookups[kind].releases() for kind in stores}
    assert releases["postgres"] == releases["sqlite"] == {
        "cip": "CIP 2020", "oews": "May 2025", "onet": "O*NET 30.1", "projections": "2024-34"}


def test_figures_come_back_exactly(stores):
    """Postgres's REAL is 4 bytes: the tables use DOUBLE PRECISION so 37.61 stays 37.61."""
    for conn in stores.values():
        ma = conn.execute("SELECT a_median, h_median, jobs_1000, loc_quotient FROM oews_wages "
                          "WHERE area = '25' AND occ_code = '49-9062'").fetchone()
        assert tuple(ma) == (78230.0, 37.61, 0.606, 1.43)
        assert conn.execute("SELECT share FROM onet_education WHERE code = '49-9062.00' AND category = 5"
                            ).fetchone()[0] == 39.32


# -- contract on each backend ------------------------------------------------------------------------


def small_extract_release(conn):
    return importers.import_source(conn, "cip", EXTRACT / "CIP2020_SOC2018_Crosswalk.csv")


def test_a_broken_row_is_refused_and_the_release_kept(database, tmp_path):
    small_extract_release(database)
    before = store.releases(database)
    onet = tmp_path / "onet"
    onet.mkdir()
    for file in (EXTRACT / "onet").iterdir():
        (onet / file.name).write_bytes(file.read_bytes())
    data = onet / "Occupation Data.txt"
    lines = data.read_bytes().splitlines(keepends=True)
    data.write_bytes(b"".join(lines + lines[1:2]))  # one occupation twice: its key is taken
    with pytest.raises(DataImportError, match="rows break the table's rules") as caught:
        importers.import_source(database, "onet", onet)
    assert "\n" not in str(caught.value)
    assert store.releases(database) == before
    assert database.execute("SELECT count(*) FROM onet_occupations").fetchone()[0] == 0


def test_readers_see_the_previous_release_until_the_new_one_is_complete(backend_settings):
    """A replace in progress on one connection is invisible to another until it commits."""
    writer, reader = db.open_database(backend_settings), db.open_database(backend_settings)
    try:
        first = small_extract_release(writer)
        halfway, go_on = threading.Event(), threading.Event()

        def rows():
            for n in range(1000):
                if n == 500:
                    halfway.set()
                    go_on.wait(30)
                yield (f"99.{n:04d}", "A new program.", "49-9062", "Medical Equipment Repairers")

        done: list = []
        thread = threading.Thread(target=lambda: done.append(store.replace_source(
            writer, "cip", release="CIP 2030", file="new.csv", checksum="x", count_table="cip_soc",
            tables={"cip_soc": (("cip", "cip_title", "soc", "soc_title"), rows())})))
        thread.start()
        assert halfway.wait(30)
        time.sleep(0.2)  # the writer holds its transaction open half-way through the rows
        assert reader.execute("SELECT count(*) FROM cip_soc").fetchone()[0] == first.rows
        assert store.releases(reader)["cip"].release == "CIP 2020"
        go_on.set()
        thread.join(30)
        assert done and done[0].rows == 1000
        assert reader.execute("SELECT count(*) FROM cip_soc").fetchone()[0] == 1000
        assert store.releases(reader)["cip"].release == "CIP 2030"
    finally:
        go_on.set()
        writer.close()
        reader.close()


def test_the_extract_loads_once_and_answers(database):
    loaded = load_extract(database, EXTRACT)
    assert [(r.source, r.rows) for r in loaded] == [("oews", 98343), ("onet", 774), ("projections", 833),
                                                      ("cip", 6097)]
    assert load_extract(database, EXTRACT) == []  # this very extract is already loaded
    answer = DataDesk(database, home_area="Springfield, MA").answer("bmet pay in massachusetts")
    assert any("$78,230" in " ".join(f.sentences) for f in answer.facts)


def test_cli_import_and_status_on_the_configured_backend(backend_settings, monkeypatch):
    if backend_settings.database_url:
        monkeypatch.setenv("ASSISTANT_DATABASE_URL", backend_settings.database_url)
    runner = CliRunner()
    data_dir = str(backend_settings.data_dir)
    result = runner.invoke(main, ["--data-dir", data_dir, "data", "import", "cip",
                                  str(EXTRACT / "CIP2020_SOC2018_Crosswalk.csv"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"source": "cip", "release": "CIP 2020", "rows": 6097}
    status = json.loads(runner.invoke(main, ["--data-dir", data_dir, "data", "status", "--json"]).output)
    assert [(s["name"], s["rows"]) for s in status["sources"]] == [("cip", 6097)]
    with db.open_database(backend_settings) as conn:  # it landed where the setting says
        assert conn.execute("SELECT count(*) FROM cip_soc").fetchone()[0] == 6097


@pytest.mark.slow
def test_full_oews_import_time_on_both(tmp_path, postgres_server):
    """The full OEWS file (237,000 rows) on each backend, timed and printed; the figures agree."""
    conns = {"sqlite": db.connect(tmp_path / "assistant.db"),
             "postgres": db.open_database(Settings(database_url=postgres_server.create_database()))}
    try:
        for kind, conn in conns.items():
            for attempt in ("first", "replace"):
                start = time.perf_counter()
                release = importers.import_source(conn, "oews", OEWS)
                print(f"\nfull OEWS on {kind} ({attempt}): {time.perf_counter() - start:.1f} s, {release.rows:,} rows")
                assert release.rows == 236799
        sums = [tuple(c.execute("SELECT count(*), sum(a_median), sum(tot_emp) FROM oews_wages").fetchone())
                for c in conns.values()]
        assert sums[0] == sums[1]
    finally:
        for conn in conns.values():
            conn.close()


def test_ingest_loads_the_extract_into_the_configured_backend(backend_settings, fake_embeddings, tmp_path):
    from assistant.service import Service

    corpus = tmp_path / "corpus"
    (corpus / "careers").mkdir(parents=True)
    (corpus / "careers" / "bmet.md").write_text("# BMET\n\nBiomedical equipment technicians repair devices.\n")
    shutil.copytree(EXTRACT, corpus / "data")
    service = Service(backend_settings, embeddings=lambda: fake_embeddings)
    try:
        report = service.ingest([str(corpus)]).to_json()
        assert report["added"] == 1 and report["failed"] == []
        assert {d["name"]: d["rows"] for d in report["data"]} == {
            "oews": 98343, "onet": 774, "projections": 833, "cip": 6097}
        facts = service.data_desk.answer("how much do bmets make in worcester").facts
        assert any("Worcester" in " ".join(f.sentences) for f in facts)
        assert "data" not in service.ingest([str(corpus)]).to_json()
    finally:
        service.close()
    if backend_settings.database_url:  # nothing landed in the SQLite file
        with db.connect(backend_settings.db_path) as conn:
            assert "data_releases" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
