"""Members and committees: import of the real files, refusals, and the answers the desk gives.

Values read by hand from ../shared/data/legislators:
- openstates-ma/committees/legislature-Joint-Committee-on-Labor-and-Workforce-Development-*.yml:
  chairs Jake Oliveira and Paul McMurtry, vice chairs Jason Lewis and Tommy Vitolo, ranking
  Ken Sweezey and Patrick O'Connor, 17 members; page https://malegislature.gov/Committees/Detail/J43.
- openstates-ma/legislature/Paul-McMurtry-*.yml: Democratic, district 11th Norfolk.
- congress/committee-membership-current.yaml, SSHR: Bill Cassidy (Chairman, C001075), Rand Paul
  (rank 2); committees-current.yaml: SSHR is "Senate Committee on Health, Education, Labor, and
  Pensions", http://www.help.senate.gov/.
- congress/legislators-current.yaml: 2 senators and 9 representatives with state MA; 537 members.
- openstates-ma: 198 legislators and 7 executive officers in office on 2026-08-05 (205 members).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from shared_data import SHARED_DATA

from assistant import db
from assistant.cli import main
from assistant.config import Settings
from assistant.errors import DataImportError
from assistant.occupations import store as data_store
from assistant.occupations.extract import find_extracts, load_extracts
from assistant.people import importers, parse, store
from assistant.people.desk import PeopleDesk

REPO = Path(__file__).resolve().parents[1]
SHARED = SHARED_DATA / "legislators"
DATES = {"congress": "2026-06-15", "openstates-ma": "2026-08-05"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def conn(request, tmp_path_factory):
    """The real files imported once per backend: SQLite in memory, or a fresh Postgres database."""
    if request.param == "sqlite":
        connection = db.connect(":memory:")
    else:
        url = request.getfixturevalue("postgres_server").create_database()
        connection = db.open_database(Settings(data_dir=tmp_path_factory.mktemp("people"), database_url=url))
    importers.import_legislators(connection, SHARED, as_of=DATES)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def desk(conn):
    return PeopleDesk(conn)


def test_import_counts(conn):
    count = dict(conn.execute("SELECT source, count(*) FROM people_members WHERE chamber IN ('house', 'senate') "
                              "GROUP BY source").fetchall())
    assert count == {"congress": 537, "openstates-ma": 198}
    assert conn.execute("SELECT count(*) FROM people_committees WHERE source = 'openstates-ma'").fetchone()[0] == 57
    release = data_store.releases(conn)["legislators"]
    assert release.release == "congress 2026-06-15, openstates-ma 2026-08-05"
    assert store.as_of(conn) == DATES


def test_member_fields_from_open_states(conn):
    row = conn.execute("SELECT * FROM people_members WHERE name = 'Paul McMurtry'").fetchone()
    assert (row["chamber"], row["party"], row["district"]) == ("house", "Democratic", "11th Norfolk")
    assert row["url"].startswith("https://malegislature.gov/Legislators/Profile/")


def test_roles_are_normalized():
    assert [parse.role_of(t) for t in ("Chairman", "Chairwoman", "Ranking Member", "ranking republican member",
                                       "Vice Chair", "Ex Officio", "")] == [
        "chair", "chair", "ranking member", "ranking member", "vice chair", "ex officio", "member"]


def test_who_chairs_the_ma_labor_committee(desk):
    [fact] = desk.facts("Who chairs the Joint Committee on Labor and Workforce Development?")
    assert fact.doc_type == "person"
    assert fact.title == "Joint Committee on Labor and Workforce Development"
    assert fact.source == "Open States, Massachusetts, 2026-08-05"
    assert fact.url == "https://malegislature.gov/Committees/Detail/J43"
    assert fact.sentences[0].startswith("The chairs of the Joint Committee on Labor and Workforce Development are "
                                        "Jake Oliveira (Democratic, Senate, ")
    assert "Paul McMurtry (Democratic, House, 11th Norfolk)" in fact.sentences[0]
    assert "Ken Sweezey" in fact.sentences[2] and "Patrick O'Connor" in fact.sentences[2]
    assert len(fact.data["members"]) == 17
    assert not any("http" in s for s in fact.sentences)


def test_who_is_on_senate_help(desk):
    [fact] = desk.facts("who is on the Senate HELP committee?")
    assert fact.title == "Senate Committee on Health, Education, Labor, and Pensions"
    assert fact.source == "unitedstates/congress-legislators, 2026-06-15"
    assert fact.url == "http://www.help.senate.gov/"
    # "who is on" is answered by one sentence naming all 23, leaders with their role
    assert fact.sentences[0].startswith("The Senate Committee on Health, Education, Labor, and Pensions has 23 "
                                        "members: Bill Cassidy (Republican, Louisiana), chair; ")
    assert "Rand Paul (Republican, Kentucky)" in fact.sentences[0] and len(fact.sentences) == 1


def test_the_role_or_member_asked_about_comes_first(desk):
    [ranking] = desk.facts("ranking member of the senate HELP committee")
    assert ranking.sentences[0] == ("The ranking member of the Senate Committee on Health, Education, Labor, and "
                                    "Pensions is Bernard Sanders (Independent, Vermont).")
    [markey] = desk.facts("is senator markey on the HELP committee")
    assert markey.sentences[0] == ("Edward J. Markey (Democrat, Massachusetts) is a member of the Senate Committee "
                                   "on Health, Education, Labor, and Pensions.")
    [chair] = desk.facts("who chairs the senate HELP committee")
    assert chair.sentences[0].startswith("The chair of the Senate Committee") and "Cassidy" in chair.sentences[0]


def test_the_massachusetts_delegation(desk):
    [fact] = desk.facts("Who are the members of Congress from Massachusetts?")
    assert fact.sentences[0].startswith(
        "Massachusetts's 11 members of Congress are Senators Edward J. Markey (Democrat, Massachusetts) and Elizabeth "
        "Warren (Democrat, Massachusetts); and Representatives Richard E. Neal (Democrat, Massachusetts-1), ")
    assert len(fact.sentences) == 1
    assert len(fact.data["members"]) == 11


def test_member_by_bioguide(desk):
    fact = desk.member_by_bioguide("C001075")
    assert fact.sentences[0] == "Sen. Bill Cassidy (Republican) represents Louisiana in the Senate."
    assert fact.source == "unitedstates/congress-legislators, 2026-06-15"
    assert desk.member_by_bioguide("X999999") is None


def test_questions_about_other_things_get_nothing(desk):
    assert desk.facts("What does a BMET earn in Springfield?") == []
    assert desk.facts("Who chairs housing policy debates?") == []


# -- refusals keep the release -------------------------------------------------------------------


def test_a_broken_file_is_refused_and_the_release_kept(conn, tmp_path):
    before = data_store.releases(conn)["legislators"]
    broken = tmp_path / "openstates-ma"
    shutil.copytree(SHARED / "openstates-ma" / "committees", broken / "committees")
    bad = sorted((broken / "committees").iterdir())[3]
    bad.write_text("id: x\nname: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataImportError) as caught:
        importers.import_legislators(conn, tmp_path)
    assert str(bad) in str(caught.value) and "not valid YAML" in str(caught.value)
    assert data_store.releases(conn)["legislators"] == before


def test_a_folder_without_either_layout_is_refused(conn, tmp_path):
    with pytest.raises(DataImportError, match="no legislators-current.yaml"):
        importers.import_legislators(conn, tmp_path)


def test_importing_one_layout_keeps_the_other(database):
    connection = database
    importers.import_legislators(connection, SHARED, as_of=DATES)
    question = "Who is on the Joint Committee on Labor and Workforce Development?"
    before = PeopleDesk(connection).facts(question)
    importers.import_legislators(connection, SHARED / "congress", as_of="2026-07-01")
    assert store.as_of(connection) == {"congress": "2026-07-01", "openstates-ma": "2026-08-05"}
    assert connection.execute("SELECT count(*) FROM people_members WHERE source = 'openstates-ma'").fetchone()[0] > 190
    assert PeopleDesk(connection).facts(question) == before  # the kept roster in its imported order


# -- the CLI and the shipped copy ----------------------------------------------------------------------


def test_cli_import_and_status(tmp_path):
    runner = CliRunner()
    data_dir = str(tmp_path / "d")
    result = runner.invoke(main, ["--data-dir", data_dir, "data", "import", "legislators",
                                  str(SHARED / "openstates-ma"), "--release", "2026-08-05", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"source": "legislators", "release": "openstates-ma 2026-08-05", "rows": 205}
    status = runner.invoke(main, ["--data-dir", data_dir, "data", "status", "--json"])
    assert [s["name"] for s in json.loads(status.output)["sources"]] == ["legislators"]
    refused = runner.invoke(main, ["--data-dir", data_dir, "data", "import", "legislators", str(tmp_path)])
    assert refused.exit_code == 1 and "no legislators-current.yaml" in refused.output


def test_the_shipped_copy_loads_like_the_data_extract():
    assert REPO / "corpus" / "legislators" in find_extracts([REPO / "corpus"])  # so ingest corpus/ loads it
    connection = db.connect(":memory:")
    [release] = load_extracts(connection, [REPO / "corpus" / "legislators"])
    assert release.source == "legislators"
    assert store.as_of(connection) == DATES
    assert load_extracts(connection, [REPO / "corpus" / "legislators"]) == []  # already loaded
    for name in ("legislators-current.yaml", "committees-current.yaml", "committee-membership-current.yaml"):
        assert (REPO / "corpus/legislators/congress" / name).read_bytes() == (SHARED / "congress" / name).read_bytes()
