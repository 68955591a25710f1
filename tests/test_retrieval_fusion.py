"""Each half of the hybrid search earns its place, on a small hand-built corpus indexed with the
real packaged model into real Chroma and SQLite.

- An exact code ("ZK-4471") that only the keyword side finds: the embedding model ranks five
  documents about paperwork identifiers above the forklift page that carries the code.
- A paraphrase that shares no word with its answer: only the vector side finds it.
- The exact-term weight: a question with a code counts the keyword list twice.
- The profile's audience preference: of two documents saying the same, the reader's comes first.

The candidate lists hold 4 chunks each (``Settings.candidates``), so this 10-document corpus
behaves as the real one does with 30 candidates: a document missing from one list is missed by
that side. Expected scores are Reciprocal Rank Fusion worked out by hand (rrf_k 60).
"""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.service import Service

#: doc_id: (title, audience, text)
DOCUMENTS = {
    "forklift-checks": ("Forklift safety", "student",
                        "Drivers check brakes, horn, forks and tyres before each shift and note faults on sheet "
                        "ZK-4471 for the workshop."),
    "paperwork-identifiers": ("Paperwork identifiers", "student",
                              "Every paperwork template in the warehouse carries an identifier printed in its top "
                              "corner, assigned by the records office."),
    "official-paperwork": ("Official paperwork", "student",
                           "Official paperwork is labelled with a two-letter prefix followed by four digits."),
    "filing-registry": ("The registry", "student",
                        "Filing clerks look up each document's serial in the registry before archiving it."),
    "paperwork-catalogue": ("Catalogued paperwork", "student",
                            "Application paperwork is catalogued by prefix and digits so clerks can find it quickly."),
    "issuing-department": ("Issuing departments", "student",
                           "A document's identifier tells the records office which department issued it."),
    "engine-heat": ("Engine trouble", "student",
                    "When an engine runs hot, the radiator, the coolant level and the thermostat are the first "
                    "things a mechanic checks."),
    "pilots-for-students": ("Harbour pilots", "student",
                            "Harbour pilot apprentices spend two years guiding cargo ships through the channel "
                            "beside a licensed pilot."),
    "pilots-for-advocates": ("Harbour pilots", "advocacy",
                             "Harbour pilot apprentices spend two years guiding cargo ships through the channel "
                             "beside a licensed pilot."),
    "bakery-shifts": ("Bakery shifts", "student",
                      "Bakers start before dawn so that bread is ready when the shop opens."),
}

CODE_QUESTION = "Which form is numbered ZK-4471?"
PARAPHRASE = "How can I stop my car from overheating?"
PILOTS = "What does a harbour pilot apprenticeship involve?"


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    root = tmp_path_factory.mktemp("fusion")
    corpus = root / "corpus"
    corpus.mkdir()
    for doc_id, (title, audience, text) in DOCUMENTS.items():
        (corpus / f"{doc_id}.md").write_text(
            f"---\nid: {doc_id}\ntitle: {title}\ndoc_type: reference\naudience: [{audience}]\njurisdiction: US\n"
            f"---\n# {title}\n\n{text}\n", encoding="utf-8")
    service = Service(Settings(data_dir=root / "data", candidates=4))
    report = service.ingest([str(corpus)])
    assert not report.failed, report.failed
    yield service
    service.close()


def search(service, question, *, profile=None):
    hits, _ = service.search(question, profile=profile, k=2)
    return hits


def test_an_exact_code_is_found_by_the_keyword_side_alone(service):
    first, second = search(service, CODE_QUESTION)
    assert first.doc_id == "forklift-checks"
    # Only the keyword list has it; the vector side's best is a page about identifiers.
    assert (first.keyword_rank, first.vector_rank) == (1, None)
    assert second.vector_rank == 1 and second.keyword_rank is None


def test_a_question_with_a_code_counts_the_keyword_list_twice(service):
    first, second = search(service, CODE_QUESTION)
    # Keyword rank 1 at weight 2 against vector rank 1 at weight 1: 2/61 beats 1/61 (at equal
    # weights the two would tie).
    assert first.score == pytest.approx(2 / 61)
    assert second.score == pytest.approx(1 / 61)


def test_a_paraphrase_is_found_by_the_vector_side_alone(service):
    hits = search(service, PARAPHRASE)
    assert hits[0].doc_id == "engine-heat"
    # No word of the question is in the answer ("runs hot", "radiator"), so no keyword rank.
    assert (hits[0].vector_rank, hits[0].keyword_rank) == (1, None)


@pytest.mark.parametrize(("profile", "expected"), [("student", "pilots-for-students"),
                                                   ("advocacy", "pilots-for-advocates")])
def test_of_two_equal_documents_the_one_for_the_readers_profile_comes_first(service, profile, expected):
    first, second = search(service, PILOTS, profile=profile)
    assert {first.doc_id, second.doc_id} == {"pilots-for-students", "pilots-for-advocates"}
    assert first.doc_id == expected
    # Both are in the first two places of both lists; only the audience list (weight 0.5) sets
    # them apart, by at least 0.5/61 less the 2 * (1/61 - 1/62) the other lists can differ by.
    assert first.score - second.score >= 0.5 / 61 - 2 * (1 / 61 - 1 / 62)
