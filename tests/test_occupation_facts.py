"""Resolving occupations and places, and the facts rendered from the real BLS/O*NET/NCES files.

Expected figures were read by hand from ../shared/data (OEWS May 2025 CSV, EP Table 1.2,
O*NET 30.1 text files, the CIP-SOC crosswalk), not from our code.
"""

from __future__ import annotations

import pytest
from shared_data import SHARED_DATA

from assistant import db
from assistant.occupations.desk import DataDesk, fact_passage
from assistant.occupations.importers import import_source
from assistant.occupations.resolve import normalize

SHARED = SHARED_DATA


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    assert SHARED.is_dir(), f"{SHARED} is missing: these tests read the publishers' files"
    connection = db.connect(tmp_path_factory.mktemp("data") / "assistant.db")
    import_source(connection, "oews", SHARED / "oews" / "oews_may2025_cross_industry.csv.gz")
    import_source(connection, "onet", SHARED / "onet")
    import_source(connection, "projections", SHARED / "bls-ep" / "occupation.xlsx")
    import_source(connection, "cip", SHARED / "cip" / "CIP2020_SOC2018_Crosswalk.csv")
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def desk(conn):
    return DataDesk(conn, home_area="Springfield, MA")


def text_of(answer) -> str:
    return " ".join(" ".join(f.sentences) for f in answer.facts)


@pytest.mark.parametrize("words, soc", [
    ("biomed techs", "49-9062"), ("BMET", "49-9062"), ("bmets", "49-9062"),
    ("Biomedical Equipment Technician", "49-9062"),
    ("x-ray tech", "29-2034"), ("MRI techs", "29-2035"), ("surg tech", "29-2055"), ("medical coder", "29-2072"),
    ("Respiratory Therapists", "29-1126"), ("information security analyst", "15-1212"), ("paramedics", "29-2043"),
])
def test_occupation_from_the_words_people_use(desk, words, soc):
    found, _ = desk.resolver.find_occupations(f"how much do {words} make")
    assert found and found[0].soc == soc


@pytest.mark.parametrize("text, title", [
    ("in Massachusetts", "Massachusetts"), ("in mass", "Massachusetts"), ("around Springfield MA", "Springfield, MA"),
    ("in Worcester", "Worcester, MA"), ("boston", "Boston-Cambridge-Newton, MA-NH"),
    ("in pittsfield", "Pittsfield, MA"),
    ("in new york", "New York"), ("nationally", "National"),
])
def test_place_from_the_words_people_use(desk, text, title):
    places = desk.resolver.find_place(text, home=desk.resolver.home).places
    assert places and places[0].title == title


def test_ambiguous_springfield_resolves_to_home_state_and_says_so(desk):
    found = desk.resolver.find_place("pay in Springfield", home=desk.resolver.home)
    assert found.places[0].code == "44140"
    assert any("home state" in note for note in found.notes)
    illinois = desk.resolver.find_place("pay in Springfield, IL", home=desk.resolver.home)
    assert illinois.places[0].title.startswith("Springfield, IL") and not illinois.notes


def test_state_pay_with_national_context(desk):
    answer = desk.answer("How much do biomed techs make in Massachusetts?")
    ids = [f.doc_id for f in answer.facts]
    assert ids == ["oews:25:49-9062", "oews:99:49-9062"]
    first = answer.facts[0]
    # OEWS May 2025, Massachusetts, 49-9062: A_MEDIAN 78230, H_MEDIAN 37.61, A_PCT25 62930, A_PCT75 92510
    assert "$78,230 a year" in first.sentences[0] and "$37.61 an hour" in first.sentences[0]
    assert "$62,930 and $92,510" in first.sentences[1]
    assert first.source == "BLS OEWS May 2025, Massachusetts"
    assert first.url == "https://www.bls.gov/oes/current/oes_ma.htm"
    assert "$61,660" in " ".join(answer.facts[1].sentences)  # national A_MEDIAN


def test_metro_pay_and_employment(desk):
    pay = desk.answer("what's the pay for a BMET around Springfield MA")
    assert pay.facts[0].doc_id == "oews:44140:49-9062" and "$73,580" in pay.facts[0].sentences[0]
    count = desk.answer("How many medical equipment repairers work in Massachusetts?")
    assert count.facts[0].sentences[0].startswith("About 2,200 people worked as medical equipment repairers")


def test_no_place_uses_home_area_and_nation_and_says_so(desk):
    answer = desk.answer("how much would a bmet make")
    assert [f.doc_id for f in answer.facts] == ["oews:44140:49-9062", "oews:99:49-9062"]
    assert any("home area" in note for note in answer.notes)


def test_unknown_place_is_said_and_national_figures_given(desk):
    answer = desk.answer("bmet pay in atlantis")
    assert "no data for Atlantis" in answer.lead[0]
    assert [f.doc_id for f in answer.facts] == ["oews:99:49-9062"]


def test_top_coded_wage_is_at_least_never_a_number(desk):
    # OEWS May 2025, Anchorage AK (11260), 29-1211 anesthesiologists: every wage column is '#'
    answer = desk.answer("how much do anesthesiologists make in Anchorage, AK")
    first = answer.facts[0]
    assert first.doc_id == "oews:11260:29-1211"
    assert "at least $239,200 a year" in first.sentences[0] and "at least $115.00 an hour" in first.sentences[0]
    assert "between" not in " ".join(first.sentences)
    # Allentown (10900), 29-1224 radiologists: TOT_EMP '**' (not released)
    radiologists = desk.answer("how many radiologists work in Allentown, PA").facts[0]
    assert "did not release an employment figure" in radiologists.sentences[0]


def test_growth_and_openings_from_projections(desk):
    # EP Table 1.2, 49-9062: 68.0 -> 76.8 thousand, 12.9%, 7.3 thousand openings; all occupations 3.1%
    answer = desk.answer("is there going to be demand for bmets? how many openings")
    text = text_of(answer)
    assert "12.9%" in text and "68,000 to 76,800" in text and "7,300 openings" in text and "3.1%" in text


def test_education_related_titles_tools_programs(desk):
    assert "associate's degree" in text_of(desk.answer("what degree do i need to be a respiratory therapist"))
    related = desk.answer("What other jobs are similar to being a BMET?")
    assert related.facts[0].doc_id == "onet:49-9062.00:related"
    assert "Calibration Technologists and Technicians" in text_of(related)  # Index 1 in Related Occupations.txt
    assert "O*NET 30.1" in related.facts[0].source and "CC BY 4.0" in related.facts[0].source
    programs = desk.answer("what should i study to become a surgical tech")
    assert "Surgical Technology/Technologist, CIP 51.0909" in text_of(programs)
    assert "Epic" in text_of(desk.answer("what software do medical records specialists use"))


def test_compare_two_occupations_and_two_places(desk):
    occupations = desk.answer("MRI tech vs surg tech pay in massachusetts")
    assert [f.doc_id for f in occupations.facts] == ["oews:25:29-2035", "oews:25:29-2055"]
    places = desk.answer("bmet pay boston vs worcester")
    assert [f.doc_id for f in places.facts] == ["oews:14460:49-9062", "oews:49340:49-9062"]


def test_questions_the_data_does_not_answer_give_no_facts(desk):
    assert desk.answer("how do I become a BMET?").facts == ()
    assert desk.answer("What's the best pizza place in Springfield?").facts == ()
    assert desk.answer("how much do glorp snorfers make in Massachusetts").facts == ()


def test_fact_passage_carries_data_citation_fields(desk):
    fact = desk.answer("How much do biomed techs make in Massachusetts?").facts[0]
    passage = fact_passage(fact)
    assert passage.hit.metadata["doc_type"] == "data" and passage.sentences == fact.sentences
    assert passage.vectors.size == 0


def test_normalize_folds_plurals_and_punctuation():
    assert normalize("X-Ray Technicians") == normalize("x ray technician")
