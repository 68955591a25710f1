"""refresh_feeds() against a real loopback server: good feeds and every fault in one run."""

import random
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from assistant.db import connect
from assistant.feeds import refresh as refresh_mod
from assistant.feeds import store
from assistant.feeds.fetch import make_client
from assistant.feeds.models import FeedSource
from assistant.feeds.refresh import RetryPolicy, refresh_feeds

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import Clock, FeedServer  # noqa: E402

DATA = Path(__file__).parent / "data" / "feeds"
CAP = 256 * 1024


@pytest.fixture()
def server():
    with FeedServer() as s:
        yield s


@pytest.fixture()
def conn(tmp_path):
    c = connect(tmp_path / "assistant.db")
    store.ensure_schema(c)
    yield c
    c.close()


@pytest.fixture()
def client():
    with make_client(timeout=2.0, connect_timeout=5.0) as c:
        yield c


def subscribe(conn, clock, *urls, keywords=()):
    for url in urls:
        store.add_feed(conn, FeedSource(url, keywords=keywords), now=clock())


def run(conn, client, clock, **kw):
    options = {"allow_private": True, "fetch_options": {"max_bytes": CAP}, "rng": random.Random(7), **kw}
    return {u.url: u for u in refresh_feeds(conn, client=client, now=clock, **options)}


def build_world(server):
    policy, atom = (DATA / "policy.rss").read_bytes(), (DATA / "bills.atom").read_bytes()
    good = {
        "policy": server.feed("/good/policy.rss", policy),
        "atom": server.feed("/good/bills.atom", atom, content_type="application/atom+xml"),
        "malformed": server.feed("/good/malformed.rss", (DATA / "malformed_with_entries.rss").read_bytes()),
        "empty_channel": server.feed("/good/empty.rss", (DATA / "empty_channel.rss").read_bytes()),
    }
    server.feed("/good/moved301.rss", atom)
    server.feed("/good/moved308.rss", policy)
    server.feed("/good/temporary.rss", policy)
    redirects = {
        "r301": server.redirect("/r/301a", 301, "/r/301b"),
        "r308": server.redirect("/r/308a", 308, server.url("/r/308b")),
        "r302": server.redirect("/r/302", 302, "/good/temporary.rss"),
    }
    server.redirect("/r/301b", 301, "/good/moved301.rss")
    server.redirect("/r/308b", 308, "/good/moved308.rss")
    faults = {
        "500": server.status("/fault/500", 500, body=b"oops"),
        "429": server.status("/fault/429", 429, headers={"retry-after": "7200"}),
        "403": server.html("/fault/403", status=403),
        "404": server.url("/fault/404"),
        "410": server.status("/fault/410", 410),
        "loop": server.redirect("/loop/a", 301, "/loop/b"),
        "big": server.big("/fault/big.xml", CAP * 2, chunked=True),
        "slow": server.slow("/fault/slow.xml", policy, stall_s=8),
        "empty": server.empty("/fault/empty.xml"),
        "reset": server.reset("/fault/reset"),
        "html200": server.html("/fault/html"),
    }
    server.redirect("/loop/b", 301, "/loop/a")
    return good, redirects, faults


def test_one_run_with_every_fault_reports_every_feed_and_stores_the_good_ones(server, conn, client):
    clock = Clock()
    good, redirects, faults = build_world(server)
    subscribe(conn, clock, *good.values(), *redirects.values(), *faults.values())

    results = run(conn, client, clock)

    assert set(results) == set(good.values()) | set(redirects.values()) | set(faults.values())
    for url in faults.values():
        assert results[url].status == "error" and results[url].error, url
    for url in [*good.values(), *redirects.values()]:
        assert results[url].status == "ok", (url, results[url].error)
    expected_errors = {
        "500": "HTTP 500", "429": "HTTP 429", "403": "refused by the publisher (403)",
        "404": "HTTP 404", "410": "HTTP 410",
        "loop": "redirect loop", "big": "cap", "slow": "timed out", "empty": "empty body",
        "html200": "HTML page",
    }  # fmt: skip
    for key, text in expected_errors.items():
        assert text in results[faults[key]].error, (key, results[faults[key]].error)
    assert results[good["policy"]].new == 4
    assert results[good["atom"]].new == 3
    assert results[good["malformed"]].new == 1 and results[good["malformed"]].warnings
    assert results[good["empty_channel"]].new == 0
    counts = dict(conn.execute(
        "SELECT f.url, count(i.id) FROM feeds f LEFT JOIN feed_items i ON i.feed_id = f.id GROUP BY f.id"
    ).fetchall())  # fmt: skip
    stored_good = {url: n for url, n in counts.items() if n}
    assert stored_good == {
        good["policy"]: 4, good["atom"]: 3, good["malformed"]: 1,
        server.url("/good/moved301.rss"): 3, server.url("/good/moved308.rss"): 4, redirects["r302"]: 4,
    }  # fmt: skip


def test_redirects_move_the_subscription_only_when_every_hop_is_permanent(server, conn, client):
    clock = Clock()
    _, redirects, _ = build_world(server)
    subscribe(conn, clock, *redirects.values())
    results = run(conn, client, clock)
    assert results[redirects["r301"]].moved_to == server.url("/good/moved301.rss")
    assert results[redirects["r308"]].moved_to == server.url("/good/moved308.rss")
    assert results[redirects["r302"]].moved_to is None
    urls = {f.url for f in store.list_feeds(conn)}
    assert urls == {server.url("/good/moved301.rss"), server.url("/good/moved308.rss"), redirects["r302"]}
    # The next run goes straight to the new address.
    before = server.hits("/r/301a")
    run(conn, client, clock)
    assert server.hits("/r/301a") == before


def test_second_run_is_304_and_adds_nothing_then_a_change_is_a_new_version(server, conn, client):
    clock = Clock()
    url = server.feed("/policy.rss", (DATA / "policy.rss").read_bytes())
    subscribe(conn, clock, url)
    assert run(conn, client, clock)[url].new == 4
    clock.advance(days=1)
    second = run(conn, client, clock)[url]
    assert (second.status, second.new, second.changed) == ("not_modified", 0, 0)
    assert server.requests[-1][1]["if-none-match"]
    server.feed("/policy.rss", (DATA / "policy_changed.rss").read_bytes())
    clock.advance(days=1)
    third = run(conn, client, clock)[url]
    assert (third.status, third.new, third.changed, third.unchanged) == ("ok", 1, 1, 3)
    versions = conn.execute(
        "SELECT i.identity, max(v.version) FROM feed_items i JOIN feed_item_versions v ON v.item_id = i.id "
        "GROUP BY i.id ORDER BY i.identity"
    ).fetchall()
    assert dict(versions)["bill-hr1234"] == 2 and dict(versions)["notice-2025-001"] == 1
    assert conn.execute("SELECT count(*) FROM feed_items").fetchone()[0] == 5


def test_backoff_retry_after_gone_and_disable(server, conn, client):
    clock = Clock()
    urls = {
        "500": server.status("/500", 500),
        "429": server.status("/429", 429, headers={"retry-after": "7200"}),
        "410": server.status("/410", 410),
    }
    subscribe(conn, clock, *urls.values())
    policy = RetryPolicy(max_failures=3)
    run(conn, client, clock, policy=policy)
    state = {f.url: f for f in store.list_feeds(conn)}
    t0 = clock()
    wait_500 = state[urls["500"]].next_check
    assert store.iso(t0 + timedelta(minutes=15)) <= wait_500 <= store.iso(t0 + timedelta(minutes=30))
    assert state[urls["429"]].next_check >= store.iso(t0 + timedelta(seconds=7200))
    assert state[urls["410"]].disabled_reason.startswith("gone (HTTP 410)")
    assert state[urls["500"]].last_status == 500 and state[urls["500"]].consecutive_errors == 1

    # Five minutes later nothing is due: every feed is still reported, none is requested.
    clock.advance(minutes=5)
    hits = len(server.requests)
    results = run(conn, client, clock, policy=policy)
    assert len(server.requests) == hits
    assert "waiting until" in results[urls["500"]].error and "HTTP 500" in results[urls["500"]].error
    assert results[urls["410"]].error.startswith("disabled: gone")

    # Past the waits the 500 keeps failing until it is disabled after max_failures.
    for _ in range(2):
        clock.advance(days=2)
        run(conn, client, clock, policy=policy)
    disabled = store.get_feed(conn, urls["500"])
    assert disabled.consecutive_errors == 3 and disabled.disabled_reason == "3 consecutive failures"
    hits = server.hits("/500")
    clock.advance(days=2)
    assert run(conn, client, clock, policy=policy)[urls["500"]].error.startswith("disabled: 3 consecutive")
    assert server.hits("/500") == hits
    # Re-adding re-enables it.
    store.add_feed(conn, FeedSource(urls["500"]), now=clock())
    run(conn, client, clock, policy=policy)
    assert server.hits("/500") == hits + 1


def test_force_ignores_waits(server, conn, client):
    clock = Clock()
    url = server.status("/500", 500)
    subscribe(conn, clock, url)
    run(conn, client, clock)
    run(conn, client, clock, force=True)
    assert server.hits("/500") == 2


def test_loopback_is_refused_unless_allowed(server, conn, client):
    clock = Clock()
    url = server.feed("/policy.rss", (DATA / "policy.rss").read_bytes())
    subscribe(conn, clock, url)
    result = run(conn, client, clock, allow_private=False)[url]
    assert result.status == "error" and "non-public address 127.0.0.1" in result.error
    assert server.hits("/policy.rss") == 0


def test_an_unexpected_exception_fails_one_feed_not_the_batch(server, conn, client, monkeypatch):
    clock = Clock()
    policy_body = (DATA / "policy.rss").read_bytes()
    ok, bad = server.feed("/ok.rss", policy_body), server.feed("/bad.rss", policy_body)
    subscribe(conn, clock, ok, bad)
    real_parse = refresh_mod.parse

    def flaky_parse(data, *, url, headers):
        if url.endswith("/bad.rss"):
            raise KeyError("a feedparser bug")
        return real_parse(data, url=url, headers=headers)

    monkeypatch.setattr(refresh_mod, "parse", flaky_parse)
    results = run(conn, client, clock)
    assert results[ok].status == "ok" and results[ok].new == 4
    assert results[bad].status == "error" and "unexpected error (KeyError" in results[bad].error
    assert store.get_feed(conn, bad).consecutive_errors == 1


def test_only_requested_urls_are_refreshed(server, conn, client):
    clock = Clock()
    a = server.feed("/a.rss", (DATA / "policy.rss").read_bytes())
    b = server.feed("/b.rss", (DATA / "policy.rss").read_bytes())
    subscribe(conn, clock, a, b)
    assert set(run(conn, client, clock, urls=[a])) == {a}
    assert server.hits("/b.rss") == 0


def test_parsing_in_worker_processes_gives_the_same_results(server, conn, client):
    clock = Clock()
    good = server.feed("/policy.rss", (DATA / "policy.rss").read_bytes())
    html = server.html("/page")
    malformed = server.feed("/malformed.rss", (DATA / "malformed_with_entries.rss").read_bytes())
    subscribe(conn, clock, good, html, malformed, keywords=("apprentice",))
    results = run(conn, client, clock, parse_processes=2)
    assert (results[good].status, results[good].new) == ("ok", 4)
    assert results[html].status == "error" and "HTML page" in results[html].error  # ParseError crossed over
    assert results[malformed].warnings and results[malformed].new == 1
    relevant = conn.execute("SELECT count(*) FROM feed_items WHERE relevant = 1").fetchone()[0]
    assert relevant == 1  # keywords applied in the worker: only the apprenticeship rule
