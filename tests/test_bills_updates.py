"""Tracked bills in "what changed": the updates list and the weekly digest include their versions."""

from datetime import UTC, datetime

from test_bills_desk import SAMPLES, load

from assistant.bills import store
from assistant.bills.decide import content_hash, decide
from assistant.bills.parse import parse_billstatus
from assistant.bills.updates import bill_updates
from assistant.db import connect
from assistant.feeds import store as feeds_store
from assistant.feeds.digest import digest_markdown, list_updates
from assistant.feeds.models import Fetched, utc_now

NEW_ACTION = """<actions>
      <item>
        <actionDate>2026-11-28</actionDate>
        <text>Hearings held by the Committee on Health, Education, Labor, and Pensions.</text>
        <type>Committee</type>
        <sourceSystem><code>0</code><name>Senate</name></sourceSystem>
      </item>"""


def test_a_new_version_is_listed_with_what_changed(tmp_path):
    conn = connect(tmp_path / "assistant.db")
    store.ensure_schema(conn)
    feeds_store.ensure_schema(conn)
    original = (SAMPLES / "BILLSTATUS-116s2902.xml").read_text()
    load(conn, original.encode())
    since = datetime(2026, 11, 24, tzinfo=UTC)
    assert [u for u in list_updates(conn, since=since) if u.topic == "bills"] == []  # its actions are from 2019-20

    changed = original.replace("<actions>", NEW_ACTION, 1)
    bill, previous = parse_billstatus(changed.encode()), parse_billstatus(original.encode())
    tracked = store.get(conn, bill.ref.key)
    fetched = Fetched(url=tracked.url, final_url=tracked.url, status=200, content=changed.encode())
    store.save_version(conn, tracked, fetched, bill, digest=content_hash(bill), changes=decide(previous, bill),
                       latest_action_date=bill.latest_action.date, now=utc_now())  # fmt: skip

    updates = [u for u in list_updates(conn, since=since) if u.topic == "bills"]
    assert len(updates) == 1
    entry = updates[0]
    assert entry.kind == "changed" and entry.title.startswith("S. 2902")
    assert "Hearings held" in entry.change
    assert entry.link.startswith("https://www.congress.gov/bill/116th-congress/senate-bill/2902")
    digest = digest_markdown(updates, since=since, now=datetime(2026, 12, 1, tzinfo=UTC))
    assert "S. 2902" in digest and "Hearings held" in digest


def test_bill_updates_on_both_backends(database):
    """The bills' own part of the list (``bill_updates``), read before and after any bill is tracked."""
    since = datetime(2026, 11, 24, tzinfo=UTC)
    assert bill_updates(database, since=since) == []  # no bill table yet: nothing, and none created
    assert not store.has_table(database, "bill_versions")
    store.ensure_schema(database)
    original = (SAMPLES / "BILLSTATUS-116s2902.xml").read_text()
    load(database, original.encode())
    changed = original.replace("<actions>", NEW_ACTION, 1)
    bill, previous = parse_billstatus(changed.encode()), parse_billstatus(original.encode())
    tracked = store.get(database, bill.ref.key)
    fetched = Fetched(url=tracked.url, final_url=tracked.url, status=200, content=changed.encode())
    store.save_version(database, tracked, fetched, bill, digest=content_hash(bill), changes=decide(previous, bill),
                       latest_action_date=bill.latest_action.date, now=utc_now())  # fmt: skip
    updates = bill_updates(database, since=since)
    assert [(u.kind, u.version, u.title) for u in updates] == [
        ("changed", 2, "S. 2902: Strengthening Our Rural Health Workforce Act of 2019")
    ]
    assert "Hearings held" in updates[0].change
