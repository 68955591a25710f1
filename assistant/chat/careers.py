"""The figures behind the chat's charts, read from the imported official data (no drawing here).

"Compare careers" puts a default set of allied-health and technology careers side by side:
OEWS median pay for the home area's state (the nation when no home area is set or known) and
EP projected growth. "Pay across the state" lists one occupation's median pay in every metro
and nonmetro area of a state. Each result carries its releases, for the caption and the image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.chat import markup
from assistant.occupations.lookup import TOP_ANNUAL, Wages
from assistant.occupations.resolve import NATION

#: BMET first, then the allied-health and technology careers students weigh it against.
DEFAULT_CAREERS = ("49-9062", "29-2034", "29-2035", "29-2055", "29-1126", "29-2072", "29-2032", "15-1212",
                   "17-2031", "11-9111")
BMET = "49-9062"

_CHART = re.compile(
    r"\b(chart|graph|plot|map)\b.*\b(pay|wages?|salar(y|ies)|earn)|"
    r"\b(pay|wages?|salar(y|ies))\b.*\bacross\b|\bacross (the|my|this) state\b|"
    r"\b(compare|comparing)\b.*\b(pay|wages?|salar(y|ies))\b.*\b(areas|regions|cities|state)\b",
    re.I,
)


def wants_state_chart(text: str) -> bool:
    """Whether a message asks for pay drawn across a state's areas ("chart bmet pay across mass")."""
    return bool(_CHART.search(text or ""))


@dataclass(frozen=True)
class Career:
    soc: str
    title: str
    #: Median annual pay in ``Comparison.place``; None when not released (``pay_note`` says so).
    median_pay: float | None
    pay_note: str
    growth_pct: float | None
    highlight: bool = False


@dataclass(frozen=True)
class Comparison:
    careers: tuple[Career, ...]
    place: str
    pay_release: str
    projections_release: str

    @property
    def source_note(self) -> str:
        return (f"Source: U.S. Bureau of Labor Statistics: OEWS {self.pay_release} median annual pay, "
                f"{self.place}; Employment Projections {self.projections_release.replace('-', '–')}.")


@dataclass(frozen=True)
class AreaPay:
    area: str
    median: float | None
    pct25: float | None
    pct75: float | None
    employment: float | None
    note: str = ""


@dataclass(frozen=True)
class StatePay:
    soc: str
    title: str
    state: str
    areas: tuple[AreaPay, ...]
    statewide: AreaPay | None
    release: str

    @property
    def source_note(self) -> str:
        return (f"Source: U.S. Bureau of Labor Statistics, OEWS {self.release}: median annual pay by metro and "
                f"nonmetro area, {self.state}. Areas with no released figure are marked.")


def state_area(desk, place: str | None):
    """The state ``Area`` (e.g. Massachusetts, code 25) of a place as written; None when unknown."""
    resolver = desk.resolver
    area = desk.area(place) if place and resolver is not None else None
    if area is None or area.is_nation:
        return None
    return resolver.vocab.states.get(area.state)


def compare_careers(desk, *, home_area: str | None, socs=DEFAULT_CAREERS) -> Comparison | None:
    """Median pay (the home area's state, else the nation) and growth of ``socs``; None without data."""
    resolver = desk.resolver
    if resolver is None:
        return None
    lookup = desk.lookup
    state = state_area(desk, home_area)
    area_code, place = (state.code, state.title) if state else (NATION, "United States")
    careers = []
    for soc in socs:
        wages = lookup.wages(area_code, soc)
        projection = lookup.projection(soc)
        title = (wages.occ_title if wages else None) or (projection.title if projection else None)
        if title is None:
            continue
        pay, note = _median(wages)
        careers.append(Career(soc=soc, title=title, median_pay=pay, pay_note=note,
                              growth_pct=projection.pct_change if projection else None, highlight=soc == BMET))
    releases = lookup.releases()
    return Comparison(tuple(careers), place, releases.get("oews", ""), releases.get("projections", ""))


def state_pay(desk, soc: str, state_code: str) -> StatePay | None:
    """``soc``'s pay in every metro and nonmetro area of a state (postal code); None when none."""
    resolver = desk.resolver
    state = resolver.vocab.states.get(state_code) if resolver is not None else None
    if state is None:
        return None
    rows = [_area_pay(title, wages) for title, wages in desk.lookup.wages_in_state(soc, state_code)]
    if not rows:
        return None
    statewide = desk.lookup.wages(state.code, soc)
    title = statewide.occ_title if statewide else resolver.title(soc)
    return StatePay(soc=soc, title=title, state=state.title, areas=tuple(rows),
                    statewide=_area_pay(state.title, statewide) if statewide else None,
                    release=desk.lookup.releases().get("oews", ""))


def _area_pay(title: str, wages: Wages) -> AreaPay:
    median, note = _median(wages)
    return AreaPay(area=title, median=median, pct25=_annual(wages, "pct25"), pct75=_annual(wages, "pct75"),
                   employment=wages.employment, note=note)


def _annual(wages: Wages, column: str) -> float | None:
    if wages.markers.get(f"A_{column.upper()}") == "#":
        return float(TOP_ANNUAL)
    return wages.annual.get(column)


def _median(wages: Wages | None) -> tuple[float | None, str]:
    """The median annual wage and how to read it: "" (a figure), "at least" (top-coded), "not released"."""
    if wages is None:
        return None, "not released"
    if wages.markers.get("A_MEDIAN") == "#":
        return float(TOP_ANNUAL), "at least"
    value = wages.annual.get("median")
    return (value, "") if value is not None else (None, "not released")


def _pay_cell(value: float | None, note: str) -> str:
    if value is None:
        return "not released"
    return f"at least ${value:,.0f}" if note == "at least" else f"${value:,.0f}"


def careers_table(comparison: Comparison) -> str:
    """The chart's figures as a table too: readable by screen readers and on narrow phones."""
    lines = [f"| Occupation | Median pay, {markup.escape_text(comparison.place)} | Growth 2024–34 |",
             "| --- | ---: | ---: |"]
    for c in sorted(comparison.careers, key=lambda c: -(c.median_pay or 0)):
        growth = f"{c.growth_pct:+.1f}%" if c.growth_pct is not None else "no projection"
        name = markup.escape_text(c.title) + (" (BMETs)" if c.highlight else "")
        lines.append(f"| {name} | {_pay_cell(c.median_pay, c.pay_note)} | {growth} |")
    return "\n".join(lines)


def state_table(pay: StatePay) -> str:
    lines = ["| Area | Median pay | Middle half | Employed |", "| --- | ---: | ---: | ---: |"]
    rows = ([pay.statewide] if pay.statewide else []) + sorted(pay.areas, key=lambda a: -(a.median or 0))
    for row in rows:
        middle = (f"${row.pct25:,.0f} to ${row.pct75:,.0f}" if row.pct25 is not None and row.pct75 is not None
                  else "not released")
        employed = f"{row.employment:,.0f}" if row.employment is not None else "not released"
        name = markup.escape_text(row.area) + (" (statewide)" if row is pay.statewide else "")
        lines.append(f"| {name} | {_pay_cell(row.median, row.note)} | {middle} | {employed} |")
    return "\n".join(lines)
