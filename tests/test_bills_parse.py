"""parse_billstatus on GPO's 13 real BILLSTATUS samples, checked against values read by hand from
the XML files, plus the later-schema variant, malformed, foreign and hostile documents."""

import json
from pathlib import Path

import pytest

from assistant.bills.models import Bill
from assistant.bills.parse import BillError, parse_billstatus

REPO = Path(__file__).resolve().parents[1]
_BESIDE = REPO.parent / "shared" / "data" / "billstatus"
SAMPLES = _BESIDE if _BESIDE.is_dir() else Path("/work/shared/data/billstatus")
FIXTURES = Path(__file__).parent / "data" / "bills"

# Read by hand from each file: congress, type, number, introducedDate, the sponsor's fullName, the
# number of cosponsor <item>s, the direct <title>, latestAction date and the start of its text,
# and the number of <actions><item>s.
BY_HAND = {
    "BILLSTATUS-115s2979.xml": (115, "s", 2979, "2018-05-24", "Sen. Lee, Mike [R-UT]", 11,
                                "Spending Cuts to Expired and Unnecessary Programs Act", "2018-05-24",
                                "Read twice and referred concurrently to the Committees on Appropriations", 2),
    "BILLSTATUS-116hr4907.xml": (116, "hr", 4907, "2019-10-29", "Rep. Gallagher, Mike [R-WI-8]", 6,
                                 "Time to Rescue United States Trusts Act", "2019-10-29",
                                 "Referred to the Committee on Oversight and Reform", 5),
    "BILLSTATUS-116hr5053.xml": (116, "hr", 5053, "2019-11-12", "Rep. Scanlon, Mary Gay [D-PA-5]", 8,
                                 "Justice for Juveniles Act", "2019-11-12",
                                 "Referred to the House Committee on the Judiciary.", 3),
    "BILLSTATUS-116hr5177.xml": (116, "hr", 5177, "2019-11-19", "Rep. Beatty, Joyce [D-OH-3]", 7,
                                 "Homeless Youth Menstrual Product Access Act of 2019", "2019-11-19",
                                 "Referred to the House Committee on Education and Labor.", 3),
    "BILLSTATUS-116hr5183.xml": (116, "hr", 5183, "2019-11-19", "Rep. Norton, Eleanor Holmes [D-DC-At Large]", 0,
                                 "Breastfeeding Mothers Jury Duty Exclusion Act of 2019", "2019-11-19",
                                 "Referred to the Committee on the Judiciary, and in addition", 5),
    "BILLSTATUS-116hr5240.xml": (116, "hr", 5240, "2019-11-21", "Rep. Kind, Ron [D-WI-3]", 13,
                                 "To amend the Internal Revenue Code of 1986 to make the look-thru rule for related "
                                 "controlled foreign corporations permanent.", "2019-11-21",
                                 "Referred to the House Committee on Ways and Means.", 3),
    "BILLSTATUS-116s2902.xml": (116, "s", 2902, "2019-11-20", "Sen. Smith, Tina [D-MN]", 1,
                                "Strengthening Our Rural Health Workforce Act of 2019", "2019-11-20",
                                "Read twice and referred to the Committee on Health, Education, Labor, and "
                                "Pensions.", 2),
    "BILLSTATUS-116s790.xml": (116, "s", 790, "2019-03-13", "Sen. Graham, Lindsey [R-SC]", 2,
                               "A bill to clarify certain provisions of Public Law 103-116, the Catawba Indian Tribe "
                               "of South Carolina Land Claims Settlement Act of 1993, and for other purposes.",
                               "2019-05-01", "Committee on Indian Affairs. Hearings held.", 3),
    "BILLSTATUS-116s832.xml": (116, "s", 832, "2019-03-14", "Sen. Merkley, Jeff [D-OR]", 1,
                               "A bill to nullify the Supplemental Treaty Between the United States of America and "
                               "the Confederated Tribes and Bands of Indians of Middle Oregon, concluded on "
                               "November 15, 1865.", "2019-07-03",
                               "Referred to the Subcommittee for Indigenous Peoples of the United States.", 13),
    "BILLSTATUS-117hr1.xml": (117, "hr", 1, "2021-01-04", "Rep. Sarbanes, John P. [D-MD-3]", 222,
                              "For the People Act of 2021", "2021-03-11", "Received in the Senate.", 63),
    "BILLSTATUS-117hr6658.xml": (117, "hr", 6658, "2022-02-09", "Rep. Davis, Rodney [R-IL-13]", 110,
                                 "Protecting Family and Small Business Tax Cuts Act of 2022", "2022-02-09",
                                 "Referred to the House Committee on Ways and Means.", 3),
    "BILLSTATUS-117s35.xml": (117, "s", 35, "2021-01-22", "Sen. Van Hollen, Chris [D-MD]", 72,
                              "Officer Eugene Goodman Congressional Gold Medal Act", "2021-02-18",
                              "Held at the desk.", 10),
    "BILLSTATUS-117sconres7.xml": (117, "sconres", 7, "2021-03-01", "Sen. Klobuchar, Amy [D-MN]", 38,
                                   "A concurrent resolution recognizing the heroism of the United States Capitol "
                                   "personnel and journalists during the insurrectionist attack on the United States "
                                   "Capitol on January 6, 2021.", "2021-03-01",
                                   "Referred to the Committee on Rules and Administration.", 2),
}  # fmt: skip


def parse(name: str) -> Bill:
    return parse_billstatus((SAMPLES / name).read_bytes(), name=name)


def test_all_thirteen_samples_are_covered():
    assert sorted(p.name for p in SAMPLES.glob("BILLSTATUS-*.xml")) == sorted(BY_HAND)


@pytest.mark.parametrize("name", sorted(BY_HAND))
def test_every_sample_parses_to_the_values_in_the_file(name):
    congress, kind, number, introduced, sponsor, cosponsors, title, latest_date, latest_text, actions = BY_HAND[name]
    bill = parse(name)
    assert (bill.congress, bill.type, bill.number) == (congress, kind, number)
    assert bill.introduced_date == introduced
    assert bill.sponsor.full_name == sponsor
    assert len(bill.cosponsors) == cosponsors
    assert bill.title == title
    assert bill.latest_action.date == latest_date and bill.latest_action.text.startswith(latest_text)
    assert len(bill.actions) == actions
    assert all(a.date and a.text for a in bill.actions)
    # Nothing is lost on the way to the store: the JSON of a version reads back equal.
    assert Bill.from_json(json.loads(json.dumps(bill.to_json()))) == bill


def test_s2902_in_detail():
    bill = parse("BILLSTATUS-116s2902.xml")
    assert bill.ref.key == "116-s-2902" and bill.ref.label == "S. 2902"
    assert bill.short_title == "Strengthening Our Rural Health Workforce Act of 2019"
    assert bill.official_title == "A bill to enhance the rural health workforce, and for other purposes."
    smith = bill.sponsor
    assert (smith.bioguide_id, smith.party, smith.state, smith.district) == ("S001203", "D", "MN", None)
    barrasso = bill.cosponsors[0]
    assert (barrasso.full_name, barrasso.bioguide_id, barrasso.sponsorship_date) == (
        "Sen. Barrasso, John [R-WY]",
        "B001261",
        "2019-11-20",
    )
    assert barrasso.is_original and barrasso.current
    committee = bill.committees[0]
    assert (committee.name, committee.system_code, committee.chamber, committee.type) == (
        "Health, Education, Labor, and Pensions Committee",
        "sshr00",
        "Senate",
        "Standing",
    )
    assert [(a.name, a.date) for a in committee.activities] == [("Referred to", "2019-11-20T15:43:29Z")]
    intro = [a for a in bill.actions if a.code == "10000"]
    assert [(a.text, a.type, a.source) for a in intro] == [
        ("Introduced in Senate", "IntroReferral", "Library of Congress")
    ]
    referral = bill.actions[0]
    assert referral.source == "Senate" and referral.committees == ("Health, Education, Labor, and Pensions Committee",)
    assert bill.text_versions[0].type == "Introduced in Senate"
    assert bill.text_versions[0].urls == (
        "https://www.govinfo.gov/content/pkg/BILLS-116s2902is/xml/BILLS-116s2902is.xml",
    )
    assert bill.summaries == () and bill.laws == () and bill.related_bills == ()


def test_summaries_related_bills_and_house_districts():
    s832 = parse("BILLSTATUS-116s832.xml")
    assert [(s.version_code, s.action_desc) for s in s832.summaries] == [
        ("00", "Introduced in Senate"),
        ("25", "Reported to Senate"),
        ("55", "Passed Senate"),
    ]
    assert s832.summaries[0].action_date == "2019-03-14"
    assert s832.summaries[0].text.startswith("This bill nullifies the supplemental treaty between the United States")
    assert "<p>" not in s832.summaries[0].text
    related = s832.related_bills[0]
    assert (related.congress, related.type, related.number, related.relationships) == (
        116,
        "hr",
        1803,
        ("Identical bill (CRS)",),
    )
    assert related.latest_action_date == "2019-06-05" and related.latest_action_text == "Subcommittee Hearings Held."
    assert parse("BILLSTATUS-116hr5183.xml").sponsor.district == "0"  # the Delegate for DC
    assert parse("BILLSTATUS-116hr4907.xml").sponsor.district == "8"


def test_titles_pick_the_furthest_stage_and_the_displayed_short_title():
    hr1 = parse("BILLSTATUS-117hr1.xml")
    assert hr1.short_title == "For the People Act of 2021"
    assert hr1.official_title.startswith("To expand Americans")
    # Two short titles as introduced ("TRUST Act" and the long form): the displayed one wins.
    assert parse("BILLSTATUS-116hr4907.xml").short_title == "Time to Rescue United States Trusts Act"
    assert parse("BILLSTATUS-116s790.xml").short_title is None  # the file has no short title
    assert parse("BILLSTATUS-117hr1.xml").popular_title is None


def test_the_later_schema_reads_the_same_and_keeps_withdrawals_and_laws():
    bill = parse_billstatus((FIXTURES / "BILLSTATUS-116s2902-later-schema.xml").read_bytes())
    assert bill.ref.key == "116-s-2902"
    assert bill.committees[0].system_code == "sshr00"
    assert [(s.version_code, s.action_desc) for s in bill.summaries] == [("00", "Introduced in Senate")]
    assert bill.summaries[0].text == (
        "Strengthening Our Rural Health Workforce Act of 2019\nThis bill expands & supports rural residency training."
    )
    coons = bill.cosponsors[1]
    assert coons.withdrawn_date == "2019-11-25" and not coons.current and not coons.is_original
    assert [m.full_name for m in bill.current_cosponsors] == ["Sen. Barrasso, John [R-WY]"]
    assert [(law.type, law.number) for law in bill.laws] == [("Public Law", "116-999")]


@pytest.mark.parametrize(
    ("data", "cause"),
    [
        (b"", "empty BILLSTATUS file"),
        (b"<billStatus><bill><billNumber>1", "not well-formed XML"),
        (b"<html><body>Just a moment...</body></html>", "not a BILLSTATUS document (root element <html>"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "not a BILLSTATUS document"),
        (b"<billStatus><bill><billNumber>x</billNumber></bill></billStatus>", "without a valid bill number"),
        (
            b'<?xml version="1.0"?><!DOCTYPE billStatus [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b"<billStatus><bill><title>&b;</title></bill></billStatus>",
            "refused: the XML declares a DOCTYPE",
        ),
        (b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><billStatus/>', "refused"),
    ],
)
def test_malformed_foreign_and_hostile_documents_are_one_clear_error(data, cause):
    with pytest.raises(BillError) as caught:
        parse_billstatus(data, name="H.R. 6655 (119-hr-6655)")
    message = str(caught.value)
    assert message.startswith("H.R. 6655 (119-hr-6655): ") and cause in message
    assert "\n" not in message
