"""New and changed relevant items become policy_update Documents; the index is touched only when needed.

Each test runs on SQLite and on Postgres (the ``database`` fixture)."""

import sys
from datetime import date
from pathlib import Path

import pytest

from assistant.feeds import store
from assistant.feeds.fetch import make_client
from assistant.feeds.index_updates import pending_documents, sync_index
from assistant.feeds.models import FeedSource
from assistant.feeds.refresh import refresh_feeds

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import Clock, FakeIndex, FeedServer  # noqa: E402

DATA = Path(__file__).parent / "data" / "feeds"
KEYWORDS = ("apprentice", "WIOA", "biomedical")


@pytest.fixture()
def world(database):
    clock = Clock()
    conn = database
    store.ensure_schema(conn)
    with FeedServer() as server, make_client() as client:
        url = server.feed("/policy.rss", (DATA / "policy.rss").read_bytes())
        store.add_feed(conn, FeedSource(url, name="DOL notices", topic="workforce", jurisdiction="US",
                                        keywords=KEYWORDS), now=clock())  # fmt: skip

        def refresh():
            clock.advance(hours=1)
            return list(refresh_feeds(conn, client=client, now=clock, allow_private=True))

        yield conn, server, url, refresh


class Counting:
    """get_index() that counts how often the (expensive) index was built."""

    def __init__(self, index):
        self.index, self.calls = index, 0

    def __call__(self):
        self.calls += 1
        return self.index


def test_relevant_new_items_become_policy_update_documents(world):
    conn, server, url, refresh = world
    refresh()
    index = FakeIndex()
    result = sync_index(conn, Counting(index))
    assert (result.indexed, result.removed) == (3, 0)  # the H-2A wage notice is off-topic
    docs = {d.title: d for d in index.replaced[0]}
    assert set(docs) == {
        "Registered Apprenticeship modernization rule",
        "H.R. 1234: Biomedical Technician Training Act",
        "WIOA formula allotments for program year 2025",
    }
    rule = docs["Registered Apprenticeship modernization rule"]
    assert rule.doc_id == store.doc_id_for(url, "notice-2025-001") and rule.doc_id.startswith("feed-")
    assert rule.doc_type == "policy_update" and rule.audience == ("advocacy",) and rule.jurisdiction == "US"
    assert (
        rule.source
        == rule.source_urls[0]
        == "https://policy.example.gov/notices/2025-001?utm_source=rss&utm_medium=feed"
    )
    assert rule.published == date(2025, 1, 6)
    assert dict(rule.extra) == {"feed": "DOL notices", "topic": "workforce"}
    assert rule.text.startswith("Registered Apprenticeship modernization rule\n\nThe Department proposes")
    assert "alert" not in rule.text and "<" not in rule.text  # plain text, script dropped


def test_nothing_pending_means_the_index_is_never_built(world):
    conn, server, url, refresh = world
    refresh()
    index = FakeIndex()
    sync_index(conn, lambda: index)
    getter = Counting(FakeIndex())
    refresh()  # 304
    assert sync_index(conn, getter).indexed == 0 and getter.calls == 0


def test_changed_item_replaces_its_document_and_says_what_changed(world):
    conn, server, url, refresh = world
    refresh()
    index = FakeIndex()
    sync_index(conn, lambda: index)
    server.feed("/policy.rss", (DATA / "policy_changed.rss").read_bytes())
    refresh()
    result = sync_index(conn, lambda: index)
    assert result.indexed == 2  # the new grant notice and the changed bill
    latest = {d.title: d for d in index.replaced[-1]}
    bill = latest["H.R. 1234: Biomedical Technician Training Act"]
    assert bill.doc_id == store.doc_id_for(url, "bill-hr1234")  # same id: its old chunks get replaced
    assert (
        "Passed House by voice vote" in bill.text and "Referred to the Committee" not in bill.text.split("Updated")[0]
    )
    assert "(version 2): changed text; new text:" in bill.text
    assert len(index.docs) == 4


def test_item_that_stops_being_relevant_leaves_the_index(world):
    conn, server, url, refresh = world
    refresh()
    index = FakeIndex()
    sync_index(conn, lambda: index)
    body = (DATA / "policy.rss").read_bytes().replace(b"Biomedical Technician Training Act", b"Fishing Licenses Act")
    server.feed("/policy.rss", body)
    refresh()
    result = sync_index(conn, lambda: index)
    assert result.removed == 1 and index.removed == [[store.doc_id_for(url, "bill-hr1234")]]
    assert store.doc_id_for(url, "bill-hr1234") not in index.docs
    assert sync_index(conn, lambda: pytest.fail("nothing left to do")).removed == 0


def test_index_failure_keeps_items_pending_for_the_next_run(world):
    conn, server, url, refresh = world
    refresh()
    failing = FakeIndex(fail_replace=1)
    with pytest.raises(RuntimeError):
        sync_index(conn, lambda: failing)
    assert len(pending_documents(conn)) == 3
    assert sync_index(conn, lambda: failing).indexed == 3
    assert pending_documents(conn) == []


def test_batches_are_marked_as_they_complete(world):
    conn, server, url, refresh = world
    refresh()
    index = FakeIndex()
    sync_index(conn, lambda: index, batch=2)
    assert [len(b) for b in index.replaced] == [2, 1]
    assert pending_documents(conn) == []
