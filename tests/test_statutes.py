"""Statute sections: the built documents, lookups by number, by act section and by words.

Expected texts were read by hand from ../shared/data/uscode (29-usc-ch32-wioa/chunck-2111.md to
chunck-2114.md for 29 U.S.C. 3174, 20-usc-ch44-perkins for 20 U.S.C. 2301 and 2355,
29-usc-ch4c-apprenticeship/chunck-54.md for 29 U.S.C. 50).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from shared_data import SHARED_DATA

from assistant.service import Service
from assistant.statutes import ACT_SECTIONS, Cited, StatuteDesk, cited_sections

REPO = Path(__file__).resolve().parents[1]
STATUTES = REPO / "corpus" / "statutes"
USCODE = SHARED_DATA / "uscode"
PICKED = ("usc-29-3174", "usc-20-2355", "usc-20-2301", "usc-29-50", "usc-29-3102")


def _front(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])


def _build_module():
    spec = importlib.util.spec_from_file_location("build_statutes", REPO / "scripts" / "build_statutes.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def service(backend_settings, fake_embeddings, tmp_path):
    """The picked sections indexed on each backend (SQLite, or the catalog in Postgres)."""
    service = Service(backend_settings, embeddings=lambda: fake_embeddings)
    folder = tmp_path / "statutes"
    folder.mkdir()
    for doc_id in PICKED:
        shutil.copy(STATUTES / f"{doc_id}.md", folder)
    report = service.ingest([str(folder)])
    assert not report.failed
    yield service
    service.close()


@pytest.fixture
def desk(service):
    return StatuteDesk(service.catalog)


# -- the shipped documents ------------------------------------------------------------------------


def test_one_document_per_section_of_the_three_chapters():
    docs = sorted(p for p in STATUTES.glob("usc-*.md"))
    # 94 WIOA sections, 39 Perkins sections and 4 apprenticeship sections in the source pieces
    assert len(docs) == 137
    assert len([p for p in docs if p.name.startswith("usc-20-")]) == 39


def test_build_is_deterministic_and_matches_the_shipped_copy(tmp_path):
    _build_module().build(USCODE, tmp_path)
    for name in ("usc-29-3174.md", "usc-20-2355.md", "usc-29-50c.md", "README.md"):
        assert (tmp_path / name).read_bytes() == (STATUTES / name).read_bytes(), name


def test_front_matter_of_section_3174():
    front = _front(STATUTES / "usc-29-3174.md")
    assert front["id"] == "usc-29-3174"
    assert front["title"] == "29 U.S.C. 3174: Use of funds for employment and training activities"
    assert front["doc_type"] == "statute"
    assert front["citation"] == "29 U.S.C. 3174"
    assert front["act_section"] == "WIOA section 134"
    assert front["source_url"] == ("https://uscode.house.gov/view.xhtml?req=granuleid:USC-prelim-title29-"
                                   "section3174&num=0&edition=prelim")
    assert str(front["as_of"]) == "2023-04-01"


def test_the_pieces_of_a_section_are_joined_in_order_with_the_heading_trail():
    text = (STATUTES / "usc-29-3174.md").read_text(encoding="utf-8")
    assert "# Title 29— LABOR\n### CHAPTER 32— WORKFORCE INNOVATION AND OPPORTUNITY\n#### §" in text
    order = [text.index(f"##### ({label})") for label in "abcd"]
    assert order == sorted(order)
    # the last line of chunck-2114.md
    assert "(III) to strengthen linkages between the one-stop delivery system and unemployment insurance" in text
    assert "Subtitle F" not in text


def test_sections_added_by_later_laws_have_no_act_section():
    assert "act_section" not in _front(STATUTES / "usc-29-3225a.md")
    assert _front(STATUTES / "usc-20-2355.md")["act_section"] == "Perkins section 135"


def test_the_map_agrees_with_the_headings_it_names():
    # Spot checks against the WIOA and Perkins tables of contents.
    assert ACT_SECTIONS[("wioa", "116")].usc_section == "3141"  # performance accountability
    assert ACT_SECTIONS[("wioa", "121")].usc_section == "3151"  # one-stop delivery systems
    assert ACT_SECTIONS[("perkins", "113")].usc_section == "2323"  # accountability
    for act in ACT_SECTIONS.values():
        assert (STATUTES / f"usc-{act.usc_title}-{act.usc_section}.md").exists(), act


# -- finding the section a question names (pure) --------------------------------------------------


@pytest.mark.parametrize("question", [
    "What does 29 U.S.C. 3174 say?", "29 USC 3174", "what is in section 3174", "What does WIOA section 134 say?",
    "explain sec. 134 of WIOA", "§ 3174 of title 29", "Workforce Innovation and Opportunity Act section 134",
])
def test_every_form_of_the_citation_names_3174(question):
    assert [(c.usc_title, c.usc_section) for c in cited_sections(question)] == [(29, "3174")]


def test_perkins_and_subsections():
    assert cited_sections("Perkins section 135") == [Cited(20, "2355")]
    assert cited_sections("20 U.S.C. 2301") == [Cited(20, "2301")]
    assert cited_sections("what does 29 U.S.C. 3174(c)(1) require") == [Cited(29, "3174", "c")]


def test_no_citation_no_section():
    assert cited_sections("How do I become a BMET in Springfield?") == []
    assert cited_sections("section 134") == []  # no act named, and no code section 134


# -- facts from the indexed documents ---------------------------------------------------------------


def test_fact_by_number_quotes_the_law(desk):
    [fact] = desk.facts("What does 29 U.S.C. 3174 say?")
    assert fact.doc_type == "statute"
    assert fact.title == "29 U.S.C. 3174(a): Use of funds for employment and training activities (WIOA section 134)"
    assert fact.source == "U.S. Code, 29 U.S.C. 3174 (as of April 2023)"
    assert fact.url.endswith("title29-section3174&num=0&edition=prelim")
    assert fact.published == "2023-04-01"
    assert fact.sentences[0].startswith("(a) Statewide employment and training activities — (1) In general: "
                                        "Funds reserved by a Governor (A) as described in section 3173(a)(2)")
    assert 1 < len(fact.sentences) <= 4
    assert not any("http" in s for s in fact.sentences)


def test_fact_by_act_section_is_the_same_section(desk):
    by_number = desk.facts("29 USC 3174")
    assert desk.facts("What does WIOA section 134 say?") == by_number
    assert desk.facts("section 3174") == by_number


def test_words_pick_the_subsection(desk):
    [fact] = desk.facts("What does WIOA section 134 say local areas must use adult and dislocated worker funds for?")
    assert fact.title.startswith("29 U.S.C. 3174(c): ")
    assert fact.sentences[0].startswith("(c) Required local employment and training activities — (1) In general"
                                        " — (A) Allocated funds: Funds allocated to a local area for adults")
    assert "(ii) to provide the career services described in paragraph (2) to adults and dislocated workers," \
           " respectively, through the one-stop delivery system in accordance with such paragraph;" in fact.sentences


def test_a_named_subsection_wins(desk):
    [fact] = desk.facts("29 U.S.C. 3174(d)")
    assert fact.sentences[0].startswith("(d) Permissible local employment and training activities")


def test_perkins_section_135(desk):
    [fact] = desk.facts("What does Perkins section 135 say?")
    assert fact.title.startswith("20 U.S.C. 2355")
    assert fact.title.endswith("Local uses of funds (Perkins section 135)")
    assert fact.sentences[0].startswith("(a) General authority: Each eligible recipient that receives funds under "
                                        "this part shall use such funds to develop, coordinate, implement, or improve")


def test_perkins_words_pick_the_requirements(desk):
    [fact] = desk.facts("What are the requirements for uses of funds under Perkins section 135?")
    assert fact.sentences[0].startswith("(b) Requirements for uses of funds: Funds made available to eligible "
                                        "recipients under this part shall be used to support")


def test_apprenticeship_section_is_quoted_whole(desk):
    [fact] = desk.facts("What does 29 U.S.C. 50 say?")
    assert fact.sentences[0].startswith("The Secretary of Labor is authorized and directed to formulate and promote")
    assert fact.sentences[-1] == ("For the purposes of this chapter the term “State” shall include the "
                                  "District of Columbia.")


def test_unknown_or_unindexed_section_gives_nothing(desk):
    assert desk.facts("What does 29 U.S.C. 9999 say?") == []
    assert desk.facts("What does 29 U.S.C. 3141 say?") == []  # shipped, but not indexed here
    assert desk.facts("Who chairs the HELP committee?") == []


def test_the_service_gives_the_statute_desk_its_catalog(service):
    """Asked by number, the composition root's desks quote the section on either backend."""
    facts = [f for desk in service.policy_desks for f in desk.facts("What does 29 U.S.C. 50 say?")]
    assert [f.doc_id for f in facts] == ["usc-29-50"] and facts[0].doc_type == "statute"
