"""End to end on the real packaged all-MiniLM-L6-v2 over the fixture corpus."""

from assistant.retrieval.filters import Filters


def top_docs(service, question, **kw):
    hits, _ = service.search(question, **kw)
    return [h.doc_id for h in hits]


def test_question_finds_its_document_in_the_top_3(real_index):
    assert "bmet-basics" in top_docs(real_index, "how do i become a biomed equipment tech?")[:3]
    assert "wioa-training" in top_docs(real_index, "can the government pay for my training?")[:3]


def test_acronym_is_found_through_the_keyword_side(real_index):
    hits, _ = real_index.search("CBET")
    top = hits[0]
    assert top.doc_id == "cbet-certification"
    assert top.keyword_rank == 1


def test_answer_quotes_cited_sentences_with_complete_citations(real_index):
    answer = real_index.ask("what is the median pay for medical equipment repairers?")
    assert not answer.abstained
    assert "62,630" in answer.text
    assert 2 <= answer.text.count("[") <= 5
    for citation in answer.citations:
        assert f"[{citation.n}]" in answer.text
        assert citation.title and citation.source and citation.snippet
    pay = next(c for c in answer.citations if "62,630" in c.snippet)
    assert pay.published in ("2025-05-01", "2024-05-01")
    # Every quoted sentence appears verbatim in the cited document's snippet source.
    for part in answer.text.split("] "):
        sentence = part.rsplit(" [", 1)[0].strip()
        assert any(sentence in c.snippet or sentence[:60] in c.snippet for c in answer.citations)


def test_off_topic_question_abstains(real_index):
    answer = real_index.ask("what is a good lasagna recipe?")
    assert answer.abstained and answer.citations == ()
    assert "don't have a source" in answer.text


def test_filters_apply_to_both_sides(real_index):
    hits, _ = real_index.search("workforce grants training", filters=Filters(jurisdictions=("MA",)))
    assert hits and {h.doc_id for h in hits} == {"ma-programs"}
    hits, _ = real_index.search("CBET", filters=Filters(doc_types=("policy",)))
    assert "cbet-certification" not in {h.doc_id for h in hits}


def test_timings_are_reported(real_index):
    answer = real_index.ask("what does a BMET do?")
    assert {"embed", "chroma", "fts", "answer", "total"} <= set(answer.timings_ms)
