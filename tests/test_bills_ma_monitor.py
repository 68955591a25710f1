"""Topic monitors over the 192nd General Court's real document list (8,057 filings), served slowly
from loopback at the API's path: one request a day, a baseline first, then only new filings, which
reach the updates list. The expected filings were read off documents_court192.json by hand."""

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from assistant.bills import store
from assistant.bills.ma_monitor import run_monitor, search
from assistant.bills.ma_refresh import ma_client
from assistant.bills.updates import bill_updates

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import Clock, FeedServer  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
_BESIDE = REPO.parent / "shared" / "data" / "malegislature"
SAMPLES = _BESIDE if _BESIDE.is_dir() else Path("/work/shared/data/malegislature")
DOCUMENTS = json.loads((SAMPLES / "documents_court192.json").read_text())
KEYWORDS = ("apprentice", "right to repair")
PATH = "/api/GeneralCourts/192/Documents"
NEW_FILING = {"BillNumber": None, "DocketNumber": "HD9999", "GeneralCourtNumber": 192, "IsDocketBookOnly": True,
              "Title": "An Act establishing a biomedical technician apprenticeship program",
              "PrimarySponsor": {"Id": "JNR1", "Name": "Jeffrey N. Roy", "Type": 1, "Details": "http://x"}}  # fmt: skip


def test_search_matches_keywords_at_a_word_start():
    found = search(DOCUMENTS, KEYWORDS, court=192)
    assert [(f.docket, f.bill) for f in found if f.keywords == ("apprentice",)] == [
        ("HD884", "H1408"), ("HD356", "H1972"), ("HD4435", "H4093"), ("SD1271", "S1157"),
    ]  # fmt: skip
    repair = [f for f in found if f.keywords == ("right to repair",)]
    assert len(repair) == 5 and repair[0].title == "An Act relative to the digital right to repair"
    assert repair[0].url == "https://malegislature.gov/Bills/192/H341"
    assert search(DOCUMENTS, ("prentice",), court=192) == []  # inside a word: no match


def test_one_request_a_day_a_baseline_then_new_filings(database):
    conn = database
    store.ensure_schema(conn)
    clock = Clock()
    with FeedServer() as server, ma_client() as client:
        server.delayed(PATH, json.dumps(DOCUMENTS).encode(), delay_s=2.0)  # the real list takes 8-27 s

        def run(**kw):
            return run_monitor(conn, base=server.url("/api"), court=192, keywords=KEYWORDS, client=client,
                               now=clock, allow_private=True, **kw)  # fmt: skip

        first = run()
        assert (first.documents, first.fetched, first.matching, first.baseline) == (8057, True, 9, True)
        assert server.requests[0][1].get("accept") == "application/json"
        assert bill_updates(conn, since=datetime(2000, 1, 1, tzinfo=UTC)) == []  # a baseline is not news

        again = run()
        assert (again.fetched, again.matching, again.new) == (False, 9, ())
        assert server.hits(PATH) == 1  # the day's list is kept

        clock.advance(days=1, minutes=1)
        server.feed(PATH, json.dumps([*DOCUMENTS, NEW_FILING]).encode(), content_type="application/json",
                    validators=False)  # fmt: skip
        later = run()
        assert later.fetched and not later.baseline and [f.docket for f in later.new] == ["HD9999"]
        updates = bill_updates(conn, since=datetime(2000, 1, 1, tzinfo=UTC))
        assert [(u.kind, u.title, u.link, u.jurisdiction) for u in updates] == [(
            "new", "HD.9999: An Act establishing a biomedical technician apprenticeship program",
            "https://malegislature.gov/Bills/192/HD9999", "MA",
        )]  # fmt: skip
        assert "filed by Jeffrey N. Roy" in updates[0].summary

        # The filing gets its bill number: the same filing, not news again. Then the API fails: the
        # kept list still answers, with the error said.
        clock.advance(days=1, minutes=1)
        numbered = {**NEW_FILING, "BillNumber": "H5000", "IsDocketBookOnly": False}
        server.feed(PATH, json.dumps([*DOCUMENTS, numbered]).encode(), content_type="application/json",
                    validators=False)  # fmt: skip
        assert run().new == ()
        assert bill_updates(conn, since=datetime(2000, 1, 1, tzinfo=UTC))[0].link.endswith("/Bills/192/H5000")
        server.status(PATH, 500)
        failed = run(force=True)
        assert failed.error.startswith("document list of the 192nd General Court not fetched: ")
        assert failed.documents == 8058 and failed.matching == 10 and failed.new == ()
