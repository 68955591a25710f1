"""Facts about tracked Massachusetts bills: where each stands, who filed it, which committee has
it, when its hearing is. Cited to the bill's page on malegislature.gov, never to the API."""

from __future__ import annotations

import json
import re

from assistant.bills import store
from assistant.bills.ma import MaBill, ma_mentions, when
from assistant.types import Fact

_ASKS_SPONSOR = re.compile(r"\b(co-?sponsor\w*|sponsor\w*|who (?:filed|introduced|wrote))\b", re.IGNORECASE)
_ASKS_COMMITTEE = re.compile(r"\bcommittee", re.IGNORECASE)
_ASKS_HEARING = re.compile(r"\bhearings?\b", re.IGNORECASE)
_HEARING_LINE = re.compile(r"^hearing\b", re.IGNORECASE)
_COURT_IN_TEXT = re.compile(r"\b(\d{3})(?:st|nd|rd|th)\s+(?:general\s+)?court\b", re.IGNORECASE)
# "house bill 1972", "Senate Bill No. 166", "house docket 2011": how staff say a number aloud.
_SPELLED = re.compile(
    r"\b(?P<branch>house|senate)\s+(?P<kind>bill|docket)\s+(?:no\.?\s*|number\s+)?(?P<number>\d{1,5})\b", re.IGNORECASE
)
_ASKS_FOR_A_BILL = re.compile(r"\b(?:bills?|legislation)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")
# Words every title has ("An Act relative to ..."): they tell no bill from another.
_TITLE_FILLER = frozenset(
    "a an act acts and as at by for from in into of on or relative resolve the to with establishing "
    "providing regarding concerning ensure".split()
)
#: Share of a title's distinctive words a question must use to name the bill by its title.
TITLE_MATCH = 0.75
TIMELINE_MAX = 8


def ma_facts(conn: store.Connection, question: str) -> list[Fact]:
    """Facts for every tracked Massachusetts bill the question names (others: nothing)."""
    named = _COURT_IN_TEXT.search(question or "")
    out: list[Fact] = []
    for prefix, number in named_bills(conn, question):
        bill = _latest(conn, prefix, number, court=int(named.group(1)) if named else None)
        if bill is None:
            continue
        # What was asked comes first, so the answer's first sentence is the answer; where the bill
        # stands and its history follow as context.
        facts = {}
        if _ASKS_SPONSOR.search(question):
            facts["sponsors"] = sponsor_sentences(bill)
        if _ASKS_COMMITTEE.search(question):
            facts["committee"] = committee_sentences(bill)
        if _ASKS_HEARING.search(question):
            facts["hearing"] = hearing_sentences(bill)
        facts |= {"status": status_sentences(bill, told=frozenset(facts)), "timeline": timeline_sentences(bill)}
        out += [_fact(bill, part, sentences) for part, sentences in facts.items() if sentences]
    return out


def named_bills(conn: store.Connection, question: str) -> list[tuple[str, int]]:
    """``(prefix, number)`` of the bills a question names: by number ("H.4521", "H 4521", "house
    bill 4521"), else by the words of a tracked bill's title ("the behavioral health workforce
    trust fund bill"), which must then say it asks about a bill."""
    found = ma_mentions(question)
    for match in _SPELLED.finditer(question or ""):
        prefix = match.group("branch")[0].lower() + ("d" if match.group("kind").lower() == "docket" else "")
        if (prefix, int(match.group("number"))) not in found:
            found.append((prefix, int(match.group("number"))))
    if found or not _ASKS_FOR_A_BILL.search(question or ""):
        return found
    return _by_title(conn, question)


def _by_title(conn: store.Connection, question: str) -> list[tuple[str, int]]:
    asked = _stems(question)
    scored = []
    for row in conn.execute(
        "SELECT b.bill_type, b.number, v.record FROM bills b JOIN bill_versions v ON v.bill_id = b.id"
        " AND v.version = b.version WHERE b.jurisdiction = 'ma'"
    ):
        words = _stems(json.loads(row["record"]).get("title", ""))
        used = len(words & asked)
        if words and used >= 2 and used / len(words) >= TITLE_MATCH:
            scored.append((used / len(words), used, row["bill_type"], row["number"]))
    best = max(((share, used) for share, used, *_ in scored), default=None)
    # Two bills can share a title (the House's and the Senate's): both are named.
    return [(prefix, number) for share, used, prefix, number in scored if (share, used) == best]


def _stems(text: str) -> frozenset[str]:
    words = (w for w in _WORD.findall((text or "").lower()) if w not in _TITLE_FILLER)
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


def _latest(conn, prefix: str, number: int, *, court: int | None) -> MaBill | None:
    row = conn.execute(
        "SELECT id FROM bills WHERE jurisdiction = 'ma' AND bill_type = ? AND number = ? AND version > 0"
        " AND (CAST(? AS INTEGER) IS NULL OR congress = ?) ORDER BY congress DESC LIMIT 1",
        (prefix, number, court, court),
    ).fetchone()
    record = store.latest_record(conn, row[0]) if row else None
    return MaBill.from_json(record) if record else None


_TITLES = {
    "status": "where it stands",
    "timeline": "history of actions",
    "sponsors": "sponsor and cosponsors",
    "committee": "committee",
    "hearing": "hearings",
}


def _fact(bill: MaBill, part: str, sentences: tuple[str, ...]) -> Fact:
    ref = bill.ref
    latest = bill.latest_action
    return Fact(
        doc_id=f"bill:{ref.key}:{part}",
        title=f"{ref.label} ({ref.court_label}): {_TITLES[part]}",
        sentences=sentences,
        source=f"Massachusetts Legislature, {ref.court_label}, {ref.label}",
        url=ref.page_url,
        doc_type="bill",
        published=latest.date if latest else None,
        data=ma_summary(bill),
    )


def status_sentences(bill: MaBill, *, told: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Where the bill stands; what the ``told`` facts (committee, hearing) already say is left out."""
    ref = bill.ref
    head = f"{ref.label} ({ref.court_label}, Massachusetts), {bill.title.rstrip('. ')}, was filed"
    if bill.sponsor:
        head += f" by {bill.sponsor}"
    latest = bill.latest_action
    if latest:
        head += f"; its latest action, on {when(latest.date, latest.time)} ({latest.branch}), was: {latest.text}"
    elif not bill.recommendations and not bill.hearings:
        head += "; no action on it is on record yet"
    sentences = [head.rstrip(".") + "."]
    if bill.committee:
        sentences.append(f"It was referred to the committee on {bill.committee}.")
    if bill.recommendations and "committee" not in told:
        said = "; ".join(f"{r.committee}: {r.action}" for r in bill.recommendations)
        sentences.append(f"Committee recommendations on {ref.label}: {said}.")
    if bill.hearings and "hearing" not in told and not (latest and _HEARING_LINE.match(latest.text)):
        sentences.append(hearing_sentences(bill)[-1])
    return tuple(sentences)


def timeline_sentences(bill: MaBill) -> tuple[str, ...]:
    actions = sorted((a for a in bill.actions if not a.stricken), key=lambda a: (a.date, a.time or "99"))
    if len(actions) > TIMELINE_MAX:
        actions = actions[:2] + actions[-(TIMELINE_MAX - 2) :]
    return tuple(f"On {a.date}, {bill.ref.label} ({a.branch}): {a.text.rstrip('.')}." for a in actions)


def sponsor_sentences(bill: MaBill) -> tuple[str, ...]:
    ref = bill.ref
    n = len(bill.cosponsors)
    who = bill.sponsor or "no sponsor on record"
    if not n:  # the court's document list names the sponsor only: "0 cosponsors" would claim more
        return (f"{ref.label} was filed by {who}; no cosponsors are on record.",)
    more = f" and {n - 5} more" if n > 5 else ""
    return (f"{ref.label} was filed by {who} and has {n} cosponsor{'s' if n != 1 else ''}.",
            f"Cosponsors include {', '.join(bill.cosponsors[:5])}{more}.")  # fmt: skip


def committee_sentences(bill: MaBill) -> tuple[str, ...]:
    ref = bill.ref
    sentences = []
    if bill.committee:
        sentences.append(f"{ref.label} was last referred to the committee on {bill.committee}.")
    for rec in bill.recommendations:
        sentences.append(f"Committee {rec.committee} recommended on {ref.label}: {rec.action}.")
    heard = sorted((h for h in bill.hearings if h.committee), key=lambda h: (h.date, h.time or ""))
    if heard and not bill.committee:  # the committee holding a hearing on it has it before it
        last = heard[-1]
        set_for = when(last.date, last.time)
        sentences.append(f"{ref.label} is before the {last.committee}, which set a hearing on it for {set_for}.")
    return tuple(sentences) or (f"{ref.label} has no committee referral on record.",)


def hearing_sentences(bill: MaBill) -> tuple[str, ...]:
    ref = bill.ref
    if not bill.hearings:
        return (f"No hearing on {ref.label} is on record.",)
    out = []
    for h in sorted(bill.hearings, key=lambda h: (h.date, h.time or "")):
        where = ", ".join(x for x in (h.committee, h.location) if x)
        state = "was canceled" if h.status.lower().startswith("cancel") else f"is {h.status.lower() or 'scheduled'}"
        out.append(f"A hearing on {ref.label} on {when(h.date, h.time)}{f' ({where})' if where else ''} {state}.")
    return tuple(out)


def ma_summary(bill: MaBill) -> dict:
    """DESIGN.md's ``bills show --json`` object for a Massachusetts bill (also a bill card's data)."""
    ref = bill.ref
    latest = bill.latest_action
    actions = sorted(bill.actions, key=lambda a: (a.date, a.time or "99"), reverse=True)
    return {
        "bill": ref.bill,
        "court": ref.court,
        "jurisdiction": "ma",
        "title": bill.title,
        "docket": bill.docket or None,
        "sponsor": bill.sponsor or None,
        "sponsor_id": bill.sponsor_id or None,
        "cosponsors": len(bill.cosponsors),
        "committee": bill.committee,
        "recommendations": [{"committee": r.committee, "action": r.action} for r in bill.recommendations],
        "latest_action": {"date": when(latest.date, latest.time), "branch": latest.branch, "text": latest.text}
        if latest
        else None,
        "actions": [
            {"date": when(a.date, a.time), "branch": a.branch, "text": a.text, "stricken": a.stricken} for a in actions
        ],  # fmt: skip
        "hearings": [
            {
                "date": when(h.date, h.time),
                "status": h.status,
                "committee": h.committee,
                "location": h.location,
                "event_id": h.event_id,
            }
            for h in bill.hearings
        ],  # fmt: skip
        "url": ref.page_url,
    }
