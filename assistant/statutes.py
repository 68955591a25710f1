"""The law's own words: find the statute section a question names and quote it as a fact.

    question | cited_sections (pure: "29 U.S.C. 3174", "WIOA section 134", ...) | catalog document
             | best subsection for the question's words | opening sentences | Fact(doc_type="statute")

The statute sections are ordinary indexed documents (``corpus/statutes/``, built by
``scripts/build_statutes.py``, ids ``usc-{title}-{section}``), so search finds them by their
words too; this desk adds the lookup by number that search cannot do reliably.

The public-law section numbers are mapped to U.S. Code sections in ``ACT_SECTIONS``. The
U.S. Code files carry no such table, so it was written by hand from the acts' tables of
contents and the chapters' structure (each act section is codified in order: WIOA sec. 101-195
in 29 U.S.C. 3111-3255, title II in 3271-3333, title V in 3341-3361; Perkins sec. 2-324 in
20 U.S.C. 2301-2414). Code sections added by later acts (29 U.S.C. 3193a, 3224a, 3225a, 3226a,
3293; 20 U.S.C. 2308) have no act section here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from assistant.types import Fact

#: act key -> (short name used in citations, U.S. Code title, "act section code section" pairs).
_MAP_TEXT = {
    "wioa": ("WIOA", 29, """
        2 3101  3 3102  101 3111  102 3112  103 3113  106 3121  107 3122  108 3123  111 3131  116 3141
        121 3151  122 3152  123 3153  126 3161  127 3162  128 3163  129 3164  131 3171  132 3172
        133 3173  134 3174  136 3181  141 3191  142 3192  143 3193  144 3194  145 3195  146 3196
        147 3197  148 3198  149 3199  150 3200  151 3201  152 3202  153 3203  154 3204  155 3205
        156 3206  157 3207  158 3208  159 3209  160 3210  161 3211  162 3212  166 3221  167 3222
        168 3223  169 3224  170 3225  171 3226  172 3227  181 3241  182 3242  183 3243  184 3244
        185 3245  186 3246  187 3247  188 3248  189 3249  190 3250  191 3251  192 3252  193 3253
        194 3254  195 3255  202 3271  203 3272  204 3273  205 3274  206 3275  211 3291  212 3292
        221 3301  222 3302  223 3303  224 3304  225 3305  231 3321  232 3322  233 3323  241 3331
        242 3332  243 3333  501 3341  502 3342  503 3343  504 3344  511 3361
    """),
    "perkins": ("Perkins", 20, """
        2 2301  3 2302  4 2303  5 2304  6 2305  7 2306  8 2306a  9 2307  111 2321  112 2322  113 2323
        114 2324  115 2325  116 2326  117 2327  121 2341  122 2342  123 2343  124 2344  131 2351
        132 2352  133 2353  134 2354  135 2355  311 2391  312 2392  313 2393  314 2394  315 2395
        316 2396  317 2397  318 2398  319 2399  321 2411  322 2412  323 2413  324 2414
    """),
    "naa": ("National Apprenticeship Act", 29, "1 50  2 50a  3 50b"),
}


@dataclass(frozen=True)
class ActSection:
    act: str  # "WIOA"
    section: str  # "134"
    usc_title: int  # 29
    usc_section: str  # "3174"

    @property
    def label(self) -> str:
        return f"{self.act} section {self.section}"


def _act_sections() -> dict[tuple[str, str], ActSection]:
    out = {}
    for key, (act, title, text) in _MAP_TEXT.items():
        words = text.split()
        for section, code in zip(words[::2], words[1::2]):
            out[(key, section)] = ActSection(act, section, title, code)
    return out


#: (act key, act section) -> its U.S. Code section.
ACT_SECTIONS: dict[tuple[str, str], ActSection] = _act_sections()
#: (U.S. Code title, section) -> the act section codified there.
BY_CODE: dict[tuple[int, str], ActSection] = {(a.usc_title, a.usc_section): a for a in ACT_SECTIONS.values()}
#: The code sections shipped, by title: a bare "section 3174" is looked up here.
TITLE_OF = {a.usc_section: a.usc_title for a in ACT_SECTIONS.values()}

_ACTS = {
    "wioa": re.compile(r"\bWIOA\b|workforce innovation and opportunity act", re.I),
    "perkins": re.compile(r"\bperkins\b", re.I),
    "naa": re.compile(r"national apprenticeship act", re.I),
}
_USC = re.compile(r"\b(20|29)\s*U\.?\s?S\.?\s?C\.?\s*(?:§+\s*)?(\d{2,4}[a-z]?)((?:\([a-zA-Z0-9]{1,4}\))*)", re.I)
_SECTION = re.compile(r"(?:\bsections?|\bsecs?\.?|§+)\s*(\d{1,4}[a-z]?)\b((?:\([a-zA-Z0-9]{1,4}\))*)", re.I)


@dataclass(frozen=True)
class Cited:
    """A code section a question names, with the subsection it names if any ("c" of 3174(c))."""

    usc_title: int
    usc_section: str
    subsection: str = ""

    @property
    def doc_id(self) -> str:
        return f"usc-{self.usc_title}-{self.usc_section}"

    @property
    def citation(self) -> str:
        return f"{self.usc_title} U.S.C. {self.usc_section}"


def cited_sections(question: str) -> list[Cited]:
    """The U.S. Code sections ``question`` names, in order of mention (pure)."""
    found: list[tuple[int, Cited]] = []
    taken: list[range] = []
    for m in _USC.finditer(question):
        found.append((m.start(), Cited(int(m.group(1)), m.group(2).lower(), _first_label(m.group(3)))))
        taken.append(range(m.start(), m.end()))
    acts = [(m.start(), key) for key, rx in _ACTS.items() for m in rx.finditer(question)]
    for m in _SECTION.finditer(question):
        if any(m.start() in r for r in taken):
            continue
        number, sub = m.group(1).lower(), _first_label(m.group(2))
        nearest = sorted(acts, key=lambda a: abs(a[0] - m.start()))
        act = ACT_SECTIONS.get((nearest[0][1], number)) if nearest else None
        if act is not None and len(number) <= 3:
            found.append((m.start(), Cited(act.usc_title, act.usc_section, sub)))
        elif number in TITLE_OF:
            found.append((m.start(), Cited(TITLE_OF[number], number, sub)))
    out = [c for _, c in sorted(found, key=lambda f: f[0])]
    return list(dict.fromkeys(out))


def _first_label(labels: str) -> str:
    m = re.match(r"\(([a-z]{1,2})\)", labels or "")
    return m.group(1) if m else ""


# -- reading the section back from the catalog --------------------------------------------------

_HEADING = re.compile(r"^#{1,6}\s*(.*)$")
_LABEL_LINE = re.compile(r"^\(([a-zA-Z0-9]{1,5})\)\s+(.*)$")
# The source text sometimes has a space before a full stop ("section 17 of title 20 . For ...").
_SENTENCE = re.compile(r"(?:(?<=[a-z0-9)]\.)|(?<=[a-z0-9)] \.))\s+(?=[A-Z])")
_CITATION_LINE = re.compile(r"^\d+ U\.S\.C\. \S+ (\([^)]*\))?:")
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an the of to in on for and or is are be by with what which who how does do did say says said "
    "can should under this that it its as at from about me tell section sec usc u s c wioa perkins act law "
    "statute code title".split()
)
#: Question words and the words the statute uses for them ("must" -> "required", "shall").
_SYNONYMS = {"must": ("required", "shall"), "required": ("shall",), "may": ("permissible", "may"),
             "allowed": ("permissible", "may"), "pay": ("funds",), "money": ("funds",),
             "share": ("percent",), "reps": ("representatives",), "rep": ("representative",)}
MAX_SENTENCES = 4


def section_text(catalog, doc_id: str) -> tuple[dict, str] | None:
    """The indexed document row and its text rebuilt from its chunks (overlaps removed).

    ``catalog`` is the search catalog of either backend (``Catalog`` or ``PgCatalog``).
    """
    found = catalog.document_text(doc_id)
    if found is None:
        return None
    row, chunks = found
    text = ""
    for chunk in chunks:
        text = _join(text, chunk)
    return row, text


def _join(before: str, after: str) -> str:
    # The splitter repeats up to chunk_overlap characters; a short accidental match is no overlap.
    # The repeat starts after a separator (space or line end), so it must follow whitespace.
    for k in range(min(len(before) - 1, len(after), 600), 3, -1):
        if before.endswith(after[:k]) and before[-k - 1].isspace():
            return before + after[k:]
    return f"{before}\n{after}" if before else after


def subsections(text: str) -> list[tuple[str, list[str]]]:
    """Split a section's text into (subsection label, lines), in order; "" is the preamble.

    The chunker keeps one line per statute paragraph; headings above the section (title,
    chapter, section) and the citation line the build script puts first are left out.
    """
    parts: list[tuple[str, list[str]]] = [("", [])]
    for line in (part.strip() for part in text.split("\n")):
        if not line or _CITATION_LINE.match(line):
            continue
        heading = _HEADING.match(line)
        if heading and line.startswith("#####"):
            label = _LABEL_LINE.match(heading.group(1))
            parts.append((label.group(1) if label else heading.group(1), [heading.group(1)]))
        elif not heading:
            parts[-1][1].append(line)
    return [p for p in parts if p[1]]


def opening_sentences(lines: list[str], *, limit: int = MAX_SENTENCES) -> list[str]:
    """The first ``limit`` sentences, verbatim. A heading line (``(1) In general``) is kept as a
    label in front of the sentence it introduces; a line that runs on into a list (``Funds
    reserved by a Governor`` then ``(A) as described ...``) is joined to the next line."""
    out: list[str] = []
    labels: list[str] = []
    pending = ""
    for line in lines:
        if not pending and _is_heading(line):
            labels.append(line)
            continue
        line = f"{pending} {line}" if pending else line
        if not line.rstrip().endswith((".", ";", ":", ",", "—", "-")) and len(line) < 400:
            pending = line
            continue
        pending = ""
        for sentence in _SENTENCE.split(line):
            sentence = " ".join(sentence.split())
            if labels:
                sentence = " — ".join(labels) + ": " + sentence
                labels = []
            out.append(sentence)
            if len(out) >= limit:
                return out
    if pending and len(out) < limit:
        out.append((" — ".join(labels) + ": " if labels else "") + " ".join(pending.split()))
    return out


def _is_heading(line: str) -> bool:
    label = _LABEL_LINE.match(line)
    rest = label.group(2) if label else ""
    return bool(rest) and len(rest.split()) <= 12 and rest[:1].isupper() \
        and not rest.rstrip().endswith((".", ";", ":", ",")) and not re.search(r"\b(shall|means|may)\b", rest)


def best_subsection(parts: list[tuple[str, list[str]]], question: str) -> int:
    """Index of the subsection sharing most words with ``question`` (0 when none shares any)."""
    wanted = _words(question) - _STOP
    expanded = set(wanted)
    for word in wanted:
        expanded.update(_stem(w) for w in _SYNONYMS.get(word, ()))
    if not expanded:
        return 0
    best, best_score = 0, 0.0
    for i, (_, paras) in enumerate(parts):
        heading_words = _words(paras[0]) if paras else set()
        body = _words(" ".join(paras)[:1500])
        score = len(expanded & body) + 0.5 * len(expanded & heading_words)
        if score > best_score:
            best, best_score = i, score
    return best


_TERM_ASK = re.compile(
    r"\b(?:definition of|define[sd]?|meaning of|the term)\s+(?:an?\s+|the\s+)?[\"“']?(?P<x>[a-z][\w\s-]{2,60}?)[\"”']?"
    r"(?:\s+(?:in|under|according|for|mean)\b|\s*\??\s*$)"
    r"|\bwhat (?:is|are) (?:an?\s+|the\s+)?[\"“']?(?P<y>[a-z][\w\s-]{2,60}?)[\"”']? (?:under|in|according to) "
    r"(?:the |federal )?(?:law|statute|wioa|perkins|section)", re.I)


def defined_term(question: str) -> str | None:
    """The term a question asks the law's definition of ("how does federal law define an
    in-demand industry sector or occupation" -> "in-demand industry sector or occupation")."""
    match = _TERM_ASK.search(question)
    return " ".join((match.group("x") or match.group("y")).split()).lower() if match else None


def _defines_term(line: str, term: str) -> bool:
    """Whether ``line`` is the paragraph defining ``term`` ("The term “on-the-job training” means")."""
    quoted = re.search(r"term[s]?\s+[“\"](?P<t>[^”\"]+)[”\"]", line)
    return bool(quoted) and quoted.group("t").lower().rstrip("s") == term.rstrip("s")


def _asked_first(sentences: list[str], question: str) -> list[str]:
    """The sentence sharing clearly most words with the question first, the others in order:
    "what share of a local board has to be workforce reps" leads with "(B) not less than 20
    percent of the members of each local board shall be representatives of the workforce"."""
    if len(sentences) < 2 or not question:
        return sentences
    wanted = _words(question) - _STOP
    for word in list(wanted):
        wanted.update(_stem(w) for w in _SYNONYMS.get(word, ()))
    scores = [len(wanted & _words(s)) for s in sentences]
    best = max(range(len(sentences)), key=lambda i: scores[i])
    if scores[best] <= scores[0]:
        return sentences
    return [sentences[best], *(s for i, s in enumerate(sentences) if i != best)]


def _month_year(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%B %Y")


def _words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if not w.isdigit()}


def _stem(word: str) -> str:
    if len(word) > 3 and word.endswith("ed"):
        return word[:-1] if word[-3] == "s" else word[:-2]  # used -> use, allocated -> allocat
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


class StatuteDesk:
    """Statute sections a question names, as facts quoting the law's own words."""

    def __init__(self, catalog) -> None:
        self.catalog = catalog  # the search catalog: the statute sections are its documents

    def facts(self, question: str) -> list[Fact]:
        out = []
        for cited in cited_sections(question)[:2]:
            fact = self.fact(cited, question)
            if fact is not None:
                out.append(fact)
        return out

    def fact(self, cited: Cited, question: str = "") -> Fact | None:
        found = section_text(self.catalog, cited.doc_id)
        if found is None:
            return None
        row, text = found
        parts = subsections(text)
        if not parts:
            return None
        labels = [label for label, _ in parts]
        if cited.subsection and cited.subsection in labels:
            index = labels.index(cited.subsection)
        else:
            index = best_subsection(parts, question) if question else 0
        lines = [line for _, lines in parts[index:] for line in lines]
        term = defined_term(question)
        defining = next((i for i, line in enumerate(lines) if term and _defines_term(line, term)), None)
        if defining is not None and not cited.subsection:
            lines = lines[defining:]  # "definition of recognized postsecondary credential": that paragraph
        # A short subsection runs on into the next ones, up to the sentence limit.
        sentences = _asked_first(opening_sentences(lines), question)
        if not sentences:
            return None
        where = f"{cited.citation}({labels[index]})" if labels[index] and len(labels[index]) <= 2 else cited.citation
        act = BY_CODE.get((cited.usc_title, cited.usc_section))
        heading = row["title"].split(": ", 1)[-1]
        title = f"{where}: {heading}" + (f" ({act.label})" if act else "")
        published = str(row["published"]) if row["published"] else ""
        as_of = f"{published[:4]}-{published[4:6]}-{published[6:]}" if len(published) == 8 else None
        return Fact(
            doc_id=cited.doc_id,
            title=title,
            source=f"U.S. Code, {cited.citation}" + (f" (as of {_month_year(as_of)})" if as_of else ""),
            url=row["url"],
            sentences=tuple(sentences),
            doc_type="statute",
            published=as_of,
            data={"citation": where, "act_section": act.label if act else None, "subsection": labels[index]},
        )
