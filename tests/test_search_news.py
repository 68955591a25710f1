"""A question that asks for news ranks recent policy updates first, with their dates."""

from datetime import date

from assistant.retrieval.search import asks_for_news
from assistant.types import Document


def update(n: int, day: date) -> Document:
    return Document(
        doc_id=f"feed-{n}", source=f"https://example.gov/item/{n}", title=f"Apprenticeship notice {n}",
        text=f"The Department of Labor published apprenticeship notice {n} about registered apprenticeship grants.",
        doc_type="policy_update", audience=("advocacy",), published=day,
    )


def test_news_wording_is_recognised():
    assert asks_for_news("what's new on apprenticeship this week")
    assert asks_for_news("latest WIOA updates")
    assert not asks_for_news("how do registered apprenticeships work")


def test_news_question_puts_newest_updates_first(fake_service):
    background = Document(
        doc_id="apprenticeship-rules", source="corpus/policy/rules.md", title="Registered apprenticeship rules",
        text="Registered apprenticeship programs follow standards in 29 CFR part 29. Apprenticeship sponsors "
             "register programs with the Office of Apprenticeship or a state apprenticeship agency.",
        doc_type="policy", audience=("advocacy",),
    )
    fake_service.index.replace([background, update(1, date(2026, 9, 1)), update(2, date(2026, 11, 20)),
                                update(3, date(2026, 10, 15))])
    hits, _ = fake_service.search("what's new on apprenticeship this week", profile="advocacy")
    updates = [h.doc_id for h in hits if h.metadata["doc_type"] == "policy_update"]
    assert updates[:3] == ["feed-2", "feed-3", "feed-1"]
    assert hits[0].doc_id == "feed-2"

    answer = fake_service.ask("what's new on apprenticeship this week", profile="advocacy")
    dated = [c for c in answer.citations if c.doc_type == "policy_update"]
    assert dated and dated[0].published == "2026-11-20"


def test_plain_question_is_not_reordered_by_date(fake_service):
    fake_service.index.replace([update(1, date(2026, 9, 1)), update(2, date(2026, 11, 20))])
    hits, _ = fake_service.search("apprenticeship notice 1 grants")
    assert hits[0].doc_id == "feed-1"
