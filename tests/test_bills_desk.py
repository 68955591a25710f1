"""BillDesk: facts about tracked bills named in a question, from a store filled with real samples."""

from pathlib import Path

import pytest

from assistant.bills import store
from assistant.bills.decide import content_hash, decide
from assistant.bills.desk import BillDesk
from assistant.bills.parse import parse_billstatus
from assistant.feeds.models import Fetched, utc_now
from assistant.types import Fact

REPO = Path(__file__).resolve().parents[1]
_BESIDE = REPO.parent / "shared" / "data" / "billstatus"
SAMPLES = _BESIDE if _BESIDE.is_dir() else Path("/work/shared/data/billstatus")


def load(conn, data: bytes) -> None:
    """Track the bill of ``data`` and store it as its first version, as a refresh would."""
    bill = parse_billstatus(data)
    url = bill.ref.file_url("https://www.govinfo.gov/bulkdata/BILLSTATUS")
    store.track(conn, bill.ref, url=url, now=utc_now())
    tracked = store.get(conn, bill.ref.key)
    fetched = Fetched(url=url, final_url=url, status=200, content=data)
    store.save_version(conn, tracked, fetched, bill, digest=content_hash(bill), changes=decide(None, bill),
                       latest_action_date=bill.latest_action.date, now=utc_now())  # fmt: skip


@pytest.fixture()
def desk(database):
    conn = database
    store.ensure_schema(conn)
    for name in ("BILLSTATUS-116s2902.xml", "BILLSTATUS-117hr1.xml", "BILLSTATUS-116s832.xml"):
        load(conn, (SAMPLES / name).read_bytes())
    # The same number in a later Congress: "H.R. 1" alone then means the newest tracked one.
    later = (SAMPLES / "BILLSTATUS-116hr5053.xml").read_text()
    later = later.replace("<billNumber>5053</billNumber>", "<billNumber>1</billNumber>", 1)
    later = later.replace("<congress>116</congress>", "<congress>118</congress>", 1)
    load(conn, later.encode())
    return BillDesk(conn)


def test_what_is_s2902_says_what_it_is_and_where_it_stands(desk):
    facts = desk.facts("What is S. 2902 in the 116th Congress?")
    assert [f.doc_id for f in facts] == ["bill:116-s-2902:status", "bill:116-s-2902:timeline"]
    status = facts[0]
    assert isinstance(status, Fact) and status.doc_type == "bill"
    assert status.sentences[0] == (
        "S. 2902 (116th Congress), Strengthening Our Rural Health Workforce Act of 2019, was introduced on "
        "2019-11-20 by Sen. Smith, Tina [D-MN]; its latest action, on 2019-11-20, was: Read twice and referred "
        "to the Committee on Health, Education, Labor, and Pensions."
    )
    assert (
        status.sentences[1]
        == "Its official title is: A bill to enhance the rural health workforce, and for other purposes."
    )
    assert status.source == "BILLSTATUS, 116th Congress, S. 2902 (GovInfo)"
    assert status.url == "https://www.congress.gov/bill/116th-congress/senate-bill/2902"
    assert status.published == "2019-11-20"
    assert status.data["cosponsors"] == 1 and status.data["sponsor"] == "Sen. Smith, Tina [D-MN]"
    assert facts[1].sentences == (
        "On 2019-11-20, S. 2902: Introduced in Senate",
        "On 2019-11-20, S. 2902: Read twice and referred to the Committee on Health, Education, Labor, and Pensions.",
    )


def test_the_timeline_keeps_major_actions_once_oldest_first(desk):
    timeline = desk.facts("where is hr 1 (117th Congress) now?")[1]
    assert timeline.sentences[0] == "On 2021-01-04, H.R. 1: Introduced in House"
    assert timeline.sentences[1].startswith("On 2021-01-04, H.R. 1: Referred to the Committee on House Administration")
    assert timeline.sentences[2:] == (
        "On 2021-03-03, H.R. 1: On passage Passed by the Yeas and Nays: 220 - 210 (Roll no. 62).",
        "On 2021-03-11, H.R. 1: Received in the Senate.",
    )
    s832 = [s.split(": ", 1)[0] for s in desk.facts("S. 832 timeline")[1].sentences]
    assert s832 == ["On 2019-03-14, S. 832", "On 2019-03-14, S. 832", "On 2019-06-10, S. 832",
                    "On 2019-06-27, S. 832", "On 2019-06-28, S. 832"]  # fmt: skip


def test_who_sponsored_adds_the_sponsor_and_cosponsor_count(desk):
    facts = desk.facts("Who sponsored H.R. 1 in the 117th Congress?")
    sponsors = facts[-1]
    assert sponsors.doc_id == "bill:117-hr-1:sponsors"
    assert (
        sponsors.sentences[0]
        == "H.R. 1 is sponsored by Rep. Sarbanes, John P. [D-MD-3] and has 222 cosponsors (2 original)."
    )
    assert sponsors.sentences[1].startswith("Cosponsors include Rep. Pelosi, Nancy [D-CA-12], ")
    assert len(desk.facts("What is H.R. 1 in the 117th Congress?")) == 2  # not asked: no sponsor fact


def test_congress_named_else_the_newest_tracked_one(desk):
    newest = desk.facts("where is H.R. 1?")
    assert newest[0].doc_id == "bill:118-hr-1:status" and "(118th Congress)" in newest[0].sentences[0]
    assert desk.facts("H.R. 1 of the 117th Congress")[0].doc_id == "bill:117-hr-1:status"


def test_untracked_bills_and_questions_without_bills_give_no_facts(desk):
    assert desk.facts("What is H.R. 6655?") == []
    assert desk.facts("What is S. 2902 in the 118th Congress?") == []
    assert desk.facts("how do I become a BMET in 2025?") == []


def test_sentences_are_plain_text_without_urls(desk):
    for question in ("where is H.R. 1?", "who sponsored S. 832", "what is S. 2902"):
        for fact in desk.facts(question):
            assert all("http" not in s and "<" not in s for s in fact.sentences)
            assert fact.url.startswith("https://www.congress.gov/bill/")
