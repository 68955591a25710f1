import sqlite3
from datetime import date

import numpy as np
import pytest

from assistant.errors import ConfigError
from assistant.retrieval import lexical
from assistant.retrieval.filters import Filters
from assistant.retrieval.lexical import normalize, query_terms
from assistant.retrieval.search import cap_per_document, rrf
from assistant.retrieval.vectorstore import VectorStore
from assistant.types import Hit


def test_rrf_rewards_agreement_between_lists():
    scores = rrf([["a", "b", "c"], ["c", "a", "d"]], k=60)
    assert max(scores, key=scores.get) == "a"
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["d"] == pytest.approx(1 / 63)


def test_rrf_weights_scale_a_list():
    scores = rrf([["a"], ["b"]], k=60, weights=[1.0, 2.0])
    assert scores["b"] == pytest.approx(2 * scores["a"])


def hit(chunk_id):
    return Hit(chunk_id=chunk_id, doc_id=chunk_id.split(":")[0], text="", headings="", metadata={})


def test_cap_keeps_at_most_n_per_document():
    hits = [hit(i) for i in ["a:0", "a:1", "a:2", "b:0", "a:3", "c:0"]]
    kept = cap_per_document(hits, max_per_doc=2, k=4)
    assert [h.chunk_id for h in kept] == ["a:0", "a:1", "b:0", "c:0"]


def test_filters_parse_from_where_pairs():
    f = Filters.parse(["doc_type=policy,policy_update", "jurisdiction=ma", "since=2025-01-01", "audience=advocacy"])
    assert f == Filters(doc_types=("policy", "policy_update"), audience="advocacy", jurisdictions=("MA",),
                        since=date(2025, 1, 1))


#: (doc_id, doc_type, audiences, jurisdiction, published): each row but the first two fails
#: exactly one condition of the filters below.
ROWS = [
    ("match", "policy", "advocacy", "MA", 20250301),
    ("match-on-the-day", "policy_update", "student,advocacy", "MA", 20250101),
    ("wrong-type", "reference", "advocacy", "MA", 20250301),
    ("wrong-audience", "policy", "student", "MA", 20250301),
    ("wrong-place", "policy", "advocacy", "US", 20250301),
    ("too-old", "policy", "advocacy", "MA", 20241231),
]
FOUR_FILTERS = ["doc_type=policy,policy_update", "audience=advocacy", "jurisdiction=ma", "since=2025-01-01"]


def test_filters_select_the_same_rows_in_sqlite_and_in_chroma(tmp_path):
    f = Filters.parse(FOUR_FILTERS)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE documents (doc_id, doc_type, audience, jurisdiction, published)")
    conn.executemany("INSERT INTO documents VALUES (?, ?, ?, ?, ?)", ROWS)
    condition, params = f.to_sql("d")
    in_sql = {r[0] for r in conn.execute(f"SELECT d.doc_id FROM documents AS d WHERE {condition}", params)}

    store = VectorStore(collection_name="filters", path=tmp_path / "chroma")
    store.upsert(
        [r[0] for r in ROWS], np.eye(len(ROWS), dtype=np.float32), [r[0] for r in ROWS],
        [{"doc_type": t, "aud_student": "student" in a.split(","), "aud_advocacy": "advocacy" in a.split(","),
          "jurisdiction": j, "published": p} for _, t, a, j, p in ROWS],
    )
    in_chroma = {m.chunk_id for m in store.query(np.ones(len(ROWS), dtype=np.float32), k=len(ROWS),
                                                  where=f.to_chroma())}

    assert in_sql == in_chroma == {"match", "match-on-the-day"}


def test_single_filter_has_one_top_level_key_and_none_means_no_where():
    assert Filters.parse(["jurisdiction=US"]).to_chroma() == {"jurisdiction": {"$in": ["US"]}}
    assert Filters().to_chroma() is None
    assert Filters().to_sql() == ("1", [])


@pytest.mark.parametrize("bad", ["color=red", "doc_type=blog", "since=last week", "audience=teachers", "novalue"])
def test_bad_where_is_a_readable_error(bad):
    with pytest.raises(ConfigError, match="--where"):
        Filters.parse([bad])


def test_query_terms_drop_stopwords_and_collapse_bill_numbers():
    assert query_terms("What is H.R. 6655 about?") == ["hr", "6655"]
    assert normalize("the U.S. Senate") == "the US Senate"


def _write_docs(folder, docs: dict[str, str]) -> None:
    folder.mkdir()
    for doc_id, text in docs.items():
        (folder / f"{doc_id}.md").write_text(
            f"---\nid: {doc_id}\ntitle: {doc_id}\ndoc_type: reference\naudience: [student]\njurisdiction: US\n"
            f"---\n{text}\n", encoding="utf-8")


def test_keyword_search_finds_what_people_say_in_the_words_documents_use(fake_service, tmp_path):
    _write_docs(tmp_path / "docs", {
        "bmet-pay": "Biomedical equipment technicians are paid a median salary of $62,630.",
        "bakery": "Make sure the bakery opens on time.",
        "imaging": "Radiologic technologists operate imaging equipment.",
    })
    assert not fake_service.ingest([str(tmp_path / "docs")]).failed
    # "biomeds" is written "biomedical" and "make" means "salary" (the expansions); the bakery
    # page shares only "make", so it comes second.
    found = lexical.search(fake_service.db, 'how much do "biomeds" make', k=5, filters=Filters())
    assert [m.chunk_id for m in found] == ["bmet-pay:0", "bakery:0"]
    # FTS5 syntax in a question is read as words, never as operators.
    found = lexical.search(fake_service.db, 'NEAR(bmet "salary") OR -pay* AND', k=5, filters=Filters())
    assert [m.chunk_id for m in found] == ["bmet-pay:0"]
