"""feeds.toml and OPML: the shipped defaults, other readers' OPML, refusals."""

from urllib.parse import urlsplit

import pytest

from assistant.errors import ConfigError, LoadError
from assistant.feeds.models import FeedSource
from assistant.feeds.sources import DEFAULT_FEEDS_FILE, load_feeds_toml, parse_opml, to_opml

READER_EXPORT = b"""<?xml version="1.0"?>
<opml version="1.0"><head><title>My subscriptions</title></head><body>
  <outline text="Policy" title="Policy">
    <outline type="rss" text="DOL" title="DOL news" xmlUrl="https://www.dol.gov/rss/releases.xml"
             htmlUrl="https://www.dol.gov"/>
    <outline type="rss" text="Podcast" xmlUrl="feed://podcasts.example/rss"/>
  </outline>
  <outline type="rss" text="CISA ICSMA" category="/device-cybersecurity"
           xmlUrl="https://www.cisa.gov/cybersecurity-advisories/ics-medical-advisories.xml"/>
  <outline type="rss" text="Duplicate" xmlUrl="https://www.dol.gov/rss/releases.xml"/>
</body></opml>"""


def test_default_subscriptions_cover_the_issue_and_are_https_with_metadata():
    feeds, topics = load_feeds_toml(DEFAULT_FEEDS_FILE)
    hosts = {urlsplit(f.url).hostname for f in feeds}
    assert {"www.federalregister.gov", "www.govinfo.gov", "www.dol.gov", "www.cisa.gov", "www.govtrack.us"} <= hosts
    assert "openstates.org" not in hosts  # its bill feeds answer 404 since January 2026
    assert all("%25" not in f.url for f in feeds)  # GovTrack feed names are encoded once
    assert all(f.url.startswith("https://") and f.name and f.topic and f.jurisdiction for f in feeds)
    assert len({f.url for f in feeds}) == len(feeds)
    assert {"US"} == {f.jurisdiction for f in feeds}  # Massachusetts bills: `bills track --jurisdiction ma`
    by_name = {f.name: f for f in feeds}
    eta = by_name["Federal Register: Employment and Training Administration"]
    assert eta.keywords == topics["workforce"] and "apprentice" in eta.keywords  # inherited from its topic
    assert by_name["CISA: ICS medical advisories"].keywords == ()  # every advisory is relevant
    assert by_name["GovTrack: bills matching right to repair"].keywords == ()  # explicit empty list wins


def test_bad_feeds_toml_is_a_config_error(tmp_path):
    path = tmp_path / "feeds.toml"
    path.write_text('[[feed]]\nurl = "file:///etc/passwd"\n')
    with pytest.raises(ConfigError, match="feed #1: 'file:///etc/passwd' is not an http"):
        load_feeds_toml(path)
    path.write_text('[[feed]]\nurl = "https://a.gov/rss"\nkeywords = [1, 2]\n')
    with pytest.raises(ConfigError, match="keywords must be a list of strings"):
        load_feeds_toml(path)
    path.write_text("not toml = = =")
    with pytest.raises(ConfigError, match="cannot read the feed list"):
        load_feeds_toml(path)


def test_other_readers_opml_folders_become_topics():
    found = parse_opml(READER_EXPORT, default_keywords=lambda topic: ("k",) if topic == "Policy" else ())
    assert found == [
        FeedSource("https://www.dol.gov/rss/releases.xml", name="DOL news", topic="Policy", keywords=("k",)),
        FeedSource("https://www.cisa.gov/cybersecurity-advisories/ics-medical-advisories.xml",
                   name="CISA ICSMA", topic="device-cybersecurity"),
    ]  # fmt: skip


def test_opml_round_trip_keeps_every_field():
    feeds = [
        FeedSource("https://a.gov/rss?x=1&y=2", name="A & B <news>", topic="workforce", jurisdiction="MA",
                   keywords=("apprentice", "right to repair")),
        FeedSource("https://b.gov/atom", name="", topic="", jurisdiction="US", keywords=()),
    ]  # fmt: skip
    back = parse_opml(to_opml(feeds).encode(), default_keywords=lambda t: ("should not be used",))
    assert sorted(back, key=lambda f: f.url) == [
        feeds[0],
        FeedSource("https://b.gov/atom", name="https://b.gov/atom"),
    ]


@pytest.mark.parametrize("data", [b"<html><body>no</body></html>", b"not xml at all", b"<opml version='2.0'/>"])
def test_non_opml_is_a_load_error_naming_the_file(data):
    with pytest.raises(LoadError, match="subs.opml: not an OPML file"):
        parse_opml(data, path="subs.opml")
