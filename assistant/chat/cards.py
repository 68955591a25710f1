"""The occupation card: pay here and nationally, outlook, entry education, tasks and related jobs.

Shown under an answer whose sources include OEWS figures (citation ``doc_id`` ``oews:AREA:SOC``),
for that occupation and the answer's local place. Every block names its release, and the O*NET
credit line follows whenever O*NET content is shown. The card is short Markdown lists, no
tables, so it reads on a phone as well as on a desk; figures BLS did not release say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.chat import markup
from assistant.occupations.facts import ONET_CREDIT
from assistant.occupations.lookup import TOP_ANNUAL, Wages
from assistant.occupations.resolve import NATION
from assistant.types import Citation

TASKS_SHOWN = 3
RELATED_SHOWN = 5


@dataclass(frozen=True)
class OccupationCard:
    soc: str
    title: str
    #: The local area's title ("Massachusetts"), or "" when the answer quoted only the nation.
    place: str
    #: The element's name: shown above the card, so it says what the card is.
    name: str
    content: str


def oews_targets(citations: Sequence[Citation]) -> list[tuple[str, str]]:
    """(area code, SOC) of each OEWS citation, in citation order."""
    found = []
    for c in sorted(citations, key=lambda c: c.n):
        parts = (c.doc_id or "").split(":")
        if len(parts) == 3 and parts[0] == "oews":
            found.append((parts[1], parts[2]))
    return found


def occupation_card(desk, citations: Sequence[Citation]) -> OccupationCard | None:
    """The card for the first occupation an answer's OEWS figures are about, or None."""
    targets = oews_targets(citations)
    resolver = desk.resolver if targets else None
    if resolver is None:
        return None
    soc = targets[0][1]
    local_code = next((area for area, s in targets if s == soc and area != NATION), None)
    local = resolver.areas([local_code])[0] if local_code and resolver.areas([local_code]) else None
    lookup = desk.lookup
    releases = lookup.releases()
    oews = releases.get("oews", "")
    here = lookup.wages(local.code, soc) if local else None
    nation = lookup.wages(NATION, soc)
    if here is None and nation is None:
        return None
    title = (here or nation).occ_title
    lines = [f"Official occupation code: SOC {soc}.", ""]
    lines += _pay_lines(local.title if local else "", here, nation)
    lines += ["", f"*Pay: BLS OEWS {markup.escape_text(oews)}.*"]
    lines += _outlook(lookup, soc, releases.get("projections", ""))
    onet = _onet(lookup, soc, releases.get("onet", "O*NET"))
    lines += onet
    if onet:
        lines += ["", f"*{markup.escape_text(ONET_CREDIT)}*"]
    place = local.title if local else ""
    name = f"{title} at a glance" + (f", {place}" if place else "")
    return OccupationCard(soc=soc, title=title, place=place, name=name, content="\n".join(lines))


def _pay_lines(place: str, here: Wages | None, nation: Wages | None) -> list[str]:
    """Pay here beside the nation, one figure a line: a list wraps on a phone where a table squeezes."""
    def both(render) -> str:
        local = f"{render(here)} in {markup.escape_text(place)}; " if place else ""
        return f"{local}{render(nation)} nationally"

    return [
        f"- **Median pay:** {both(_median)}",
        f"- **Middle half earned:** {both(_middle)}",
        f"- **People employed:** {both(_employed)}",
    ]


def _money(w: Wages, column: str, value: float | None) -> str | None:
    if w.markers.get(column) == "#":
        return f"at least ${TOP_ANNUAL:,}"
    return None if value is None else f"${value:,.0f}"


def _median(w: Wages | None) -> str:
    if w is None:
        return "not released"
    annual = _money(w, "A_MEDIAN", w.annual.get("median"))
    hourly = w.hourly.get("median")
    if annual and hourly is not None and not w.annual_only:
        return f"{annual} a year (${hourly:,.2f}/hr)"
    if annual:
        return f"{annual} a year"
    if hourly is not None:
        return f"${hourly:,.2f} an hour"
    return "not released"


def _middle(w: Wages | None) -> str:
    if w is None:
        return "not released"
    low = _money(w, "A_PCT25", w.annual.get("pct25"))
    high = _money(w, "A_PCT75", w.annual.get("pct75"))
    return f"{low} to {high}" if low and high else "not released"


def _employed(w: Wages | None) -> str:
    return "not released" if w is None or w.employment is None else f"{w.employment:,.0f}"


def _outlook(lookup, soc: str, release: str) -> list[str]:
    p = lookup.projection(soc)
    if p is None:
        return []
    if p.pct_change is not None:
        average = lookup.average_growth()
        versus = f" (all occupations: {average:+.1f}%)" if average is not None else ""
        growth = f"{p.pct_change:+.1f}% nationally{versus}"
    else:
        growth = "not projected"
    openings = f"about {p.openings:,.0f} a year nationally" if p.openings else "not projected"
    lines = ["", f"- **Growth, 2024 to 2034:** {growth}", f"- **Openings:** {openings}"]
    if p.entry_education:
        lines.append(f"- **Typical entry education:** {markup.escape_text(p.entry_education)}")
    lines += ["", f"*Outlook and education: BLS Employment Projections {markup.escape_text(release)}.*"]
    return lines


def _onet(lookup, soc: str, release: str) -> list[str]:
    profile = lookup.profile(soc)
    if profile is None or not (profile.tasks or profile.related):
        return []
    lines = [""]
    if profile.tasks:
        lines += ["**Top tasks:**", ""]
        lines += [f"{i}. {markup.escape_text(t)}" for i, t in enumerate(profile.tasks[:TASKS_SHOWN], start=1)]
        lines.append("")
    if profile.related:
        related = "; ".join(markup.escape_text(title) for _, title in profile.related[:RELATED_SHOWN])
        lines += [f"**Related jobs:** {related}.", ""]
    lines.append(f"*Tasks and related jobs: {markup.escape_text(release)}, {profile.code}.*")
    return lines
