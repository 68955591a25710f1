"""Every file of ../shared/feeds (real-world, malformed, encoding matrix) through fetch + parse +
store from the loopback server, with the HTTP headers their ``Header:`` comments ask for."""

import sys
from pathlib import Path

from assistant.db import connect
from assistant.feeds import store
from assistant.feeds.fetch import make_client
from assistant.feeds.models import FeedSource
from assistant.feeds.refresh import refresh_feeds

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import Clock, FeedServer, fixture_headers  # noqa: E402

# CI checks the project out with shared/ beside it; a clone elsewhere on this workplace finds it
# at /work/shared. Missing files fail the run rather than skip it.
_BESIDE = Path(__file__).resolve().parents[2] / "shared" / "feeds"
SHARED = _BESIDE if _BESIDE.is_dir() else Path("/work/shared/feeds")
FILES = sorted(SHARED.rglob("*.xml")) if SHARED.is_dir() else []


def test_shared_feed_files_are_there():
    assert len(FILES) > 100, f"expected the shared feed files under {SHARED}"


def counts(conn):
    return (
        conn.execute("SELECT count(*) FROM feed_items").fetchone()[0],
        conn.execute("SELECT count(*) FROM feed_item_versions").fetchone()[0],
    )


def serve_all(server, *, validators):
    urls = {}
    for path in FILES:
        data = path.read_bytes()
        headers = fixture_headers(data)
        content_type = headers.pop("content-type", None)
        route = "/" + path.relative_to(SHARED).as_posix()
        urls[path] = server.feed(route, data, content_type=content_type, validators=validators, headers=headers)
    return urls


def test_every_shared_feed_is_processed_and_a_second_refresh_adds_nothing(tmp_path):
    assert len(FILES) > 100
    clock = Clock()
    conn = connect(tmp_path / "assistant.db")
    store.ensure_schema(conn)
    with FeedServer() as server, make_client(timeout=5.0) as client:
        urls = serve_all(server, validators=True)
        for url in urls.values():
            store.add_feed(conn, FeedSource(url), now=clock())

        def refresh(**kw):
            return {u.url: u for u in refresh_feeds(conn, client=client, now=clock, allow_private=True, **kw)}

        first = refresh()
        assert set(first) == set(urls.values())
        errors = {u.url: u.error for u in first.values() if u.status == "error"}
        # Problems are the feeds' own, reported as parse errors; nothing unexpected, no crash.
        for url, error in errors.items():
            assert "unexpected" not in error and ("not a feed" in error or "malformed feed" in error), (
                url,
                error,
            )
        realworld = [urls[p] for p in FILES if p.parent.name == "realworld"]
        assert all(first[u].status == "ok" for u in realworld), {u: first[u].error for u in realworld}
        assert len(errors) < len(FILES) // 10
        stored = counts(conn)
        assert stored[0] == stored[1] == sum(u.new for u in first.values()) > 250
        # Items with neither id nor link were skipped and said so, not silently lost.
        feeds = {f.url: f for f in store.list_feeds(conn)}
        skipped = [u for u in first.values() if any("neither an id nor a link" in w for w in u.warnings)]
        assert skipped and all(feeds[u.url].warnings for u in skipped)

        clock.advance(days=1)
        second = refresh()
        ok = [url for url, u in first.items() if u.status == "ok"]
        assert all(second[url].status == "not_modified" for url in ok)
        assert counts(conn) == stored

        # Without validators every body is downloaded and parsed again: still nothing new.
        serve_all(server, validators=False)
        clock.advance(days=1)
        third = refresh(force=True)
        for url in ok:
            assert (third[url].status, third[url].new, third[url].changed) == ("ok", 0, 0), url
        assert counts(conn) == stored
        for url in errors:
            assert third[url].status == "error"
    conn.close()
