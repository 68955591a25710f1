"""``assistant feeds ...`` through click's CliRunner, with a small stand-in for the Service."""

import json
import sqlite3
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from assistant.cli.feeds import feeds, parse_duration, run_once
from assistant.config import Settings
from assistant.db import connect
from assistant.feeds import store
from assistant.feeds.fetch import make_client
from assistant.feeds.sources import DEFAULT_FEEDS_FILE, load_feeds_toml

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import FakeIndex, FeedServer  # noqa: E402

DATA = Path(__file__).parent / "data" / "feeds"
DEFAULTS = load_feeds_toml(DEFAULT_FEEDS_FILE)[0]


class StubService:
    """What the feeds commands use of ``assistant.service.Service``: settings, db, index."""

    def __init__(self, settings: Settings, *, index=None, db_failures: int = 0) -> None:
        self.settings = settings
        self.fake_index = index or FakeIndex()
        self.index_builds = 0
        self._db = None
        self._db_failures = db_failures

    @property
    def db(self) -> sqlite3.Connection:
        if self._db_failures:
            self._db_failures -= 1
            raise sqlite3.OperationalError("database is locked")
        if self._db is None:
            self._db = connect(self.settings.db_path)
        return self._db

    @property
    def index(self):
        self.index_builds += 1
        return self.fake_index


@pytest.fixture()
def service(tmp_path):
    return StubService(Settings(data_dir=tmp_path / "data", feeds_allow_private=True))


@pytest.fixture()
def bare(service):
    """A data directory whose default subscriptions were already seeded as "none" (no network)."""
    store.ensure_schema(service.db)
    store.seed_defaults(service.db, [], now=store_now())
    return service


def store_now():
    from assistant.feeds.models import utc_now

    return utc_now()


def invoke(service, *args):
    return CliRunner().invoke(feeds, list(args), obj=service, catch_exceptions=False)


def test_first_use_seeds_the_default_subscriptions_once(service):
    result = invoke(service, "list", "--json")
    assert result.exit_code == 0
    listed = json.loads(result.output)["feeds"]
    assert {f["url"] for f in listed} == {d.url for d in DEFAULTS} and len(listed) >= 10
    dol = [f for f in listed if "www.dol.gov" in f["url"]]  # a feed with a keyword list of its own
    assert dol and "WIOA" in dol[0]["keywords"] and all(f["last_success"] is None for f in listed)
    gone = DEFAULTS[0].url
    assert invoke(service, "remove", gone).exit_code == 0
    again = json.loads(invoke(service, "list", "--json").output)["feeds"]
    assert gone not in {f["url"] for f in again} and len(again) == len(listed) - 1


def test_add_list_remove(bare):
    result = invoke(bare, "add", "https://www.govinfo.gov/rss/plaw.xml", "--name", "Public laws",
                    "--topic", "workforce", "--jurisdiction", "US")  # fmt: skip
    assert result.exit_code == 0 and result.output == "Subscribed to https://www.govinfo.gov/rss/plaw.xml\n"
    feed = json.loads(invoke(bare, "list", "--json").output)["feeds"][0]
    assert (feed["name"], feed["topic"], feed["jurisdiction"]) == ("Public laws", "workforce", "US")
    assert "WIOA" in feed["keywords"]  # the topic's keyword list from feeds.toml
    text = invoke(bare, "list").output
    assert text.startswith("https://www.govinfo.gov/rss/plaw.xml  Public laws [workforce/US]  0 items  never fetched")
    assert invoke(bare, "add", "https://www.govinfo.gov/rss/plaw.xml", "--keyword", "apprentice").output.startswith(
        "Updated and re-enabled"
    )
    assert invoke(bare, "remove", "https://www.govinfo.gov/rss/plaw.xml").exit_code == 0
    assert json.loads(invoke(bare, "list", "--json").output)["feeds"] == []


def test_bad_input_is_a_one_line_error(bare):
    result = CliRunner().invoke(feeds, ["add", "ftp://example.org/feed"], obj=bare)
    assert result.exit_code == 1 and "is not an http(s) feed URL" in result.output
    result = CliRunner().invoke(feeds, ["remove", "https://nowhere.example/rss"], obj=bare)
    assert result.exit_code == 1 and "not subscribed" in result.output


def test_opml_round_trip(service, tmp_path):
    invoke(service, "add", "https://example.org/extra.xml", "--name", "Extra & more",
           "--topic", "apprenticeship",
           "--jurisdiction", "MA", "--keyword", "apprentice")  # fmt: skip
    exported = invoke(service, "export").output
    assert exported.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    opml = tmp_path / "subs.opml"
    opml.write_text(exported)
    other = StubService(Settings(data_dir=tmp_path / "other"))
    store.ensure_schema(other.db)
    store.seed_defaults(other.db, [], now=store_now())
    result = invoke(other, "import", str(opml))
    assert result.exit_code == 0 and result.output.startswith(f"Imported {len(DEFAULTS) + 1} feed(s)")

    def rows(svc):
        return sorted((f.url, f.name, f.topic, f.jurisdiction, f.keywords) for f in store.list_feeds(svc.db))

    assert rows(other) == rows(service)
    broken = tmp_path / "broken.opml"
    broken.write_text("<html>not opml</html>")
    result = CliRunner().invoke(feeds, ["import", str(broken)], obj=other)
    assert result.exit_code == 1 and "not an OPML file" in result.output


def test_refresh_json_contract_exit_code_and_indexing(bare):
    with FeedServer() as server:
        good = server.feed("/policy.rss", (DATA / "policy.rss").read_bytes())
        bad = server.status("/down", 503, headers={"retry-after": "60"})
        invoke(bare, "add", good, "--keyword", "apprentice")
        invoke(bare, "add", bad)
        result = invoke(bare, "refresh", "--json")
        assert result.exit_code == 1
        report = {f["url"]: f for f in json.loads(result.output)["feeds"]}
        assert report[good] == {
            "url": good,
            "status": "ok",
            "new": 4,
            "changed": 0,
            "unchanged": 0,
            "error": None,
        }
        assert report[bad]["status"] == "error" and report[bad]["error"].startswith("HTTP 503")
        assert set(report[bad]) == {"url", "status", "new", "changed", "unchanged", "error"}
        assert bare.index_builds == 1 and [d.title for d in bare.fake_index.replaced[0]] == [
            "Registered Apprenticeship modernization rule"
        ]
        lines = invoke(bare, "refresh").output.splitlines()
        assert f"{good}  not modified" in lines
        assert any(line.startswith(f"{bad}  error: waiting until") for line in lines)
        assert bare.index_builds == 1  # nothing new: the model was not loaded again
        invoke(bare, "remove", bad)
        assert invoke(bare, "refresh").exit_code == 0
        status = store.feed_status(bare.db)
        assert status[0]["url"] == good and status[0]["last_success"] and status[0]["last_error"] is None


def test_updates_and_digest_commands(bare):
    with FeedServer() as server:
        url = server.feed("/policy.rss", (DATA / "policy.rss").read_bytes())
        invoke(bare, "add", url, "--topic", "workforce", "--keyword", "apprentice", "--keyword", "WIOA")
        invoke(bare, "refresh")
    found = json.loads(invoke(bare, "updates", "--since", "2025-01-01", "--json").output)["updates"]
    assert [u["title"] for u in found] == [
        "WIOA formula allotments for program year 2025",
        "Registered Apprenticeship modernization rule",
    ]
    text = invoke(bare, "updates", "--since", "2025-01-07", "--topic", "workforce").output
    assert text.startswith("2025-01-09  new      [workforce/US] WIOA formula allotments")
    assert invoke(bare, "updates", "--since", "2025-01-01", "--topic", "none").output == "No new or changed items.\n"
    md = invoke(bare, "digest", "--since", "2025-01-01").output
    assert md.startswith("# Policy updates since 2025-01-01") and "## workforce · US" in md
    atom = invoke(bare, "digest", "--since", "2025-01-01", "--format", "atom").output
    assert '<feed xmlns="http://www.w3.org/2005/Atom">' in atom and atom.count("<entry>") == 2
    bad = CliRunner().invoke(feeds, ["updates", "--since", "last tuesday"], obj=bare)
    assert bad.exit_code == 1 and "expected a date" in bad.output


def test_watch_logs_every_run_and_survives_a_failing_one(tmp_path):
    svc = StubService(Settings(data_dir=tmp_path / "data", feeds_allow_private=True), db_failures=1)
    with FeedServer() as server:
        url = server.feed("/policy.rss", (DATA / "policy.rss").read_bytes())
        conn = connect(svc.settings.db_path)
        store.ensure_schema(conn)
        store.seed_defaults(conn, [], now=store_now())
        conn.close()
        svc._db_failures = 0
        invoke(svc, "add", url)
        svc._db_failures = 1  # the first run cannot open the database
        result = CliRunner().invoke(feeds, ["watch", "--every", "0.05s", "--max-runs", "3"], obj=svc)
    assert result.exit_code == 0
    log = result.output  # CliRunner mixes stderr in by default
    assert "run 1 failed: OperationalError: database is locked" in log
    assert "run 2 finished: 1 feed(s), 0 failed, 4 new, 0 changed, 4 indexed" in log
    assert "run 3 finished: 1 feed(s), 0 failed, 0 new, 0 changed, 0 indexed" in log
    # one line per feed and run: what it did (the second run served 4 new items; the third, nothing new)
    assert f"feeds watch:   {url}: 4 new, 0 changed, 0 unchanged" in log
    assert log.count(f"feeds watch:   {url}: ") == 2
    assert log.count("next run in") == 2


def test_unreachable_default_feeds_each_get_a_clean_error(service):
    def offline(request):
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution", request=request)

    with make_client(transport=httpx.MockTransport(offline)) as client:
        updates, result, index_error = run_once(service, client=client)
    assert {u.url for u in updates} == {d.url for d in DEFAULTS}
    assert all(u.status == "error" and "ConnectError" in u.error for u in updates)
    assert result.indexed == 0 and index_error is None and service.index_builds == 0


def test_parse_duration():
    assert parse_duration("24h") == 86400 and parse_duration("30m") == 1800
    assert parse_duration("1.5s") == 1.5 and parse_duration("2d") == 172800 and parse_duration("90") == 90
    for bad in ("0s", "soon", "-1h", ""):
        with pytest.raises(Exception, match="positive duration"):
            parse_duration(bad)
