"""The two chat profiles: who each is for, what they open with, what they search by default.

A profile's ``key`` is the ``profile`` the library takes (``student`` or ``advocacy``: a soft
preference for documents written for that audience); its ``defaults`` are hard filters the user
can widen in the settings panel.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.retrieval.filters import Filters

# Command ids are what the composer shows, so they are written for people.
WHAT_CHANGED = "What changed this week"
WEEKLY_DIGEST = "Weekly digest"
COMPARE_CAREERS = "Compare careers"
MAKE_PLAN = "Make a plan"
UPDATES_TIMELINE = "Updates timeline"
ADD_FEED = "Add feed"
REFRESH_FEEDS = "Refresh feeds"
TRACK_BILL = "Track a bill"


@dataclass(frozen=True)
class Starter:
    label: str
    message: str
    icon: str = ""


@dataclass(frozen=True)
class Command:
    id: str
    description: str
    icon: str
    #: Shown as a button beside the message box (else only in the / menu).
    button: bool = True
    #: Only for signed-in staff (adding feeds, refreshing).
    staff_only: bool = False


@dataclass(frozen=True)
class Profile:
    key: str
    name: str
    icon: str
    #: Markdown shown on the empty chat under the profile's icon, and in the profile picker.
    welcome: str
    starters: tuple[Starter, ...]
    commands: tuple[Command, ...]
    defaults: Filters
    #: Only staff may open it (``ASSISTANT_OPEN_CAREER_GUIDE`` never opens it).
    staff_only: bool = False
    #: List sources newest first when the question asks for news.
    newest_first_for_news: bool = False
    default: bool = False

    def commands_for(self, *, staff: bool) -> tuple[Command, ...]:
        return tuple(c for c in self.commands if staff or not c.staff_only)


CAREER_GUIDE = Profile(
    key="student",
    name="Career guide",
    icon="/public/career.svg",
    welcome=(
        "**Thinking about a career fixing and running hospital equipment?** Ask me how to become a "
        "biomedical equipment technician (BMET), what it pays, which certificate matters, where to "
        "train, and how it compares with other allied-health jobs. Every answer cites its sources "
        "with their dates; when my documents don't cover something, I say so."
    ),
    starters=(
        Starter(
            "What does a BMET do?",
            "What does a biomedical equipment technician (BMET) do day to day?",
            "/public/icons/wrench.svg",
        ),
        Starter(
            "How do I become one?",
            "How do I become a BMET, and how long does the training take?",
            "/public/icons/route.svg",
        ),
        Starter("Pay and job outlook", "What does a BMET earn, and is the field growing?", "/public/icons/chart.svg"),
        Starter(
            "CBET certification", "What do I need to qualify for the CBET certification?", "/public/icons/badge.svg"
        ),
        Starter(
            "From the military",
            "I was a military biomed tech. How do I move into a civilian BMET job?",
            "/public/icons/flag.svg",
        ),
        Starter(
            "Paying for training",
            "How can I pay for BMET training with the GI Bill, WIOA or an employer?",
            "/public/icons/wallet.svg",
        ),
        Starter("Make me a plan", "Make me a plan", "/public/icons/route.svg"),
    ),
    commands=(
        Command(COMPARE_CAREERS, "Chart: median pay and projected growth of allied-health careers", "bar-chart-3"),
        Command(MAKE_PLAN, "A step-by-step plan from what you told me, as a checklist to download", "list-checks"),
    ),
    defaults=Filters(doc_types=("career_pathway", "training_program", "reference")),
    default=True,
)

POLICY_DESK = Profile(
    key="advocacy",
    name="Policy desk",
    icon="/public/policy.svg",
    welcome=(
        "**Workforce policy, tracked and cited.** Ask about WIOA, Perkins V, registered "
        "apprenticeship, medical-device right to repair, device cybersecurity (FD&C Act 524B), the "
        "HIPAA Security Rule update and Massachusetts programs. News questions list the newest "
        "updates first; the buttons in the message box give this week's changes, the weekly "
        "digest and a timeline of updates. Type \"track H.R. 6655\" to follow a federal bill."
    ),
    starters=(
        Starter(
            "WIOA reauthorization",
            "Where does WIOA reauthorization stand, and what would it change?",
            "/public/icons/landmark.svg",
        ),
        Starter(
            "Right to repair",
            "Which states have medical-device right-to-repair bills, and what do they require?",
            "/public/icons/wrench.svg",
        ),
        Starter(
            "Device cybersecurity",
            "What does FD&C Act section 524B require of medical device manufacturers?",
            "/public/icons/shield.svg",
        ),
        Starter(
            "Registered apprenticeship",
            "What are the rules for a registered apprenticeship program in healthcare technology?",
            "/public/icons/route.svg",
        ),
        Starter(
            "Massachusetts funding",
            "Which Massachusetts programs fund healthcare workforce training?",
            "/public/icons/flag.svg",
        ),
        Starter("This week's news", "What is new in healthcare workforce policy this week?", "/public/icons/news.svg"),
    ),
    commands=(
        Command(WHAT_CHANGED, "New and changed policy items of the last 7 days, with what changed", "newspaper"),
        Command(WEEKLY_DIGEST, "Download the week's digest as a Markdown file", "file-down"),
        Command(UPDATES_TIMELINE, "Chart: policy updates per week by topic", "calendar-range"),
        Command(
            COMPARE_CAREERS,
            "Chart: median pay and projected growth of allied-health careers",
            "bar-chart-3",
            button=False,
        ),
        Command(
            ADD_FEED,
            "Subscribe to a feed: type its URL (then optionally a topic)",
            "rss",
            button=False,
            staff_only=True,
        ),
        Command(
            REFRESH_FEEDS, "Fetch every feed now and index what changed", "refresh-cw", button=False, staff_only=True
        ),
        Command(
            TRACK_BILL,
            "Follow a federal bill's official record: type its number (H.R. 6655, S. 2902)",
            "gavel",
            button=False,
            staff_only=True,
        ),
    ),
    defaults=Filters(doc_types=("policy", "policy_update")),
    staff_only=True,
    newest_first_for_news=True,
)

PROFILES = (CAREER_GUIDE, POLICY_DESK)
STAFF_ONLY = (
    "The Policy desk is for advocacy staff. Please sign in with a staff account "
    "(**Staff sign-in**, top right), or switch to the Career guide."
)


def by_name(name: str | None) -> Profile:
    """The profile called ``name`` (the Chainlit chat profile), else the default one."""
    for profile in PROFILES:
        if profile.name == name:
            return profile
    return CAREER_GUIDE


def available(*, staff: bool) -> tuple[Profile, ...]:
    """The profiles a person may open: students and guests see only the Career guide."""
    return tuple(p for p in PROFILES if staff or not p.staff_only)
