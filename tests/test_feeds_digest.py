"""updates list, Markdown digest and Atom digest over a store filled by real refreshes."""

import json
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.db import connect
from assistant.feeds import store
from assistant.feeds.digest import digest_atom, digest_markdown, list_updates, updates_json
from assistant.feeds.fetch import make_client
from assistant.feeds.models import FeedSource
from assistant.feeds.parse import parse
from assistant.feeds.refresh import refresh_feeds

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import Clock, FeedServer  # noqa: E402

DATA = Path(__file__).parent / "data" / "feeds"
ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>MA</title><link>https://ma.example.gov/</link>
<item><guid>ma-1</guid><link>https://ma.example.gov/bills/H1</link>
<title>H 1: [click](javascript:alert(1)) *apprenticeship* &lt;b&gt;now&lt;/b&gt;</title>
<description>&lt;p&gt;An apprenticeship bill.&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;</description>
<pubDate>Thu, 09 Jan 2025 10:00:00 GMT</pubDate></item>
</channel></rss>"""


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def fill(conn):
    """Day 1 (Jan 10): both feeds fetched. Day 2 (Jan 11): the policy feed changed."""
    clock = Clock(utc(2025, 1, 10, 13, 0))
    store.ensure_schema(conn)
    with FeedServer() as server, make_client() as client:
        policy = server.feed("/policy.rss", (DATA / "policy.rss").read_bytes())
        ma = server.feed("/ma.rss", HOSTILE)
        store.add_feed(conn, FeedSource(policy, name="DOL notices", topic="workforce",
                                        keywords=("apprentice", "WIOA", "biomedical")),
                      now=clock())  # fmt: skip
        store.add_feed(conn, FeedSource(ma, name="MA bills", topic="apprenticeship", jurisdiction="MA"), now=clock())
        list(refresh_feeds(conn, client=client, now=clock, allow_private=True))
        server.feed("/policy.rss", (DATA / "policy_changed.rss").read_bytes())
        clock.advance(days=1)
        list(refresh_feeds(conn, client=client, now=clock, allow_private=True))
    return conn


@pytest.fixture()
def filled(database):
    """The filled store, on SQLite and on Postgres in turn."""
    return fill(database)


def test_updates_newest_first_with_what_changed(filled):
    updates = list_updates(filled, since=utc(2025, 1, 9))
    assert [(u.kind, u.title[:24], u.date) for u in updates] == [
        ("changed", "H.R. 1234: Biomedical Te", "2025-01-11T13:00:00+00:00"),
        ("new", "Apprenticeship grants fo", "2025-01-10T09:00:00+00:00"),
        ("new", "WIOA formula allotments ", "2025-01-09T12:30:00+00:00"),
        ("new", "H 1: [click](javascript:", "2025-01-09T10:00:00+00:00"),
    ]
    changed = updates[0]
    assert changed.version == 2 and changed.change.startswith("changed text; new text:")
    assert "Passed House by voice vote" in changed.change
    # Old backlog published before --since is not "new this week"; off-topic items need --all.
    assert all(u.title != "Registered Apprenticeship modernization rule" for u in updates)
    assert "Labor certification wage rates for agricultural workers" not in [u.title for u in updates]
    everything = list_updates(filled, since=utc(2025, 1, 1), include_irrelevant=True)
    assert "Labor certification wage rates for agricultural workers" in [u.title for u in everything]


def test_topic_filter_and_json(filled):
    only = list_updates(filled, since=utc(2025, 1, 1), topic="apprenticeship")
    assert [u.feed for u in only] == ["MA bills"]
    payload = json.loads(updates_json(only))
    assert set(payload["updates"][0]) == {
        "doc_id", "kind", "version", "date", "title", "link", "feed", "topic", "jurisdiction", "summary",
        "change",
    }  # fmt: skip
    assert "<script" not in only[0].html and "alert(1)" not in only[0].html


def test_markdown_digest_groups_by_topic_and_jurisdiction_and_escapes_feed_text(filled):
    updates = list_updates(filled, since=utc(2025, 1, 9))
    md = digest_markdown(updates, since=utc(2025, 1, 9), now=utc(2025, 1, 12))
    assert md.startswith("# Policy updates since 2025-01-09\n\nGenerated 2025-01-12T00:00:00+00:00: 4 new or changed")
    assert md.index("## apprenticeship · MA") < md.index("## workforce · US")
    assert "changed 2025-01-11 (version 2)" in md and "What changed: changed text" in md
    assert "[click](javascript" not in md and "\\[click\\]\\(javascript" in md
    assert "<b>" not in md and "<script" not in md


def test_atom_digest_is_a_valid_feed_with_stable_ids(filled):
    updates = list_updates(filled, since=utc(2025, 1, 9))
    xml = digest_atom(updates, since=utc(2025, 1, 9), now=utc(2025, 1, 12))
    root = ET.fromstring(xml.encode())
    entries = root.findall(f"{ATOM}entry")
    assert root.tag == f"{ATOM}feed" and len(entries) == 4
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(set(ids)) == 4 and all(i.startswith("urn:bmet-assistant:feed-") for i in ids)
    assert any(i.endswith(":v2") for i in ids)
    terms = {c.get("term") for e in entries for c in e.findall(f"{ATOM}category")}
    assert {"workforce", "apprenticeship", "US", "MA"} <= terms
    # Our own parser reads it back: staff can subscribe to it in any reader.
    parsed = parse(
        xml.encode(),
        url="https://intranet.example/digest.xml",
        headers={"content-type": "application/atom+xml"},
    )
    assert parsed.info.version == "atom10" and parsed.warnings == () and len(parsed.entries) == 4
    assert any(e.title.startswith("Changed: H.R. 1234") for e in parsed.entries)
    assert "&lt;script" not in xml and 'href="javascript' not in xml and "href=&quot;javascript" not in xml


def test_atom_digest_resolves_relative_links_in_item_html_with_xml_base():
    from assistant.feeds.digest import Update

    update = Update(
        doc_id="feed-1", kind="new", version=1, date="2025-01-09T00:00:00+00:00", title="T",
        link="https://ma.example.gov/bills/H1", feed="MA", topic="t", jurisdiction="MA", summary="s",
        change="", html='<p>See <a href="/bills/H1/text">the text</a>.</p>', feed_url="https://ma.example.gov/rss",
    )  # fmt: skip
    xml = digest_atom([update], since=utc(2025, 1, 1), now=utc(2025, 1, 12))
    content = ET.fromstring(xml.encode()).find(f"{ATOM}entry/{ATOM}content")
    assert content.get("{http://www.w3.org/XML/1998/namespace}base") == "https://ma.example.gov/bills/H1"
    parsed = parse(xml.encode(), url="https://intranet.example/digest.xml", headers={})
    assert parsed.entries[0].link == "https://ma.example.gov/bills/H1"


SCHEMES = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>MA</title><link>https://ma.example.gov/</link>
<item><guid>js</guid><link>javascript:alert(1)</link><title>Script link</title></item>
<item><guid>data</guid><link>data:text/html,&lt;script&gt;alert(2)&lt;/script&gt;</link><title>Data link</title></item>
<item><guid>vb</guid><link>VBScript:msgbox(3)</link><title>VBScript link</title></item>
<item><guid>ftp</guid><link>ftp://files.example.gov/h4.pdf</link><title>FTP link</title></item>
<item><guid>ok</guid><link>https://ma.example.gov/bills/H5</link><title>Web link</title>
<description>&lt;a href="mailto:clerk@ma.example.gov"&gt;clerk&lt;/a&gt;
&lt;a href="/bills/H5/text"&gt;text&lt;/a&gt;</description>
</item>
</channel></rss>"""


def test_only_http_links_leave_the_assistant_in_either_digest(tmp_path):
    clock = Clock(utc(2025, 1, 10, 13, 0))
    conn = connect(tmp_path / "assistant.db")
    store.ensure_schema(conn)
    with FeedServer() as server, make_client() as client:
        url = server.feed("/ma.rss", SCHEMES)
        store.add_feed(conn, FeedSource(url, name="MA bills", topic="apprenticeship", jurisdiction="MA"), now=clock())
        list(refresh_feeds(conn, client=client, now=clock, allow_private=True))
    updates = list_updates(conn, since=utc(2025, 1, 1), include_irrelevant=True)
    conn.close()
    links = {u.title: u.link for u in updates}
    assert links == {"Script link": "", "Data link": "", "VBScript link": "", "FTP link": "",
                     "Web link": "https://ma.example.gov/bills/H5"}  # fmt: skip
    md = digest_markdown(updates, since=utc(2025, 1, 1), now=utc(2025, 1, 12))
    atom = digest_atom(updates, since=utc(2025, 1, 1), now=utc(2025, 1, 12))
    for title in ("Script link", "Data link", "VBScript link", "FTP link"):
        assert f"- **{title}** — new" in md  # still listed, as text
    assert "[Web link](https://ma.example.gov/bills/H5)" in md
    root = ET.fromstring(atom.encode())
    hrefs = [link.get("href") for link in root.iter(f"{ATOM}link")]
    bases = [c.get("{http://www.w3.org/XML/1998/namespace}base") for c in root.iter(f"{ATOM}content")]
    assert hrefs == ["https://ma.example.gov/bills/H5"] and len(root.findall(f"{ATOM}entry")) == 5
    assert all(base.startswith(("https://ma.example.gov/", "http://127.0.0.1:")) for base in bases)
    for scheme in ("javascript:", "data:", "vbscript:", "ftp:", "mailto:"):
        assert scheme not in md.lower() and scheme not in atom.lower()


def test_digests_drop_non_http_links_on_updates_built_elsewhere():
    from assistant.feeds.digest import Update

    update = Update(
        doc_id="feed-1", kind="new", version=1, date="2025-01-09T00:00:00+00:00", title="T",
        link="javascript:alert(1)", feed="MA", topic="t", jurisdiction="MA", summary="s",
        change="", html="<p>s</p>", feed_url="https://ma.example.gov/rss",
    )  # fmt: skip
    md = digest_markdown([update], since=utc(2025, 1, 1), now=utc(2025, 1, 12))
    atom = digest_atom([update], since=utc(2025, 1, 1), now=utc(2025, 1, 12))
    assert "- **T** — new, 2025-01-09" in md and "javascript" not in md
    content = ET.fromstring(atom.encode()).find(f"{ATOM}entry/{ATOM}content")
    assert "javascript" not in atom and content.get("{http://www.w3.org/XML/1998/namespace}base") == (
        "https://ma.example.gov/rss")
