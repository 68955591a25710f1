"""Render official figures as short cited sources ("facts") that join the retrieved passages.

A fact is a few plain sentences and one citation naming the publisher, the release and the
place (``BLS OEWS May 2025, Massachusetts``) with a link to that table. Facts are rendered at
question time from the stored releases; numbers are never embedded. Both answerers receive
facts exactly like passages, so an LLM can cite only the figures it was given.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.occupations.lookup import TOP_ANNUAL, TOP_HOURLY, DataLookup, Wages
from assistant.occupations.resolve import Area, Occupation, Resolution
from assistant.types import Fact

ONET_CREDIT = ("This product includes information from O*NET 30.1 Database by the U.S. Department of "
               "Labor, Employment and Training Administration (USDOL/ETA), used under the CC BY 4.0 license.")
EP_URL = "https://www.bls.gov/emp/tables/occupational-projections-and-characteristics.htm"
CIP_URL = "https://nces.ed.gov/ipeds/cipcode/resources.aspx?y=56"
#: Asks that data can answer; anything else is left to the documents.
DATA_ASKS = frozenset({"pay", "spread", "range", "employment", "growth", "openings", "education", "tasks", "titles",
                       "tools", "software", "related", "programs", "compare"})


def money(value: float, *, hourly: bool = False) -> str:
    return f"${value:,.2f}" if hourly else f"${value:,.0f}"


def count(value: float) -> str:
    return f"{value:,.0f}"


def oews_url(area: Area, soc: str) -> str:
    if area.is_nation:
        return f"https://www.bls.gov/oes/current/oes{soc.replace('-', '')}.htm"
    if area.area_type in (2, 3):
        return f"https://www.bls.gov/oes/current/oes_{area.state.lower()}.htm"
    return f"https://www.bls.gov/oes/current/oes_{area.code}.htm"


def onet_url(code: str) -> str:
    return f"https://www.onetonline.org/link/summary/{code}"


class FactBuilder:
    """Turns a ``Resolution`` into facts, in the order an answer should state them."""

    def __init__(self, lookup: DataLookup, *, home: Area | None = None, national: Area | None = None) -> None:
        self.lookup = lookup
        self.home = home
        self.national = national
        self._releases = lookup.releases()

    @property
    def oews_release(self) -> str:
        return self._releases.get("oews", "")

    def _who(self, occupation: Occupation) -> str:
        """What the answer calls the occupation; the first mention says what the asker called it."""
        if occupation.soc in self._named:
            return _plural_noun(occupation)
        self._named.add(occupation.soc)
        return explained(occupation)

    def build(self, res: Resolution) -> list[Fact]:
        self._named: set[str] = set()
        asks = res.asks & DATA_ASKS
        if not res.occupations or not asks or not self._releases:
            return []
        occupation = res.occupations[0]
        places = self._places(res)
        facts: list[Fact] = []
        if "compare" in asks and len(res.occupations) > 1:
            area = places[0] if places else self.national
            facts += [f for f in (self.wages_fact(o, area, show=_shown(asks, context=True))
                                  for o in res.occupations[:3]) if f]
        elif "compare" in asks and len(places) > 1:
            facts += [f for f in (self.wages_fact(occupation, a, show=_shown(asks, context=True))
                                  for a in places[:4]) if f]
        else:
            if asks & {"pay", "employment"}:
                for n, area in enumerate(places):
                    # The first place gets the full picture; the nation beside it is context.
                    fact = self.wages_fact(occupation, area, show=_shown(asks, context=n > 0))
                    if fact:
                        facts.append(fact)
            if asks & {"growth", "openings"}:
                facts += [f for f in (self.projection_fact(occupation, openings_first="growth" not in asks),) if f]
            if "education" in asks:
                facts += [f for f in (self.education_fact(occupation),) if f]
            if asks & {"tasks", "titles", "tools", "software", "related"}:
                facts += [f for f in (self.onet_fact(occupation, asks),) if f]
            if "programs" in asks:
                facts += [f for f in (self.programs_fact(occupation),) if f]
        return [replace(f, sentences=tuple(_tidy(s) for s in f.sentences)) for f in facts]

    def _places(self, res: Resolution) -> list[Area]:
        """Named places, plus the nation beside a local figure; no place: home and nation."""
        places = list(res.places)
        if not places and not res.unknown_place and self.home is not None:
            places = [self.home]
        if self.national is not None and self.national not in places and len(places) < 2:
            places.append(self.national)
        return places

    # -- OEWS ----------------------------------------------------------------------------------

    def wages_fact(self, occupation: Occupation, area: Area | None, *,
                   show: tuple[str, ...] = ("pay", "range", "jobs")) -> Fact | None:
        """OEWS figures for one place; ``show`` names the sentences, in order (pay, range, jobs)."""
        if area is None:
            return None
        wages = self.lookup.wages(area.code, occupation.soc)
        who = self._who(occupation)
        where = "nationally" if area.is_nation else f"in {area.title}"
        release = self.oews_release
        source = f"BLS OEWS {release}, {'United States' if area.is_nation else area.title}"
        doc_id = f"oews:{area.code}:{occupation.soc}"
        if wages is None:
            sentence = (f"BLS published no {release} wage or employment figures for {who} {where} "
                        f"(areas with few workers are often not published).")
            return Fact(doc_id, f"{occupation.title}, {area.title}", source, oews_url(area, occupation.soc),
                        (sentence,), data={"area": area.title, "released": False})
        plain = _plural_noun(occupation)
        render = {
            "pay": lambda first: _pay_sentence(wages, who=who if first else plain, where=where, release=release),
            "range": lambda first: _range_sentence(wages),
            "tails": lambda first: _tails_sentence(wages),
            "jobs": lambda first: _employment_sentence(wages, who=who if first else plain, where=where,
                                                       release=release),
        }
        sentences = [render[name](n == 0) for n, name in enumerate(show)]
        data = {"area": area.title, "area_code": area.code, "soc": occupation.soc, "title": occupation.title,
                "annual_median": wages.annual.get("median"), "hourly_median": wages.hourly.get("median"),
                "annual_pct25": wages.annual.get("pct25"), "annual_pct75": wages.annual.get("pct75"),
                "employment": wages.employment, "release": release, "released": True}
        return Fact(doc_id, f"{occupation.title}, {area.title}", source, oews_url(area, occupation.soc),
                    tuple(s for s in sentences if s), data=data)

    # -- projections ----------------------------------------------------------------------------

    def projection_fact(self, occupation: Occupation, *, openings_first: bool = False) -> Fact | None:
        p = self.lookup.projection(occupation.soc)
        if p is None:
            return None
        who = self._who(occupation)
        release = self._releases.get("projections", "")
        sentences = []
        if p.pct_change is not None and p.emp_2024 and p.emp_2034:
            average = self.lookup.average_growth()
            verb = "grow" if p.pct_change >= 0 else "decline"
            versus = f", against {average:.1f}% for all occupations" if average is not None else ""
            sentences.append(
                f"Nationally, employment of {who} is projected to {verb} {abs(p.pct_change):.1f}% from 2024 to "
                f"2034, from {count(p.emp_2024)} to {count(p.emp_2034)} jobs{versus}.")
        if p.openings:
            named = _plural_noun(occupation) if sentences else who
            opening = (f"About {count(p.openings)} openings for {named} are projected each year, on average, "
                       f"over 2024-34.")
            sentences.insert(0, opening) if openings_first else sentences.append(opening)
        if not sentences:
            return None
        return Fact(f"projections:{p.soc}", f"{occupation.title}: projections {release}",
                    f"BLS Employment Projections {release}", EP_URL, tuple(sentences),
                    data={"pct_change": p.pct_change, "openings": p.openings, "emp_2024": p.emp_2024,
                          "emp_2034": p.emp_2034, "release": release})

    def education_fact(self, occupation: Occupation) -> Fact | None:
        p = self.lookup.projection(occupation.soc)
        if p is None or not p.entry_education:
            return None
        who = self._who(occupation)
        release = self._releases.get("projections", "")
        parts = [f"BLS lists {_education_phrase(p.entry_education)} as the typical education needed to enter "
                 f"work as {who.rstrip(',')}"]
        if p.training and p.training.lower() != "none":
            parts.append(f"with {p.training.lower()} once hired")
        if p.work_experience and p.work_experience.lower() != "none":
            parts.append(f"after {p.work_experience.lower()} of related work experience")
        sentence = ", ".join(parts) + "."
        return Fact(f"projections:{p.soc}", f"{occupation.title}: education and training",
                    f"BLS Employment Projections {release}", EP_URL, (sentence,),
                    data={"entry_education": p.entry_education, "training": p.training, "release": release})

    # -- O*NET and CIP --------------------------------------------------------------------------

    def onet_fact(self, occupation: Occupation, asks: frozenset[str]) -> Fact | None:
        profile = self.lookup.profile(occupation.soc)
        if profile is None:
            return None
        release = self._releases.get("onet", "O*NET")
        who = self._who(occupation)
        sentences = []
        facet = "tasks"
        if "tasks" in asks and profile.tasks:
            sentences.append(f"O*NET lists these as core tasks of {who}: " + _series(
                [t.rstrip(".")[0].lower() + t.rstrip(".")[1:] for t in profile.tasks[:3]], sep="; ") + ".")
        if "titles" in asks and profile.titles:
            facet = "titles"
            sentences.append(f"Job titles people in this work report include {_series(list(profile.titles[:10]))}.")
        if "software" in asks and profile.technology:
            facet = "technology"
            hot = [name for name, is_hot in profile.technology if is_hot]
            named = (hot or [name for name, _ in profile.technology])[:6]
            sentences.append(f"Software {who} use includes {_series(named)}.")
        if "tools" in asks and profile.tools:
            facet = "tools"
            tools = [t[:1].lower() + t[1:] for t in profile.tools[:6]]
            sentences.append(f"Tools {who if not sentences else 'they'} use include {_series(tools)}.")
        if "related" in asks and profile.related:
            facet = "related"
            sentences.append(f"Occupations O*NET lists as related to {who} include "
                             f"{_series([title for _, title in profile.related[:5]])}.")
        if not sentences:
            return None
        return Fact(f"onet:{profile.code}:{facet}", f"{profile.title} ({profile.code})",
                    f"{release}, {profile.code}; includes information from {release} by USDOL/ETA, "
                    f"used under CC BY 4.0", onet_url(profile.code), tuple(sentences), data={"credit": ONET_CREDIT})

    def programs_fact(self, occupation: Occupation) -> Fact | None:
        programs = self.lookup.programs(occupation.soc)
        if not programs:
            return None
        release = self._releases.get("cip", "CIP 2020")
        named = "; ".join(f"{title}, CIP {code}" for code, title in programs[:6])
        sentence = f"Programs of study that lead to work as {self._who(occupation)} include: {named}."
        return Fact(f"cip:{occupation.soc}", f"Programs of study for {occupation.title}",
                    f"NCES {release} to SOC 2018 crosswalk", CIP_URL, (sentence,), data={"programs": programs})


# -- sentences ----------------------------------------------------------------------------------

def _shown(asks: frozenset[str], *, context: bool) -> tuple[str, ...]:
    """Which OEWS sentences answer ``asks``: all of it for the place asked about, less for context."""
    pay, jobs = "pay" in asks or "compare" in asks, "employment" in asks
    if "spread" in asks and not context:
        return ("tails", "pay")
    if "range" in asks and not context:
        return ("range", "tails", "pay")
    if pay and jobs:
        return ("pay", "jobs") if context else ("pay", "range", "jobs")
    if jobs:
        return ("jobs",) if context else ("jobs", "pay")
    return ("pay",) if context else ("pay", "range")


def _tidy(sentence: str) -> str:
    """Commas around an explained noun meet other punctuation: ",," / ",." / ",:"."""
    return sentence.replace(",,", ",").replace(",.", ".").replace(",:", ":").replace(", with", " with")


def _pay_sentence(w: Wages, *, who: str, where: str, release: str) -> str:
    annual = _figure(w, "A_MEDIAN", w.annual.get("median"), hourly=False)
    hourly = _figure(w, "H_MEDIAN", w.hourly.get("median"), hourly=True)
    subject = f"Nationally, {who}" if where == "nationally" else f"{where[:1].upper()}{where[1:]}, {who}"
    if annual is None and hourly is None:
        return f"BLS did not release a median wage for {who} {where} in {release}."
    if w.hourly_only or annual is None:
        return f"{subject} earned a median of {hourly} an hour in {release}."
    tail = f", or {hourly} an hour," if hourly and not w.annual_only else ""
    return f"{subject} earned a median of {annual} a year{tail} in {release}."


def _range_sentence(w: Wages) -> str:
    low = _figure(w, "A_PCT25", w.annual.get("pct25"), hourly=False)
    high = _figure(w, "A_PCT75", w.annual.get("pct75"), hourly=False)
    if low is None or high is None or (low.startswith("at least") and high.startswith("at least")):
        return ""
    return f"The middle half earned between {low} and {high} a year."


def _tails_sentence(w: Wages) -> str:
    low = _figure(w, "A_PCT10", w.annual.get("pct10"), hourly=False)
    high = _figure(w, "A_PCT90", w.annual.get("pct90"), hourly=False)
    if low is None or high is None:
        return ""
    top = f"at least {high[len('at least '):]}" if high.startswith("at least") else f"more than {high}"
    return f"The lowest-paid 10% earned less than {low} a year and the top 10% {top}."


def _employment_sentence(w: Wages, *, who: str, where: str, release: str) -> str:
    if w.employment is None:
        return f"BLS did not release an employment figure for {who} {where} in {release}."
    return f"About {count(w.employment)} people worked as {who} {where} in {release}."


def _figure(w: Wages, column: str, value: float | None, *, hourly: bool) -> str | None:
    marker = w.markers.get(column)
    if marker == "#":
        return f"at least {money(TOP_HOURLY if hourly else TOP_ANNUAL, hourly=hourly)}"
    if value is None:
        return None
    return money(value, hourly=hourly)


_ACRONYMS = {"bmet", "mri", "ct", "cna", "lpn", "rn", "emt", "it", "ekg", "ecg", "dme", "htm", "cbet", "ot", "pt",
             "rt", "ma", "er", "icu", "or"}


def _plural_noun(occupation: Occupation) -> str:
    """The occupation as a sentence says it: BLS's title in lower case, acronyms kept."""
    words = [w if (w.isupper() and len(w) > 1) else w.lower() for w in occupation.title.split(" ")]
    return " ".join(words).replace(", all other", " (all other)")


def explained(occupation: Occupation) -> str:
    """The noun with what the asker called it, for its first mention in an answer."""
    noun = _plural_noun(occupation)
    matched = occupation.matched
    if matched and matched not in _norm(occupation.title) and _names_people(matched):
        said = " ".join(w.upper() if w in _ACRONYMS else w for w in matched.split())
        return f"{noun}, the BLS occupation that includes {said}s,"
    return noun


_PEOPLE_WORDS = frozenset("tech techs bmet biomed cbet rad emt medic nurse aide coder cna lpn rn".split())


def _names_people(phrase: str) -> bool:
    """Whether the asker's words name workers ("biomed tech", "x ray technician"), so that "the BLS
    occupation that includes ..." reads right; "biomedical equipment (program)" names a field."""
    last = phrase.split()[-1]
    return last in _PEOPLE_WORDS or last.endswith(("er", "ist", "or", "ian", "ant"))


def _norm(text: str) -> str:
    from assistant.occupations.resolve import normalize

    return normalize(text)


def _series(items: list[str], *, sep: str = ", ") -> str:
    """"a, b and c"; items that hold commas themselves are separated by semicolons."""
    if any("," in item for item in items):
        sep = "; "
    if len(items) <= 1:
        return "".join(items)
    return sep.join(items[:-1]) + f"{sep.rstrip()} and " .replace(", and", " and") + items[-1]


def _education_phrase(level: str) -> str:
    """BLS's education level as a student reads it: "postsecondary nondegree award" is BLS's name
    for certificate and diploma programs, which is what the student needs to hear."""
    phrase = _article(level.lower())
    if "nondegree" in phrase:
        phrase += ", such as a certificate,"
    return phrase


def _article(phrase: str) -> str:
    if phrase.startswith(("a ", "an ", "no ", "some ")):
        return phrase
    return ("an " if phrase[:1] in "aeiou" else "a ") + phrase
