"""Answer quality of the extractive answerer: the lead answers what was asked, no fact twice,
no source notes or URLs in what a person reads, lists and addresses quoted as such, official
data first, and abstention judged on meaning rather than on a shared place name."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

from assistant import quoting
from assistant.answer import ExtractiveAnswerer, Passage
from assistant.config import Settings
from assistant.retrieval.chunking import split_sentences
from assistant.service import Service
from assistant.types import Hit

DIM = 256


def embed(text: str) -> np.ndarray:
    """Hashed bag of words: sentences sharing the question's words sit close to it."""
    v = np.zeros(DIM, dtype=np.float32)
    for word in re.findall(r"[a-z0-9$]+", text.lower()):
        v[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0
    return v / (np.linalg.norm(v) or 1.0)


def passage(doc_id: str, text: str, *, position: int = 0, published: int = 0, title: str = "",
            doc_type: str = "reference", headings: str = "") -> Passage:
    sentences = tuple(text[s:e] for s, e in split_sentences(text))
    hit = Hit(chunk_id=f"{doc_id}:{position}", doc_id=doc_id, text=text, headings=headings,
              metadata={"title": title or doc_id, "source": f"corpus/{doc_id}.md", "doc_type": doc_type,
                        "published": published, "position": position, "url": f"https://example.org/{doc_id}"})
    return Passage(hit=hit, sentences=sentences, vectors=np.stack([embed(s) for s in sentences]))


def data_passage(doc_id: str, sentences: tuple[str, ...], *, title: str, source: str, url: str) -> Passage:
    hit = Hit(chunk_id=doc_id, doc_id=doc_id, text=" ".join(sentences), headings="",
              metadata={"title": title, "source": source, "url": url, "doc_type": "data", "published": 0, "fact": True},
              score=1.0, distance=0.0)
    return Passage(hit=hit, sentences=sentences, vectors=np.zeros((0, 384), dtype=np.float32))


def ask(question: str, passages, **options):
    return ExtractiveAnswerer(**options).answer(question, passages, query_vector=embed(question))


def lead(answer) -> str:
    return answer.text.split(" [")[0]


# -- cleaning ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "clean"), [
    ("The median pay was $62,630 in May 2024 (BLS OOH, May 2024 data, https://www.bls.gov/ooh/x.htm).",
     "The median pay was $62,630 in May 2024."),
    ("The exam cost $350 (24x7 Magazine, https://24x7mag.com/a/, 2015); current fees are not confirmed.",
     "The exam cost $350; current fees are not confirmed."),
    ("Median pay by industry was (https://www.bls.gov/ooh/x.htm):", "Median pay by industry was:"),
    ("The academy opened in fall 2023 (East Hillsborough News, 2023-24).", "The academy opened in fall 2023."),
    ("Apprentices earn wages (source: AAMI program page).", "Apprentices earn wages."),
    ("Read [the AAMI page](https://www.aami.org/htm) before applying.", "Read the AAMI page before applying."),
    ("It funds training (CRS report R47905, 2024; committee press release, 2023).", "It funds training."),
    ("Rates are listed online https://www.mass.gov/rates.", "Rates are listed online."),
    ("They held 41,400 jobs in 2008 (2008 data; secondary source).", "They held 41,400 jobs in 2008."),
    ("Growth was 27% (studentscholarships.org reproduction of OOH text).", "Growth was 27%."),
    ("Apply at https://www.mass.gov/apply before June.", "Apply at mass.gov before June."),
])
def test_clean_leaves_out_only_source_notes_and_urls(raw, clean):
    assert quoting.clean(raw) == clean


@pytest.mark.parametrize("sentence", [
    "The Certified Respiratory Therapist (CRT) credential comes first.",
    "The 2025-2026 session (the 194th General Court) ends in July.",
    "Pay rose (after the 2023 contract, for senior staff) by 4%.",
])
def test_clean_keeps_parentheticals_that_say_something(sentence):
    assert quoting.clean(sentence) == sentence


# -- what is asked, what leads --------------------------------------------------------------------

@pytest.mark.parametrize(("question", "kind"), [
    ("how much do biomed techs make", "amount"),
    ("Is the CBET exam hard and what does it cost?", "amount"),
    ("When was H.R. 6655 introduced?", "date"),
    ("who sponsored H.R. 6655", "person"),
    ("Where can I train in Massachusetts?", "place"),
    ("What is the address of Springfield Technical Community College?", "address"),
    ("What is H.R. 6655?", "definition"),
    ("which certifications can a BMET earn", "list"),
    ("fitzgerald act date", "date"),
    ("do most bmets work in hospitals?", "amount"),
    ("what is the most common cert", "definition"),
    ("I'm a high school senior in Springfield, how do I become a BMET?", "steps"),
])
def test_question_kind(question, kind):
    assert quoting.question_kind(question) == kind


def test_a_pay_question_leads_with_the_figure_not_the_closest_wording():
    text = ("Biomed techs who make repairs to hospital devices say the work pays off in respect. "
            "The median annual pay for biomed techs was $62,630 in May 2024.")
    answer = ask("how much do biomed techs make", [passage("pay", text)])
    assert lead(answer) == "The median annual pay for biomed techs was $62,630 in May 2024."


def test_a_pay_question_leads_with_the_median_before_the_range():
    text = ("The lowest-paid 10% of biomed techs made less than $39,060 and the top 10% more than $99,290. "
            "The median pay biomed techs make was $62,630.")
    answer = ask("how much do biomed techs make", [passage("pay", text)])
    assert lead(answer).startswith("The median pay")


def test_a_what_is_question_leads_with_the_sentence_that_says_what_it_is():
    text = ("ISO technicians and ISO contracts are common in what biomeds call the ISO world. "
            "An independent service organization (ISO) repairs equipment from many manufacturers.")
    answer = ask("what is an ISO", [passage("iso", text)])
    assert lead(answer) == "An independent service organization (ISO) repairs equipment from many manufacturers."


def test_a_what_is_question_about_a_bill_leads_with_what_the_bill_is():
    text = ("The House vote count on H.R. 6655 for the states is not confirmed. "
            "H.R. 6655 was introduced in December 2023 by two Representatives as a bipartisan WIOA reauthorization.")
    answer = ask("What is H.R. 6655?", [passage("bill", text)])
    assert lead(answer).startswith("H.R. 6655 was introduced")


def test_a_date_question_without_when_leads_with_the_date():
    text = ("The Fitzgerald Act was sponsored by Representative William Fitzgerald of Connecticut and the act date "
            "matters to apprenticeship. The Fitzgerald Act became law on August 16, 1937.")
    answer = ask("fitzgerald act date", [passage("naa", text)])
    assert lead(answer) == "The Fitzgerald Act became law on August 16, 1937."


@pytest.mark.parametrize("count", ["more than two dozen employer partners", "nine in ten employer partners",
                                   "hundreds of employer partners"])
def test_a_count_written_in_words_answers_how_many(count):
    assert quoting.fits(f"By 2023 the apprenticeship had {count}.", "amount", question="how many partners")
    text = ("Becoming an apprenticeship employer partner costs the employer nothing and partners get help. "
            f"By 2023 the apprenticeship had {count}.")
    answer = ask("how many employer partners does the apprenticeship have", [passage("aami", text)])
    assert lead(answer) == f"By 2023 the apprenticeship had {count}."


@pytest.mark.parametrize(("question", "thing"), [
    ("who are the partners in the western mass allied health group", "partners"),
    ("what kind of machines do biomed techs fix", "machines"),
    ("which certifications can a BMET earn", "certifications"),
    ("what is the CABT", None),
    ("what does 524b require", None),
    ("what year was the act signed", None),
    ("what are the main tasks of an mri tech", "tasks"),
    ("what computer programs do medical assistants use", "programs"),
    ("etpl - which wioa section", "section"),
])
def test_the_thing_a_which_or_what_question_asks_about(question, thing):
    assert quoting.asked_thing(question) == thing


def test_a_which_question_leads_with_a_sentence_naming_what_it_asks_for():
    text = ("The allied health work group of the western mass partnership builds pipelines for therapists, "
            "technologists, technicians and assistants. Partners in the western mass allied health work group "
            "include Springfield Technical, Holyoke Community College, Greenfield and Baystate Health.")
    answer = ask("who are the partners in the western mass allied health work group", [passage("group", text)])
    assert lead(answer).startswith("Partners in the western mass")
    assert not quoting.names_thing("The Western Mass partnership builds pipelines.", "partners")


def test_a_what_kind_question_may_lead_with_a_lower_scoring_sentence_naming_the_kind():
    text = ("Biomed techs fix problems using schematics and service manuals when biomed techs repair. "
            "Biomed techs fix devices such as monitors, defibrillators, ventilators and anesthesia machines.")
    answer = ask("what kind of machines do biomed techs fix", [passage("work", text)])
    assert lead(answer).startswith("Biomed techs fix devices such as monitors")


def test_a_do_most_question_leads_with_the_share():
    text = ("Many students picture BMETs working in a hospital, but most BMET jobs are with companies. "
            "Hospitals employed only about 11% of BMETs in 2024.")
    answer = ask("do most bmets work in hospitals?", [passage("employers", text)])
    assert lead(answer) == "Hospitals employed only about 11% of BMETs in 2024."


def test_a_sentence_pointing_to_another_page_does_not_lead():
    text = ("Massachusetts right-to-repair bills on medical device exemptions are covered on the state "
            "right-to-repair page. Massachusetts right-to-repair bills would have exempted only Class III "
            "medical devices.")
    answer = ask("massachusetts right to repair medical device exemption", [passage("repair", text)])
    assert lead(answer).startswith("Massachusetts right-to-repair bills would have exempted only Class III")


def test_the_lead_is_the_best_sentence_when_none_of_the_asked_kind_is_worth_quoting():
    text = "CBET stands for Certified Biomedical Equipment Technician and AAMI awards it after an exam."
    answer = ask("how much does the CBET exam cost", [passage("cbet", text)])
    assert lead(answer) == text


def test_supporting_sentences_read_in_document_order_documents_in_rank_order():
    first = passage("a", "BMETs repair infusion pumps. BMETs test defibrillators for safety. "
                         "BMETs keep repair records for pumps and defibrillators.")
    second = passage("b", "Some BMETs repair imaging systems, pumps and defibrillators.")
    answer = ask("what do BMETs repair: pumps or defibrillators", [first, second], min_sentences=4)
    quotes = [q.strip() for q in re.split(r"\[\d\]", answer.text) if q.strip()]
    from_a = [q for q in quotes[1:] if q in first.sentences]
    assert from_a == [s for s in first.sentences if s in from_a]  # a's sentences in a's order
    assert quotes[-1] == second.sentences[0]  # the lower-ranked document comes last
    assert [c.doc_id for c in answer.citations] == ["a", "b"]


# -- no fact twice --------------------------------------------------------------------------------

def test_the_same_figure_from_two_documents_is_stated_once_from_the_higher_ranked():
    cert = passage("cbet", "In 2015 the CBET exam cost about $350 in total, with a $100 registration fee. "
                           "The CBET exam has 165 questions.")
    aid = passage("aid", "In 2015 the CBET exam cost about $350, including a $100 registration fee, so budget for it.")
    answer = ask("what does the CBET exam cost in total", [cert, aid])
    assert answer.text.count("$350") == 1
    assert [c.doc_id for c in answer.citations] == ["cbet"]


def test_a_figure_followed_by_a_comma_is_the_same_figure():
    pay = passage("pay", "The median annual pay for MRI technologists was $88,180 in May 2024.")
    compare = passage("compare", "MRI technologists had the highest median pay at $88,180, "
                                 "but many start as radiographers.")
    answer = ask("MRI technologists median pay", [pay, compare], min_sentences=2)
    assert answer.text.count("$88,180") == 1


def test_a_figure_restated_in_one_document_is_credited_to_its_first_statement():
    text = ("An apprenticeable occupation requires at least 2,000 hours of on-the-job learning. "
            "The 2,000-hour minimum of the rule works out to about one year of full-time on-the-job hours.")
    answer = ask("minimum on-the-job hours rule", [passage("rule", text)])
    assert answer.text.count("2,000") == 1
    assert "at least 2,000 hours" in lead(answer)


def test_sentences_alike_in_wording_but_not_in_figures_are_two_facts():
    text = ("Medical equipment repairers held about 41,400 jobs in 2008, according to the handbook. "
            "Medical equipment repairers held 37,900 jobs in 2010, according to the handbook. "
            "The drop from 41,400 to 37,900 may reflect changed estimation methods.")
    answer = ask("how many medical equipment repairer jobs were there", [passage("history", text)])
    assert "41,400 jobs in 2008" in answer.text and "37,900 jobs in 2010" in answer.text


def test_of_two_supporting_sentences_saying_the_same_the_newer_one_is_kept():
    top = passage("top", "The hospital vacancy rate for technicians was 20%.")
    old = passage("old", "Hospital vacancy data for technicians showed a 14% vacancy rate.", published=20200101)
    new = passage("new", "Hospital vacancy data for technicians show a 14% vacancy rate now.", published=20250101)
    answer = ask("hospital vacancy rate for technicians", [top, old, new], min_sentences=3)
    assert lead(answer) == top.sentences[0]
    assert answer.text.count("14%") == 1
    assert "new" in [c.doc_id for c in answer.citations] and "old" not in [c.doc_id for c in answer.citations]


# -- what a person reads ---------------------------------------------------------------------------

def test_answer_text_and_snippets_carry_no_urls_or_source_notes():
    text = ("The median annual pay for BMETs was $62,630 in May 2024 (BLS OOH, May 2024 data, "
            "https://www.bls.gov/ooh/x.htm). Hospitals paid BMETs a median of $74,560 (https://www.bls.gov/ooh/y.htm).")
    answer = ask("median annual pay for BMETs", [passage("pay", text)])
    for shown in (answer.text, *(c.snippet for c in answer.citations)):
        assert "http" not in shown and "BLS OOH" not in shown
    assert "The median annual pay for BMETs was $62,630 in May 2024." in answer.text
    assert answer.citations[0].url == "https://example.org/pay"  # the source stays in the citation


def test_an_address_question_gets_the_address_lines():
    text = ("Springfield Technical Community College\n1 Armory Square\nSpringfield, MA 01105\n\n"
            "Springfield Technical Community College runs a biomedical engineering technology program.")
    answer = ask("What is the address of Springfield Technical Community College?", [passage("stcc", text)])
    assert lead(answer) == "Springfield Technical Community College, 1 Armory Square, Springfield, MA 01105"


def test_a_list_question_gets_the_items_together_in_order():
    text = ("AAMI offers three certifications to BMETs:\n"
            "- CABT, for people new to the field\n- CBET, for working technicians\n"
            "- CRES, for radiology equipment specialists\n\nCertification is voluntary for BMETs.")
    answer = ask("which certifications does AAMI offer BMETs", [passage("certs", text)])
    assert "- CABT, for people new to the field\n- CBET, for working technicians\n" \
           "- CRES, for radiology equipment specialists [1]" in answer.text


def test_a_table_row_is_quoted_as_a_row_with_its_column_names():
    text = ("| Occupation | Median pay | Source |\n|---|---|---|\n"
            "| Respiratory therapist | $80,450 | https://www.bls.gov/ooh/rt.htm |\n"
            "| MRI technologist | $88,180 | https://www.bls.gov/ooh/mri.htm |")
    answer = ask("MRI technologist median pay", [passage("table", text)])
    assert lead(answer) == "MRI technologist: Median pay: $88,180."
    assert "|" not in answer.text and "http" not in answer.text


# -- official data first ---------------------------------------------------------------------------

MA = data_passage("oews-ma-49-9062", ("In Massachusetts, medical equipment repairers earned a median of $78,230 "
                                     "a year in May 2024.", "The middle half earned $61,000 to $95,000."),
                  title="Medical equipment repairers, Massachusetts", source="BLS OEWS May 2024, Massachusetts",
                  url="https://www.bls.gov/oes/")
US = data_passage("oews-us-49-9062", ("Nationally the median was $62,630.",), title="Medical equipment repairers, US",
                  source="BLS OEWS May 2024, national", url="https://www.bls.gov/oes/national")


def test_data_facts_come_first_in_order_each_its_own_citation():
    doc = passage("pay", "BMETs in Massachusetts hospitals earn more than the national median of $62,630. "
                         "Biomed techs in Massachusetts make more with a CBET certification.")
    answer = ask("how much do biomed techs make in Massachusetts", [doc, MA, US])
    assert answer.text.startswith(f"{MA.sentences[0]} [1] {MA.sentences[1]} [1] {US.sentences[0]} [2]")
    assert answer.text.count("$62,630") == 1  # the document's sentence repeating it is left out
    first, second, third = answer.citations
    assert (first.doc_type, first.title, first.source, first.url, first.doc_id) == (
        "data", MA.hit.metadata["title"], MA.hit.metadata["source"], MA.hit.metadata["url"], MA.hit.doc_id)
    assert (second.doc_type, second.doc_id) == ("data", US.hit.doc_id)
    assert third.doc_id == "pay" and "CBET" in answer.text


def test_at_most_four_facts_per_data_passage_and_two_document_sentences():
    many = data_passage("facts", tuple(f"Fact number {i} is {i}0%." for i in range(1, 7)),
                        title="t", source="s", url="u")
    doc = passage("doc", "Fact sentences about percent. Another sentence about facts and percent. "
                         "A third one on facts.")
    answer = ask("facts percent", [many, doc])
    assert "Fact number 4" in answer.text and "Fact number 5" not in answer.text
    assert len([c for c in answer.citations if c.doc_id == "doc"]) == 1
    assert len(re.findall(r"\[2\]", answer.text)) <= 2


def test_a_data_passage_is_never_declined():
    off = passage("off", "Lasagna needs eight layers of pasta and sauce.")
    answer = ask("how much do biomed techs make in Massachusetts", [MA, off], min_score=0.99)
    assert not answer.abstained and answer.text.startswith(MA.sentences[0])


# -- abstention on meaning --------------------------------------------------------------------------

BOARD = ("MassHire Hampden County Workforce Board is the WIOA local board for Springfield and Holyoke. "
         "It funds training for dislocated workers.")


def test_a_shared_place_name_is_not_a_topical_match():
    assert not quoting.topical_match("What's the best pizza place in Springfield?", BOARD)
    names = quoting.name_terms(["springfield", "training"], question="pizza in Springfield", text=BOARD)
    assert names == {"springfield"}


def test_a_content_word_beside_the_place_name_is_a_topical_match():
    assert quoting.topical_match("who funds training in Springfield", BOARD)
    assert quoting.topical_match("WIOA board for holyoke?", BOARD)  # acronyms are topics, not names


# -- end to end with the real model ------------------------------------------------------------------

@pytest.fixture(scope="module")
def user_index(tmp_path_factory):
    """A user's own documents, indexed with the packaged model."""
    root = tmp_path_factory.mktemp("answers")
    docs = root / "docs"
    docs.mkdir()
    (docs / "coop.md").write_text(
        "---\ntitle: Pioneer Valley Biomed Co-op handbook\n---\n\n# Pioneer Valley Biomed Co-op handbook\n\n"
        "## Pay\n\nThe co-op pays first-year apprentices $21.40 an hour while they train "
        "(co-op handbook, 2025, https://example.org/coop/handbook).\n"
        "Second-year apprentices are paid $24.10 an hour once they pass the CABT.\n\n"
        "## Office\n\nPioneer Valley Biomed Co-op\n77 Mill Street\nHolyoke, MA 01040\n", encoding="utf-8")
    (docs / "board.md").write_text(
        "---\ntitle: MassHire Hampden County\n---\n\n# MassHire Hampden County\n\n" + BOARD + "\n", encoding="utf-8")
    service = Service(Settings(data_dir=root / "data"))
    report = service.ingest([str(docs)])
    assert not report.failed, report.failed
    yield service
    service.close()


def test_a_question_the_users_document_answers_in_other_words_is_answered(user_index):
    answer = user_index.ask("What hourly wage do co-op apprentices get in their first year?")
    assert not answer.abstained
    assert "$21.40 an hour" in answer.text and "http" not in answer.text


def test_an_off_topic_question_naming_a_known_place_is_declined(user_index):
    for question in ("What's the best pizza place in Springfield?", "good hiking trails near Holyoke"):
        assert user_index.ask(question).abstained, question


def test_an_address_question_gets_the_address_end_to_end(user_index):
    answer = user_index.ask("What is the address of the Pioneer Valley Biomed Co-op office?")
    assert "77 Mill Street, Holyoke, MA 01040" in answer.text


def test_how_many_x_leads_with_a_count_of_x():
    text = ("A MassHire Workforce Board charters its career centers, with charters lasting up to 4 years. "
            "Massachusetts has 16 local MassHire Workforce Boards.")
    answer = ask("how many masshire workforce boards are there", [passage("masshire", text)])
    assert lead(answer) == "Massachusetts has 16 local MassHire Workforce Boards."


def test_a_caveat_does_not_lead_and_a_bare_bill_number_asks_what_it_is():
    text = ("The status of Hawaii S.B. 760 is not confirmed in the sources used here. "
            "Hawaii S.B. 760 (2021), the \"Medical Device Right to Repair Act,\" covers powered medical equipment.")
    answer = ask("hawaii sb 760", [passage("states", text)])
    assert lead(answer).startswith("Hawaii S.B. 760 (2021), the")


@pytest.mark.parametrize("question, asks", [
    ("how many credits is a bmet associates usually", set()),
    ("will an employer pay for my bmet classes", set()),
    ("chia rad tech vacancy rate", set()),
    ("who employs the most medical equipment repairers", set()),
    ("what did medical equipment repairers earn back in 2010", {"pay"}),  # the desk itself declines the year
    ("growth rate for medical assistants", {"growth"}),
    ("how many bmet jobs open up each year", {"openings"}),
    ("what course of study leads to dental hygienist", {"programs"}),
    ("i have an electronics degree not biomed", set()),
    ("do i need a degree to be a biomed tech", {"education"}),
])
def test_what_the_data_is_asked_for(question, asks):
    from assistant.occupations.resolve import detect_asks

    assert set(detect_asks(question)) == asks


def test_programs_in_a_state_lead_with_a_college_there():
    text = ("Our sources did not confirm any current BMET associate program in Rhode Island or Vermont. "
            "Veterans may already have BMET training from the military program in Connecticut. "
            "Gateway Community College in New Haven, Connecticut, runs a BMET school program.")
    question = "bmet school in connecticut?"
    assert not quoting.fits("Veterans may already have BMET training from the military program in Connecticut.",
                            "place", question=question)
    assert not quoting.fits("Springfield Technical Community College in Springfield runs a BMET program.",
                            "place", question=question)  # a college, but not in Connecticut
    answer = ask(question, [passage("new-england", text)])
    assert lead(answer).startswith("Gateway Community College in New Haven, Connecticut")


def test_where_a_bill_stands_leads_with_where_it_ended():
    text = ("The House passed H.R. 6655 on April 9, 2024. "
            "No enactment of H.R. 6655 was found: the bill did not become law in the 118th Congress.")
    answer = ask("where does H.R. 6655 stand now", [passage("wioa", text)])
    assert lead(answer).startswith("No enactment of H.R. 6655 was found")


def test_who_sponsored_leads_with_the_sentence_naming_a_person_not_the_bills_own_name():
    text = ("The Clean Repair Act was not reintroduced in the next Congress. "
            "Senator Ann Lee (D-OR) sponsored the Clean Repair Act.")
    assert lead(ask("who sponsored the clean repair act", [passage("repair", text)])).startswith("Senator Ann Lee")
    # Asked what happened to it, the better-scoring sentence leads as before.
    assert lead(ask("what happened to the clean repair act", [passage("repair", text)])).startswith("The Clean Repair")


def test_it_in_capitals_is_a_question_word():
    # Without the acronym the shorter sentence leads on meaning; "IT" in both makes the longer one the answer.
    text = "A worker could switch fields. A worker from IT could switch fields with some training."
    assert lead(ask("could an IT worker switch fields", [passage("changers", text)])).startswith("A worker from IT")


def test_words_of_the_sections_heading_count_for_the_sentences_under_it():
    general = passage("changers", "You can become a repair technician with training.", position=0,
                      headings="Career changers > Why changers do well")
    section = passage("changers", "You can become a repair technician with that experience.", position=1,
                      headings="Career changers > Coming from help desk work")
    question = "i work a help desk, can i become a repair technician"
    assert lead(ask(question, [general, section], rank_weight=0.0)).startswith(
        "You can become a repair technician with that")
    assert lead(ask(question, [general, section], rank_weight=0.0, heading_share=0.0)).startswith(
        "You can become a repair technician with training")


def test_a_caveat_naming_everything_asked_is_the_answer():
    text = ("The repair bill died in the 118th Congress and its status is closed. "
            "The status of the repair bill in the 119th Congress is not confirmed in our sources.")
    assert lead(ask("repair bill status in the 119th congress", [passage("repair", text)])).startswith(
        "The status of the repair bill in the 119th Congress is not confirmed")
    # A caveat about something else still never leads.
    other = ("The repair bill died in the 118th Congress and its status is closed. "
             "The status of the repair bill in the 119th Congress is not confirmed in our sources.")
    assert lead(ask("repair bill status in the 118th congress", [passage("repair", other)])).startswith(
        "The repair bill died")


@pytest.mark.parametrize(("sentence", "stated", "older"), [
    ("The median pay for widget techs was $62,630 in May 2024.",
     "Nationally, widget techs earned a median of $61,660 a year in May 2025.", True),
    ("Widget techs (SOC 29-2055) earned a median annual pay of $62,830 in 2024.",
     "Nationally, widget techs earned a median of $64,650 a year in May 2025.", True),
    ("The top 10% earned more than $99,290 in May 2024.", "The top 10% more than $98,280, in May 2025.", True),
    # another group's median, more than a tenth away: a different claim
    ("Hospitals paid widget techs a median of $74,560 in May 2024.",
     "Nationally, widget techs earned a median of $61,660 a year in May 2025.", False),
    # another statistic, or no survey year, or a newer one: not a restatement
    ("The top 10% earned more than $63,000 in May 2024.",
     "Nationally, widget techs earned a median of $61,660 a year in May 2025.", False),
    ("The median pay for widget techs was $62,630.", "Widget techs earned a median of $61,660 in May 2025.", False),
    ("The median pay was $62,630 in May 2026.", "Widget techs earned a median of $61,660 in May 2025.", False),
])
def test_an_older_survey_of_the_same_pay_statistic(sentence, stated, older):
    assert quoting.older_statement(sentence, [stated]) is older


def test_after_pay_data_documents_add_only_newer_or_other_pay_facts():
    facts = data_passage("oews:99:00-0001", (
        "Nationally, widget techs earned a median of $61,660 a year, or $29.64 an hour, in May 2025.",
        "The middle half earned between $47,470 and $78,500 a year."),
        title="Widget techs, National", source="BLS OEWS May 2025", url="https://www.bls.gov/oes/")
    doc = passage("widget-pay", "The median pay for widget techs was $62,630 in May 2024. "
                                "Hospitals paid widget techs a median of $74,560 in May 2024. "
                                "Widget techs keep learning how widget devices work.")
    text = ask("how much do widget techs make", [facts, doc]).text
    assert "$61,660" in text and "$74,560" in text
    assert "$62,630" not in text  # the same median from an older survey
    assert "keep learning" not in text  # shares the occupation's name, not the pay asked
