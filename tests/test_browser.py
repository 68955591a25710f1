"""End to end in headless Chromium: the chat app on loopback over a small fixture index.

Runs with the slow and browser markers (``pytest -m "slow and browser"``). Needs Debian's
Chromium at /usr/bin/chromium (``make test`` installs it); Playwright never downloads a browser.
Screenshots go to ``test-artifacts/screenshots`` (printed at the start).
"""

from __future__ import annotations

import re
import sqlite3
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from ui_support import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    CORPUS_FILES,
    ROOT,
    SCRIPT_TITLE,
    STAFF_PASSWORD,
    STAFF_USER,
    RunningApp,
    build_fixture,
    write_users_file,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

import playwright.sync_api as playwright_api  # noqa: E402

# `make test` installs Debian's chromium; a missing browser must fail the run, not skip it.
assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium (make test does this)"

SHOTS = ROOT / "test-artifacts" / "screenshots"
ANSWER = '[data-step-type="assistant_message"]'
TIMEOUT_MS = 60_000


def corpus_titles() -> set[str]:
    titles = set()
    for name in CORPUS_FILES:
        match = re.search(r"^title:\s*['\"]?(.*?)['\"]?\s*$", (ROOT / name).read_text(encoding="utf-8"), re.M)
        titles.add(match.group(1))
    return titles


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = build_fixture(tmp_path_factory.mktemp("ui-data"))
    users = write_users_file(tmp_path_factory.mktemp("secrets") / "users.toml")
    SHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {SHOTS}")
    with RunningApp(data, users_file=users, log_path=tmp_path_factory.mktemp("logs") / "app.log") as running:
        running.data_dir = data
        yield running


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, site):
    """A fresh browser profile (so a fresh guest) on the site's home page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(site.url)
    page.wait_for_selector("#chat-input")
    yield page
    context.close()


def ask(page, question: str) -> str:
    """Type and send ``question``; return the text of the answer once it is complete."""
    before = page.locator(ANSWER).count()
    page.fill("#chat-input", question)
    page.click("#chat-submit")
    return last_answer(page, before)


def last_answer(page, before: int) -> str:
    page.wait_for_function(
        """([sel, n]) => {
            const all = document.querySelectorAll(sel);
            if (all.length <= n) return false;
            const last = all[all.length - 1];
            return last.querySelector('.positive-feedback-off, .positive-feedback-on') !== null;
        }""",
        arg=[ANSWER, before],
    )  # the thumbs appear when the message is final
    return page.locator(ANSWER).last.inner_text()


def open_source(page, n: int = 1) -> tuple[str, str]:
    """Click source ``[n]`` in the last answer's list; return (panel title, panel text)."""
    page.locator(ANSWER).last.locator("li a.element-link", has_text=f"[{n}]").first.click()
    page.wait_for_selector("#side-view-content")
    page.wait_for_timeout(400)  # the panel slides in; only so that screenshots show it
    return page.inner_text("#side-view-title"), page.inner_text("#side-view-content")


def listed_title(answer: str, n: int) -> str:
    match = re.search(rf"^\[{n}\]\s*(.+?) · (as of|published) ", answer, re.M)
    assert match, answer
    return match.group(1)


def sign_in_as_staff(page, site) -> None:
    page.goto(site.url + "/staff")
    page.click("#staff-continue")  # GET /staff only shows the button; its POST signs the guest out
    page.wait_for_selector("input[type=password]")
    page.fill("#email", STAFF_USER)
    page.fill("input[type=password]", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#chat-input")


def choose_profile(page, name: str) -> None:
    page.click("#chat-profiles")
    page.click(f'[data-test="select-item:{name}"]')
    page.wait_for_function(
        "name => (document.querySelector('#chat-profiles')?.innerText || '').includes(name)", arg=name
    )
    page.wait_for_selector("#starters")


# -- students ------------------------------------------------------------------------------


def test_career_guide_answers_with_sources_that_open(page):
    page.screenshot(path=SHOTS / "01-career-guide-welcome.png")
    assert "Thinking about a career fixing and running hospital equipment?" in page.inner_text("#welcome-screen")
    answer = ask(page, "How do I become a BMET?")
    assert "BMET" in answer and "Sources" in answer
    assert page.locator("#side-view-title").count() == 0  # the panel waits for a click
    expected = listed_title(answer, 1)
    assert expected in corpus_titles()
    title, text = open_source(page, 1)
    page.screenshot(path=SHOTS / "02-career-guide-answer-source-open.png")
    assert title.strip() == "[1]" and expected in text
    assert re.search(r"(As of|Published) \w+ \d{1,2}, \d{4}", text) and "Open the original" in text


def test_a_starter_asks_its_question(page):
    page.locator("#starters button", has_text="Pay and job outlook").click()
    answer = last_answer(page, 0)
    assert (
        page.locator('[data-step-type="user_message"]').last.inner_text().strip()
        == "What does a BMET earn, and is the field growing?"
    )
    assert "Sources" in answer and re.search(r"\$\d|pay|wage", answer, re.I)
    page.screenshot(path=SHOTS / "03-starter-answer.png")


def test_compare_careers_chart_renders(page):
    page.locator("#message-composer button", has_text="Compare careers").click()
    page.click("#chat-submit")
    image = page.locator(f"{ANSWER} img").last
    image.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 800", arg=image.element_handle())
    wait_for_text(page, "Medical Equipment Repairers (BMETs)")
    answer = page.locator(ANSWER).last.inner_text()
    # drawn from the imported data: Massachusetts (the home area's state) and the releases named
    assert "OEWS May 2025 median annual pay, Massachusetts" in answer and "Employment Projections 2024–34" in answer
    assert re.search(r"Medical Equipment Repairers \(BMETs\)\s+\$78,230\s+\+12\.9%", answer), answer
    image.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "04-compare-careers-chart.png")


def wait_for_text(page, text: str) -> None:
    """Until the last answer shows ``text`` (inline elements load after their message)."""
    page.wait_for_function(
        """([sel, text]) => {
            const all = document.querySelectorAll(sel);
            return all.length > 0 && all[all.length - 1].innerText.includes(text);
        }""",
        arg=[ANSWER, text],
    )


def test_occupation_card_for_a_pay_question(page):
    answer = ask(page, "How much do BMETs make in Massachusetts?")
    assert "$78,230" in answer and "Sources" in answer
    wait_for_text(page, "Related jobs")
    card = page.locator(ANSWER).last.inner_text()
    assert "$78,230 a year ($37.61/hr) in Massachusetts; $61,660 a year ($29.64/hr) nationally" in card
    assert "$62,930 to $92,510 in Massachusetts" in card
    assert "BLS OEWS May 2025" in card and "Employment Projections 2024-34" in card
    assert "Typical entry education: Associate's degree" in card
    assert "This product includes information from O*NET 30.1 Database" in card
    page.get_by_text("Median pay").first.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "11-occupation-card.png", full_page=False)


def test_occupation_card_fits_a_phone(browser, site):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(site.url)
    page.wait_for_selector("#chat-input")
    ask(page, "How much do BMETs make in Massachusetts?")
    wait_for_text(page, "Related jobs")
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    page.get_by_text("Median pay").first.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "12-occupation-card-phone.png")
    context.close()


def test_three_turns_end_in_a_plan(page):
    first = ask(page, "I'm an Army veteran in Springfield, MA")
    assert "Assuming: veteran; in Springfield, MA." in first
    second = ask(page, "I want to be a BMET")
    assert "aiming for medical equipment repairers" in second
    page.locator("#message-composer button", has_text="Make a plan").click()
    page.click("#chat-submit")
    wait_for_text(page, "Your plan: BMET")
    wait_for_text(page, "Download it as a checklist")
    plan = page.locator(ANSWER).last
    boxes = plan.locator("input[type=checkbox]")
    assert 4 <= boxes.count() <= 8 and boxes.first.is_visible()
    text = plan.inner_text()
    assert "Step 1. Start from your service" in text and "Springfield, MA" in text and "Sources" in text
    assert plan.locator("a", has_text="bmet-plan.md").count() + plan.locator("text=bmet-plan.md").count() >= 1
    boxes.first.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "13-three-turns-plan.png", full_page=False)


def test_markup_in_a_question_is_shown_as_text(page):
    question = '<img src=x onerror="window.__pwned=9"> <script>window.__pwned=8</script> what is the CBET?'
    answer = ask(page, question)
    shown = page.locator('[data-step-type="user_message"]').last.inner_text()
    assert "<script>window.__pwned=8</script>" in shown and "CBET" in answer and "Sources" in answer
    assert page.evaluate("window.__pwned === undefined")
    assert page.evaluate("[...document.scripts].filter(s => s.textContent.includes('__pwned')).length") == 0


def test_phone_width_long_question_and_no_overflow(browser, site):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(site.url)
    page.wait_for_selector("#chat-input")
    page.screenshot(path=SHOTS / "05-phone-welcome.png")
    answer = ask(page, "how do I become a biomedical equipment technician " * 400)  # 20,000 characters
    assert "Your message was long (19,999 characters)" in answer and "Sources" in answer
    assert page.locator("#side-view-content").count() == 0  # no sheet pops over the chat
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    page.screenshot(path=SHOTS / "06-phone-long-question.png")
    context.close()


def test_feedback_and_history_persist_with_sources(page, site):
    answer = ask(page, "What is the CBET certification?")
    expected = listed_title(answer, 1)
    page.locator(ANSWER).last.locator(".positive-feedback-off").click()
    page.click("#submit-feedback")  # the optional comment dialog
    page.wait_for_selector(f"{ANSWER} .positive-feedback-on")
    db = sqlite3.connect(site.data_dir / "chat.db")
    assert db.execute("SELECT value FROM feedbacks").fetchall() == [(1,)]
    # The answer's source cards are stored after the message itself, one by one; a person reopens a
    # chat seconds later, so wait (bounded) until every card the answer lists is stored (waiting for
    # the first one only let the test reopen the chat before the card it opens existed).
    cards = max(1, page.locator(f"{ANSWER} li a.element-link").count())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and db.execute(
            "SELECT count(*) FROM elements WHERE objectKey IS NOT NULL").fetchone()[0] < cards:
        time.sleep(0.2)
    page.click("#new-chat-button")
    page.wait_for_selector("#starters")
    page.locator("#thread-history a").filter(has_text="What is the CBET certification?").first.click()
    page.wait_for_selector(f"{ANSWER} li a.element-link")
    assert "/thread/" in page.url  # a past chat, loaded from the data layer
    title, text = open_source(page, 1)
    page.screenshot(path=SHOTS / "07-resumed-chat-source.png")
    assert expected in text
    assert page.locator(f"{ANSWER} .positive-feedback-on").count() == 1


# -- staff ---------------------------------------------------------------------------------


def test_policy_desk_needs_sign_in_and_shows_feed_items_as_text(page, site):
    assert page.locator("#chat-profiles").count() == 0  # guests have only the Career guide
    sign_in_as_staff(page, site)
    choose_profile(page, "Policy desk")
    assert "Workforce policy, tracked and cited." in page.inner_text("#welcome-screen")
    page.screenshot(path=SHOTS / "08-policy-desk-welcome.png")
    answer = ask(page, "What is new in registered apprenticeship policy?")
    assert "Sources" in answer
    title, text = open_source(page, 1)
    assert listed_title(answer, 1) in text
    page.screenshot(path=SHOTS / "09-policy-desk-answer.png")

    before = page.locator(ANSWER).count()
    page.locator("#message-composer button", has_text="What changed this week").click()
    page.click("#chat-submit")
    updates = last_answer(page, before)
    assert SCRIPT_TITLE in updates  # the tag is shown as written...
    assert "2 new, 0 changed" in updates
    assert page.evaluate("window.__pwned === undefined")  # ...and never ran
    assert page.evaluate("[...document.scripts].filter(s => s.textContent.includes('__pwned')).length") == 0
    page.screenshot(path=SHOTS / "10-what-changed-script-as-text.png")
