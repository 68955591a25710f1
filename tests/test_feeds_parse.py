"""parse(): bytes + headers in, FeedInfo + entries out; the bozo rules of DESIGN.md."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.errors import ParseError
from assistant.feeds.parse import parse

DATA = Path(__file__).parent / "data" / "feeds"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_rss_entries_fields_and_utc_dates():
    parsed = parse(
        read("policy.rss"),
        url="https://policy.example.gov/feed.rss",
        headers={"Content-Type": "application/rss+xml"},
    )
    assert parsed.info.version == "rss20"
    assert parsed.info.title == "Workforce policy notices (test)"
    assert parsed.warnings == ()
    first = parsed.entries[0]
    assert first.guid == "notice-2025-001"
    assert first.title == "Registered Apprenticeship modernization rule"
    assert first.categories == ("Apprenticeship",)
    assert first.published == datetime(2025, 1, 6, 14, 0, tzinfo=UTC)  # -0500 converted
    assert "<script>" in first.summary_html  # raw: sanitized only when displayed
    assert parsed.entries[3].guid == "" and parsed.entries[3].link.endswith("id=3")


def test_atom_relative_links_resolve_against_the_final_url():
    parsed = parse(read("bills.atom"), url="https://openstates.example.org/feeds/ma.atom", headers={})
    links = [e.link for e in parsed.entries]
    assert links[0] == "https://openstates.example.org/ma/bills/H100"
    assert links[1] == "https://malegislature.example.gov/Bills/S200"
    assert parsed.entries[1].title == "S 200: An Act establishing allied health apprenticeships"
    # A text/plain summary is escaped, so every stored field is HTML.
    assert "&lt;and&gt;" in parsed.entries[0].summary_html
    assert parsed.info.title == "Massachusetts bills & actions (test)"


def test_malformed_feed_with_entries_is_accepted_with_a_warning():
    parsed = parse(read("malformed_with_entries.rss"), url="https://broken.example.org/rss", headers={})
    assert [e.guid for e in parsed.entries] == ["https://broken.example.org/perkins-plans"]
    assert len(parsed.warnings) == 1 and parsed.warnings[0].startswith("malformed feed, 1 entries read anyway")


def test_entry_without_id_and_link_is_skipped_with_a_warning():
    parsed = parse(read("duplicates.rss"), url="https://cms.example.org/rss", headers={})
    assert len(parsed.entries) == 4
    assert any("neither an id nor a link" in w for w in parsed.warnings)


def test_valid_feed_without_items_is_not_an_error():
    parsed = parse(read("empty_channel.rss"), url="https://quiet.example.org/rss", headers={})
    assert parsed.entries == () and parsed.info.version == "rss20"


@pytest.mark.parametrize(
    "body, content_type, message",
    [
        (b"<!DOCTYPE html><html><body>Just a moment...</body></html>", "text/html", "HTML page"),
        (b"<html><head><title>Login</title></head></html>", "application/octet-stream", "HTML page"),
        (b"\x00\x01garbage that is not xml", "application/octet-stream", "not a feed"),
        (b'{"items": []}', "application/json", "not a feed"),
    ],
)
def test_non_feeds_raise_parse_error_naming_the_url(body, content_type, message):
    with pytest.raises(ParseError) as info:
        parse(body, url="https://x.example/feed", headers={"Content-Type": content_type})
    assert info.value.url == "https://x.example/feed"
    assert message in str(info.value)


def test_malformed_without_entries_is_an_error():
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>unclosed'
    with pytest.raises(ParseError, match="no usable entries"):
        parse(body, url="https://x.example/feed", headers={})


def test_whitespace_before_xml_declaration_is_not_a_bozo():
    body = b"\n\n  " + read("policy.rss")
    parsed = parse(body, url="https://policy.example.gov/feed.rss", headers={})
    assert parsed.warnings == () and len(parsed.entries) == 4


def test_http_charset_is_honoured():
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Caf\xe9</title>'
        "<item><guid>1</guid><title>\xc0 la carte</title></item></channel></rss>"
    ).encode("latin-1")
    parsed = parse(body, url="https://x.example/feed", headers={"Content-Type": "text/xml; charset=iso-8859-1"})
    assert parsed.info.title == "Café" and parsed.entries[0].title == "À la carte"
