"""A tracked Massachusetts bill answered through the service (real Chroma and SQLite, fake model):
the answer cites the bill's page on malegislature.gov and says what the record says."""

import sys
from pathlib import Path

from assistant.bills import ma, store
from assistant.bills.ma_refresh import _store
from assistant.bills.refresh import sync_index
from assistant.feeds.models import Fetched, utc_now

sys.path.insert(0, str(Path(__file__).parent))
from test_bills_ma import H135, HISTORY  # noqa: E402


def test_where_who_which_committee_when_cited_to_the_bills_page(fake_service):
    conn = fake_service.db
    store.ensure_schema(conn)
    ref = ma.parse_ma_id("H.135", court=192)
    store.track(conn, ref, url=ref.document_url("https://malegislature.gov/api"), now=utc_now(), jurisdiction="ma")
    fetched = Fetched(url="u", final_url="u", status=200, content=b"{}", headers={}, permanent_redirect=False)
    _store(conn, store.get(conn, ref.key), fetched, ma.parse_document(ref, H135, HISTORY), now=utc_now)
    assert sync_index(conn, lambda: fake_service.index).indexed == 1  # its policy_update document
    page = "https://malegislature.gov/Bills/192/H135"
    for question, said in [
        ("Where is H.135?", "Hearing scheduled for 12/07/2021"),
        ("Who sponsored H.135?", "David M. Rogers"),
        ("Which committee has H.135?", "Environment, Natural Resources and Agriculture"),
        ("When is the hearing on H.135?", "2021-12-07 13:00"),
    ]:
        answer = fake_service.ask(question, profile="advocacy")
        cited = [c for c in answer.citations if c.url == page]
        assert cited, (question, [c.url for c in answer.citations])
        first = answer.text.split(" [")[0]  # up to its first citation mark
        assert said in first, (question, answer.text)  # the answer comes first
    assert all("/api/" not in (c.url or "") for c in answer.citations)  # never the API's address
