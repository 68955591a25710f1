from datetime import date

import pytest

from assistant.errors import ConfigError
from assistant.retrieval.filters import Filters
from assistant.retrieval.lexical import fts_query, normalize, query_terms
from assistant.retrieval.search import cap_per_document, rrf
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


def test_filters_parse_and_translate_to_both_sides():
    f = Filters.parse(["doc_type=policy,policy_update", "jurisdiction=ma", "since=2025-01-01", "audience=advocacy"])
    assert f == Filters(doc_types=("policy", "policy_update"), audience="advocacy", jurisdictions=("MA",),
                        since=date(2025, 1, 1))
    where = f.to_chroma()
    assert list(where) == ["$and"] and len(where["$and"]) == 4
    assert {"published": {"$gte": 20250101}} in where["$and"]
    sql, params = f.to_sql("d")
    assert sql.count(" AND ") == 3 and params == ["policy", "policy_update", "%,advocacy,%", "MA", 20250101]


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
    assert fts_query('how much do "biomeds" make') == '"biomeds" OR "make" OR "bmet" OR "biomedical" OR "pay" OR "salary"'
