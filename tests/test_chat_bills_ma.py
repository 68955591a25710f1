"""Handler tests of a Massachusetts bill's card on the Policy desk: an answer citing a fact of a
tracked Massachusetts bill shows the bill's card, drawn from its stored API record.

The record is the shared real response for H.135 of the 192nd General Court
(../shared/data/malegislature/ma_bill_192_H135.json) with the history excerpt served as its
history, as tests/test_bills_ma_answer.py does. Expected values were read by hand from those
files: sponsor David M. Rogers, 55 entries in Cosponsors of which the first is the sponsor, the
recommendations J33 and J19, the referral of 2021-03-29 10:50, "Senate concurred" at the
23:59:59 placeholder, and the hearing line of 2021-11-30 12:43 for 12/07/2021 at 1 PM.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from chat_harness import STAFF, FakeService, ask, open_chat, rt_fixture  # noqa: E402, F401
from test_bills_ma import H135, HISTORY  # noqa: E402
from test_chat_bills import inline_cards  # noqa: E402

from assistant.bills import ma, store  # noqa: E402
from assistant.bills.ma_desk import ma_facts  # noqa: E402
from assistant.bills.ma_refresh import _store  # noqa: E402
from assistant.chat import bills as bill_chat  # noqa: E402
from assistant.feeds.models import Fetched  # noqa: E402
from assistant.types import Answer, Citation  # noqa: E402

PAGE = "https://malegislature.gov/Bills/192/H135"
FETCHED_AT = datetime(2022, 7, 30, 8, 31, tzinfo=UTC)


def stored_ma(conn, history=HISTORY) -> ma.MaRef:
    """Track H.135 (192nd) and keep the shared response as its first version, as a refresh would."""
    ref = ma.parse_ma_id("H.135", court=192)
    store.ensure_schema(conn)
    store.track(conn, ref, url=ref.document_url("https://malegislature.gov/api"), now=FETCHED_AT, jurisdiction="ma")
    fetched = Fetched(url="u", final_url="u", status=200, content=b"{}", headers={}, permanent_redirect=False)
    _store(conn, store.get(conn, ref.key), fetched, ma.parse_document(ref, H135, history), now=lambda: FETCHED_AT)
    return ref


@dataclass
class MaBillService(FakeService):
    """Answers with the facts the Massachusetts bill desk renders for the bills a question names."""

    def ask_stream(self, question, **options):
        self.calls.append({"question": question, **options})
        citations = tuple(
            Citation(n=n, title=f.title, source=f.source, doc_type=f.doc_type, snippet=" ".join(f.sentences),
                     published=f.published, doc_id=f.doc_id, url=f.url)
            for n, f in enumerate(ma_facts(self.db, question), start=1)
        )  # fmt: skip
        text = "H.135 had a hearing scheduled. [1]"
        yield text
        yield Answer(question=question, text=text, abstained=False, citations=citations)


@pytest.fixture(name="service")
def service_fixture():
    service = MaBillService()
    stored_ma(service.db)
    return service


async def test_an_answer_citing_a_massachusetts_bill_shows_its_card(rt):
    chat = open_chat(user=STAFF, profile="Policy desk")
    await ask("Where is H 135 now?")
    cards = inline_cards(chat)
    assert list(cards) == ["H.135 at a glance"]
    card = cards["H.135 at a glance"]
    lines = card.splitlines()
    assert lines[0] == "**An Act to regulate face surveillance** (H.135, 192nd General Court, Massachusetts)"
    assert "- **Sponsor:** David M. Rogers; 54 cosponsors" in lines
    assert "- **Committee:** Environment, Natural Resources and Agriculture" in lines
    assert "- **Committee J33 recommended:** Discharge to Another Committee" in lines
    assert "- **Committee J19 recommended:** Accompanied" in lines
    assert ("- **Latest action, 2021-11-30 12:43 Boston time (Joint):** Hearing scheduled for 12/07/2021 from "
            "01:00 PM-04:00 PM in Virtual Hearing") in lines  # fmt: skip
    # The hearing has passed: shown as the last one on record, not as the next.
    assert "- **Hearing:** 2021-12-07 13:00 Boston time; Virtual Hearing; scheduled" in lines
    recent = lines[lines.index("**Recent actions:**") + 2 :]
    assert recent[:3] == [
        "- 2021-11-30: Hearing scheduled for 12/07/2021 from 01:00 PM-04:00 PM in Virtual Hearing",
        "- 2021-03-29: Senate concurred",
        "- 2021-03-29: Referred to the committee on Environment, Natural Resources and Agriculture",
    ]
    assert lines[-1] == (f"*Source: [Massachusetts Legislature, 192nd General Court, H.135]({PAGE}), "
                         "as fetched 2022-07-30.*")  # fmt: skip
    assert "/api" not in card and "http://" not in card  # never the API or a Details link from a response


def test_a_placeholder_time_is_shown_as_the_date_alone(service):
    conn = service.db
    store.untrack(conn, "ma-192-h135")
    stored_ma(conn, history=HISTORY[:2])  # the latest action is "Senate concurred" at 23:59:59
    card = bill_chat.bill_card(conn, "ma-192-h135").content
    assert "- **Latest action, 2021-03-29 (Senate):** Senate concurred" in card.splitlines()
    assert "23:59" not in card and "Hearing" not in card


@pytest.mark.parametrize(
    ("now", "label"),
    [
        (datetime(2021, 12, 1, 12, 0, tzinfo=UTC), "Next hearing"),
        # 03:00 UTC on the 8th is still the evening of the 7th in Boston: the hearing is today's.
        (datetime(2021, 12, 8, 3, 0, tzinfo=UTC), "Next hearing"),
        (datetime(2021, 12, 8, 5, 30, tzinfo=UTC), "Hearing"),
    ],
)
def test_next_hearing_is_judged_by_the_boston_calendar(service, now, label):
    card = bill_chat.bill_card(service.db, "ma-192-h135", now=lambda: now).content
    assert f"- **{label}:** 2021-12-07 13:00 Boston time; Virtual Hearing; scheduled" in card.splitlines()


def test_the_card_key_comes_from_the_massachusetts_fact_citation(service):
    facts = ma_facts(service.db, "who sponsored H.135?")
    keys = bill_chat.bill_keys([Citation(n=n, title=f.title, source=f.source, doc_type=f.doc_type, snippet="",
                                         published=None, doc_id=f.doc_id) for n, f in enumerate(facts, 1)])  # fmt: skip
    assert keys == ["ma-192-h135"]
    assert bill_chat.card_for_answer(service.db, []) is None
    assert bill_chat.bill_card(service.db, "ma-192-h9999") is None  # not tracked: no card
