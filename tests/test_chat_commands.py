"""Handler-level tests of app.py: the commands (charts, this week's changes, digest, feed admin)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import chainlit.config as cl_config

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from chat_harness import GUEST, STAFF, ask, make_runtime, open_chat, rt_fixture, service_fixture  # noqa: E402, F401

import app  # noqa: E402
from assistant.chat import profiles  # noqa: E402
from assistant.feeds import store  # noqa: E402
from assistant.feeds.decide import decide, prepare  # noqa: E402
from assistant.feeds.models import FeedEntry, FeedInfo, FeedSource, Fetched, ParsedFeed  # noqa: E402

# -- commands ------------------------------------------------------------------------------


async def test_compare_careers_without_data_says_so(rt):
    """The chart is drawn from the imported data (tests/test_chat_data.py); none imported: a clear note."""
    chat = open_chat(user=GUEST)
    await ask("", command=profiles.COMPARE_CAREERS)
    assert "labour-market figures are not loaded" in chat.emitter.replies()[-1]
    assert chat.emitter.of("element") == []


def _add_feed_items(conn, *titles: str) -> None:
    now = datetime.now(UTC)
    store.add_feed(
        conn, FeedSource(url="https://example.gov/rss.xml", name="Example <b>feed</b>", topic="apprenticeship"), now=now
    )
    feed = store.get_feed(conn, "https://example.gov/rss.xml")
    entries = tuple(
        FeedEntry(
            guid=f"g{n}",
            link=f"https://example.gov/{n}",
            title=title,
            summary_html="<p>About apprenticeship.</p>",
            published=now - timedelta(days=1),
        )
        for n, title in enumerate(titles)
    )
    parsed = ParsedFeed(info=FeedInfo(title="Example", version="rss20"), entries=entries)
    items, _ = prepare(parsed.entries, keywords=())
    store.save_items(
        conn, feed, Fetched(url=feed.url, final_url=feed.url, status=200), parsed, decide(items, {}), now=now
    )


async def test_what_changed_lists_feed_items_as_text(rt, service):
    _add_feed_items(service.db, "Apprenticeship rule <script>window.__pwned=1</script> update")
    chat = open_chat(user=STAFF, profile="Policy desk")
    await ask("", command=profiles.WHAT_CHANGED)
    text = chat.emitter.replies()[-1]
    assert "1 new, 0 changed" in text
    assert "Apprenticeship rule \\<script\\>window.\\_\\_pwned=1\\</script\\> update" in text
    assert "<script>" not in text and "Example \\<b\\>feed\\</b\\>" in text


async def test_weekly_digest_is_a_markdown_file(rt, service):
    _add_feed_items(service.db, "Registered apprenticeship notice")
    chat = open_chat(user=STAFF, profile="Policy desk")
    await ask("", command=profiles.WEEKLY_DIGEST)
    file = next(e for e in chat.emitter.of("element") if e["type"] == "file")
    assert file["name"] == f"policy-digest-{datetime.now(UTC).date().isoformat()}.md"
    assert file["mime"] == "text/markdown"
    body = next((cl_config.FILES_DIRECTORY / chat.session.id).glob("*")).read_text()
    assert body.startswith("# Policy updates since") and "Registered apprenticeship notice" in body


async def test_updates_timeline_is_a_chart(rt, service):
    _add_feed_items(service.db, "One", "Two")
    chat = open_chat(user=STAFF, profile="Policy desk")
    await ask("", command=profiles.UPDATES_TIMELINE)
    assert any(e["type"] == "image" for e in chat.emitter.of("element"))
    assert "(2 items in 12 weeks)" in chat.emitter.replies()[-1]


async def test_adding_a_feed_needs_staff(rt, service):
    guest = open_chat(user=GUEST)
    await ask("https://example.gov/new.xml", command=profiles.ADD_FEED)
    assert "for signed-in staff" in guest.emitter.replies()[-1]
    staff = open_chat(user=STAFF, profile="Policy desk")
    await ask("https://example.gov/new.xml workforce", command=profiles.ADD_FEED)
    assert staff.emitter.replies()[-1].startswith("Subscribed to")
    assert "https://example.gov/new.xml" in [f.url for f in store.list_feeds(service.db)]
    await ask("not-a-url", command=profiles.ADD_FEED)
    assert "is not an http\\(s\\) feed URL" in staff.emitter.replies()[-1]


async def test_refreshing_feeds_reports_each_feed(rt, service, monkeypatch):
    from feedserver import FeedServer
    from ui_support import policy_rss

    conn = service.db
    conn.execute("INSERT INTO feeds_meta (key, value) VALUES ('defaults_seeded', 'test')")  # no real feeds
    with FeedServer() as server:
        url = server.feed("/policy.xml", policy_rss(datetime.now(UTC)))
        store.add_feed(conn, FeedSource(url=url, name="Loopback feed", topic="apprenticeship"), now=datetime.now(UTC))
        chat = open_chat(user=STAFF, profile="Policy desk")
        await ask("", command=profiles.REFRESH_FEEDS)
        refused = chat.emitter.replies()[-1]
        monkeypatch.setattr(app, "_runtime", make_runtime(rt.chat.data_dir, service, allow_private=True))
        await ask("", command=profiles.REFRESH_FEEDS)
        fetched = chat.emitter.replies()[-1]
    assert "Loopback feed: error" in refused and "Indexed 0 item" in refused
    assert "Loopback feed: 3 new, 0 changed, 0 unchanged" in fetched and "Indexed 3 item(s)" in fetched
    assert len(service.index.docs) == 3
