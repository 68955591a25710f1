"""A 403 from a publisher's bot protection (DOL, CISA) on a real loopback server: reported as
"refused by the publisher (403)" with what to do, retried with back-off, never disabled."""

import random
import sys
from pathlib import Path

from assistant.db import connect
from assistant.feeds import store
from assistant.feeds.fetch import make_client
from assistant.feeds.models import FeedSource
from assistant.feeds.refresh import RetryPolicy, refresh_feeds

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import Clock, FeedServer  # noqa: E402


def test_403_is_refused_retried_with_back_off_and_never_disabled(tmp_path):
    clock, policy = Clock(), RetryPolicy(max_failures=3)
    conn = connect(tmp_path / "assistant.db")
    store.ensure_schema(conn)
    with FeedServer() as server, make_client(timeout=2.0) as client:
        refused = server.html("/rss/releases.xml", status=403)
        broken = server.status("/broken.xml", 500)
        for url in (refused, broken):
            store.add_feed(conn, FeedSource(url), now=clock())

        def run(**kw):
            found = refresh_feeds(conn, client=client, now=clock, allow_private=True, policy=policy,
                                  rng=random.Random(3), **kw)  # fmt: skip
            return {u.url: u for u in found}

        first = run()[refused]
        assert first.status == "error" and first.error.startswith("refused by the publisher (403)")
        assert "email subscription" in first.error and "different network" in first.error
        feed = store.get_feed(conn, refused)
        assert feed.last_status == 403 and feed.next_check > feed.last_checked  # back-off, not now
        waiting = run()[refused]
        assert waiting.error.startswith("waiting until") and server.hits("/rss/releases.xml") == 1

        for _ in range(4):  # past max_failures: the 500 feed is disabled, the refused one is not
            clock.advance(days=2)
            run()
        assert store.get_feed(conn, broken).disabled_reason == "3 consecutive failures"
        feed = store.get_feed(conn, refused)
        assert feed.disabled_reason is None and feed.consecutive_errors == 5
        assert server.hits("/rss/releases.xml") == 5
        server.feed("/rss/releases.xml", (Path(__file__).parent / "data" / "feeds" / "policy.rss").read_bytes())
        clock.advance(days=2)
        assert run()[refused].status == "ok"
    conn.close()
