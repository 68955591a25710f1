"""WCAG 2.1 AA in headless Chromium: axe-core over every state a person meets, keyboard alone,
and what a screen reader is given (the finished answer announced, citations read "source n",
charts with their figures in words).

Runs with the slow and browser markers, like tests/test_browser.py (whose app and browser fixtures
it shares). Needs axe-core from npm in tests/a11y/node_modules (``make browser`` installs the
pinned version); a missing copy fails the run rather than skipping it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_browser import (  # noqa: E402
    ANSWER,
    SHOTS,
    TIMEOUT_MS,
    ask,
    browser,  # noqa: F401  (the shared Chromium fixture)
    choose_profile,
    last_answer,
    open_source,
    sign_in_as_staff,
    site,  # noqa: F401  (the shared app fixture)
    wait_for_text,
)
from ui_support import STAFF_PASSWORD, STAFF_USER  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.browser]

AXE = Path(__file__).parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
assert AXE.exists(), f"{AXE} is missing: npm ci --prefix tests/a11y (make browser does this)"
# The WCAG 2.0 and 2.1 success criteria at levels A and AA (axe-core's rule tags).
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"critical", "serious"}


def audit(page, state: str) -> list[dict]:
    """axe-core's critical and serious violations on ``page`` now, each printed with its elements."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    # Fades in progress (the command buttons slide in) would be measured half-transparent.
    page.wait_for_function(
        "document.getAnimations().every(a => a.playState !== 'running' || a.effect.getTiming().iterations === Infinity)"
    )
    violations = page.evaluate(
        """async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']}))
            .violations.map(v => ({rule: v.id, impact: v.impact, help: v.helpUrl,
                                   elements: v.nodes.map(n => n.target.join(' '))}))""",
        WCAG_AA,
    )
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    for v in blocking:
        for element in v["elements"]:
            print(f"{state}: [{v['impact']}] {v['rule']} on {element} -- {v['help']}")
    return blocking


def assert_conforms(page, state: str) -> None:
    found = audit(page, state)
    assert not found, f"{state}: " + json.dumps(found, indent=1)


def new_page(browser, site, *, width: int = 1280, height: int = 900, theme: str = "light", phone: bool = False,  # noqa: F811
             bypass_csp: bool = False):
    """A fresh guest's page on the chat; ``bypass_csp`` lets axe-core into a page whose Content
    Security Policy refuses scripts (the /staff page)."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone, color_scheme=theme,
        bypass_csp=bypass_csp,
    )
    # Chainlit keeps the chosen theme in localStorage; set it as a person who chose it would have.
    context.add_init_script(f"localStorage.setItem('vite-ui-theme', '{theme}')")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(site.url)
    page.wait_for_load_state("networkidle")  # the guest sign-in may reload the page once
    page.wait_for_selector("#chat-input")
    assert page.evaluate("t => document.documentElement.classList.contains(t)", theme)
    return page


# -- axe-core over each state ----------------------------------------------------------------


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_landing_and_an_answer_with_its_source_open(browser, site, theme):  # noqa: F811
    page = new_page(browser, site, theme=theme)
    assert page.evaluate("document.documentElement.lang") == "en"
    assert_conforms(page, f"landing, Career guide ({theme})")
    ask(page, "How do I become a BMET?")
    open_source(page, 1)
    assert_conforms(page, f"answer with source 1 open ({theme})")
    page.screenshot(path=SHOTS / f"a11y-answer-source-{theme}.png")
    page.context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_settings_panel_and_an_error_message(browser, site, theme):  # noqa: F811
    page = new_page(browser, site, theme=theme)
    page.click("#chat-settings-open-modal")
    page.wait_for_selector("[role=dialog]")
    assert_conforms(page, f"settings panel ({theme})")
    page.keyboard.press("Escape")
    page.wait_for_selector("[role=dialog]", state="detached")
    reply = ask(page, "???")  # no words: the chat says what it needs instead of answering
    assert "Type a question" in reply
    assert_conforms(page, f"a message with no words, answered with what to do ({theme})")
    page.context.close()


def test_occupation_card_and_compare_chart(browser, site):  # noqa: F811
    page = new_page(browser, site)
    ask(page, "How much do BMETs make in Massachusetts?")
    wait_for_text(page, "Related jobs")
    assert_conforms(page, "occupation card")
    page.locator("#message-composer button", has_text="Compare careers").click()
    page.click("#chat-submit")
    wait_for_text(page, "Medical Equipment Repairers (BMETs)")
    chart = page.locator(f"{ANSWER} img.inline-image").last
    chart.wait_for()
    # The chart's text alternative states its figures, and the same figures are a table beside it.
    page.wait_for_function("img => /\\$78,230/.test(img.alt)", arg=chart.element_handle())
    alt = chart.get_attribute("alt")
    assert "Careers compared" in alt and "Medical Equipment Repairers (BMETs)" in alt and "+12.9%" in alt, alt
    assert page.locator(ANSWER).last.locator("table").count() >= 1
    assert_conforms(page, "compare chart")
    page.context.close()


def test_a_plan(browser, site):  # noqa: F811
    page = new_page(browser, site)
    ask(page, "I'm an Army veteran in Springfield, MA")
    ask(page, "I want to be a BMET")
    page.locator("#message-composer button", has_text="Make a plan").click()
    page.click("#chat-submit")
    wait_for_text(page, "Download it as a checklist")
    assert_conforms(page, "a plan")
    page.context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_staff_sign_in_form_and_a_failed_sign_in(browser, site, theme):  # noqa: F811
    page = new_page(browser, site, theme=theme, bypass_csp=True)
    page.goto(site.url + "/staff")
    assert_conforms(page, f"staff page before sign-in ({theme})")
    page.click("#staff-continue")  # GET /staff only shows the button; its POST signs the guest out
    page.wait_for_selector("input[type=password]")
    assert_conforms(page, f"staff sign-in form ({theme})")
    page.fill("#email", STAFF_USER)
    page.fill("input[type=password]", "not-the-password")
    page.click("button[type=submit]")
    page.wait_for_url("**/login**")
    page.get_by_text("Unable to sign in").first.wait_for()
    assert_conforms(page, f"a failed sign-in ({theme})")
    # Sonner's toast colours are darkened in the light theme (style.css); the title shows it.
    title = page.locator("[data-sonner-toast] [data-title]").first
    if theme == "light":
        assert title.evaluate("el => getComputedStyle(el).color") == "rgb(179, 0, 0)"
    page.context.close()


def test_policy_desk_landing_for_staff(browser, site):  # noqa: F811
    page = new_page(browser, site)
    sign_in_as_staff(page, site)
    choose_profile(page, "Policy desk")
    assert_conforms(page, "landing, Policy desk (staff)")
    page.context.close()


def test_bill_card_on_the_policy_desk(browser, site):  # noqa: F811
    import sqlite3

    from test_bills_desk import SAMPLES, load

    from assistant.bills import store as bills_store

    conn = sqlite3.connect(site.data_dir / "assistant.db", isolation_level=None)
    conn.row_factory = sqlite3.Row
    bills_store.ensure_schema(conn)
    if bills_store.get(conn, "116-s-2902") is None:
        load(conn, (SAMPLES / "BILLSTATUS-116s2902.xml").read_bytes())
    conn.close()
    page = new_page(browser, site)
    sign_in_as_staff(page, site)
    choose_profile(page, "Policy desk")
    ask(page, "Where is S. 2902 of the 116th Congress?")
    wait_for_text(page, "S. 2902 at a glance")
    assert_conforms(page, "bill card (Policy desk)")
    page.context.close()


@pytest.mark.parametrize(
    ("width", "height", "phone"),
    [(390, 780, True), (320, 640, True), (640, 450, False)],  # 640x450: a 1280x900 window at 200% zoom
)
def test_phone_width_and_zoom(browser, site, width, height, phone):  # noqa: F811
    page = new_page(browser, site, width=width, height=height, phone=phone)
    assert_conforms(page, f"landing at {width} px")
    ask(page, "What is the CBET certification?")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1  # reflow: no sideways scroll
    assert_conforms(page, f"an answer at {width} px")
    page.screenshot(path=SHOTS / f"a11y-width-{width}.png")
    page.context.close()


# -- screen readers --------------------------------------------------------------------------


def test_finished_answer_is_announced_once_and_citations_read_as_sources(browser, site):  # noqa: F811
    page = new_page(browser, site)
    region = page.locator("#answer-announcer")
    assert region.get_attribute("aria-live") == "polite" and region.inner_text() == ""
    # every text the region is given while streaming and after, as a screen reader would hear it
    page.evaluate(
        """() => {
            window.__said = [];
            const region = document.getElementById('answer-announcer');
            new MutationObserver(() => window.__said.push(region.textContent))
                .observe(region, {childList: true, characterData: true, subtree: true});
        }"""
    )
    for question, expected in [("What is the CBET certification?", "CBET"), ("How do I become a BMET?", "BMET")]:
        before = page.evaluate("window.__said.length")
        ask(page, question)
        page.wait_for_function("n => window.__said.length > n", arg=before)
        page.wait_for_timeout(1500)  # long enough for a second announcement, were there one
        said = page.evaluate("window.__said")
        answer = page.locator(ANSWER).last.locator(".message-content").first.inner_text().strip()
        assert said[-1] == answer and expected in answer and "Sources" in answer  # the whole answer...
    assert len(said) == 2, said  # ...once per question, never the streamed pieces
    # Citation markers are named "source n" for assistive technology.
    links = page.locator(ANSWER).last.locator("a.element-link")
    assert links.count() >= 1
    for i in range(links.count()):
        marker = links.nth(i)
        n = re.fullmatch(r"\[(\d+)\]", marker.inner_text().strip())
        if n:
            assert marker.get_attribute("aria-label") == f"source {n.group(1)}"
    assert page.get_by_role("link", name="source 1").count() >= 1
    page.context.close()


# -- keyboard alone --------------------------------------------------------------------------


def tab_to(page, predicate: str, *, limit: int = 60, key: str = "Tab") -> None:
    """Press ``key`` until ``predicate`` (a JS expression on ``el``) holds for the focused element,
    checking on the way that each focused control shows a focus indicator."""
    for _ in range(limit):
        page.keyboard.press(key)
        state = page.evaluate(
            f"""() => {{
                const el = document.activeElement;
                if (!el || el === document.body) return {{hit: false, ring: true}};
                const s = getComputedStyle(el);
                const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
                return {{hit: !!({predicate}), ring, what: el.outerHTML.slice(0, 120)}};
            }}"""
        )
        assert state["ring"], f"no visible focus on {state['what']}"
        if state["hit"]:
            return
    raise AssertionError(f"the keyboard never reached: {predicate}")


def listed_sources(page) -> list[str]:
    """The markers of the last answer's Sources list, e.g. ["[1]", "[2]"]."""
    return page.locator(ANSWER).last.locator("li a.element-link").all_inner_texts()


def test_keyboard_alone_asks_opens_a_source_changes_settings_runs_a_command_and_signs_in(browser, site):  # noqa: F811
    page = new_page(browser, site)
    tab_to(page, "el.id === 'chat-input'")
    page.keyboard.type("How do I become a BMET?")
    page.keyboard.press("Enter")
    wait_for_text(page, "Sources")
    page.wait_for_selector(f"{ANSWER} .positive-feedback-off")
    # a source: reached with Tab, opened with Enter, closed with Escape
    tab_to(page, "el.getAttribute('aria-label') === 'source 1'")
    page.keyboard.press("Enter")
    page.wait_for_selector("#side-view-content")
    page.keyboard.press("Escape")
    if page.locator("#side-view-content").count():  # the wide panel closes with its back button
        tab_to(page, "el.closest('#side-view-title') !== null && el.tagName === 'BUTTON'", key="Shift+Tab")
        page.keyboard.press("Enter")
    page.wait_for_selector("#side-view-content", state="detached")
    assert len(listed_sources(page)) >= 2  # the default number of sources is 5
    # settings: opened with Enter; Tab goes past the document types box (which once sent the focus
    # back to the dialog) to the number of sources; arrows change it; Confirm with Enter
    tab_to(page, "el.id === 'chat-settings-open-modal'")
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=dialog]")
    assert page.evaluate("document.querySelector('[role=dialog]').contains(document.activeElement)")
    tab_to(page, "el.getAttribute('role') === 'slider'")
    slider = page.locator("[role=dialog] [role=slider]")
    assert (slider.get_attribute("aria-label"), slider.get_attribute("aria-valuenow")) == ("Number of sources", "5")
    page.keyboard.press("ArrowRight")
    assert slider.get_attribute("aria-valuenow") == "6"
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    assert slider.get_attribute("aria-valuenow") == "1"
    tab_to(page, "el.id === 'confirm'")
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=dialog]", state="detached")
    # the next answer, asked from the keyboard, draws on one source
    before = page.locator(ANSWER).count()
    tab_to(page, "el.id === 'chat-input'")
    page.keyboard.type("How do I become a BMET?")
    page.keyboard.press("Enter")
    last_answer(page, before)
    assert listed_sources(page) == ["[1]"]
    # a command: its button reached with Tab and chosen with Enter, then sent from the input
    before = page.locator(ANSWER).count()
    tab_to(page, "el.tagName === 'BUTTON' && el.closest('#message-composer') !== null "
                 "&& el.textContent.includes('Compare careers')")
    page.keyboard.press("Enter")
    tab_to(page, "el.id === 'chat-input'")
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll({ANSWER!r}).length > {before}", timeout=TIMEOUT_MS)
    wait_for_text(page, "Careers compared")
    # no trap: Tab keeps moving through the page
    seen = []
    for _ in range(40):
        page.keyboard.press("Tab")
        seen.append(
            page.evaluate(
                "(el => el.id || el.getAttribute('aria-label') || el.outerHTML.slice(0, 60))(document.activeElement)"
            )
        )
    assert len(set(seen)) >= 10 and "chat-input" in seen, seen
    # staff sign-in, from the header link to the signed-in chat
    tab_to(page, "(el.getAttribute('data-href') || '').endsWith('/staff')", key="Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#staff-continue")
    tab_to(page, "el.id === 'staff-continue'")
    page.keyboard.press("Enter")
    page.wait_for_selector("input[type=password]")
    tab_to(page, "el.id === 'email'")
    page.keyboard.type(STAFF_USER)
    tab_to(page, "el.type === 'password'")
    page.keyboard.type(STAFF_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat-profiles")
    page.context.close()
