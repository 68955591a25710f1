"""Item identity, change detection, relevance and "what changed": pure functions, plain values."""

import json
from datetime import UTC, datetime

from assistant.feeds.decide import (
    CHANGED,
    NEW,
    UNCHANGED,
    canonical_link,
    content_hash,
    decide,
    describe_change,
    is_relevant,
    item_text,
    prepare,
)
from assistant.feeds.models import FeedEntry


def entry(**kw) -> FeedEntry:
    return FeedEntry(**kw)


def test_canonical_link_drops_tracking_parameters_only():
    assert (
        canonical_link("HTTPS://Policy.Example.gov/n/1?utm_source=rss&id=3&fbclid=abc&utm_medium=x")
        == "https://policy.example.gov/n/1?id=3"
    )
    # Untouched when nothing is removed, so encoded values keep their exact form.
    assert canonical_link("https://x.org/s?q=a%20b&page=2") == "https://x.org/s?q=a%20b&page=2"
    assert canonical_link("https://x.org/page#section-2") == "https://x.org/page#section-2"
    assert canonical_link("") == ""


def test_identity_is_guid_else_canonical_link():
    items, warnings = prepare(
        [
            entry(guid="notice-1", link="https://a.gov/1?utm_source=x", title="A"),
            entry(link="https://a.gov/2?utm_campaign=weekly&id=2", title="B"),
        ]
    )
    assert [i.identity for i in items] == ["notice-1", "https://a.gov/2?id=2"]
    assert warnings == []


def test_repeated_guid_becomes_guid_plus_link_and_exact_repeat_is_dropped():
    items, warnings = prepare(
        [
            entry(guid="g", link="https://cms.org/a", title="first"),
            entry(guid="g", link="https://cms.org/b", title="second"),
            entry(guid="g", link="https://cms.org/b", title="second, listed again"),
        ]
    )
    assert [i.identity for i in items] == ["g https://cms.org/a", "g https://cms.org/b"]
    assert [i.entry.title for i in items] == ["first", "second"]
    assert len(warnings) == 1 and "more than once" in warnings[0]


def test_hash_ignores_dates_and_tracking_but_sees_every_content_field():
    base = dict(guid="x", link="https://a.gov/1", title="Rule", summary_html="<p>Text</p>", categories=("A",))
    one = prepare([entry(**base, published=datetime(2025, 1, 1, tzinfo=UTC))])[0][0]
    redated = prepare(
        [
            entry(
                **{**base, "link": "https://a.gov/1?utm_source=mail"},
                updated=datetime(2025, 2, 1, tzinfo=UTC),
            )
        ]
    )[0][0]
    assert one.content_hash == redated.content_hash
    for change in (
        {"title": "Rule (corrected)"},
        {"summary_html": "<p>Text, revised</p>"},
        {"link": "https://a.gov/2"},
        {"categories": ("A", "B")},
    ):
        other = prepare([entry(**{**base, **change})])[0][0]
        assert other.content_hash != one.content_hash, change


def test_hash_normalizes_whitespace_and_markup():
    a = content_hash(title="Rule  one", text="Line\n two", link="https://a.gov/1", categories=["b", "a"])
    b = content_hash(title=" Rule one", text="Line two ", link="https://a.gov/1", categories=["a", "b"])
    assert a == b


def test_item_text_is_plain_and_does_not_repeat_the_summary():
    e = entry(summary_html="<p>Short &amp; sweet</p>", content_html="<p>Short &amp; sweet</p><p>More detail.</p>")
    assert item_text(e) == "Short & sweet\nMore detail."
    e = entry(summary_html="Summary", content_html="<div>Different body</div>")
    assert item_text(e) == "Summary\nDifferent body"


def test_relevance_keywords_match_word_starts_case_insensitively():
    kw = ("apprentice", "right to repair", "WIOA")
    assert is_relevant(title="Registered APPRENTICESHIP rule", text="", categories=(), keywords=kw)
    assert is_relevant(title="Bill", text="A medical device Right  to Repair act", categories=(), keywords=kw)
    assert is_relevant(title="Bill", text="", categories=("WIOA",), keywords=kw)
    assert not is_relevant(title="Wage rates for H-2A workers", text="", categories=(), keywords=kw)
    # "wioa" inside another word is not a match: only word starts count.
    assert not is_relevant(title="SWIOAX report", text="", categories=(), keywords=kw)
    assert is_relevant(title="anything at all", text="", categories=(), keywords=())


def test_prepare_applies_keywords_per_item():
    items, _ = prepare(
        [entry(guid="1", title="Apprenticeship grants"), entry(guid="2", title="Fishing licenses")],
        keywords=("apprentice",),
    )
    assert [i.relevant for i in items] == [True, False]


def test_decide_classifies_against_stored_hashes():
    items, _ = prepare([entry(guid="a", title="A"), entry(guid="b", title="B"), entry(guid="c", title="C")])
    stored = {"a": items[0].content_hash, "b": "an older hash"}
    kinds = {d.item.identity: d.kind for d in decide(items, stored)}
    assert kinds == {"a": UNCHANGED, "b": CHANGED, "c": NEW}


def test_describe_change_names_fields_and_quotes_added_text():
    before = {"title": "H.R. 1", "link": "https://a.gov/1", "text": "Latest action: Referred to committee.",
              "categories": json.dumps(["Labor"])}  # fmt: skip
    after = {
        **before,
        "text": "Latest action: Passed House by voice vote.",
        "categories": json.dumps(["Labor", "Health"]),
    }
    line = describe_change(before, after)
    assert line.startswith("changed text, categories")
    assert '"Passed House by voice vote."' in line
    assert "categories now: Labor, Health" in line
    retitled = describe_change(before, {**before, "title": "H.R. 1 (amended)"})
    assert retitled == 'changed title; title was "H.R. 1"'
    assert describe_change(before, dict(before)) == "no visible change"
