"""In headless Chromium: a Massachusetts bill's card under a Policy desk answer, as staff see it,
and axe-core's WCAG 2.1 AA audit of that state (zero critical or serious violations).

Runs with the slow and browser markers over the app and fixture of tests/test_browser.py, with
the shipped seed (corpus/malegislature) loaded into its store as ``assistant ingest corpus/``
would. Expected values were read by hand from the seed's files: H1000's entry in
documents_court192.json (title, Jeffrey N. Roy) and its three history actions.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_accessibility import assert_conforms  # noqa: E402
from test_browser import (  # noqa: E402
    ANSWER,
    SHOTS,
    ask,
    browser,  # noqa: F401  (the shared Chromium fixture)
    choose_profile,
    page,  # noqa: F401  (a fresh browser profile on the site)
    sign_in_as_staff,
    site,  # noqa: F401  (the shared app fixture)
    wait_for_text,
)
from ui_support import ROOT  # noqa: E402

from assistant.occupations.extract import load_extract  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_massachusetts_bill_card_on_the_policy_desk(page, site):  # noqa: F811
    conn = sqlite3.connect(site.data_dir / "assistant.db", isolation_level=None)
    conn.row_factory = sqlite3.Row
    load_extract(conn, ROOT / "corpus" / "malegislature")
    conn.close()
    sign_in_as_staff(page, site)
    choose_profile(page, "Policy desk")
    answer = ask(page, "Where does H 1000 stand?")
    assert "H.1000" in answer
    wait_for_text(page, "H.1000 at a glance")
    card = page.locator(ANSWER).last.inner_text()
    assert "An Act to assist municipal and district ratepayers (H.1000, 192nd General Court, Massachusetts)" in card
    assert "Sponsor: Jeffrey N. Roy; no cosponsors on record" in card
    assert "Committee: Environment, Natural Resources and Agriculture" in card
    assert ("Latest action, 2021-11-30 12:43 Boston time (Joint): Hearing scheduled for 12/07/2021 from "
            "01:00 PM-04:00 PM in Virtual Hearing") in card  # fmt: skip
    assert "Hearing: 2021-12-07 13:00 Boston time; Virtual Hearing; scheduled" in card
    assert "2021-03-29: Senate concurred" in card and "23:59" not in card  # the placeholder: the date alone
    link = page.locator(ANSWER).last.get_by_role("link", name="Massachusetts Legislature, 192nd General Court, H.1000")
    assert link.get_attribute("href") == "https://malegislature.gov/Bills/192/H1000"
    assert "as fetched 2022-03-15" in card
    page.get_by_text("H.1000 at a glance").first.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "ma-bill-card.png")
    assert_conforms(page, "Massachusetts bill card (Policy desk)")
