"""Federal bill identifiers as people write them ("H.R. 6655", "s.2902", "H.J.Res. 45") and as
GovInfo and congress.gov spell them. Pure: no I/O.

The key ``{congress}-{type}-{number}`` (``119-hr-6655``) is the publisher's own identity of a
measure (STYLE.md "keep the publisher's codes as keys"); a number alone means nothing without
its Congress, since numbering restarts every two years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.errors import AssistantError

#: BILLSTATUS ``billType`` (lower-cased) -> (how citations print it, congress.gov path segment).
TYPES: dict[str, tuple[str, str]] = {
    "hr": ("H.R.", "house-bill"),
    "s": ("S.", "senate-bill"),
    "hres": ("H.Res.", "house-resolution"),
    "sres": ("S.Res.", "senate-resolution"),
    "hjres": ("H.J.Res.", "house-joint-resolution"),
    "sjres": ("S.J.Res.", "senate-joint-resolution"),
    "hconres": ("H.Con.Res.", "house-concurrent-resolution"),
    "sconres": ("S.Con.Res.", "senate-concurrent-resolution"),
}

# Letters of each type with optional dots and spaces between them: "H. J. Res.", "hjres", "S.Con.Res".
_TYPE_PATTERNS = {
    "hconres": r"h\.?\s*con\.?\s*res",
    "sconres": r"s\.?\s*con\.?\s*res",
    "hjres": r"h\.?\s*j\.?\s*res",
    "sjres": r"s\.?\s*j\.?\s*res",
    "hres": r"h\.?\s*res",
    "sres": r"s\.?\s*res",
    "hr": r"h\.?\s*r",
    "s": r"s",
}
_TYPE_ALTERNATION = "|".join(f"(?P<{name}>{pattern})" for name, pattern in _TYPE_PATTERNS.items())
_EXACT = re.compile(rf"^\s*(?:{_TYPE_ALTERNATION})\.?\s*(?P<number>\d{{1,5}})\s*$", re.IGNORECASE)
# In running text a bare "s 12" or "hr 5" must stand alone, so the type needs a word boundary
# before it (and no apostrophe: "it's 2024" is not S. 2024) and the number must not run on.
_IN_TEXT = re.compile(rf"(?<![\w.'\u2019])(?:{_TYPE_ALTERNATION})\.?\s*(?P<number>\d{{1,5}})(?![\w])", re.IGNORECASE)
_CONGRESS_IN_TEXT = re.compile(r"\b(\d{2,3})(?:st|nd|rd|th)\s+congress\b", re.IGNORECASE)


class BillIdError(AssistantError):
    """A bill identifier that cannot be read."""


@dataclass(frozen=True, order=True)
class BillRef:
    """One measure of one Congress."""

    congress: int
    type: str
    number: int

    @property
    def bill(self) -> str:
        """``hr6655``: the short id of DESIGN.md's JSON."""
        return f"{self.type}{self.number}"

    @property
    def key(self) -> str:
        return f"{self.congress}-{self.type}-{self.number}"

    @property
    def label(self) -> str:
        """``H.R. 6655`` as citations print it."""
        return f"{TYPES[self.type][0]} {self.number}"

    @property
    def congress_label(self) -> str:
        return ordinal(self.congress) + " Congress"

    def file_url(self, base: str) -> str:
        """Where GovInfo publishes this measure's BILLSTATUS file under ``base``."""
        return f"{base.rstrip('/')}/{self.congress}/{self.type}/BILLSTATUS-{self.congress}{self.type}{self.number}.xml"

    @property
    def congress_gov_url(self) -> str:
        return f"https://www.congress.gov/bill/{ordinal(self.congress)}-congress/{TYPES[self.type][1]}/{self.number}"


def ordinal(n: int) -> str:
    """118 -> ``118th``, 121 -> ``121st``, 112 -> ``112th``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def parse_bill_id(text: str, *, congress: int) -> BillRef:
    """Read ``hr6655``, ``H.R. 6655``, ``s.2902``, ``H.J.Res. 45`` ... as a measure of ``congress``.

    Raises:
        BillIdError: not a federal bill number.
    """
    match = _EXACT.match(text or "")
    if not match:
        raise BillIdError(
            f"{text!r}: not a federal bill number; write it like hr6655, H.R. 6655, s2902, hjres45 or sconres7"
        )
    if congress < 1:
        raise BillIdError(f"--congress {congress}: a Congress is numbered from 1")
    return BillRef(congress, _matched_type(match), int(match.group("number")))


def bill_mentions(text: str) -> list[tuple[str, int]]:
    """``(type, number)`` of every bill number written in ``text``, in order, without repeats."""
    seen: list[tuple[str, int]] = []
    for match in _IN_TEXT.finditer(text or ""):
        found = (_matched_type(match), int(match.group("number")))
        if found not in seen:
            seen.append(found)
    return seen


def congress_mentioned(text: str) -> int | None:
    """The Congress a question names ("in the 116th Congress"), if any."""
    match = _CONGRESS_IN_TEXT.search(text or "")
    return int(match.group(1)) if match else None


def _matched_type(match: re.Match) -> str:
    return next(name for name in _TYPE_PATTERNS if match.group(name))
