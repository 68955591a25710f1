"""The question side: facts about the tracked bills a question names.

Resolution (which bill: ``ids.bill_mentions`` and the Congress), lookup (the stored latest
version) and rendering (plain sentences with a BILLSTATUS citation) are separate steps, as for
the occupation facts. Only tracked bills answer here; for any other bill number the documents
answer, so this returns nothing rather than guessing at a record it has not read.
"""

from __future__ import annotations

import re

from assistant.bills import store
from assistant.bills.decide import newest_action
from assistant.bills.ids import BillRef, bill_mentions, congress_mentioned
from assistant.bills.ma_desk import ma_facts
from assistant.bills.models import Action, Bill
from assistant.types import Fact

#: Milestones shown in a timeline, at most.
TIMELINE_MAX = 8
_ASKS_SPONSOR = re.compile(r"\b(co-?sponsor\w*|sponsor\w*|who (?:introduced|wrote|filed|authored))\b", re.IGNORECASE)
# Chamber-recorded actions worth a timeline line besides the Library of Congress milestones.
_MILESTONE_WORDS = re.compile(
    r"^(received in the (?:house|senate)|presented to president|signed by president|became public law|"
    r"vetoed|passed|on passage|resolution agreed to)",
    re.IGNORECASE,
)
# The Library of Congress records milestones twice for introduction ("Intro-H" and "1000").
_LOC = "Library of Congress"


class BillDesk:
    """Facts about tracked bills: federal ones from their latest BILLSTATUS version, Massachusetts
    ones (``ma_desk``) from their latest record of the Legislature's API."""

    def __init__(self, conn: store.Connection) -> None:
        self.conn = conn
        store.ensure_schema(conn)

    def facts(self, question: str) -> list[Fact]:
        out: list[Fact] = []
        congress = congress_mentioned(question)
        for bill_type, number in bill_mentions(question):
            chosen = congress or store.newest_congress(self.conn, bill_type, number)
            if chosen is None:
                continue
            tracked = store.get(self.conn, BillRef(chosen, bill_type, number).key)
            bill = store.latest_bill(self.conn, tracked.id) if tracked and tracked.version else None
            if bill is None:
                continue
            out += bill_facts(bill, sponsor=bool(_ASKS_SPONSOR.search(question)))
        return out + ma_facts(self.conn, question)


def bill_facts(bill: Bill, *, sponsor: bool = False) -> list[Fact]:
    """Where the bill stands, its timeline, and (``sponsor``) who sponsors it."""
    ref = bill.ref
    latest = newest_action(bill)
    common = {
        "source": f"BILLSTATUS, {ref.congress_label}, {ref.label} (GovInfo)",
        "url": ref.congress_gov_url,
        "doc_type": "bill",
        "published": latest.date[:10] if latest else None,
        "data": bill_summary(bill),
    }
    name = _name(bill)
    facts = [
        Fact(doc_id=f"bill:{ref.key}:status", title=f"{ref.label} ({ref.congress_label}): {name}",
             sentences=status_sentences(bill), **common),
        Fact(doc_id=f"bill:{ref.key}:timeline", title=f"{ref.label}: timeline of major actions",
             sentences=tuple(f"On {a.date[:10]}, {ref.label}: {_clip(a.text)}" for a in timeline(bill)), **common),
    ]  # fmt: skip
    if sponsor:
        facts.append(
            Fact(doc_id=f"bill:{ref.key}:sponsors", title=f"{ref.label}: sponsor and cosponsors",
                 sentences=sponsor_sentences(bill), **common)
        )  # fmt: skip
    return facts


def status_sentences(bill: Bill) -> tuple[str, ...]:
    ref = bill.ref
    name = _name(bill)
    latest = newest_action(bill)
    head = f"{ref.label} ({ref.congress_label}), {name}, was introduced"
    if bill.introduced_date:
        head += f" on {bill.introduced_date}"
    if bill.sponsor:
        head += f" by {bill.sponsor.full_name}"
    if latest:
        head += f"; its latest action, on {latest.date[:10]}, was: {_clip(latest.text)}"
    sentences = [_sentence(head)]
    if bill.official_title and bill.official_title.rstrip(". ") != name:
        sentences.append(_sentence(f"Its official title is: {bill.official_title}"))
    for law in bill.laws:
        sentences.append(f"It became {law.type or 'Public Law'} {law.number}.")
    return tuple(sentences)


def sponsor_sentences(bill: Bill) -> tuple[str, ...]:
    ref = bill.ref
    current = bill.current_cosponsors
    withdrawn = len(bill.cosponsors) - len(current)
    original = sum(m.is_original for m in current)
    who = bill.sponsor.full_name if bill.sponsor else "no sponsor on record"
    text = f"{ref.label} is sponsored by {who} and has {len(current)} cosponsor{'s' if len(current) != 1 else ''}"
    if current:
        text += f" ({original} original)"
    if withdrawn:
        text += f"; {withdrawn} withdrew"
    sentences = [text + "."]
    if current:
        names = ", ".join(m.full_name for m in current[:5])
        more = f" and {len(current) - 5} more" if len(current) > 5 else ""
        sentences.append(f"Cosponsors include {names}{more}.")
    return tuple(sentences)


def timeline(bill: Bill) -> list[Action]:
    """The major actions, oldest first: the Library of Congress milestones (introduced, reported,
    passed, became law), the first referral, and chamber actions such as "Received in the Senate"."""
    # Within a day, introduction comes first (the files list it after the referral).
    ordered = sorted(bill.actions, key=lambda a: (a.date, not a.text.startswith("Introduced"), a.time or ""))
    chosen: list[Action] = []
    referred = False
    for action in ordered:
        text = action.text.lower()
        major = action.source == _LOC or action.type in ("President", "BecameLaw", "Veto")
        major = major or bool(_MILESTONE_WORDS.match(action.text))
        if not referred and action.type == "IntroReferral" and "referred to" in text:
            major = referred = True
        if major and not any(_same(action, c) for c in chosen[-3:]):
            chosen.append(action)
    if len(chosen) > TIMELINE_MAX:  # keep the start and the most recent steps
        chosen = chosen[:2] + chosen[-(TIMELINE_MAX - 2) :]
    return chosen


def bill_summary(bill: Bill) -> dict:
    """DESIGN.md's ``bills show --json`` object (also the data of a bill card)."""
    ref = bill.ref
    latest = newest_action(bill)
    actions = sorted(bill.actions, key=lambda a: (a.date, a.time or ""), reverse=True)
    return {
        "bill": ref.bill,
        "congress": ref.congress,
        "jurisdiction": "us",
        "title": bill.title,
        "official_title": bill.official_title,
        "short_title": bill.short_title,
        "sponsor": bill.sponsor.full_name if bill.sponsor else None,
        "sponsor_id": bill.sponsor.bioguide_id if bill.sponsor else None,
        "cosponsors": len(bill.current_cosponsors),
        "introduced": bill.introduced_date,
        "latest_action": {"date": latest.date, "text": latest.text} if latest else None,
        "actions": [{"date": a.date, "text": a.text, "type": a.type} for a in actions],
        "timeline": [{"date": a.date, "text": a.text} for a in timeline(bill)],
        "laws": [f"{law.type} {law.number}".strip() for law in bill.laws],
        "url": ref.congress_gov_url,
    }


def _same(a: Action, b: Action) -> bool:
    # "Introduced in House" is recorded by the LoC with two codes; "Passed/agreed to in House: On
    # passage Passed ..." repeats the chamber's own line on the same day.
    if a.date != b.date:
        return False
    x, y = ("".join(t.lower().split()) for t in (a.text, b.text))
    return x == y or x in y or y in x


def _name(bill: Bill) -> str:
    # A display title may be a whole sentence ("A bill to ... 1865."); it sits mid-sentence here.
    return (bill.short_title or bill.popular_title or bill.title).rstrip(". ")


def _clip(text: str, limit: int = 240) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " ..."


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."
