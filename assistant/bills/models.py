"""A federal bill as its BILLSTATUS record describes it: plain frozen dataclasses.

``parse.parse_billstatus`` builds them from XML; the store keeps each version as the JSON of
``Bill.to_json()`` and reads it back with ``Bill.from_json``, so a stored version is exactly what
was parsed. Dates are ISO strings as the publisher writes them (``2019-11-20``, or a UTC time).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from assistant.bills.ids import BillRef

SHORT_TITLE_PREFIX = "short title"
OFFICIAL_TITLE_PREFIX = "official title"
POPULAR_TITLE = "popular title"


@dataclass(frozen=True)
class Member:
    """A sponsor or cosponsor; the sponsorship fields are empty for sponsors."""

    full_name: str
    bioguide_id: str = ""
    first_name: str = ""
    last_name: str = ""
    party: str = ""
    state: str = ""
    #: House district as published ("5"; "0" or "At Large" for delegates); None in the Senate.
    district: str | None = None
    sponsorship_date: str | None = None
    is_original: bool = False
    withdrawn_date: str | None = None

    @property
    def current(self) -> bool:
        return not self.withdrawn_date


@dataclass(frozen=True)
class Action:
    date: str
    text: str
    #: BILLSTATUS action type, e.g. ``IntroReferral``, ``Floor``, ``BecameLaw`` (user guide table 4).
    type: str | None = None
    #: Action code (user guide table 3), e.g. ``10000`` introduced, ``8000`` passed House.
    code: str | None = None
    #: Who recorded it: House, Senate, House committee actions, Library of Congress.
    source: str | None = None
    time: str | None = None
    committees: tuple[str, ...] = ()


@dataclass(frozen=True)
class Activity:
    name: str
    date: str


@dataclass(frozen=True)
class Committee:
    name: str
    system_code: str = ""
    chamber: str = ""
    type: str = ""
    activities: tuple[Activity, ...] = ()
    subcommittees: tuple[Committee, ...] = ()


@dataclass(frozen=True)
class Summary:
    version_code: str
    action_date: str
    action_desc: str
    #: The CRS summary with its HTML stripped to plain paragraphs.
    text: str
    update_date: str | None = None


@dataclass(frozen=True)
class TextVersion:
    type: str
    date: str | None
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelatedBill:
    congress: int
    type: str
    number: int
    title: str = ""
    #: "Related bill (CRS)", "Identical bill (House)" ...
    relationships: tuple[str, ...] = ()
    latest_action_date: str | None = None
    latest_action_text: str | None = None


@dataclass(frozen=True)
class Law:
    type: str
    number: str


@dataclass(frozen=True)
class Title:
    type: str
    title: str
    chamber: str = ""


@dataclass(frozen=True)
class Bill:
    congress: int
    type: str
    number: int
    #: The display title congress.gov shows.
    title: str
    introduced_date: str | None = None
    origin_chamber: str = ""
    update_date: str | None = None
    policy_area: str = ""
    titles: tuple[Title, ...] = ()
    sponsors: tuple[Member, ...] = ()
    cosponsors: tuple[Member, ...] = ()
    committees: tuple[Committee, ...] = ()
    actions: tuple[Action, ...] = ()
    latest_action: Action | None = None
    summaries: tuple[Summary, ...] = ()
    text_versions: tuple[TextVersion, ...] = ()
    related_bills: tuple[RelatedBill, ...] = ()
    laws: tuple[Law, ...] = ()

    @property
    def ref(self) -> BillRef:
        return BillRef(self.congress, self.type, self.number)

    @property
    def official_title(self) -> str:
        """The official title of the furthest stage, else the display title."""
        found = [t for t in self.titles if t.type.lower().startswith(OFFICIAL_TITLE_PREFIX)]
        return _furthest(found, prefer=self.title).title if found else self.title

    @property
    def short_title(self) -> str | None:
        """The short title of the whole bill (not "for portions of this bill") at its furthest stage."""
        found = [t for t in self.titles if SHORT_TITLE_PREFIX in t.type.lower() and "portions" not in t.type.lower()]
        return _furthest(found, prefer=self.title).title if found else None

    @property
    def popular_title(self) -> str | None:
        return next((t.title for t in self.titles if t.type.lower() == POPULAR_TITLE), None)

    @property
    def sponsor(self) -> Member | None:
        return self.sponsors[0] if self.sponsors else None

    @property
    def current_cosponsors(self) -> tuple[Member, ...]:
        return tuple(m for m in self.cosponsors if m.current)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Bill:
        return _build(cls, data)


# Title types name the stage they belong to (user guide table 6); the files list them in no
# reliable order, so the furthest stage is found by its words.
_STAGES = (
    ("enacted", 5),
    ("agreed to by house and senate", 4),
    ("conference", 4),
    ("passed", 3),
    ("amended", 3),
    ("reported", 2),
    ("introduced", 1),
)


def _furthest(titles: list[Title], *, prefer: str) -> Title:
    """The title of the furthest stage; among several there ("TRUST Act" and "Time to Rescue
    United States Trusts Act"), the one congress.gov displays."""

    def rank(t: Title) -> int:
        kind = t.type.lower()
        return next((r for words, r in _STAGES if words in kind), 0)

    best = max(rank(t) for t in titles)
    top = [t for t in titles if rank(t) == best]
    return next((t for t in top if t.title == prefer), top[0])


# Which fields hold nested dataclasses, so ``from_json`` can rebuild them from plain dicts.
_NESTED: dict[tuple[type, str], type] = {
    (Bill, "titles"): Title,
    (Bill, "sponsors"): Member,
    (Bill, "cosponsors"): Member,
    (Bill, "committees"): Committee,
    (Bill, "actions"): Action,
    (Bill, "latest_action"): Action,
    (Bill, "summaries"): Summary,
    (Bill, "text_versions"): TextVersion,
    (Bill, "related_bills"): RelatedBill,
    (Bill, "laws"): Law,
    (Committee, "activities"): Activity,
    (Committee, "subcommittees"): Committee,
}


def _build(cls: type, data: dict):
    values = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        nested = _NESTED.get((cls, f.name))
        if isinstance(value, (list, tuple)):
            value = tuple(_build(nested, v) if nested else v for v in value)
        elif nested and isinstance(value, dict):
            value = _build(nested, value)
        values[f.name] = value
    return cls(**values)
