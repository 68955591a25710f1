"""What changed between two versions of a bill's record. Pure: no clock, no storage.

A new version is kept whenever the record's content hash changes; ``decide`` then says in plain
words what a reader of the bill cares about: new actions (with date and text), new or withdrawn
cosponsors, new CRS summaries, new text versions, a new law number, a changed latest action or
title. The first version of a tracked bill is one "tracking started" change, so the bill's
history begins with where it stood when tracking began.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass

from assistant.bills.models import Action, Bill, Member

#: The kind of a version whose changes are none a reader would call news (no document is made).
OTHER = "other"
#: Names listed in a cosponsor change before "and N more".
MAX_NAMES = 5


@dataclass(frozen=True)
class Change:
    #: ``tracked``, ``action``, ``cosponsors``, ``withdrawn``, ``summary``, ``text``, ``law``,
    #: ``status``, ``title`` or ``other``; Massachusetts bills add ``recommendation`` and ``hearing``.
    kind: str
    text: str
    #: The date the change is about (an action's date), when it has one.
    date: str | None = None


def content_hash(bill: Bill) -> str:
    """Hash of everything the record says, except its own update time (which GovInfo bumps when
    nothing a reader sees has changed, e.g. when it rebuilds the bulk files)."""
    record = bill.to_json()
    record.pop("update_date", None)
    return hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def newest_action(bill: Bill) -> Action | None:
    """The latest action: ``latestAction`` when given, else the newest in ``actions``."""
    if bill.latest_action is not None:
        return bill.latest_action
    return max(bill.actions, key=lambda a: (a.date, a.time or ""), default=None)


def decide(previous: Bill | None, current: Bill) -> list[Change]:
    """The changes from ``previous`` (None: the first version we see) to ``current``."""
    if previous is None:
        latest = newest_action(current)
        where = f"; latest action {latest.date}: {latest.text}" if latest else ""
        return [Change("tracked", f"tracking started{where}", latest.date if latest else None)]
    changes: list[Change] = []
    new_actions = _new_actions(previous.actions, current.actions)
    for action in new_actions:
        changes.append(Change("action", f"new action {action.date}: {action.text}", action.date))
    changes += _cosponsor_changes(previous, current)
    known = {(s.version_code, s.action_date) for s in previous.summaries}
    for s in current.summaries:
        if (s.version_code, s.action_date) not in known:
            changes.append(
                Change("summary", f"new summary: {s.action_desc or 'CRS summary'} ({s.action_date})", s.action_date)
            )
    known_texts = {(t.type, t.date) for t in previous.text_versions}
    for t in current.text_versions:
        if (t.type, t.date) not in known_texts:
            day = (t.date or "")[:10]
            changes.append(Change("text", f"new text version: {t.type}" + (f" ({day})" if day else ""), day or None))
    old_laws = {law.number for law in previous.laws}
    for law in current.laws:
        if law.number not in old_laws:
            changes.append(Change("law", f"became {law.type or 'Public Law'} {law.number}"))
    before, after = newest_action(previous), newest_action(current)
    if after and (before is None or (before.date, before.text) != (after.date, after.text)):
        if all((a.date, a.text) != (after.date, after.text) for a in new_actions):
            changes.append(Change("status", f"status changed: latest action {after.date}: {after.text}", after.date))
    if previous.short_title != current.short_title and current.short_title:
        changes.append(Change("title", f"short title is now {current.short_title}"))
    return changes or [Change(OTHER, "record updated: committees, related bills or other details")]


def headline(changes: list[Change]) -> str:
    """A few words for a document title: "2 new actions, 3 new cosponsors"."""
    counts = Counter(c.kind for c in changes)
    parts = []
    if counts["tracked"]:
        parts.append("tracking started")
    if counts["action"]:
        parts.append(_plural(counts["action"], "new action"))
    cosponsor_change = next((c for c in changes if c.kind == "cosponsors"), None)
    if cosponsor_change:
        parts.append(cosponsor_change.text.split(":", 1)[0])
    if counts["withdrawn"]:
        parts.append("cosponsor withdrawn")
    if counts["summary"]:
        parts.append("new summary")
    if counts["text"]:
        parts.append(_plural(counts["text"], "new text version"))
    if counts["law"]:
        parts.append("became law")
    if counts["status"]:
        parts.append("status changed")
    if counts["recommendation"]:
        parts.append(_plural(counts["recommendation"], "committee recommendation"))
    if counts["hearing"]:
        parts.append("hearing " + ("canceled" if any("canceled" in c.text for c in changes) else "scheduled"))
    if counts["title"]:
        parts.append("title changed")
    return ", ".join(parts) or "record updated"


def _new_actions(old: tuple[Action, ...], new: tuple[Action, ...]) -> list[Action]:
    # The same action may be listed twice (recorded by the chamber and by the Library of
    # Congress), so count occurrences instead of testing membership.
    remaining = Counter((a.date, a.text) for a in old)
    found = []
    for action in sorted(new, key=lambda a: (a.date, a.time or "")):
        key = (action.date, action.text)
        if remaining[key]:
            remaining[key] -= 1
        else:
            found.append(action)
    # One entry per distinct (date, text): the chamber's and the Library's copy say the same.
    unique, seen = [], set()
    for action in found:
        if (action.date, action.text) not in seen:
            seen.add((action.date, action.text))
            unique.append(action)
    return unique


def _cosponsor_changes(previous: Bill, current: Bill) -> list[Change]:
    def who(m: Member) -> str:
        return m.bioguide_id or m.full_name

    before = {who(m) for m in previous.current_cosponsors}
    added = [m for m in current.current_cosponsors if who(m) not in before]
    withdrawn_before = {who(m) for m in previous.cosponsors if not m.current}
    withdrawn = [m for m in current.cosponsors if not m.current and who(m) not in withdrawn_before]
    changes = []
    if added:
        names = ", ".join(m.full_name for m in added[:MAX_NAMES])
        more = f" and {len(added) - MAX_NAMES} more" if len(added) > MAX_NAMES else ""
        dates = sorted(m.sponsorship_date for m in added if m.sponsorship_date)
        changes.append(
            Change("cosponsors", f"{_plural(len(added), 'new cosponsor')}: {names}{more}", dates[-1] if dates else None)
        )
    for m in withdrawn:
        changes.append(Change("withdrawn", f"cosponsor withdrew: {m.full_name} ({m.withdrawn_date})", m.withdrawn_date))
    return changes


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
