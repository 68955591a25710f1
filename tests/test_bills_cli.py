"""``assistant bills ...`` and the bills part of ``feeds refresh``, through CliRunner against a
loopback BILLSTATUS server (ASSISTANT_BILLSTATUS_URL and ASSISTANT_FEEDS_ALLOW_PRIVATE set)."""

import json
import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.cli.bills import bills
from assistant.cli.feeds import feeds
from assistant.config import Settings
from assistant.db import connect
from assistant.feeds import store as feed_store
from assistant.feeds.models import utc_now

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import FakeIndex, FeedServer  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
_BESIDE = REPO.parent / "shared" / "data" / "billstatus"
SAMPLES = _BESIDE if _BESIDE.is_dir() else Path("/work/shared/data/billstatus")


class StubService:
    """What the commands use of ``Service``: settings, db, index."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.fake_index = FakeIndex()
        self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = connect(self.settings.db_path)
        return self._db

    @property
    def index(self):
        return self.fake_index


@pytest.fixture()
def server():
    with FeedServer() as srv:
        for name in ("BILLSTATUS-116s2902.xml", "BILLSTATUS-117hr1.xml"):
            congress, kind = name[11:14], "s" if "s2902" in name else "hr"
            srv.feed(
                f"/BILLSTATUS/{congress}/{kind}/{name}", (SAMPLES / name).read_bytes(), content_type="application/xml"
            )
        yield srv


@pytest.fixture()
def service(tmp_path, server, monkeypatch):
    monkeypatch.setenv("ASSISTANT_BILLSTATUS_URL", server.url("/BILLSTATUS"))
    monkeypatch.setenv("ASSISTANT_FEEDS_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("ASSISTANT_CONGRESS", "116")
    import os

    return StubService(Settings.from_env(os.environ, data_dir=tmp_path / "data"))


def invoke(service, *args, group=bills):
    return CliRunner().invoke(group, list(args), obj=service, catch_exceptions=False)


def test_track_list_show_refresh_untrack(service):
    tracked = invoke(service, "track", "S. 2902")  # the Congress comes from ASSISTANT_CONGRESS
    assert tracked.exit_code == 0, tracked.output
    assert tracked.output.splitlines()[:3] == [
        "Tracking S. 2902 (116th Congress)",
        "Strengthening Our Rural Health Workforce Act of 2019",
        "latest action 2019-11-20: Read twice and referred to the Committee on Health, Education, Labor, and Pensions.",
    ]
    assert invoke(service, "track", "s.2902", "--congress", "116").output.startswith("Already tracking S. 2902")
    assert invoke(service, "track", "H.R. 1", "--congress", "117").exit_code == 0
    assert sorted(service.fake_index.docs) == ["bill:116-s-2902:v1", "bill:117-hr-1:v1"]

    listed = json.loads(invoke(service, "list", "--json").output)["bills"]
    assert [(b["bill"], b["congress"], b["versions"]) for b in listed] == [("hr1", 117, 1), ("s2902", 116, 1)]
    assert (
        listed[1]["title"] == "Strengthening Our Rural Health Workforce Act of 2019" and listed[1]["last_error"] is None
    )

    shown = json.loads(invoke(service, "show", "hr1", "--json").output)  # newest tracked Congress for hr1
    assert {"bill", "congress", "title", "short_title", "sponsor", "cosponsors", "latest_action", "actions",
            "url", "jurisdiction"} <= set(shown)  # fmt: skip
    assert (shown["bill"], shown["congress"], shown["jurisdiction"]) == ("hr1", 117, "us")
    assert shown["title"] == "For the People Act of 2021" and shown["short_title"] == "For the People Act of 2021"
    assert shown["sponsor"] == "Rep. Sarbanes, John P. [D-MD-3]" and shown["cosponsors"] == 222
    assert shown["latest_action"] == {"date": "2021-03-11", "text": "Received in the Senate."}
    assert len(shown["actions"]) == 63 and set(shown["actions"][0]) == {"date", "text", "type"}
    assert shown["url"] == "https://www.congress.gov/bill/117th-congress/house-bill/1"
    text = invoke(service, "show", "s2902").output
    assert text.startswith("S. 2902 (116th Congress): Strengthening Our Rural Health Workforce Act of 2019\n")

    refreshed = invoke(service, "refresh", "--json")
    assert refreshed.exit_code == 0
    got = sorted(json.loads(refreshed.output)["bills"], key=lambda b: b["bill"])
    assert got == [
        {"bill": "hr1", "congress": 117, "jurisdiction": "us", "status": "not_modified", "changes": [], "error": None},
        {
            "bill": "s2902",
            "congress": 116,
            "jurisdiction": "us",
            "status": "not_modified",
            "changes": [],
            "error": None,
        },
    ]

    gone = invoke(service, "untrack", "hr1", "--congress", "117")
    assert gone.output == "Stopped tracking H.R. 1 (117th Congress); 1 indexed update(s) dropped\n"
    assert service.fake_index.removed == [["bill:117-hr-1:v1"]]
    again = CliRunner().invoke(bills, ["untrack", "hr1", "--congress", "117"], obj=service)
    assert again.exit_code == 1 and again.output == (
        "Error: H.R. 1 (117th Congress) is not tracked (see `assistant bills list`)\n"
    )


def test_a_failed_first_fetch_keeps_the_bill_tracked_and_says_so(service):
    result = invoke(service, "track", "hr6655", "--congress", "118")
    assert result.exit_code == 1
    assert "the first fetch failed: HTTP 404 Not Found" in result.output
    assert "H.R. 6655 stays tracked; `assistant bills refresh` will try again." in result.output
    listed = json.loads(invoke(service, "list", "--json").output)["bills"]
    assert listed[0]["bill"] == "hr6655" and "HTTP 404" in listed[0]["last_error"]
    refreshed = invoke(service, "refresh", "--json")
    assert refreshed.exit_code == 1 and json.loads(refreshed.output)["bills"][0]["status"] == "error"
    shown = CliRunner().invoke(bills, ["show", "hr6655", "--congress", "118"], obj=service)
    assert shown.exit_code == 1 and "is tracked but not fetched yet" in shown.output


def test_bad_bill_ids_are_one_line_errors(service):
    result = CliRunner().invoke(bills, ["track", "HB 12"], obj=service)
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "not a federal bill number" in result.output


def test_feeds_refresh_also_refreshes_bills_and_keeps_the_feeds_contract(service):
    conn = service.db
    feed_store.ensure_schema(conn)
    feed_store.seed_defaults(conn, [], now=utc_now())  # no default feeds: no network
    invoke(service, "track", "s2902")
    invoke(service, "track", "hr404", "--congress", "116")  # answers 404
    result = invoke(service, "refresh", "--json", "--force", group=feeds)
    report = json.loads(result.output)
    assert report["feeds"] == [] and result.exit_code == 1
    statuses = {b["bill"]: b["status"] for b in report["bills"]}
    assert statuses == {"s2902": "not_modified", "hr404": "error"}
    lines = invoke(service, "refresh", group=feeds).output.splitlines()
    assert "S. 2902 (116th)  not modified" in lines
    assert any(line.startswith("H.R. 404 (116th)  error: waiting until") for line in lines)


def test_bills_is_registered_on_the_main_command():
    assert "bills" in main.commands
    assert {"track", "untrack", "list", "show", "refresh"} <= set(main.commands["bills"].commands)
