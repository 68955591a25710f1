"""Bill identifiers, and what ``decide`` says changed between two versions of a real record."""

import dataclasses
from pathlib import Path

import pytest

from assistant.bills.decide import content_hash, decide, headline
from assistant.bills.ids import BillIdError, BillRef, bill_mentions, congress_mentioned, ordinal, parse_bill_id
from assistant.bills.models import Action, Law, Member, Summary
from assistant.bills.parse import parse_billstatus

REPO = Path(__file__).resolve().parents[1]
_BESIDE = REPO.parent / "shared" / "data" / "billstatus"
SAMPLES = _BESIDE if _BESIDE.is_dir() else Path("/work/shared/data/billstatus")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("hr6655", "119-hr-6655"), ("H.R. 6655", "119-hr-6655"), ("H.R.6655", "119-hr-6655"),
        ("s2902", "119-s-2902"), ("s.2902", "119-s-2902"), ("S. 2902", "119-s-2902"),
        ("hjres45", "119-hjres-45"), ("H.J.Res. 45", "119-hjres-45"), ("sconres7", "119-sconres-7"),
        ("S.Con.Res. 7", "119-sconres-7"), ("hres 12", "119-hres-12"), ("sres3", "119-sres-3"),
        ("hconres 2", "119-hconres-2"), ("sjres1", "119-sjres-1"),
    ],
)  # fmt: skip
def test_bill_ids_people_write_normalize_to_the_publishers_key(text, key):
    assert parse_bill_id(text, congress=119).key == key


def test_bill_ref_urls_labels_and_bad_ids():
    ref = parse_bill_id("H.R. 6655", congress=118)
    assert ref.bill == "hr6655" and ref.label == "H.R. 6655" and ref.congress_label == "118th Congress"
    assert ref.file_url("https://www.govinfo.gov/bulkdata/BILLSTATUS/") == (
        "https://www.govinfo.gov/bulkdata/BILLSTATUS/118/hr/BILLSTATUS-118hr6655.xml"
    )
    assert ref.congress_gov_url == "https://www.congress.gov/bill/118th-congress/house-bill/6655"
    assert BillRef(117, "sconres", 7).congress_gov_url.endswith("/117th-congress/senate-concurrent-resolution/7")
    assert [ordinal(n) for n in (101, 102, 103, 111, 112, 113, 121)] == [
        "101st",
        "102nd",
        "103rd",
        "111th",
        "112th",
        "113th",
        "121st",
    ]
    with pytest.raises(BillIdError, match="'HB 12': not a federal bill number"):
        parse_bill_id("HB 12", congress=119)


def test_bill_numbers_found_in_questions():
    assert bill_mentions("Where is H.R. 6655 now? And hr 6655, S. 2902, H.J.Res. 45?") == [
        ("hr", 6655),
        ("s", 2902),
        ("hjres", 45),
    ]
    assert bill_mentions("what's new since it's 2024 for apprenticeships 2023") == []
    assert congress_mentioned("what is S. 2902 in the 116th Congress?") == 116
    assert congress_mentioned("what is S. 2902?") is None


@pytest.fixture(scope="module")
def s35():
    return parse_billstatus((SAMPLES / "BILLSTATUS-117s35.xml").read_bytes())


def test_the_first_version_says_tracking_started_with_the_latest_action(s35):
    [change] = decide(None, s35)
    assert change.kind == "tracked" and change.text == "tracking started; latest action 2021-02-18: Held at the desk."


def test_new_actions_cosponsors_summary_law_and_status(s35):
    new_action = Action(
        date="2021-03-01",
        text="Passed/agreed to in House: On passage Passed without objection.",
        type="Floor",
        code="8000",
        source="Library of Congress",
    )
    chamber_copy = dataclasses.replace(new_action, text=new_action.text, code=None, source="House floor actions")
    newcomers = tuple(Member(full_name=f"Sen. Doe{n}, Jan [D-MA]", bioguide_id=f"D00000{n}",
                             sponsorship_date="2021-02-20") for n in range(3))  # fmt: skip
    withdrawn = dataclasses.replace(s35.cosponsors[0], withdrawn_date="2021-02-25")
    later = dataclasses.replace(
        s35,
        actions=(new_action, chamber_copy, *s35.actions),
        latest_action=Action(date="2021-03-01", text=new_action.text),
        cosponsors=(withdrawn, *s35.cosponsors[1:], *newcomers),
        summaries=(*s35.summaries, Summary("49", "2021-03-01", "Public Law", "Text.")),
        laws=(Law("Public Law", "117-99"),),
    )
    changes = decide(s35, later)
    texts = [c.text for c in changes]
    assert texts[0] == "new action 2021-03-01: Passed/agreed to in House: On passage Passed without objection."
    assert sum(t.startswith("new action") for t in texts) == 1  # the chamber's copy is the same action
    assert "3 new cosponsors: Sen. Doe0, Jan [D-MA], Sen. Doe1, Jan [D-MA], Sen. Doe2, Jan [D-MA]" in texts
    assert f"cosponsor withdrew: {withdrawn.full_name} (2021-02-25)" in texts
    assert "new summary: Public Law (2021-03-01)" in texts
    assert "became Public Law 117-99" in texts
    assert not any(t.startswith("status changed") for t in texts)  # the new action already says it
    assert headline(changes) == "1 new action, 3 new cosponsors, cosponsor withdrawn, new summary, became law"


def test_a_changed_latest_action_without_a_new_action_is_a_status_change(s35):
    later = dataclasses.replace(s35, latest_action=Action(date="2021-02-19", text="Placed on the Union Calendar."))
    assert [c.text for c in decide(s35, later)] == [
        "status changed: latest action 2021-02-19: Placed on the Union Calendar."
    ]


def test_the_hash_ignores_the_records_own_update_time_but_not_content(s35):
    assert content_hash(dataclasses.replace(s35, update_date="2030-01-01T00:00:00Z")) == content_hash(s35)
    other = dataclasses.replace(s35, title=s35.title + " (amended)")
    assert content_hash(other) != content_hash(s35)
    [change] = decide(s35, dataclasses.replace(s35, related_bills=()))
    assert change.kind == "other"
