"""Text quoted from sources is shown as text: no link, image or HTML of its own (issue 13).

The unit tests read the chat's Markdown back with a CommonMark parser (markdown-it-py, raw HTML
on, as a careless config would have it) and look for link, image and HTML tokens. GFM's bare-URL
links are Chainlit's own (remark-gfm), so the browser test checks the real page in Chromium.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from assistant.chat import markup, profiles, render
from assistant.types import Answer, Citation

sys.path.insert(0, str(Path(__file__).parent))

HOSTILE = (
    "Book the CBET exam early. [re-verify your account here](HTTPS://evil.example/login) "
    "![pixel](https://evil.example/p.png) <a href=\"https://evil.example/a\">exam portal</a> "
    "<img src=x onerror=alert(1)> Mail helpdesk@evil.example or visit www.evil.example/cbet. "
    "[[1]](https://evil.example/fake-citation) [ref]: https://evil.example/ref [ref] <https://evil.example/auto>"
)
PARSER = MarkdownIt("commonmark", {"html": True})


def live_markup(markdown: str) -> list[str]:
    """Every link, image and raw HTML token CommonMark finds in ``markdown``."""
    found = []
    for block in PARSER.parse(markdown):
        if block.type == "html_block":
            found.append(block.content)
        for token in block.children or ():
            if token.type in ("link_open", "image", "html_inline"):
                found.append(f"{token.type} {token.attrs or token.content}")
    return found


def bare_addresses_outside_code(markdown: str) -> list[str]:
    """Text (not code) that GFM would turn into a link by itself."""
    out = []
    for block in PARSER.parse(markdown):
        for token in block.children or ():
            if token.type == "text" and any(s in token.content for s in ("://", "www.", "@")):
                out.append(token.content)
    return out


def hostile_answer() -> Answer:
    citation = Citation(
        n=1, title="CBET exam [click](https://evil.example/t)", source="corpus/careers/cbet.md",
        doc_type="career_pathway", snippet=HOSTILE, published="2025-11-01", doc_id="cbet",
        url="https://www.aami.org/training/about-aci",
    )  # fmt: skip
    return Answer(question="q", text=HOSTILE + " [1]", abstained=False, citations=(citation,))


def test_quoted_text_in_the_answer_and_its_card_has_no_live_markup():
    shown = render.render_answer(hostile_answer(), profile=profiles.CAREER_GUIDE)
    card = shown.sources[0].content
    assert live_markup(shown.text) == []
    assert live_markup(card) == ["link_open {'href': 'https://www.aami.org/training/about-aci'}"]  # ours
    assert bare_addresses_outside_code(shown.text) == [] and bare_addresses_outside_code(card) == []
    assert "re-verify your account here" in shown.text and "re-verify your account here" in card
    # The quoted fake "[[1]](…)", the answer's marker and the sources list: each "[1]" opens our card.
    assert shown.text.count("[1]") == 3 and "\\[[1]\\]\\(` https://evil.example/fake-citation `\\)" in shown.text


def test_the_answer_streamed_in_pieces_is_escaped_like_the_whole():
    text = HOSTILE + " Pay is high [1, 2]. See https://evil.example/x [2]"
    whole = markup.escape_quoted(text)
    for size in (1, 2, 3, 5, 8, 13):
        stream = markup.QuotedStream()
        pieces = [stream.feed(text[i : i + size]) for i in range(0, len(text), size)] + [stream.close()]
        assert "".join(pieces) == whole, size
        for shown in pieces:  # each piece on its own is already safe to show
            assert live_markup(shown) == [], shown
    assert whole.endswith("Pay is high [1, 2]. See ` https://evil.example/x ` [2]")


def test_a_plain_sentence_is_unchanged():
    text = "BMETs repair infusion pumps and earn about $62,630 a year [1]."
    assert markup.escape_quoted(text) == text
    assert markup.escape_text(text[:-5]) == text[:-5]


@pytest.mark.parametrize(
    "address, shown",
    [
        ("https://evil.example/a_(b)", "` https://evil.example/a_(b `\\)"),  # GFM trims a trailing ")" too
        ("HTTP://EVIL.EXAMPLE", "` HTTP://EVIL.EXAMPLE `"),
        ("www.evil.example", "` www.evil.example `"),
        ("first.last+tag@evil.example", "` first.last+tag@evil.example `"),
    ],
)
def test_bare_addresses_become_code_not_links(address, shown):
    assert markup.escape_text(f"go to {address}, now") == f"go to {shown}, now"


# -- in Chromium: what Chainlit really renders ----------------------------------------------

BOOKING_DOC = """---
id: cbet-exam-booking
title: Booking the CBET exam
doc_type: career_pathway
audience: [student]
jurisdiction: US
occupations: ["49-9062"]
source_url:
  - https://www.aami.org/training/about-aci
as_of: 2025-11-01
---

# Booking the CBET exam

To book the CBET exam, [re-verify your account here](HTTPS://evil.example/login), open
<a href="https://evil.example/portal">the CBET booking page</a> and check ![CBET badge](HTTPS://evil.example/b.png)
before you pay the CBET exam fee.
Questions about booking the CBET exam go to the CBET desk at WWW.EVIL.EXAMPLE/cbet or [[1]](HTTPS://evil.example/fake).
"""
ANSWER = '[data-step-type="assistant_message"]'
#: Anything on the page that would take the reader to, or load from, the attacker's host.
EVIL_ELEMENTS = "[href*='evil.example' i], [src*='evil.example' i]"


@pytest.mark.slow
@pytest.mark.browser
def test_a_guest_sees_a_quoted_markdown_link_as_text_in_chromium(tmp_path):
    import playwright.sync_api as playwright_api
    from ui_support import CHROMIUM, CHROMIUM_ARGS, RunningApp, write_users_file

    from assistant.config import Settings
    from assistant.service import Service

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    doc = tmp_path / "cbet-exam-booking.md"
    doc.write_text(BOOKING_DOC, encoding="utf-8")
    service = Service(Settings(data_dir=tmp_path / "data"))
    try:
        assert not service.ingest([str(doc)]).failed
    finally:
        service.close()
    users = write_users_file(tmp_path / "users.toml")
    with RunningApp(tmp_path / "data", users_file=users, log_path=tmp_path / "app.log") as app, \
            playwright_api.sync_playwright() as p:  # fmt: skip
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(180_000)  # the first answer loads the model; a shared machine is slow
        page.goto(app.url)
        page.fill("#chat-input", "How do I book the CBET exam?")
        page.click("#chat-submit")
        page.wait_for_selector(f"{ANSWER} .positive-feedback-off")  # the thumbs come with the final message
        answer = page.locator(ANSWER).last
        assert "[re-verify your account here](HTTPS://evil.example/login)" in answer.inner_text()
        answer.locator("li a.element-link", has_text="[1]").first.click()
        card = page.locator("#side-view-content")
        card.wait_for()
        assert "[re-verify your account here](HTTPS://evil.example/login)" in card.inner_text()
        assert page.locator(EVIL_ELEMENTS).count() == 0, page.locator(EVIL_ELEMENTS).evaluate_all(
            "els => els.map(e => e.outerHTML)")
        assert card.locator("a[href='https://www.aami.org/training/about-aci']").count() == 1  # our own link
        browser.close()
