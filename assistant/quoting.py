"""What a quoted sentence is and what it says (pure: strings in, strings out).

The extractive answerer quotes documents verbatim except for source notes: inline
parentheticals such as "(BLS OOH, May 2024 data, https://...)", bare URLs and Markdown link
targets belong in the citation card, not in the text a person reads. This module also tells
what a question asks for (an amount, a date, a definition ...), whether a sentence is of that
kind, which figures a sentence states (so one fact is not quoted twice), and what a line is in
its chunk (prose, list item, table row, heading, a short line such as an address line).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# -- cleaning ------------------------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"]")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((?:https?://|www\.|/|#)[^)\s]*\)")
_PAREN = re.compile(r"\s*\(([^()]*)\)")
_DOMAIN = re.compile(r"\b[\w-]+\.(?:com|org|gov|net|edu|io|us)\b", re.I)
_SOURCE_LEAD = re.compile(r"^\s*(?:sources?|via|see|per|data|as (?:summarized|reported) by)\b\s*:?", re.I)
_SAME = re.compile(
    r"(?:the\s+)?same (?:sources?|bill text|report|page|article)(?:,.*)?|ibid\.?|(?:secondary|primary) sources?"
    r"|(?:19|20)\d\d(?:-\d\d)? (?:data|edition|projections)", re.I)
_REPORTED = re.compile(r"\b(?:summar(?:ized|ies)|reported by|press release|news|report|blog|magazine|catalog)\b", re.I)
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
          r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
# "2024", "May 2024", "2024-34 edition", "August 7, 2018", "c. 2023", "FY2025", "2019 and 2024", "2025 copy".
_DATE_TAIL = re.compile(
    rf"(?:c\.\s*|FY\s?)?(?:{_MONTH}\.?\s+(?:\d{{1,2}},\s*)?)?(?:19|20)\d\d(?:[-–](?:\d\d){{1,2}})?"
    rf"(?:\s+(?:and|or)\s+(?:19|20)\d\d)?(?:\s+(?:data|edition|projections|copy|law|survey|release))?\s*$"
)
#: A publisher-and-date note is short; a longer aside is part of what the sentence says.
_NOTE_WORDS = 12


def is_source_note(inner: str) -> bool:
    """Whether a parenthetical's text ``inner`` is a note of where a fact came from."""
    inner = inner.strip()
    if not inner:
        return False
    if ";" in inner:  # "(CRS report R47905, 2024; committee press release, 2023)"
        return all(is_source_note(part) for part in inner.split(";"))
    if _URL.search(inner) or _SOURCE_LEAD.match(inner) or _SAME.fullmatch(inner):
        return True
    if _DOMAIN.search(inner) and len(inner.split()) <= _NOTE_WORDS:  # "(masshirehcwb.com plan pages)"
        return True
    if len(inner.split()) > _NOTE_WORDS or "," not in inner:
        return False
    # "Publisher, date": the last comma-separated part is a date, the first names who said it.
    head, _, tail = inner.rpartition(",")
    if not _DATE_TAIL.fullmatch(tail.strip()):
        return False
    return head.strip()[:1].isupper() or bool(_REPORTED.search(head) or _DOMAIN.search(head))


def _strip_note(match: re.Match) -> str:
    return "" if is_source_note(match.group(1)) else match.group(0)


_POINTS_TO = re.compile(r"\b(?:at|visit|see|on|from|via|to)\s*$", re.I)


def _url_in_prose(match: re.Match) -> str:
    # "apply at https://www.mass.gov/x" still needs a place to apply: keep the site's name.
    if _POINTS_TO.search(match.string[: match.start()]):
        host = re.sub(r"^(?:https?://)?(?:www\.)?", "", match.group(0)).split("/")[0]
        return host
    return ""


def clean(sentence: str) -> str:
    """``sentence`` without source notes, URLs and link targets; every other word kept as is."""
    text = _MD_LINK.sub(r"\1", sentence)
    text = re.sub(r"^\s*#{1,6}\s+", "", text)  # a heading's Markdown marks ("##### (c) ...")
    text = _PAREN.sub(_strip_note, text)
    text = _URL.sub(_url_in_prose, text)
    text = re.sub(r"\(\s*[,;]?\s*\)", "", text)  # a bracket left empty once its URL went
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    text = re.sub(r"([,;:])(?=[.;:!?])", "", text)  # "was (URL):" -> "was:"
    return " ".join(text.split())


# -- what a line is in its chunk -----------------------------------------------------------------

_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")


@dataclass(frozen=True)
class Line:
    """Where a sentence sits: its role and the chunk line it is on (sentences of one line share it)."""

    role: str  # "prose" | "item" | "table" | "heading" | "rule" | "short"
    line: int


def line_roles(text: str, sentences) -> list[Line]:
    """The role of each of ``sentences`` (slices of ``text``, in order) in ``text``."""
    lines = text.splitlines()
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    out, cursor = [], 0
    for sentence in sentences:
        found = text.find(sentence, cursor) if sentence else -1
        if found < 0:
            out.append(Line("prose", -1))
            continue
        cursor = found + len(sentence)
        number = max(i for i, s in enumerate(starts) if s <= found) if starts else 0
        out.append(Line(_role(lines[number] if lines else sentence, sentence), number))
    return out


def _role(line: str, sentence: str) -> str:
    stripped = line.strip()
    if stripped.startswith("#"):
        return "heading"
    if _TABLE_RULE.match(stripped) or stripped.startswith("---"):
        return "rule"
    if stripped.startswith("|") or stripped.count("|") >= 2:
        return "table"
    if _LIST_MARKER.match(line):
        return "item"
    if sentence.strip() == stripped and not stripped.endswith((".", "!", "?", ":")) and len(stripped) < 60:
        return "short"
    return "prose"


def table_cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def render_row(row: str, header: str | None) -> str:
    """A table row as "Column: value; ..." (with the header row) or "value | value" (without);
    cells that only hold a link are left out, like any other source note."""
    cells = table_cells(row)
    names = table_cells(header) if header else []
    parts = []
    for i, cell in enumerate(cells):
        value = clean(cell)
        if not value:
            continue
        name = clean(names[i]) if i < len(names) else ""
        parts.append(f"{name}: {value}" if name and i else value)
    if not parts:
        return ""
    if not names:
        return " | ".join(parts) + "."
    return parts[0] + (": " + "; ".join(parts[1:]) if len(parts) > 1 else "") + "."


# -- what a question asks for --------------------------------------------------------------------

_KINDS = (
    ("address", re.compile(r"\b(address|located|location of|directions to|mailing)\b", re.I)),
    ("list", re.compile(r"^\s*(list|name)\b|\b(what|which|who) are the\b|\bwhich \w+s\b|\bsteps\b|"
                        r"\b(requirements|eligibility)\s*\??\s*$", re.I)),
    # "where does H.R. 6655 stand", "nprm status", "did it pass": the sentence that says where it stands.
    ("status", re.compile(r"\bstatus\b|\bwhere does .+ stand\b|\bstand now\b|\bwhat happened (to|with)\b|"
                          r"^\s*(did|has) .+ (pass|become law|been signed|take effect)\b", re.I)),
    ("amount", re.compile(
        r"\bhow (much|many|long|fast|big)\b|\b(pay|pays|paid|salary|salaries|wage|wages|earn|earns|make|cost|costs|"
        r"fee|fees|price|percent|percentage|share|rate|number|numbers|count|demand|growth|grow|outlook|funding|"
        r"openings)\b|^\s*(?:do|does|did|are|were) (?:most|many|few)\b", re.I)),
    ("date", re.compile(r"^\s*when\b|\bwhat (year|date|day)\b|\b(deadline|date|since when)\b", re.I)),
    # "who sponsored it" asks for a name; "who qualifies" asks for a description.
    ("person", re.compile(
        r"\bwho (is|are|was|were|chairs|sponsored|introduced|runs|leads|heads|signed|wrote)\b", re.I)),
    ("place", re.compile(r"^\s*where\b|\bwhere (can|do|is|are|should)\b|\bnear (me|here)\b|"
                         r"\b(programs?|schools?|colleges?|training)\s+(in|near|around)\s+[a-z]", re.I)),
    ("definition", re.compile(
        r"^\s*(what|who)('s| is| are| was| were| does .+ (mean|stand for))\b|\bdefin|\bmeaning of\b", re.I)),
    ("steps", re.compile(
        r"\bhow (do|can|would|should|could) (i|you|we|one|someone|a)\b|\bhow to\b|\bbecome\b|\bget (started|into)\b",
        re.I)),
)
_MONEY_WORDS = re.compile(
    r"\b(pay|pays|paid|salary|salaries|wage|wages|earn|earns|make|cost|costs|fee|fees|price|much)\b", re.I)


def question_kind(question: str) -> str | None:
    """What ``question`` asks for: address, list, amount, date, person, place, definition, steps.
    A bare bill number ("h.r. 6445", "hawaii sb 760") asks what that bill is, and "how does the law
    define X" what X is, whatever else its words suggest ("in-demand" is not an amount)."""
    if _DEF_VERB.search(question):
        return "definition"
    for kind, pattern in _KINDS:
        if pattern.search(question):
            if kind == "definition" and _definition_subject(question) is None:
                continue
            return kind
    return "definition" if _BARE_BILL.match(question) else None


_HEAD = re.compile(
    r"\b(?:which|what)\s+(?:kinds?\s+of\s+|types?\s+of\s+|sorts?\s+of\s+|are\s+the\s+)?(?P<x>[a-z][\w-]*(?:\s+[a-z][\w-]*){0,3})"
    r"|\bwho are the\s+(?P<y>[a-z][\w-]*(?:\s+[a-z][\w-]*){0,3})"
    r"|^\s*(?:are|is) there (?:any |an? )?(?P<z>[a-z][\w-]*(?:\s+[a-z][\w-]*){0,3})", re.I)
_NOT_HEAD = frozenset(
    "is are was were do does did would will can could should has have the a an about if it i you we they this that "
    "else happens happened kind kinds type types sort sorts year years date day time much many percent percentage "
    "share number amount rate level".split())  # a measure is asked by kind (amount, date), not by name
#: Words that end the noun phrase a question asks about ("computer programs | do medical assistants use").
_PHRASE_END = frozenset(
    "is are was were do does did would will can could should has have of in for on at to from with about by "
    "i you we they my our your and or vs".split())


def asked_thing(question: str) -> str | None:
    """The noun a "which X" / "what X" / "what kind of X" / "who are the X" question asks about,
    the last word of its noun phrase ("partners" in "who are the partners in the work group",
    "programs" in "what computer programs do they use"), or None."""
    match = _HEAD.search(question)
    if not match:
        return None
    phrase = []
    for word in (match.group("x") or match.group("y") or match.group("z")).lower().split():
        if word in _PHRASE_END:
            break
        phrase.append(word)
    if not phrase or phrase[0] in _NOT_HEAD or phrase[-1] in _NOT_HEAD:
        return None
    return phrase[-1]


#: Short words people type for the thing asked about.
_SHORT_FOR = {"cert": "certification", "certs": "certifications", "apprenticeships": "apprenticeship",
              "progs": "programs", "jobs": "job"}


def names_thing(sentence: str, thing: str) -> bool:
    """Whether ``sentence`` names ``thing`` itself, singular or plural ("partner", "partners"),
    not a longer word that starts alike ("partnership")."""
    thing = _SHORT_FOR.get(thing.lower(), thing)
    root = re.sub(r"(?:es|s)$", "", thing.lower()) if len(thing) > 3 else thing.lower()
    return bool(re.search(rf"\b{re.escape(root)}(?:s|es)?\b", sentence, re.I))


_DEF_QUESTION = re.compile(
    r"^\s*(?:so\s+)?(?:what|who)(?:'s| is| are| was| were)\s+(?:an?\s+|the\s+)?(?P<x>.+?)"
    r"(?:\s+(?:in|for|on|at|about|when|exactly|mean|really)\b.*)?\s*\??\s*$", re.I)
_DEF_MEAN = re.compile(r"^\s*what does (?:an?\s+|the\s+)?(?P<x>.+?) (?:mean|stand for)\b", re.I)
_NOT_SUBJECT = re.compile(
    r"^(the )?(best|difference|pay|salary|cost|fee|steps?|requirements?|latest|status|news)\b", re.I)


#: A question that is only a bill number, perhaps after its state: "h.1380", "hawaii sb 760".
_BARE_BILL = re.compile(
    r"^\s*(?:[a-z]+\s+){0,2}?(?P<x>(?:h\.?\s?r\.?|s\.?|h\.?|[hs]\.?\s?[bd]\.?)\s?\d+)\s*\??\s*$", re.I)


#: "how does the perkins law define career and technical education", "definition of on-the-job training"
_DEF_VERB = re.compile(r"\b(?:define[sd]?|definition of|meaning of)\s+(?:an?\s+|the\s+)?[\"“']?"
                       r"(?P<x>[a-z][\w\s-]{2,60}?)[\"”']?(?:\s+(?:in|under|according)\b.*)?\s*\??\s*$", re.I)


def _definition_subject(question: str) -> str | None:
    bare = _BARE_BILL.match(question) or _DEF_VERB.search(question)
    if bare:
        return bare.group("x")
    question = re.split(r"\s+and\s+(?:who|what|how|where|when|why|is|are|can|does|do)\b|,", question)[0]
    match = _DEF_MEAN.match(question) or _DEF_QUESTION.match(question)
    if not match:
        return None
    subject = match.group("x").strip(" ?.")
    if not subject or _NOT_SUBJECT.match(subject) or len(subject.split()) > 5:
        return None
    return subject


_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}")


def _flat(text: str) -> str:
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)
    return " ".join(re.findall(r"[a-z0-9$%]+", text.lower()))


_MONEY = re.compile(r"\$\s?(\d+(?:,\d{3})*(?:\.\d+)?)(?:\s?(?:million|billion|thousand|[kmb])\b)?", re.I)
_PERCENT = re.compile(r"\b\d+(?:\.\d+)?\s?(?:%|percent\b)")
_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?!\d)|(?<![\w.$])\d+(?:\.\d+)?(?![\d%])")
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_DATE = re.compile(
    rf"\b{_MONTH}\b\.?\s+(?:\d{{1,2}},\s*)?(?:19|20)\d\d|\b(?:19|20)\d\d\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:[A-Z]\.\s+)?[A-Z][a-z]+)+\b")
_STREET = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][\w.'-]*\s+){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Drive|Dr|Way|Lane|Ln|"
    r"Place|Pl|Square|Sq|Parkway|Pkwy|Highway|Hwy|Court|Ct|Plaza|Circle)\b\.?")
_CITY_ZIP = re.compile(r"\b[A-Z][a-zA-Z.]+(?:\s+[A-Z][a-zA-Z.]+)*,\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?\b")
_PLACE = re.compile(
    r"\b(in|at|near|from) [A-Z][a-z]+|\b(campus|located|online|statewide|county|city|town)\b|" + _CITY_ZIP.pattern)
_STEP = re.compile(r"\b(first|then|next|after|before|complete|completing|earn|earning|start|enroll|apply|take|"
                   r"pass|finish|steps?|begin|get|join|become)\b", re.I)


_BILL_NUMBER = re.compile(r"\b(bill|law|act)s? (number|numbers|no)\b", re.I)
_BILL = re.compile(r"\b(?:H\.?\s?R\.?|S\.|H\.|Public Law|P\.L\.)\s?\d")
#: "do most BMETs work in hospitals" asks what share do: a percentage answers it.
_RATE_WORDS = re.compile(
    r"\b(percent|percentage|share|rate|growth|grow|demand|outlook)\b|^\s*(?:do|does|did|are|were) (?:most|many|few)\b",
    re.I)


_STATUS = re.compile(
    r"\b(proposed|final|enacted|signed|became law|become law|passed|died|pending|referred|reported|vetoed|"
    r"withdrawn|in effect|took effect|takes effect|stalled|expired|no further action|not final)\b", re.I)


_SCHOOL_ASK = re.compile(r"\b(programs?|schools?|colleges?)\b", re.I)
_INSTITUTION = re.compile(r"\b[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*\s+(?:College|University|Institute|School|Academy)\b")


_WHERE_NOW = re.compile(r"\b(stand|stands|status|now)\b|\bwhat happened\b", re.I)
#: Where a bill or rule ends up, which answers "where does it stand" better than a step on the way.
_LAST_STATUS = re.compile(
    r"\b(enacted|became law|become law|signed into law|died|vetoed|expired|withdrawn|in effect|took effect|"
    r"not final|proposed, not|still pending|remains? pending|no further action|final rule)\b", re.I)


def _state_named(question: str) -> str | None:
    """The US state a question names in words ("connecticut"), or None."""
    from assistant.states import STATES

    return next((name for name in STATES.values() if re.search(rf"\b{name}\b", question, re.I)), None)


def is_address(sentence: str) -> bool:
    return bool(_STREET.search(sentence) or _CITY_ZIP.search(sentence))


def fits(sentence: str, kind: str | None, *, question: str = "", role: str = "prose") -> bool:
    """Whether ``sentence`` gives the kind of answer ``kind`` asks for."""
    if kind is None or _CAVEAT.search(sentence) and _covers(sentence, question):
        return True  # "the status of X is not confirmed" answers "status of X" honestly
    if kind == "amount":
        if _BILL_NUMBER.search(question):
            return bool(_BILL.search(sentence))
        if _MONEY_WORDS.search(question) and not re.search(r"\bhow (many|long)\b", question, re.I):
            return bool(_MONEY.search(sentence))
        if _RATE_WORDS.search(question):
            return bool(_PERCENT.search(sentence))
        counted = _counted_thing(question)
        if counted:  # "how many workforce boards": a number of boards, not "up to 4 years"
            return bool(re.search(rf"(?:\d[\d,]*|\b{_NUMBER_WORD})(?:\s+[\w-]+){{0,3}}?\s+{counted}", sentence, re.I))
        return bool(_PERCENT.search(sentence) or _MONEY.search(sentence) or _counts(sentence))
    if kind == "date":
        return bool(_DATE.search(sentence))
    if kind == "status":
        return bool(_STATUS.search(sentence))
    if kind == "person":
        return bool(_NAME.search(sentence[1:]))
    if kind in ("place", "address"):
        state = _state_named(question)
        if state and kind == "place" and not re.search(rf"\b{state}\b", sentence, re.I):
            return False  # "bmet school in connecticut": a place in Connecticut
        if kind == "place" and _SCHOOL_ASK.search(question) and not _INSTITUTION.search(sentence):
            return False  # "bmet programs in texas": a college that runs one, not the state in passing
        return is_address(sentence) or (kind == "place" and bool(_PLACE.search(sentence)))
    if kind == "list":  # list items, or a sentence that lists ("partners include A, B, C and D")
        return role == "item" or sentence.count(",") + sentence.count(";") >= 3
    if kind == "steps":
        return role == "item" or bool(_STEP.search(sentence))
    if kind == "definition":
        subject = _definition_subject(question)
        return subject is not None and defines(sentence, subject)
    return True


_HOW_MANY = re.compile(r"\bhow many\s+(?P<x>(?:[a-z][\w-]*\s+){0,3}?[a-z][\w-]*?)"
                       r"(?=\s+(?:are|is|do|does|did|will|would|can|could|there|in|of|per|a|an|the|usually|each|open|opens|for|"
                       r"to|at|on|with|work|works|worked|working|get|make|earn|come|have|has)\b|\s*\??\s*$)",
                       re.I)


_NUMBER_WORD = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
                r"dozens?|hundreds?|thousands?|millions?)")


def _counted_thing(question: str) -> str | None:
    """The root of what "how many X" counts ("board" in "how many masshire workforce boards are
    there"), as a pattern matching it singular or plural; None for other questions."""
    match = _HOW_MANY.search(question)
    if not match:
        return None
    head = match.group("x").split()[-1].lower()
    root = re.sub(r"(?:es|s)$", "", head) if len(head) > 3 else head
    return rf"{re.escape(root)}(?:s|es)?\b"


#: Counts written in words: "more than two dozen partners", "nine in ten jobs", "hundreds of programs".
_COUNT_WORDS = re.compile(
    r"\b(?:dozens?|hundreds?|thousands?|millions?|billions?|half|majority|minority|(?:one|two|three|four|five|six|"
    r"seven|eight|nine) in (?:ten|five|four|three|a hundred))\b", re.I)


def _counts(sentence: str) -> bool:
    return (any(not _YEAR.match(n.replace(",", "")) for n in _NUMBER.findall(sentence))
            or bool(_COUNT_WORDS.search(sentence)))


def defines(sentence: str, subject: str) -> bool:
    """Whether ``sentence`` says what ``subject`` is ("X is ...", "X, the ...", "... was X, ...")."""
    flat, x = _flat(sentence), _flat(subject)
    if not x:
        return False
    if re.search(rf"\(\s*{re.escape(subject)}s?\s*\)", sentence, re.I):  # "independent service organization (ISO)"
        return True
    for match in re.finditer(rf"(?:^| ){re.escape(x)}s?(?= |$)", flat):
        after, before = flat[match.end():].split(), flat[: match.start()].split()
        if after[:1] and after[0] in ("is", "are", "means", "refers", "stands") and not (
            len(after) > 1 and (after[1].endswith("ed") or after[1] == "not")):
            return True
        if before[-1:] and before[-1] in ("is", "are", "was", "were", "called", "as"):
            return True
        if re.search(r"\b(?:was|were|is|are) (?:\w+ ){0,14}?as an? ", " ".join(after[:20])):
            return True  # "H.R. 6655 was introduced in December 2023 ... as a bipartisan WIOA reauthorization"
        written = _loose(x).search(sentence)  # "S.B. 760" where the question wrote "sb 760"
        rest = sentence[written.start():] if written else ""
        if re.match(r"[^,(]{0,40}?(?:,\s*(?:a|an|the|or)\b|\s\(|,\s*[\"“])", rest, re.I):
            return True
    return False


def _loose(flat: str) -> re.Pattern:
    """``flat`` as written in a sentence, with any dots and spaces between its letters."""
    return re.compile(r"[.\s]*".join(re.escape(ch) for ch in flat.replace(" ", "")), re.I)


# -- what a sentence states ----------------------------------------------------------------------

def figures(sentence: str) -> set[str]:
    """The salient figures ``sentence`` states: money, percentages and counts (not bare years)."""
    found = {"$" + m.group(1) for m in _MONEY.finditer(sentence)}  # "$88,180," and "$88,180" alike
    found |= {re.sub(r"\s?percent", "%", m.group(0)).replace(" ", "") for m in _PERCENT.finditer(sentence)}
    found |= {n for n in re.findall(r"(?<![\w.$])\d{1,3}(?:,\d{3})+(?!\d)", sentence)}
    return found


_MEASURES = (
    ("median", re.compile(r"\bmedian\b", re.I)),
    ("top 10%", re.compile(r"\b(?:top|highest|highest-paid|best-paid)\s+(?:paid\s+)?10\s?(?:%|percent)", re.I)),
    ("bottom 10%", re.compile(r"\b(?:bottom|lowest|lowest-paid)\s+(?:paid\s+)?10\s?(?:%|percent)", re.I)),
    ("middle half", re.compile(r"\bmiddle (?:half|50\s?(?:%|percent))", re.I)),
)
_SURVEY_YEAR = re.compile(r"(?<![\d-])\b(?:May\s+)?(20\d\d)\b(?![-–]\d)")


def pay_measures(sentence: str) -> set[str]:
    """The pay statistics a sentence states with a dollar figure: median, top or bottom 10%, middle half."""
    if not _MONEY.search(sentence):
        return set()
    return {name for name, pattern in _MEASURES if pattern.search(sentence)}


def survey_year(sentence: str) -> int | None:
    """The year of the pay survey a pay sentence quotes ("in May 2024", "in 2024"), if it names one."""
    years = [int(y) for y in _SURVEY_YEAR.findall(sentence)]
    return max(years) if years else None


def older_statement(sentence: str, stated: Sequence[str]) -> bool:
    """Whether ``sentence`` gives a pay statistic that one of ``stated`` already gives from a newer
    survey ("median ... $62,630 in May 2024" after "median ... $61,660 ... in May 2025"): the same
    claim, older, so a reader would get two answers to one question. A figure more than a tenth
    away is another group's ("hospitals paid a median of $74,560") and stays."""
    measures, year = pay_measures(sentence), survey_year(sentence)
    if not measures or year is None:
        return False
    mine = _dollars(sentence)
    return any(measures & pay_measures(s) and (survey_year(s) or 0) > year
               and any(abs(a - b) <= 0.1 * b for a in mine for b in _dollars(s)) for s in stated)


def _dollars(sentence: str) -> list[float]:
    return [float(m.group(1).replace(",", "")) for m in _MONEY.finditer(sentence)]


def about_pay_if_asked(question: str, sentence: str) -> bool:
    """After the official pay figures, a document adds something about pay ("hospitals pay more")
    or nothing: "biomed techs keep learning" shares the occupation's name, not the question."""
    return not _PAY.search(question) or bool(_MONEY.search(sentence) or _PAY.search(sentence))


def words(sentence: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", sentence.lower()))


def same_claim(a: str, b: str) -> bool:
    """Whether two cleaned sentences state the same fact: a figure in common (a reader takes
    "$350" twice as the same fact said twice), or mostly the same words."""
    fa, fb = figures(a), figures(b)
    if fa & fb:
        return True
    if fa and fb:  # "41,400 jobs in 2008" and "37,900 jobs in 2010": alike in words, not in fact
        return False
    wa, wb = words(a), words(b)
    return len(wa & wb) / max(1, min(len(wa), len(wb))) >= 0.8


_META = re.compile(
    r"\b(this page|this list|see [\"“]|for comparison)\b"
    r"|\b(?:is|are) (?:covered|described|listed|discussed) (?:on|in) (?:the|this|a) (?:[\w-]+ ){0,6}?page\b", re.I)
#: A caveat about what the sources do not say ("... is not confirmed here") answers nothing itself.
_CAVEAT = re.compile(
    r"\bnot (?:confirmed|covered|given|stated|found|known|verified)(?: here| in (?:the|our) sources?| in the sources"
    r" used here)\b|\bshould be (?:checked|confirmed|verified)\b|:\s*not (?:confirmed|known)\.?$"
    r"|\b(?:our|the) sources(?: used here)? (?:did|do|could) not confirm\b|\bcould not be confirmed\b"
    r"|\b(?:is|are) not confirmed\W*(?:\[\d+\])?\s*$", re.I)
#: "who sponsored/introduced/wrote ..." asks for a person; a person is named with a title or a party tag.
_WHO_DID = re.compile(r"\bwho (sponsored|introduced|filed|wrote|authored|signed|chairs|leads|heads)\b", re.I)
_PERSON_MARK = re.compile(
    r"\b(?:Senators?|Sen\.|Representatives?|Rep\.|Reps\.|Congress(?:man|woman)|Governor|Gov\.|Chair(?:man|woman)?"
    r"|Secretary|Commissioner|Mayor|Dr\.|Mr\.|Ms\.|Mrs\.)\s+[A-Z]|\([DRI]-[A-Z]{2}\b")
_PAY = re.compile(r"\b(pay|pays|paid|salary|salaries|wage|wages|earn|earns|make|makes)\b", re.I)
_NOT_TYPICAL = re.compile(r"\b(top|highest|lowest|range|entry|starting|start|hourly|bottom|most|least)\b", re.I)


def side_note(sentence: str) -> bool:
    """A caveat about what the sources leave open, or a note about the page itself: worth a
    reader's time in an answer's support, never as a step of a plan."""
    return bool(_CAVEAT.search(sentence) or _META.search(sentence))


def lead_rank(sentence: str, *, question: str = "") -> int:
    """How well ``sentence`` opens an answer, 0 best: a pointer to other pages ("See ..."), a caveat
    about what the sources do not confirm (unless it names everything asked), or the tail of a
    parenthesis opens badly; for "what does X pay", the median opens better than the range."""
    if _CAVEAT.search(sentence) and _covers(sentence, question):
        return 0  # "the status of X in the 119th Congress is not confirmed": the honest answer to exactly that
    if _META.search(sentence) or _CAVEAT.search(sentence) or (
            ")" in sentence and not 0 <= sentence.find("(") < sentence.find(")")):
        return 2
    if _PAY.search(question) and not _NOT_TYPICAL.search(question) and not re.search(r"\b(median|average)\b", sentence):
        return 1
    if _WHERE_NOW.search(question) and not _LAST_STATUS.search(sentence):
        return 1  # "where does it stand now": where it ended ("did not become law"), not a step on the way
    if _WHO_DID.search(question) and not _PERSON_MARK.search(sentence):
        return 1  # "who sponsored X": the sentence naming Senator Y, not one where X's own name is the only name
    return 0


def _covers(sentence: str, question: str) -> bool:
    """Whether ``sentence`` has every content word of ``question``: a caveat that precise ("the
    status of X in the 119th Congress is not confirmed") is the honest answer, not a side note."""
    from assistant.retrieval.lexical import query_terms

    asked = {t[:5] for t in query_terms(question)}
    return bool(asked) and asked <= {w[:5] for w in words(sentence)}


# -- which question words are names --------------------------------------------------------------

def name_terms(terms, *, question: str, text: str) -> set[str]:
    """The ``terms`` that are names of places or organisations: written with a capital (and not
    as an acronym) wherever they occur in ``text``, or capitalised mid-question."""
    prose = _URL.sub(" ", text)
    tokens = re.findall(r"[A-Za-z][\w'-]*", question)
    asked = {t.lower() for t in tokens[1:] if t[0].isupper() and not t.isupper()}
    out = set()
    for term in terms:
        if term in asked:
            out.add(term)
            continue
        seen = re.findall(rf"\b{re.escape(term)}\w*", prose, re.I)
        if seen and all(w[0].isupper() and not w.isupper() for w in seen):
            out.add(term)
    return out


def topical_match(question: str, text: str) -> bool:
    """Whether ``text`` shares with ``question`` a content word that is not a name: "pizza in
    Springfield" shares only "Springfield" with a page about Springfield's workforce board."""
    from assistant.retrieval.lexical import query_terms

    found = set(query_terms(text))
    stems = {w[:5] for w in found}
    matched = [t for t in query_terms(question) if t in found or t[:5] in stems]
    return bool(set(matched) - name_terms(matched, question=question, text=text))
