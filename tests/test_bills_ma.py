"""Massachusetts bills refreshed from a loopback server in the Legislature API's own paths, on the
shared real responses (shared/data/malegislature): versions by hash, a bill that changes between
refreshes, a hearing scheduled and one canceled, a 500 and a 400 failing their bill alone, and the
desk, the updates list and the policy_update documents. Expected values were read off the files."""

import copy
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.bills import ma, store
from assistant.bills.desk import BillDesk
from assistant.bills.ids import BillIdError
from assistant.bills.ma_refresh import ma_client, refresh_ma_bills
from assistant.bills.refresh import sync_index
from assistant.bills.updates import bill_updates

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import Clock, FakeIndex, FeedServer  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
_BESIDE = REPO.parent / "shared" / "data" / "malegislature"
SAMPLES = _BESIDE if _BESIDE.is_dir() else Path("/work/shared/data/malegislature")


def sample(name: str):
    return json.loads((SAMPLES / name).read_text())


H135 = sample("ma_bill_192_H135.json")
S459 = sample("ma_bill_192_S459.json")
HISTORY = sample("document_history_actions_h1000_excerpt.json")
HEARING_3758 = sample("hearing_3758.json")  # agenda lists H2650
HEARING_3793 = sample("hearing_3793.json")  # canceled; agenda lists H2077
DOCUMENTS = sample("documents_court192.json")


def summary_of(bill_number: str) -> dict:
    """A document's entry in the court's list: the detail of a bill we have no detail file for."""
    return copy.deepcopy(next(d for d in DOCUMENTS if d["BillNumber"] == bill_number))


def test_ids_in_the_legislatures_spellings():
    assert ma.parse_ma_id("H4521") == ma.MaRef(194, "h", 4521)
    assert ma.parse_ma_id("H.4521").key == "ma-194-h4521"
    assert ma.parse_ma_id("S 2710").bill == "S2710"
    docket = ma.parse_ma_id("hd1234", court=193)
    assert docket.label == "HD.1234" and docket.page_url == "https://malegislature.gov/Bills/193/HD1234"
    assert ma.parse_ma_id("H.4521").document_url("http://x/api/") == "http://x/api/GeneralCourts/194/Documents/H4521"
    with pytest.raises(BillIdError, match="not a Massachusetts bill number"):
        ma.parse_ma_id("HR 4521")
    assert ma.ma_mentions("Where is H.4521, and S 2710? it's 2024") == [("h", 4521), ("s", 2710)]


def test_parse_reads_the_real_detail_and_history():
    bill = ma.parse_document(ma.MaRef(192, "h", 135), H135, HISTORY)
    assert bill.title == "An Act to regulate face surveillance" and bill.docket == "HD3228"
    assert bill.sponsor == "David M. Rogers" and bill.sponsor_id == "DMR1"
    # 55 entries in Cosponsors, the first being the sponsor himself.
    assert len(bill.cosponsors) == 54 and bill.cosponsors[0] == "Orlando Ramos"
    assert [(r.committee, r.action) for r in bill.recommendations] == [
        ("J33", "Discharge to Another Committee"),
        ("J19", "Accompanied"),
    ]
    first, placeholder, hearing = bill.actions
    assert (first.date, first.time, first.branch) == ("2021-03-29", "10:50", "House")
    assert (placeholder.date, placeholder.time) == ("2021-03-29", None)  # 23:59:59 is "that day"
    assert bill.latest_action == hearing and hearing.time == "12:43"
    assert bill.committee == "Environment, Natural Resources and Agriculture"
    # The hearing's own date and place, read from the action's text.
    assert [(h.date, h.time, h.status, h.location) for h in bill.hearings] == [
        ("2021-12-07", "13:00", "Scheduled", "Virtual Hearing")
    ]
    assert ma.MaBill.from_json(json.loads(json.dumps(bill.to_json()))) == bill


class Env:
    def __init__(self, conn, server: FeedServer):
        self.server = server
        self.conn = conn
        store.ensure_schema(self.conn)
        self.base = server.url("/api")
        self.clock = Clock()
        self.client = ma_client()

    def serve(self, court: int, bill: str, detail: dict, history: list):
        path = f"/api/GeneralCourts/{court}/Documents/{bill}"
        self.server.feed(path, json.dumps(detail).encode(), content_type="application/json", validators=False)
        self.server.feed(
            path + "/DocumentHistoryActions", json.dumps(history).encode(), content_type="application/json",
            validators=False,
        )  # fmt: skip

    def hearing(self, record: dict):
        path = f"/api/Hearings/{record['EventId']}"
        self.server.feed(path, json.dumps(record).encode(), content_type="application/json", validators=False)

    def track(self, text: str, court: int):
        ref = ma.parse_ma_id(text, court=court)
        store.track(self.conn, ref, url=ref.document_url(self.base), now=self.clock(), jurisdiction="ma")
        return ref

    def refresh(self, **kwargs):
        found = refresh_ma_bills(
            self.conn, base=self.base, client=self.client, allow_private=True, now=self.clock, **kwargs
        )
        return {u.bill: u for u in found}

    def versions(self, ref) -> int:
        return self.conn.execute(
            "SELECT count(*) FROM bill_versions v JOIN bills b ON b.id = v.bill_id WHERE b.bill_key = ?", (ref.key,)
        ).fetchone()[0]


@pytest.fixture()
def env(database):
    with FeedServer() as server:
        e = Env(database, server)
        yield e
        e.client.close()


def test_a_bill_that_changes_between_refreshes(env):
    ref = env.track("H.135", 192)
    env.serve(192, "H135", H135, HISTORY)
    first = env.refresh()["H135"]
    assert first.status == "ok" and first.to_json()["jurisdiction"] == "ma" and first.to_json()["court"] == 192
    assert "congress" not in first.to_json()
    assert first.changes == (
        "tracking started; latest action 2021-11-30: Hearing scheduled for 12/07/2021 from 01:00 PM-04:00 PM in "
        "Virtual Hearing",
    )
    # Every request asked for JSON at the API's own paths, built from the base (no http:// Details).
    paths = [p for p, _ in env.server.requests]
    assert paths == [
        "/api/GeneralCourts/192/Documents/H135",
        "/api/GeneralCourts/192/Documents/H135/DocumentHistoryActions",
    ]
    assert all(h.get("accept") == "application/json" for _, h in env.server.requests)

    # The same content again: no validators from the API, the hash says nothing changed.
    again = env.refresh(force=True)["H135"]
    assert again.status == "ok" and again.changes == () and env.versions(ref) == 1

    changed = copy.deepcopy(H135)
    changed["Cosponsors"].append({"Id": "JNR1", "Name": "Jeffrey N. Roy", "Type": 1, "Details": "http://x"})
    changed["CommitteeRecommendations"].append(
        {"Action": "Ought to pass", "FiscalAmounts": [], "Committee": {"CommitteeCode": "H33"}, "Votes": []}
    )
    history = [*HISTORY, {"Date": "2021-12-20T23:59:59", "Branch": "House", "Action": "Reported favorably"}]
    env.serve(192, "H135", changed, history)
    second = env.refresh(force=True)["H135"]
    assert second.changes == (
        "new action 2021-12-20 (House): Reported favorably",
        "1 new cosponsor: Jeffrey N. Roy",
        "committee H33 recommended: Ought to pass",
    )
    assert env.versions(ref) == 2 and store.get(env.conn, ref.key).version == 2

    index = FakeIndex()
    assert sync_index(env.conn, lambda: index).indexed == 2
    doc = index.docs[f"bill:{ref.key}:v2"]
    assert doc.doc_type == "policy_update" and doc.jurisdiction == "MA"
    assert doc.source_urls == ("https://malegislature.gov/Bills/192/H135",)
    assert doc.title == "H.135: 1 new action, 1 new cosponsor, 1 committee recommendation"
    assert doc.published.isoformat() == "2021-12-20"
    assert "- new action 2021-12-20 (House): Reported favorably" in doc.text

    updates = bill_updates(env.conn, since=datetime(2020, 1, 1, tzinfo=UTC))
    assert len(updates) == 1 and updates[0].link == "https://malegislature.gov/Bills/192/H135"
    assert updates[0].kind == "changed" and updates[0].jurisdiction == "MA"
    assert updates[0].change.startswith("new action 2021-12-20 (House): Reported favorably; 1 new cosponsor")


def test_hearings_scheduled_and_canceled_from_the_hearing_records(env):
    scheduled = env.track("H2650", 192)
    canceled = env.track("H2077", 192)
    h2650, h2077 = summary_of("H2650"), summary_of("H2077")
    env.serve(192, "H2650", h2650, [])
    env.serve(192, "H2077", {**h2077, "BeforeCommittee": {"Hearings": [{"EventId": 3793}]}}, [])
    env.hearing(HEARING_3758)
    env.hearing(HEARING_3793)
    results = env.refresh()
    assert results["H2650"].status == "ok" and results["H2077"].status == "ok"
    record = ma.MaBill.from_json(store.latest_record(env.conn, store.get(env.conn, canceled.key).id))
    # H2077 is in 3793's "Acute Care" item, which starts at 13:30 (the hearing at 13:00).
    assert [(h.event_id, h.date, h.time, h.status, h.topic) for h in record.hearings] == [
        (3793, "2021-07-19", "13:30", "Canceled", "Acute Care")
    ]

    # The committee holding H2650 now lists hearing 3758, whose agenda names it.
    env.serve(192, "H2650", {**h2650, "BeforeCommittee": {"Hearings": [{"EventId": 3758}, {"EventId": 3793}]}}, [])
    update = env.refresh(force=True)["H2650"]
    assert update.changes == ("hearing scheduled: 2021-07-21 13:00 (Joint Committee on Public Service)",)
    assert env.server.hits("/api/Hearings/3758") == 1 and env.versions(scheduled) == 2

    facts = BillDesk(env.conn).facts("When is the hearing on H.2650?")
    hearing = next(f for f in facts if f.doc_id.endswith(":hearing"))
    assert hearing.sentences == (
        "A hearing on H.2650 on 2021-07-21 13:00 (Joint Committee on Public Service, Virtual Hearing) is confirmed.",
    )
    assert hearing.url == "https://malegislature.gov/Bills/192/H2650"


def test_500_and_400_fail_their_bill_alone_with_back_off(env):
    good = env.track("S459", 192)
    broken = env.track("S2710", 192)
    missing = env.track("H9999", 192)
    dropped = env.track("H135", 192)
    env.serve(192, "S459", S459, HISTORY)
    env.serve(192, "H135", H135, HISTORY)
    env.server.reset("/api/GeneralCourts/192/Documents/H135/DocumentHistoryActions")  # the service drops out
    env.server.status("/api/GeneralCourts/192/Documents/S2710", 500)
    env.server.status(
        "/api/GeneralCourts/192/Documents/H9999", 400, body=b'{"Message":"Document could not be found"}',
        headers={"content-type": "application/json"},
    )  # fmt: skip
    results = env.refresh()
    assert results["S459"].status == "ok" and env.versions(good) == 1
    assert results["S2710"].status == "error" and results["S2710"].error.startswith("HTTP 500")
    assert "tried again later with back-off" in results["S2710"].error
    assert results["H9999"].error.startswith("HTTP 400")
    assert "the Legislature has no H9999 in the 192nd General Court" in results["H9999"].error
    tracked = store.get(env.conn, broken.key)
    assert tracked.consecutive_errors == 1 and tracked.next_check > tracked.last_checked and tracked.version == 0
    assert store.get(env.conn, missing.key).disabled_reason is None  # a 400 is retried, not "gone"
    assert results["H135"].status == "error" and env.versions(dropped) == 0  # half a bill is never stored
    env.serve(192, "H135", H135, HISTORY)
    assert env.refresh(force=True, keys=[dropped.key])["H135"].status == "ok" and env.versions(dropped) == 1
    waiting = env.refresh()["S2710"]
    assert waiting.status == "error" and waiting.error.startswith("waiting until")
    assert env.server.hits("/api/GeneralCourts/192/Documents/S2710") == 1  # the back-off held
    env.serve(192, "S2710", {**S459, "BillNumber": "S2710"}, [])
    assert env.refresh(force=True)["S2710"].status == "ok"


def test_desk_answers_where_who_which_committee(env):
    env.track("H135", 192)
    env.serve(192, "H135", H135, HISTORY)
    env.refresh()
    desk = BillDesk(env.conn)
    status = desk.facts("Where is H.135?")
    assert {f.doc_id for f in status} == {"bill:ma-192-h135:status", "bill:ma-192-h135:timeline"}
    where = next(f for f in status if f.doc_id.endswith(":status"))
    assert where.sentences[0].startswith(
        "H.135 (192nd General Court, Massachusetts), An Act to regulate face surveillance, was filed by David M. "
        "Rogers; its latest action, on 2021-11-30 12:43 (Joint), was: Hearing scheduled for 12/07/2021"
    )
    assert where.url == "https://malegislature.gov/Bills/192/H135" and where.published == "2021-11-30"
    who = next(f for f in desk.facts("Who sponsored H135?") if f.doc_id.endswith(":sponsors"))
    assert who.sentences[0] == "H.135 was filed by David M. Rogers and has 54 cosponsors."
    committee = next(f for f in desk.facts("Which committee has H.135?") if f.doc_id.endswith(":committee"))
    assert committee.sentences[0] == (
        "H.135 was last referred to the committee on Environment, Natural Resources and Agriculture."
    )
    assert "Committee J19 recommended on H.135: Accompanied." in committee.sentences
    assert desk.facts("Where is H.136?") == []  # not tracked: no guess
    # The federal readers (bill cards) get nothing for a Massachusetts key rather than a wrong Bill.
    tracked = store.get(env.conn, "ma-192-h135")
    assert store.latest_bill(env.conn, tracked.id) is None
    assert store.latest_record(env.conn, tracked.id)["docket"] == "HD3228"
