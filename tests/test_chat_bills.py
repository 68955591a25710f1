"""Handler tests of bills on the Policy desk: the bill card under an answer citing a bill fact, and
tracking a bill from the chat ("track S. 2902", the Track a bill command) against a loopback
server serving the GPO samples. Expected values were read by hand from
../shared/data/billstatus/BILLSTATUS-117hr1.xml and BILLSTATUS-116s2902.xml."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from chat_harness import GUEST, STAFF, FakeService, ask, open_chat, rt_fixture  # noqa: E402, F401
from feedserver import FeedServer  # noqa: E402

import app  # noqa: E402
from assistant.bills import store  # noqa: E402
from assistant.bills.decide import content_hash, decide  # noqa: E402
from assistant.bills.desk import bill_facts  # noqa: E402
from assistant.bills.parse import parse_billstatus  # noqa: E402
from assistant.chat import bills as bill_chat  # noqa: E402
from assistant.chat import profiles  # noqa: E402
from assistant.chat.runtime import Runtime  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.feeds.models import Fetched, utc_now  # noqa: E402
from assistant.types import Answer, Citation  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
_BESIDE = REPO.parent / "shared" / "data" / "billstatus"
SAMPLES = _BESIDE if _BESIDE.is_dir() else Path("/work/shared/data/billstatus")
HR1 = (SAMPLES / "BILLSTATUS-117hr1.xml").read_bytes()
S2902 = (SAMPLES / "BILLSTATUS-116s2902.xml").read_bytes()
S2902_PATH = "/BILLSTATUS/116/s/BILLSTATUS-116s2902.xml"


def stored(conn, data: bytes):
    """Track the bill of ``data`` and keep it as its first version, as a refresh would."""
    bill = parse_billstatus(data)
    url = bill.ref.file_url("https://www.govinfo.gov/bulkdata/BILLSTATUS")
    store.ensure_schema(conn)
    store.track(conn, bill.ref, url=url, now=utc_now())
    tracked = store.get(conn, bill.ref.key)
    store.save_version(conn, tracked, Fetched(url=url, final_url=url, status=200, content=data), bill,
                       digest=content_hash(bill), changes=decide(None, bill),
                       latest_action_date=bill.latest_action.date, now=utc_now())  # fmt: skip
    return bill


@dataclass
class BillService(FakeService):
    """Answers every question with the facts the bill desk renders for H.R. 1 (117th Congress)."""

    cited: list = field(default_factory=list)

    def ask_stream(self, question, **options):
        self.calls.append({"question": question, **options})
        facts = bill_facts(parse_billstatus(HR1)) if "H.R. 1" in question else []
        citations = tuple(
            Citation(n=n, title=f.title, source=f.source, doc_type=f.doc_type, snippet=" ".join(f.sentences),
                     published=f.published, doc_id=f.doc_id, url=f.url)
            for n, f in enumerate(facts, start=1)
        ) or (Citation(n=1, title="WIOA", source="corpus/policy/wioa.md", doc_type="policy", snippet="WIOA.",
                       published="2025-01-01", doc_id="doc-1", url="https://example.org/wioa"),)  # fmt: skip
        text = "H.R. 1 passed the House. [1]" if facts else "WIOA funds training. [1]"
        yield text
        yield Answer(question=question, text=text, abstained=False, citations=citations)


@pytest.fixture(name="service")
def service_fixture():
    service = BillService()
    stored(service.db, HR1)
    return service


def content_of(chat, element: dict) -> str:
    return next(chat.session.files_dir.glob(element["chainlitKey"] + "*")).read_text(encoding="utf-8")


def inline_cards(chat) -> dict[str, str]:
    message = list(chat.emitter.messages().values())[-1]
    elements = chat.emitter.elements_for(message["id"])
    return {e["name"]: content_of(chat, e) for e in elements if e["display"] == "inline"}


# -- the bill card ---------------------------------------------------------------------------


async def test_an_answer_citing_a_bill_fact_shows_the_bill_card(rt):
    chat = open_chat(user=STAFF, profile="Policy desk")
    await ask("Where is H.R. 1 now?")
    cards = inline_cards(chat)
    assert list(cards) == ["H.R. 1 at a glance"]
    card = cards["H.R. 1 at a glance"]
    assert card.startswith("**For the People Act of 2021** (H.R. 1, 117th Congress)")
    assert "Official title: To expand Americans’ access to the ballot box" in card
    assert "- **Sponsor:** Rep. Sarbanes, John P. \\[D-MD-3\\]; 222 cosponsors" in card
    assert "- **Introduced:** 2021-01-04" in card
    assert "- **Latest action, 2021-03-11:** Received in the Senate." in card
    actions = [line for line in card.splitlines() if line.startswith("- 20")]
    assert actions[0] == "- 2021-01-04: Introduced in House"
    assert actions[2] == "- 2021-03-03: On passage Passed by the Yeas and Nays: 220 - 210 \\(Roll no. 62\\)."
    assert actions[-1] == "- 2021-03-11: Received in the Senate."
    assert len(actions) == 4 and all(len(line) < 180 for line in actions)  # long referrals are cut for phones
    assert ("[BILLSTATUS, 117th Congress, H.R. 1 \\(GovInfo\\)](https://www.govinfo.gov/bulkdata/BILLSTATUS/117/hr/"
            "BILLSTATUS-117hr1.xml)") in card
    assert "[congress.gov](https://www.congress.gov/bill/117th-congress/house-bill/1)" in card
    assert "|" not in card  # lists, not a table: it wraps on a phone


async def test_no_bill_card_without_a_bill_fact_or_off_the_policy_desk(rt):
    staff = open_chat(user=STAFF, profile="Policy desk")
    await ask("What does WIOA fund?")
    assert inline_cards(staff) == {}
    guest = open_chat(user=GUEST)
    await ask("Where is H.R. 1 now?")
    assert inline_cards(guest) == {}


def test_a_citation_of_an_untracked_bill_gets_no_card(service):
    cited = Citation(n=1, title="x", source="BILLSTATUS", doc_type="bill", snippet="", published=None,
                     doc_id="bill:118-hr-6655:status")  # fmt: skip
    assert bill_chat.bill_keys([cited]) == ["118-hr-6655"]
    assert bill_chat.card_for_answer(service.db, [cited]) is None


@pytest.mark.parametrize(("text", "found"), [
    ("track H.R. 6655", "H.R. 6655"),
    ("Please track s.2902 in the 116th Congress.", "s.2902 in the 116th Congress"),
    ("track hjres45", "hjres45"),
    ("which bills do you track?", None),
    ("track WIOA reauthorization", None),
    ("what does H.R. 6655 track?", None),
    ("track H.R. 1 and S. 2", None),
])  # fmt: skip
def test_track_requests_are_recognised(text, found):
    assert bill_chat.track_request(text) == found


# -- tracking from the chat ----------------------------------------------------------------------


@pytest.fixture(name="govinfo")
def govinfo_fixture(rt, service, monkeypatch):
    """GovInfo on loopback, and the app's Runtime reading it from the environment."""
    with FeedServer() as server:
        server.feed(S2902_PATH, S2902, content_type="application/xml")
        monkeypatch.setenv("ASSISTANT_FEEDS_ALLOW_PRIVATE", "1")
        monkeypatch.setenv("ASSISTANT_BILLSTATUS_URL", server.url("/BILLSTATUS"))
        settings = Settings.from_env(__import__("os").environ, data_dir=rt.chat.data_dir)
        monkeypatch.setattr(app, "_runtime", Runtime(settings=settings, chat=rt.chat, service=service,
                                                     directory=rt.directory, files=rt.files))  # fmt: skip
        yield server


async def test_staff_track_a_bill_by_typing_it(govinfo, service):
    chat = open_chat(user=STAFF, profile="Policy desk")
    await ask("track S. 2902 in the 116th Congress")
    reply = chat.emitter.replies()[-1]
    assert reply == ("**Now tracking S. 2902** (116th Congress): Strengthening Our Rural Health Workforce Act of 2019. "
                     "Latest action, 2019-11-20: Read twice and referred to the Committee on Health, Education, "
                     "Labor, and Pensions. 2 update(s) indexed for search. The daily refresh follows it from now on.")
    assert service.calls == []  # an order, not a question: nothing was searched
    tracked = store.get(service.db, "116-s-2902")
    assert tracked.version == 1 and tracked.url == govinfo.url(S2902_PATH)
    card = inline_cards(chat)["S. 2902 at a glance"]
    assert "- **Sponsor:** Sen. Smith, Tina \\[D-MN\\]; 1 cosponsor" in card
    # Its first version, and H.R. 1's pending one, went to the search index.
    assert sorted(service.index.docs) == ["bill:116-s-2902:v1", "bill:117-hr-1:v1"]
    await ask("track S. 2902 in the 116th Congress")
    again = chat.emitter.replies()[-1]
    assert again.startswith("**Already tracking S. 2902** (116th Congress)")
    assert "No change since the last fetch" in again
    assert store.get(service.db, "116-s-2902").version == 1 and govinfo.hits(S2902_PATH) == 2


async def test_the_track_a_bill_command_and_its_one_line_errors(govinfo, service):
    chat = open_chat(user=STAFF, profile="Policy desk")
    await ask("s2902 116th congress", command=profiles.TRACK_BILL)
    assert chat.emitter.replies()[-1].startswith("**Now tracking S. 2902** (116th Congress)")
    await ask("WIOA", command=profiles.TRACK_BILL)
    assert chat.emitter.replies()[-1] == (
        "I couldn't track that: 'WIOA': name one federal bill, like H.R. 6655 or S. 2902 \\(add \"in the 118th "
        'Congress" for an earlier Congress\\)')
    await ask("H.R. 6655", command=profiles.TRACK_BILL)  # the 119th Congress by default; not on this server
    failed = chat.emitter.replies()[-1]
    assert failed.startswith("**Now tracking H.R. 6655** (119th Congress), but the first fetch failed:")
    assert "404" in failed and failed.endswith("the daily refresh will try again.")
    assert "\n" not in failed


async def test_guests_cannot_track_bills(govinfo, service):
    guest = open_chat(user=GUEST)
    await ask("S. 2902 in the 116th Congress", command=profiles.TRACK_BILL)
    assert "for signed-in staff" in guest.emitter.replies()[-1]
    await ask("track S. 2902 in the 116th Congress")  # on the Career guide this is a question
    assert service.calls[-1]["question"] == "track S. 2902 in the 116th Congress"
    desk = open_chat(user=GUEST, profile="Policy desk")
    await ask("track S. 2902 in the 116th Congress")
    assert desk.emitter.replies()[-1] == profiles.STAFF_ONLY
    assert store.get(service.db, "116-s-2902") is None and govinfo.hits(S2902_PATH) == 0
