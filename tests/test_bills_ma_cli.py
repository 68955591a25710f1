"""``assistant bills ... --jurisdiction ma`` through CliRunner against a loopback server in the
Legislature API's paths (ASSISTANT_MALEGISLATURE_URL), beside a federal bill in the same store."""

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli.bills import bills
from assistant.config import Settings

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import FeedServer  # noqa: E402
from test_bills_cli import StubService  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
_BESIDE = REPO.parent / "shared" / "data"
DATA = _BESIDE if _BESIDE.is_dir() else Path("/work/shared/data")
MA = DATA / "malegislature"


@pytest.fixture()
def service(tmp_path, monkeypatch):
    with FeedServer() as srv:
        base = "/api/GeneralCourts/192/Documents/S459"
        srv.feed(base, (MA / "ma_bill_192_S459.json").read_bytes(), content_type="application/json", validators=False)
        history = (MA / "document_history_actions_h1000_excerpt.json").read_bytes()
        srv.feed(base + "/DocumentHistoryActions", history, content_type="application/json", validators=False)
        srv.status("/api/GeneralCourts/194/Documents/H4521", 500)
        name = "BILLSTATUS-116s2902.xml"
        srv.feed(f"/BILLSTATUS/116/s/{name}", (DATA / "billstatus" / name).read_bytes(), content_type="application/xml")
        monkeypatch.setenv("ASSISTANT_MALEGISLATURE_URL", srv.url("/api"))
        monkeypatch.setenv("ASSISTANT_BILLSTATUS_URL", srv.url("/BILLSTATUS"))
        monkeypatch.setenv("ASSISTANT_FEEDS_ALLOW_PRIVATE", "1")
        yield StubService(Settings.from_env(os.environ, data_dir=tmp_path / "data"))


def invoke(service, *args):
    return CliRunner().invoke(bills, list(args), obj=service, catch_exceptions=False)


def test_track_show_list_refresh_untrack_a_massachusetts_bill(service):
    tracked = invoke(service, "track", "S 459", "--jurisdiction", "ma", "--court", "192")
    assert tracked.exit_code == 0, tracked.output
    assert tracked.output.splitlines()[:2] == [
        "Tracking S.459 (192nd General Court, Massachusetts)",
        "An Act fostering voter opportunities, trust, equity and security",
    ]
    assert invoke(service, "track", "S. 2902", "--congress", "116").exit_code == 0

    shown = json.loads(invoke(service, "show", "S.459", "--jurisdiction", "ma", "--court", "192", "--json").output)
    assert (shown["bill"], shown["court"], shown["jurisdiction"]) == ("S459", 192, "ma")
    assert "congress" not in shown
    assert shown["sponsor"] == "Cynthia Stone Creem" and shown["cosponsors"] == 38  # 39 listed, one the sponsor
    assert shown["recommendations"] == [
        {"committee": "J15", "action": "Favorable"},
        {"committee": "S30", "action": "Favorable with Amendment"},
    ]
    assert shown["actions"][-1] == {
        "date": "2021-03-29 10:50",
        "branch": "House",
        "text": "Referred to the committee on Environment, Natural Resources and Agriculture",
        "stricken": False,
    }
    assert shown["actions"][1]["date"] == "2021-03-29"  # the 23:59:59 placeholder: a date only
    assert shown["url"] == "https://malegislature.gov/Bills/192/S459"

    text = invoke(service, "show", "S459", "--jurisdiction", "ma", "--court", "192").output.splitlines()
    title = "An Act fostering voter opportunities, trust, equity and security"
    assert text[0] == f"S.459 (192nd General Court, Massachusetts): {title}"
    assert "  hearing 2021-12-07 13:00: Scheduled Virtual Hearing" in text
    assert text[-1] == "  https://malegislature.gov/Bills/192/S459"
    lines = invoke(service, "list").output.splitlines()
    assert "S.459 (192nd General Court, MA)  An Act fostering voter opportunities, trust, equity and security" in lines
    listed = {b["jurisdiction"]: b for b in json.loads(invoke(service, "list", "--json").output)["bills"]}
    assert (listed["ma"]["bill"], listed["ma"]["court"], listed["ma"]["versions"]) == ("S459", 192, 1)
    assert (listed["us"]["bill"], listed["us"]["congress"]) == ("s2902", 116)

    # A failing Massachusetts bill is reported alone; the others refresh.
    assert invoke(service, "track", "H4521", "--jurisdiction", "ma").exit_code == 1
    refreshed = invoke(service, "refresh", "--json", "--force")
    assert refreshed.exit_code == 1
    got = {b["bill"]: b for b in json.loads(refreshed.output)["bills"]}
    assert got["S459"] == {"bill": "S459", "court": 192, "jurisdiction": "ma", "status": "ok", "changes": [],
                           "error": None}  # fmt: skip
    assert got["H4521"]["status"] == "error" and got["H4521"]["error"].startswith("HTTP 500")
    assert got["s2902"]["status"] == "not_modified"

    dropped = invoke(service, "untrack", "S459", "--jurisdiction", "ma", "--court", "192")
    assert dropped.output.strip() == "Stopped tracking S.459 (192nd General Court); 1 indexed update(s) dropped"
    missing = CliRunner().invoke(bills, ["show", "S459", "--jurisdiction", "ma", "--court", "192"], obj=service)
    assert missing.exit_code == 1 and "S.459 (192nd General Court) is not tracked" in missing.output
