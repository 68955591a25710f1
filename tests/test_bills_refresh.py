"""Tracked bills refreshed from a real loopback HTTP server whose BILLSTATUS files change between
runs: new actions and cosponsors, 304, 410, malformed and foreign files, and a crash mid-run; each
on SQLite and on Postgres (the ``database`` fixture)."""

import sys
from pathlib import Path

import pytest

from assistant.bills import refresh as refresh_mod
from assistant.bills import store
from assistant.bills.ids import parse_bill_id
from assistant.bills.refresh import refresh_bills, sync_index
from assistant.feeds.fetch import make_client

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import Clock, FakeIndex, FeedServer  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
_BESIDE = REPO.parent / "shared" / "data" / "billstatus"
SAMPLES = _BESIDE if _BESIDE.is_dir() else Path("/work/shared/data/billstatus")
S2902 = (SAMPLES / "BILLSTATUS-116s2902.xml").read_text()
HR5053 = (SAMPLES / "BILLSTATUS-116hr5053.xml").read_text()

NEW_ACTION = """<actions>
      <item>
        <actionDate>2019-12-10</actionDate>
        <links />
        <sourceSystem>
          <code>0</code>
          <name>Senate</name>
        </sourceSystem>
        <text>Committee on Health, Education, Labor, and Pensions. Hearings held.</text>
        <type>Committee</type>
      </item>"""
NEW_COSPONSOR = """<cosponsors>
      <item>
        <bioguideId>W000817</bioguideId>
        <fullName>Sen. Warren, Elizabeth [D-MA]</fullName>
        <firstName>Elizabeth</firstName>
        <lastName>Warren</lastName>
        <party>D</party>
        <state>MA</state>
        <sponsorshipDate>2019-12-12</sponsorshipDate>
        <isOriginalCosponsor>False</isOriginalCosponsor>
        <sponsorshipWithdrawnDate />
      </item>"""


def with_new_action(xml: str) -> str:
    """The sample with one more action, made the latest (as GovInfo's next file would be)."""
    edited = xml.replace("<actions>", NEW_ACTION, 1)
    old_latest = xml[xml.index("<latestAction>") : xml.index("</latestAction>")]
    new_latest = ("<latestAction>\n      <actionDate>2019-12-10</actionDate>\n      <text>Committee on Health, "
                  "Education, Labor, and Pensions. Hearings held.</text>\n      <links />\n    ")  # fmt: skip
    return edited.replace(old_latest, new_latest)


class Env:
    def __init__(self, conn, server: FeedServer):
        self.server = server
        self.conn = conn
        store.ensure_schema(self.conn)
        self.base = server.url("/BILLSTATUS")
        self.clock = Clock()
        self.client = make_client()

    def serve(self, ref, body: str, **kwargs):
        path = "/BILLSTATUS" + ref.file_url("")
        return self.server.feed(path, body.encode(), content_type="application/xml", **kwargs)

    def track(self, text: str, congress: int):
        ref = parse_bill_id(text, congress=congress)
        store.track(self.conn, ref, url=ref.file_url(self.base), now=self.clock())
        return ref

    def refresh(self, **kwargs):
        found = refresh_bills(self.conn, client=self.client, allow_private=True, now=self.clock, **kwargs)
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


def test_new_action_makes_a_version_and_a_searchable_policy_update(env, fake_service):
    ref = env.track("S. 2902", 116)
    env.serve(ref, S2902)
    first = env.refresh()["s2902"]
    assert first.status == "ok" and first.changes[0].startswith("tracking started; latest action 2019-11-20")
    assert first.to_json()["jurisdiction"] == "us" and set(first.to_json()) >= {
        "bill",
        "congress",
        "status",
        "changes",
        "error",
    }
    assert env.versions(ref) == 1

    env.serve(ref, with_new_action(S2902))
    second = env.refresh()["s2902"]
    assert second.status == "ok"
    assert second.changes == (
        "new action 2019-12-10: Committee on Health, Education, Labor, and Pensions. Hearings held.",
    )
    assert env.versions(ref) == 2
    tracked = store.get(env.conn, ref.key)
    assert tracked.version == 2 and tracked.etag and tracked.last_error is None
    assert store.latest_bill(env.conn, tracked.id).latest_action.date == "2019-12-10"

    # The versions become policy_update documents in the real index (Chroma + FTS5, fake model).
    result = sync_index(env.conn, lambda: fake_service.index)
    assert result.indexed == 2
    pending = env.conn.execute("SELECT count(*) FROM bill_versions WHERE indexed = 0").fetchone()[0]
    assert pending == 0 and sync_index(env.conn, lambda: pytest.fail("nothing pending")).indexed == 0
    hits, _ = fake_service.search("S. 2902 hearings held Health Education Labor Pensions committee")
    assert "bill:116-s-2902:v2" in [h.doc_id for h in hits]
    hit = next(h for h in hits if h.doc_id == "bill:116-s-2902:v2")
    assert hit.metadata["doc_type"] == "policy_update"


def test_documents_carry_date_title_source_and_congress_gov_link(env):
    ref = env.track("s2902", 116)
    env.serve(ref, S2902)
    env.refresh()
    env.serve(ref, with_new_action(S2902).replace("<cosponsors>", NEW_COSPONSOR, 1))
    update = env.refresh()["s2902"]
    assert "1 new cosponsor: Sen. Warren, Elizabeth [D-MA]" in update.changes
    index = FakeIndex()
    sync_index(env.conn, lambda: index)
    doc = index.docs["bill:116-s-2902:v2"]
    assert doc.title == "S. 2902: 1 new action, 1 new cosponsor"
    assert doc.doc_type == "policy_update" and doc.jurisdiction == "US"
    assert doc.published.isoformat() == "2019-12-12"  # the cosponsor signed on after the last action
    assert doc.source == ref.file_url(env.base)
    assert doc.source_urls == ("https://www.congress.gov/bill/116th-congress/senate-bill/2902",)
    assert "- new action 2019-12-10: Committee on Health" in doc.text
    assert "- 1 new cosponsor: Sen. Warren, Elizabeth [D-MA]" in doc.text
    assert index.docs["bill:116-s-2902:v1"].title == "S. 2902: tracking started"


def test_304_and_identical_content_make_no_version(env):
    ref = env.track("s2902", 116)
    env.serve(ref, S2902)
    env.refresh()
    path = "/BILLSTATUS" + ref.file_url("")
    update = env.refresh()["s2902"]
    assert update.status == "not_modified" and update.changes == ()
    assert env.server.requests[-1][1].get("if-none-match")  # the conditional GET sent the ETag
    assert env.versions(ref) == 1
    # A new body whose record only has a newer updateDate: fetched (200) but nothing to keep.
    env.serve(ref, S2902.replace("2019-12-03T15:15:27Z", "2019-12-09T10:00:00Z"))
    update = env.refresh()["s2902"]
    assert update.status == "ok" and update.changes == () and env.versions(ref) == 1
    assert env.server.hits(path) == 3


def test_410_is_gone_and_the_bill_stops_being_polled(env):
    ref = env.track("hr5053", 116)
    path = "/BILLSTATUS" + ref.file_url("")
    env.server.status(path, 410)
    update = env.refresh()["hr5053"]
    assert update.status == "error" and "gone" in update.error and "polling stopped" in update.error
    tracked = store.get(env.conn, ref.key)
    assert tracked.disabled_reason.startswith("gone (HTTP 410)") and tracked.last_status == 410
    again = env.refresh(force=True)["hr5053"]
    assert again.status == "error" and again.error.startswith("not polled: gone")
    assert env.server.hits(path) == 1  # not asked again
    env.track("hr5053", 116)  # tracking it again resumes polling
    env.serve(ref, HR5053)
    assert env.refresh()["hr5053"].status == "ok"


def test_malformed_and_foreign_files_fail_their_bill_only(env):
    good = env.track("s2902", 116)
    bad = env.track("hr5053", 116)
    foreign = env.track("hr5177", 116)
    env.serve(good, S2902)
    env.serve(bad, HR5053[: len(HR5053) // 2])
    env.serve(foreign, HR5053)  # the file of another bill at this bill's address
    results = env.refresh()
    assert results["s2902"].status == "ok" and env.versions(good) == 1
    assert results["hr5053"].status == "error"
    assert results["hr5053"].error.startswith("not well-formed XML (unclosed token: line ")
    assert results["hr5177"].error == f"{foreign.file_url(env.base)} describes 116-hr-5053, not 116-hr-5177"
    tracked = store.get(env.conn, bad.key)
    assert tracked.consecutive_errors == 1 and tracked.next_check and tracked.version == 0
    waiting = env.refresh()["hr5053"]
    assert waiting.status == "error" and waiting.error.startswith("waiting until")
    env.serve(bad, HR5053)
    assert env.refresh(force=True)["hr5053"].status == "ok"


def test_429_honours_retry_after_and_404_names_the_file(env):
    busy = env.track("s2902", 116)
    missing = env.track("hr9999", 116)
    env.server.status("/BILLSTATUS" + busy.file_url(""), 429, headers={"retry-after": "7200"})
    results = env.refresh()
    assert "HTTP 429" in results["s2902"].error
    assert store.get(env.conn, busy.key).next_check >= "2025-01-10T14:00:00+00:00"  # clock + 2 h
    assert "HTTP 404" in results["hr9999"].error and missing.file_url(env.base) in results["hr9999"].error


def test_a_crash_while_storing_leaves_state_the_next_run_repairs(env, monkeypatch):
    ref = env.track("s2902", 116)
    env.serve(ref, S2902)
    real = store._record_success

    def crash(*args, **kwargs):
        raise RuntimeError("killed mid-transaction")

    monkeypatch.setattr(store, "_record_success", crash)
    update = env.refresh()["s2902"]
    assert update.status == "error" and "unexpected error" in update.error
    tracked = store.get(env.conn, ref.key)
    assert tracked.version == 0 and tracked.etag is None and env.versions(ref) == 0  # all rolled back
    monkeypatch.setattr(store, "_record_success", real)
    assert env.refresh(force=True)["s2902"].status == "ok" and env.versions(ref) == 1

    # Killed between storing and indexing: the version stays pending and the next run indexes it.
    failing = FakeIndex(fail_replace=1)
    with pytest.raises(RuntimeError):
        sync_index(env.conn, lambda: failing)
    assert sync_index(env.conn, lambda: failing).indexed == 1 and "bill:116-s-2902:v1" in failing.docs


def test_private_addresses_are_refused_unless_allowed(env):
    ref = env.track("s2902", 116)
    env.serve(ref, S2902)
    found = list(refresh_bills(env.conn, client=env.client, allow_private=False, now=env.clock))
    assert found[0].status == "error" and "non-public address" in found[0].error
    assert refresh_mod.BillUpdate  # the public result type is importable from refresh
