"""The settings panel: which widgets it has, and what their values mean for a search.

``widgets(profile)`` describes the panel in plain data (``app.py`` turns each into a Chainlit
input widget); ``read(values, profile)`` turns what the panel sends back into ``Filters`` and a
number of sources. Values arrive from the browser, so anything unexpected falls back to the
profile's default rather than failing the question, and ``Choice.problems`` says so in one line.

A profile searches only its own document types (``allowed_types``): the browser can send any
list, and the Career guide, open to guests, must not reach the Policy desk's documents (issue 13).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from assistant.chat.profiles import Profile
from assistant.retrieval.filters import Filters
from assistant.types import DOC_TYPES

JURISDICTIONS = {"any": "Any (US and Massachusetts)", "US": "United States (federal)", "MA": "Massachusetts"}
DOC_TYPE_LABELS = {
    "career_pathway": "Career pathways",
    "training_program": "Training programs",
    "policy": "Policy documents",
    "policy_update": "Policy updates (tracked feeds)",
    "reference": "Reference data (occupations table)",
}
#: Kinds of source that are not documents (not offered as a filter).
SOURCE_LABELS = {**DOC_TYPE_LABELS, "data": "Official labor-market data"}
SOURCES_MIN, SOURCES_MAX, SOURCES_DEFAULT = 1, 10, 5


@dataclass(frozen=True)
class Widget:
    """One input of the panel; ``kind`` is select, multiselect, date, slider, text or switch."""

    kind: str
    id: str
    label: str
    initial: object = None
    items: dict[str, str] = field(default_factory=dict)
    description: str = ""
    min: float = 0
    max: float = 0
    step: float = 1


@dataclass(frozen=True)
class Choice:
    """What the panel asks for: the filters, the number of sources, the home area and memory."""

    filters: Filters
    k: int = SOURCES_DEFAULT
    #: The place used when the person named none and the chat remembers none ("" = the deployment's).
    home_area: str = ""
    #: Whether this chat keeps what the person says (place, background, goal) for later questions.
    remember: bool = True
    #: One line per value that could not be used as sent, saying what was used instead.
    problems: tuple[str, ...] = ()

    def describe(self) -> str:
        """A short phrase naming the active limits, or "" when nothing is limited."""
        parts = []
        if self.filters.jurisdictions:
            parts.append(" or ".join(JURISDICTIONS.get(j, j) for j in self.filters.jurisdictions))
        if self.filters.doc_types and set(self.filters.doc_types) != set(DOC_TYPES):
            parts.append(", ".join(DOC_TYPE_LABELS.get(t, t).lower() for t in self.filters.doc_types))
        if self.filters.since:
            parts.append(f"dated {self.filters.since.isoformat()} or later")
        return "; ".join(parts)


def widgets(profile: Profile, *, home_area: str = "", remember: bool = True) -> list[Widget]:
    """The panel; ``home_area`` and ``remember`` are the deployment's defaults (``Settings``)."""
    return [
        Widget("select", "jurisdiction", "Jurisdiction", "any", items={v: k for k, v in JURISDICTIONS.items()}),
        Widget(
            "multiselect",
            "doc_types",
            "Document types",
            list(profile.defaults.doc_types),
            items={DOC_TYPE_LABELS[t]: t for t in allowed_types(profile) if t in DOC_TYPE_LABELS},
            description="Leave empty to search this profile's usual types.",
        ),
        Widget("date", "since", "Only updates since", None, description="Only documents dated on or after this day."),
        Widget(
            "slider",
            "k",
            "Number of sources",
            SOURCES_DEFAULT,
            min=SOURCES_MIN,
            max=SOURCES_MAX,
            step=1,
            description="How many passages an answer may draw on.",
        ),
        Widget(
            "text",
            "home_area",
            "Home area",
            home_area,
            description='Used when you name no place, e.g. "Springfield, MA", "Worcester" or "Massachusetts".',
        ),
        Widget(
            "switch",
            "remember",
            "Remember what I tell you in this chat",
            remember,
            description="Your place, background and goal, for later questions. Kept only in this chat.",
        ),
    ]


def initial_values(profile: Profile, *, home_area: str = "", remember: bool = True) -> dict:
    return {w.id: w.initial for w in widgets(profile, home_area=home_area, remember=remember)}


def allowed_types(profile: Profile) -> tuple[str, ...]:
    """The document types ``profile`` may search: a staff-only profile every type, any other
    (open to guests) only its own defaults."""
    return DOC_TYPES if profile.staff_only else profile.defaults.doc_types


def read(values: Mapping | None, profile: Profile, *, home_area: str = "", remember: bool = True) -> Choice:
    """The search a panel's ``values`` ask for; missing or malformed values take the defaults
    (``home_area`` and ``remember`` are the deployment's)."""
    values = values if isinstance(values, Mapping) else {}
    problems: list[str] = []
    jurisdiction = values.get("jurisdiction")
    jurisdictions = (jurisdiction,) if jurisdiction in ("US", "MA") else ()
    return Choice(
        filters=Filters(
            doc_types=_doc_types(values.get("doc_types"), profile, problems),
            audience=profile.defaults.audience,
            jurisdictions=jurisdictions,
            since=parse_day(values.get("since")),
        ),
        k=_clamp_k(values.get("k"), problems),
        home_area=_place_text(values.get("home_area", home_area)),
        remember=_switch(values.get("remember"), default=remember),
        problems=tuple(problems),
    )


def _doc_types(value, profile: Profile, problems: list[str]) -> tuple[str, ...]:
    """The types asked for that ``profile`` allows; none asked (or none usable) means its defaults."""
    if value is None:
        return profile.defaults.doc_types
    if isinstance(value, str):
        value = [t for t in value.split(",") if t]
    if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
        problems.append(
            f"Document types: {value!r:.40} is not a list of types, so I used the {profile.name}'s usual ones.")
        return profile.defaults.doc_types
    allowed = allowed_types(profile)
    refused = [t for t in value if t not in allowed]
    if refused:
        problems.append(f"Document types: {', '.join(refused)[:80]} cannot be searched in the {profile.name}.")
    return tuple(t for t in value if t in allowed) or profile.defaults.doc_types


#: Longer than any place name BLS publishes; longer input is not a place.
PLACE_MAX = 80


def _place_text(value) -> str:
    """The home area as typed, whitespace tidied; anything that is not text counts as empty."""
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())[:PLACE_MAX]


def _switch(value, *, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return default


def parse_day(value) -> date | None:
    """A day from the date picker: ``date``, ``"2025-06-01"`` or an ISO timestamp; else None."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _clamp_k(value, problems: list[str]) -> int:
    """The number of sources, kept within the slider's range; anything but a finite number is the default."""
    if value is None:
        return SOURCES_DEFAULT
    try:
        k = int(float(value))
    except (TypeError, ValueError, OverflowError):  # "many", [3], "inf" (int(inf) overflows), "nan"
        problems.append(f"Number of sources: {value!r:.40} is not a number from {SOURCES_MIN} to {SOURCES_MAX}, "
                        f"so I used {SOURCES_DEFAULT}.")
        return SOURCES_DEFAULT
    return max(SOURCES_MIN, min(SOURCES_MAX, k))
