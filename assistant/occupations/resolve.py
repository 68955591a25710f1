"""What a question names: occupations, places, and what is asked about them (pure lookups).

The vocabulary is built once from the imported data: BLS titles, O*NET titles, alternate titles
(both halves of "Biomedical Equipment Technician (BMET)") and reported titles, plus the short
forms students type that O*NET lacks ("surg tech", "rad tech"). Places come from the OEWS area
list: states by name and postal code, metro areas by title and by each principal city
("Springfield, MA" from "Springfield", "springfield ma", "Springfield MA").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from assistant.states import STATES as ALL_STATES

#: Short forms people type that O*NET's titles do not hold (checked against O*NET 30.1).
ALIASES = {
    "bmet": "49-9062", "biomed": "49-9062", "biomed tech": "49-9062", "biomedical tech": "49-9062",
    "biomedical technician": "49-9062", "biomedical equipment technician": "49-9062",
    "htm technician": "49-9062", "hospital equipment": "49-9062", "medical equipment": "49-9062",
    "medical device": "49-9062", "medical devices": "49-9062", "medical equipment technician": "49-9062",
    "x ray tech": "29-2034", "xray tech": "29-2034", "rad tech": "29-2034", "radiology tech": "29-2034",
    "radiology technician": "29-2034", "radiologic tech": "29-2034", "x ray technician": "29-2034",
    "mri tech": "29-2035", "mri technologist": "29-2035", "mri technician": "29-2035",
    "surg tech": "29-2055", "surgical tech": "29-2055", "scrub tech": "29-2055",
    "medical coder": "29-2072", "coder": "29-2072", "medical coding": "29-2072", "medical biller": "29-2072",
    "health information tech": "29-2072", "health info tech": "29-2072", "pharm tech": "29-2052",
    "ultrasound technician": "29-2032", "lab technician": "29-2010", "health information technician": "29-2072",
    "respiratory therapist": "29-1126", "rt": "29-1126", "resp therapist": "29-1126",
    "cna": "31-1131", "nursing assistant": "31-1131", "lpn": "29-2061", "rn": "29-1141", "nurse": "29-1141",
    "emt": "29-2042", "paramedic": "29-2043", "pharmacy tech": "29-2052", "phlebotomist": "31-9097",
    "sonographer": "29-2032", "ultrasound tech": "29-2032", "lab tech": "29-2010", "med lab tech": "29-2010",
    "medical assistant": "31-9092", "dental assistant": "31-9091", "cyber security analyst": "15-1212",
    "cybersecurity analyst": "15-1212", "security analyst": "15-1212", "network admin": "15-1244",
    "help desk": "15-1232", "it support": "15-1232", "clinical engineer": "17-2031",
    "biomedical engineer": "17-2031", "healthcare manager": "11-9111", "hospital administrator": "11-9111",
    "calibration tech": "17-3028", "electronics tech": "17-3023",
    # Fields of study and work, as people name them.
    "respiratory therapy": "29-1126", "respiratory care": "29-1126", "surgical technology": "29-2055",
    "radiography": "29-2034", "radiology": "29-2034", "sonography": "29-2032", "nursing": "29-1141",
    "biomedical technology": "49-9062", "biomedical equipment": "49-9062", "medical records": "29-2072",
    "health information": "29-2072", "pharmacy": "29-2052", "phlebotomy": "31-9097", "mri": "29-2035",
}

#: Postal code -> lower-case name as people type it ("the District of Columbia" -> "district of columbia").
STATES = {code: name.lower().removeprefix("the ").replace("u.s. ", "") for code, name in ALL_STATES.items()}
#: Postal codes that are also words or job abbreviations ("in", "me", "or", "CT tech", "PA",
#: "MD"): they count as a state only in capitals or right after a city or a comma.
_AMBIGUOUS_CODES = {"as", "pr", "mp", "in", "me", "or", "oh", "hi", "ok", "de", "la", "co", "al", "id", "md", "pa",
                    "ct", "ma", "mi", "ga", "wa", "va", "mo", "ne", "ms", "mt", "nd", "sd", "ut", "ar", "il"}
_STATE_NICKNAMES = {"mass": "MA", "mass.": "MA", "calif": "CA", "cali": "CA", "jersey": "NJ", "philly": "PA",
                    "socal": "CA", "norcal": "CA"}
#: Regions people name that are several OEWS areas (area codes).
REGIONS = {
    "western mass": ("44140", "38340", "11200"), "western massachusetts": ("44140", "38340", "11200"),
    "pioneer valley": ("44140", "11200"), "berkshires": ("38340",), "berkshire county": ("38340",),
    "cape cod": ("12700",), "greater boston": ("14460",),
}
NATION = "99"
_NATIONAL_WORDS = ("nationally", "national", "nationwide", "across the country", "in the us", "in the u.s",
                   "united states", "in america", "the country", "whole country", "us average")
_HERE_WORDS = ("near me", "around here", "in my area", "where i live", "my area", "local", "locally", "here")


@dataclass(frozen=True)
class Occupation:
    soc: str
    title: str
    #: The words of the question it was found from.
    matched: str = ""


@dataclass(frozen=True)
class Area:
    code: str
    title: str
    area_type: int
    state: str

    @property
    def is_nation(self) -> bool:
        return self.code == NATION


@dataclass(frozen=True)
class Resolution:
    """What the question names. ``notes`` are sentences saying what was assumed."""

    occupations: tuple[Occupation, ...] = ()
    places: tuple[Area, ...] = ()
    asks: frozenset[str] = frozenset()
    #: Another occupation that fitted the same words equally well.
    alternatives: tuple[Occupation, ...] = ()
    #: A place the question named that the data does not know ("Atlantis").
    unknown_place: str | None = None
    notes: tuple[str, ...] = ()
    #: Whether the place came from the question (False: the home area or none).
    place_named: bool = False


ASKS = {
    "pay": r"\b(make|makes|making|earn(s|ing)?(?! (a|an|the|my|your|their)\b| certif| credential| degree)|"
           r"pay|pays|paid|salar(y|ies)|wages?|income|money|earnings|hourly|(?<!growth )(?<!vacancy )rate|compensation|"
           r"how much .* get)\b",
    "employment": r"\b(how many|number of|employ(ed|ment|s)?|jobs are there|jobs (in|near|around)\b|"
                  r"work(ing)? (as|in)\b.*\bhow many)",
    "growth": r"\b(grow(th|ing)?|outlook|in demand|demand for|future|projected|projections?|prospects|"
              r"job market|declin(e|ing)|will there be|by 20[3-9]\d|in 20[3-9]\d|next (ten|10) years)\b",
    "spread": r"\b(top|highest|lowest|bottom|best[- ]paid|10 ?%|10th|90th|percentiles?|starting|entry[- ]level|"
              r"most|least)\b",
    "range": r"\b(range|spread|between|band|middle (half|50)|25th|75th|interquartile)\b",
    # Not "vacancies": a vacancy rate is a hospital survey's figure, not BLS's projected openings.
    "openings": r"\b(openings?|hiring|jobs? available|open(ing)? up)\b",
    # A degree asked about ("what degree", "do I need a degree"), not one the asker has or wants.
    "education": r"\b((what|which|kind of|type of) (\w+ )?(degree|diploma)|need (a |an )?(\w+ )?(degree|diploma)|"
                 r"(degree|diploma) (do|does|would|will) (i|you|they|one) need|education|schooling|"
                 r"qualifications?|what do i need to|requirements?|"
                 r"how much (school|training|college)|school before|years of (school|college)|"
                 r"do i need college|entry level)\b",
    "tasks": r"\b(what do(es)? (an? |the )?[\w\s-]{2,40} do|duties|tasks|responsibilit(y|ies)|"
             r"day[- ]to[- ]day|day in the life|"
             r"job description|what (is|does) the work)\b",
    "titles": r"\b(other (job )?titles|job titles|also called|other names|called|titles|known as|posted as|"
              r"what else (is|are|might|would|could)|go by)\b",
    "tools": r"\b(tools?|equipment do|equipment (they|you) use|instruments?)\b",
    "software": r"\b(software|technolog(y|ies)|computer programs?|programs? do .* use|apps?|systems do)\b",
    "related": r"\b(similar|related|other (jobs|careers|occupations)|jobs like|careers like|alternatives?|"
               r"like being)\b",
    "programs": r"\b(programs? of study|major|what (should|do) i study|study (to|for)|what to study|cip|"
                r"college programs?|what programs?|programs? (should|do|can) i|courses? of study)\b",
    "compare": r"\b(vs\.?|versus|compare[ds]?|comparison|which pays|better pay|pays more|or)\b",
}
_ASK_PATTERNS = {name: re.compile(pattern, re.I) for name, pattern in ASKS.items()}

_WORD = re.compile(r"[a-z0-9]+")
_UNKNOWN_PLACE = re.compile(
    r"\b(?:in|around|near)\s+([a-z][a-z .'-]{2,40}?)\s*(?:[?.!,;]|$|\bvs\b|\bor\b|\band\b)", re.I)
_NOT_PLACES = {
    "the", "a", "an", "my", "this", "that", "demand", "healthcare", "health", "hospital", "hospitals",
    "general", "total", "school", "college", "training", "the next", "next", "years", "year", "person",
    "it", "order", "addition", "fact", "charge", "practice", "terms", "between", "private", "public",
    "field", "industry", "biomed", "medicine", "clinics", "clinic", "imaging", "cybersecurity",
    "high", "cyber", "tech", "state", "there", "here", "other", "each", "all", "average", "return",
}


def normalize(text: str) -> str:
    """Lower-case words with simple plural folding: "Technicians" and "technician" meet."""
    return " ".join(_singular(w) for w in _WORD.findall(text.lower().replace("x-ray", "x ray")))


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def detect_asks(question: str) -> frozenset[str]:
    asks = {name for name, pattern in _ASK_PATTERNS.items() if pattern.search(question)}
    if re.search(r"\b(percent change|change in|20[3-9]\d)\b", question, re.I):
        asks.add("growth")
    if "programs" in asks:
        asks.discard("titles")  # "what would the program be called"
    if re.search(r"\bhow many (\w+ ){0,2}(credits?|hours|weeks|months|semesters|classes|courses|boards?|states|"
                 r"programs|schools|colleges|members|seats|times|questions|attempts)\b", question, re.I):
        asks.discard("employment")  # "how many credits is a bmet associates": counts something else
    if re.search(r"\bpays? for (\w+ ){0,2}(class|classes|course|courses|school|training|tuition|college|degree|"
                 r"program|exam|test|certification|books)\b", question, re.I):
        asks -= {"pay", "spread", "range"}  # "will an employer pay for my classes": paying for training, not wages
    if re.search(r"\bvacanc", question, re.I):
        asks -= {"pay", "openings", "employment"}  # "vacancy rate": a hospital survey's figure, not BLS's
    if re.search(r"\bwho (employs|hires)\b|\bemployers?\b|\bindustr(y|ies)\b|\bcompanies\b", question, re.I):
        asks.discard("employment")  # "who employs the most repairers": by employer, which the data does not split
    future = re.search(r"\b(will|20[3-9]\d)\b", question, re.I)
    if asks & {"openings", "growth"} and (future or not re.search(r"\b(employ|work(s|ing)? (as|in)|people)",
                                                                    question, re.I)):
        asks.discard("employment")  # "how many openings", "how many will be employed in 2034"
    if "range" in asks and "pay" not in asks and re.search(r"\b(pay|wage|salar)", question, re.I):
        asks.add("pay")
    if re.search(r"\b(certif\w*|credentials?|licen[cs]e\w*|degrees?)\b", question, re.I) and not re.search(
            r"\b(pay|salar\w*|wages?|money|income|make|how much)\b", question, re.I):
        asks.discard("pay")  # "what certifications do you earn during the apprenticeship"
    if "pay" not in asks:
        asks -= {"spread", "range"}
    compares = re.search(r"\b(vs\.?|versus|compar|which pays|better pay|pays more)\b", question, re.I)
    if "compare" in asks and not compares:
        asks.discard("compare")  # a bare "or" compares only when two occupations or places are named
        if re.search(r"\bor\b", question, re.I):
            asks.add("or")
    return frozenset(asks)


@dataclass
class Vocabulary:
    """Title and place lookups, built once per data release from the store."""

    #: normalized phrase -> {soc: strength}; 3 = BLS/O*NET title, 2 = alias or short title, 1 = other
    titles: dict[str, dict[str, int]] = field(default_factory=dict)
    soc_titles: dict[str, str] = field(default_factory=dict)
    areas: dict[str, Area] = field(default_factory=dict)
    #: normalized city -> areas whose title names it
    cities: dict[str, list[Area]] = field(default_factory=dict)
    longest: int = 1
    #: area code -> total employment (all occupations), to pick among same-named cities
    size: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_store(cls, conn) -> Vocabulary:
        vocab = cls()
        for row in conn.execute(
            "SELECT DISTINCT occ_code, occ_title FROM oews_wages WHERE area = ? AND o_group IN ('detailed', 'broad') "
            "ORDER BY occ_code",
            (NATION,),
        ):
            vocab.soc_titles.setdefault(row[0], row[1])
        for row in conn.execute("SELECT soc, title FROM projections ORDER BY rowid"):
            vocab.soc_titles.setdefault(row[0], row[1][:1].upper() + row[1][1:])
        for row in conn.execute("SELECT code, soc, title FROM onet_occupations ORDER BY rowid"):
            vocab.soc_titles.setdefault(row[1], row[2])
            vocab.add(row[2], row[1], 3)
        for soc, title in list(vocab.soc_titles.items()):
            vocab.add(title, soc, 3)
            words = normalize(title).split()
            # "health services managers" for "Medical and Health Services Managers"
            for start in range(1, len(words) - 1):
                if words[start] not in ("and", "or", "of", "except"):
                    vocab.add(" ".join(words[start:]), soc, 1)
        for row in conn.execute("SELECT t.title, t.short_title, o.soc FROM onet_titles t "
                                "JOIN onet_occupations o ON o.code = t.code ORDER BY t.rowid"):
            full, short, soc = row
            match = re.match(r"^(.*?)\s*\((.*?)\)\s*$", full)
            parts = [match.group(1), match.group(2)] if match else [full]
            for part in parts:
                vocab.add(part, soc, 1)
            if short:
                vocab.add(short, soc, 2)
        for phrase, soc in ALIASES.items():
            vocab.titles.setdefault(normalize(phrase), {})[soc] = 4
        for row in conn.execute("SELECT area, area_title, area_type, prim_state FROM oews_areas ORDER BY rowid"):
            area = Area(row[0], row[1], int(row[2]), row[3])
            vocab.areas[area.code] = area
            if area.area_type == 4:
                cities = area.title.split(",")[0]
                for city in cities.split("-"):
                    vocab.cities.setdefault(normalize(city), []).append(area)
        vocab.size = {row[0]: row[1] or 0 for row in conn.execute(
            "SELECT area, tot_emp FROM oews_wages WHERE occ_code = '00-0000'")}
        vocab.longest = max((len(p.split()) for p in vocab.titles), default=1)
        return vocab

    def add(self, title: str, soc: str, strength: int) -> None:
        key = normalize(title)
        if not key or (len(key.split()) == 1 and len(key) < 5 and strength < 4):
            return
        if key in _GENERIC_TITLES:
            return
        bucket = self.titles.setdefault(key, {})
        bucket[soc] = max(bucket.get(soc, 0), strength)

    @property
    def states(self) -> dict[str, Area]:
        return {a.state: a for a in self.areas.values() if a.area_type in (2, 3)}


#: Titles that are also everyday words in questions; they never name an occupation on their own.
_GENERIC_TITLES = {
    "technician", "tech", "specialist", "manager", "director", "analyst", "engineer", "assistant",
    "repair technician", "service technician", "equipment specialist", "instructor", "consultant",
    "coordinator", "supervisor", "operator", "worker", "helper", "aide", "clerk", "administrator",
    "therapist", "technologist", "equipment tech", "service tech", "repair tech", "field service technician",
    "equipment technician", "associate", "officer", "advisor", "adviser", "agent", "inspector", "planner",
}


class Resolver:
    """Finds occupations and places in questions; ``home`` is the deployment's home area."""

    def __init__(self, vocab: Vocabulary, *, home: str = "") -> None:
        self.vocab = vocab
        self.home = self.find_place(home).places[0] if home and self.find_place(home).places else None

    def resolve(self, question: str, *, home: Area | None = None) -> Resolution:
        home = home if home is not None else self.home
        occupations, alternatives = self.find_occupations(question)
        placed = self.find_place(question, home=home)
        asks = detect_asks(question)
        if "or" in asks:
            asks = (asks - {"or"}) | ({"compare"} if len(occupations) > 1 or len(placed.places) > 1 else set())
        if len(occupations) > 1 or len(placed.places) > 1:
            if asks & {"pay", "compare", "employment", "growth"}:
                asks = asks | {"compare"}
        return Resolution(
            occupations=occupations, places=placed.places, asks=asks, alternatives=alternatives,
            unknown_place=placed.unknown_place, notes=placed.notes, place_named=placed.place_named,
        )

    # -- occupations -------------------------------------------------------------------------

    def find_occupations(self, text: str) -> tuple[tuple[Occupation, ...], tuple[Occupation, ...]]:
        """Longest title matches, left to right; returns (found, equally good alternatives)."""
        words = normalize(text).split()
        found: list[Occupation] = []
        alternatives: list[Occupation] = []
        i = 0
        while i < len(words):
            for n in range(min(self.vocab.longest, len(words) - i), 0, -1):
                phrase = " ".join(words[i:i + n])
                candidates = self.vocab.titles.get(phrase)
                if not candidates or (n == 1 and phrase in _STOP_SINGLE):
                    continue
                if n == 1 and max(candidates.values()) < 3:
                    continue  # one word names an occupation only as its official title or a known alias
                ranked = sorted(candidates.items(), key=lambda kv: (-kv[1], kv[0]))
                best_soc, best_strength = ranked[0]
                if best_soc not in {o.soc for o in found}:
                    found.append(Occupation(best_soc, self.title(best_soc), phrase))
                    for soc, strength in ranked[1:2]:
                        if strength == best_strength and soc not in {o.soc for o in found}:
                            alternatives.append(Occupation(soc, self.title(soc), phrase))
                i += n - 1
                break
            i += 1
        return tuple(found), tuple(alternatives)

    def terms_for(self, socs: Iterable[str]) -> tuple[str, ...]:
        """Padded normalized names of occupations (titles, aliases, short titles) for text matching."""
        wanted = set(socs)
        return tuple(f" {phrase} " for phrase, bucket in self.vocab.titles.items()
                     if len(phrase) >= 3 and any(soc in wanted and strength >= 2 for soc, strength in bucket.items()))

    def title(self, soc: str) -> str:
        return self.vocab.soc_titles.get(soc, soc)

    # -- places ------------------------------------------------------------------------------

    def find_place(self, text: str, *, home: Area | None = None) -> Resolution:
        """States, metro areas (by title or principal city), regions, "near me", the nation."""
        lowered = " " + re.sub(r"\s+", " ", text.lower()) + " "
        words = _WORD.findall(text.lower())
        raw_tokens = re.findall(r"[A-Za-z.]+|,", text)
        states = self._states_named(raw_tokens)
        places: list[Area] = []
        notes: list[str] = []
        for region, codes in REGIONS.items():
            if f" {region} " in lowered or f" {region}?" in lowered or lowered.rstrip(" ?.!").endswith(region):
                places.extend(self.vocab.areas[c] for c in codes if c in self.vocab.areas)
        matched: list[str] = []
        for n in (3, 2, 1):
            for i in range(len(words) - n + 1):
                city = normalize(" ".join(words[i:i + n]))
                follows = words[i + n] if i + n < len(words) else ""
                if city in _STATE_NAMES and follows != "city":
                    continue  # "New York" is the state; "New York City" the metro area
                if city in self.vocab.cities and city not in _NOT_CITIES and city not in matched:
                    matched.append(city)
        # Cities with one area first: "Springfield vs Boston" means the Springfield in Boston's state.
        matched.sort(key=lambda c: len(self.vocab.cities[c]) > 1)
        for city in matched:
            for area in self._city_areas(city, states, home, notes, near=[p.state for p in places]):
                if area not in places:
                    places.append(area)
        named_state_codes = [s for s in states if not any(p.state == s or s in p.title for p in places)]
        for code in named_state_codes:
            area = self.vocab.states.get(code)
            if area and area not in places:
                places.append(area)
        if any(w in lowered for w in _NATIONAL_WORDS):
            nation = self.vocab.areas.get(NATION)
            if nation and nation not in places:
                places.append(nation)
        place_named = bool(places)
        unknown = None
        if not places:
            if home is not None and any(re.search(rf"\b{re.escape(w)}\b", lowered) for w in _HERE_WORDS):
                places.append(home)
            else:
                unknown = self._unknown_place(text)
        return Resolution(places=tuple(places), unknown_place=unknown, notes=tuple(notes), place_named=place_named)

    def _states_named(self, tokens: list[str]) -> list[str]:
        """Postal codes and state names in the order written."""
        text = " ".join(t.lower() for t in tokens)
        found: list[str] = []
        for code, name in STATES.items():
            if re.search(rf"\b{name}\b", text) and code not in found:
                found.append(code)
        for nick, code in _STATE_NICKNAMES.items():
            if re.search(rf"(^|\s){re.escape(nick)}(\s|$)", text) and code not in found:
                found.append(code)
        for i, token in enumerate(tokens):
            code = token.strip(".").upper()
            if len(token.strip(".")) != 2 or code not in STATES or code in found:
                continue
            after_city = i > 0 and (tokens[i - 1] == "," or normalize(tokens[i - 1]) in self.vocab.cities)
            if token.isupper() or after_city or token.lower() not in _AMBIGUOUS_CODES:
                found.append(code)
        return found

    def _city_areas(self, city: str, states: list[str], home: Area | None, notes: list[str], *,
                    near: Sequence[str] = ()) -> list[Area]:
        """The area a city names: in a state the question names, else one near the other places
        named, else in the home state, else the largest (saying which)."""
        areas = self.vocab.cities.get(city)
        if not areas or city in _NOT_CITIES:
            return []
        if states:
            chosen = [a for a in areas if any(s in a.title.split(",")[-1] for s in states)]
            return chosen[:1]
        nearby = [a for a in areas if any(s in a.title.split(",")[-1] for s in near)]
        if nearby:
            return nearby[:1]
        if len(areas) == 1:
            return areas
        home_state = home.state if home else None
        chosen = [a for a in areas if home_state and home_state in a.title.split(",")[-1]]
        if chosen:
            notes.append(f"I took {city.title()} to be {chosen[0].title}, in your home state; "
                         f"say the state if you meant another.")
            return chosen[:1]
        # No state and no home: the largest area named after the city, and say which.
        ranked = sorted(areas, key=lambda a: -self.vocab.size.get(a.code, 0))
        others = ", ".join(a.title for a in ranked[1:4])
        notes.append(f"{city.title()} could also be {others}; I used {ranked[0].title}. Say the state to choose.")
        return ranked[:1]

    def _unknown_place(self, text: str) -> str | None:
        for match in _UNKNOWN_PLACE.finditer(text):
            phrase = match.group(1).strip(" .'-")
            first = phrase.lower().split()[0] if phrase else ""
            if not phrase or first in _NOT_PLACES or phrase.lower() in _NOT_PLACES:
                continue
            if self.find_occupations(phrase)[0] or re.search(r"\d", phrase):
                continue
            return phrase
        return None

    def areas(self, codes: Iterable[str]) -> list[Area]:
        return [self.vocab.areas[c] for c in codes if c in self.vocab.areas]


_STATE_NAMES = {normalize(name) for name in STATES.values()}
#: City names that are also everyday words in questions.
_NOT_CITIES = {"mobile", "enterprise", "college station", "jobs", "best", "lawrence", "columbus",
               "jackson", "madison", "lincoln", "florence", "auburn", "vision", "victoria", "laredo",
               "homosassa springs", "ocean city", "the villages", "hanford", "hammond", "carson city"}
_STOP_SINGLE = {"help", "desk", "care", "home", "health"}
