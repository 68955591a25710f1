"""Massachusetts bills as the Legislature's JSON API describes them. Pure: no I/O, no clock.

    "H.4521" ─▶ MaRef(194, "h", 4521) ─▶ key ma-194-h4521, API paths, malegislature.gov page
    parse_document(detail, history, hearings) ─▶ MaBill (frozen, stored as JSON per version)
    decide(previous, current) ─▶ [Change] (new action, cosponsor, recommendation, hearing)

The API's quirks (shared/data/malegislature/README.md): PascalCase fields, dates without a zone
(Boston time), a ``23:59:59`` placeholder for "some time that day", and ``Details`` links in
``http://`` that we never follow: every address is built from the configured base.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime

from assistant.bills.decide import MAX_NAMES, Change
from assistant.bills.ids import BillIdError, ordinal

#: The General Court a bill number means when none is given: the 194th sits in 2025-2026.
CURRENT_COURT = 194
PREFIXES = {"h": "H.", "s": "S.", "hd": "HD.", "sd": "SD."}
_EXACT = re.compile(r"^\s*(?P<prefix>hd|sd|h|s)\s*\.?\s*(?P<number>\d{1,5})\s*$", re.IGNORECASE)
# In running text the Legislature's own spelling, "H.4521", "S 2710" or "HD1234", standing alone.
_IN_TEXT = re.compile(r"(?<![\w.'\u2019])(?P<prefix>HD|SD|H|S)\s?\.?\s?(?P<number>\d{1,5})(?!\w)", re.IGNORECASE)
_PLACEHOLDER = "23:59:59"
_HEARING_ACTION = re.compile(r"^hearing (?:scheduled|rescheduled|date changed)", re.IGNORECASE)
_HEARING_CANCELED = re.compile(r"^hearing (?:canceled|cancelled|postponed)", re.IGNORECASE)
_CLOCK = r"\d{1,2}:\d{2} [AP]M"
_HEARING_WHEN = re.compile(
    rf"(?:for|to|on) (?P<day>\d{{1,2}}/\d{{1,2}}/\d{{4}})"
    rf"(?: from (?P<start>{_CLOCK})(?:\s*-\s*{_CLOCK})?)?(?: in (?P<place>.+))?",
    re.IGNORECASE,
)
_REFERRED = re.compile(r"referred to the (?:joint )?committee on (?P<name>.+?)\s*$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class MaRef:
    """One document of one General Court (a bill ``H4521`` or a docket ``HD1234``)."""

    court: int
    prefix: str
    number: int

    @property
    def bill(self) -> str:
        """``H4521``: the API's and the JSON's own spelling."""
        return f"{self.prefix.upper()}{self.number}"

    @property
    def key(self) -> str:
        return f"ma-{self.court}-{self.prefix}{self.number}"

    @property
    def label(self) -> str:
        """``H.4521``, as the Legislature prints it."""
        return f"{PREFIXES[self.prefix]}{self.number}"

    @property
    def court_label(self) -> str:
        return f"{ordinal(self.court)} General Court"

    def document_url(self, base: str) -> str:
        return f"{base.rstrip('/')}/GeneralCourts/{self.court}/Documents/{self.bill}"

    def history_url(self, base: str) -> str:
        return self.document_url(base) + "/DocumentHistoryActions"

    @property
    def page_url(self) -> str:
        return f"https://malegislature.gov/Bills/{self.court}/{self.bill}"


def hearing_url(base: str, event_id: int) -> str:
    return f"{base.rstrip('/')}/Hearings/{int(event_id)}"


def parse_ma_id(text: str, *, court: int = CURRENT_COURT) -> MaRef:
    """Read ``H4521``, ``H.4521``, ``S 2710``, ``HD1234`` as a document of ``court``.

    Raises:
        BillIdError: not a Massachusetts bill or docket number.
    """
    match = _EXACT.match(text or "")
    if not match:
        raise BillIdError(f"{text!r}: not a Massachusetts bill number; write it like H4521, H.4521, S 2710 or HD1234")
    if court < 1:
        raise BillIdError(f"--court {court}: a General Court is numbered from 1")
    return MaRef(court, match.group("prefix").lower(), int(match.group("number")))


def ma_mentions(text: str) -> list[tuple[str, int]]:
    """``(prefix, number)`` of every Massachusetts-style number in ``text``, in order, once each."""
    seen: list[tuple[str, int]] = []
    for match in _IN_TEXT.finditer(text or ""):
        found = (match.group("prefix").lower(), int(match.group("number")))
        if found not in seen:
            seen.append(found)
    return seen


# -- the record -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaAction:
    #: Boston calendar date, ``2021-03-29``.
    date: str
    branch: str
    text: str
    #: Boston wall-clock ``10:50``; None for the 23:59:59 "some time that day" placeholder.
    time: str | None = None
    stricken: bool = False


@dataclass(frozen=True)
class MaRecommendation:
    committee: str
    action: str


@dataclass(frozen=True)
class MaHearing:
    event_id: int | None
    date: str
    time: str | None
    status: str
    committee: str = ""
    location: str = ""
    topic: str = ""

    @property
    def canceled(self) -> bool:
        return self.status.lower().startswith("cancel")


@dataclass(frozen=True)
class MaBill:
    court: int
    prefix: str
    number: int
    title: str
    docket: str = ""
    bill_number: str = ""
    sponsor: str = ""
    sponsor_id: str = ""
    cosponsors: tuple[str, ...] = ()
    recommendations: tuple[MaRecommendation, ...] = ()
    actions: tuple[MaAction, ...] = ()
    hearings: tuple[MaHearing, ...] = ()

    @property
    def ref(self) -> MaRef:
        return MaRef(self.court, self.prefix, self.number)

    @property
    def latest_action(self) -> MaAction | None:
        live = [a for a in self.actions if not a.stricken]
        return max(live, key=lambda a: (a.date, a.time or "99"), default=None)

    @property
    def committee(self) -> str | None:
        """The committee the latest referral sent the bill to (None: never referred)."""
        for action in sorted(self.actions, key=lambda a: (a.date, a.time or "99"), reverse=True):
            match = _REFERRED.search(action.text)
            if match and not action.stricken:
                return match.group("name").rstrip(". ")
        return None

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> MaBill:
        values = dict(data)
        values["cosponsors"] = tuple(data.get("cosponsors", ()))
        values["recommendations"] = tuple(MaRecommendation(**r) for r in data.get("recommendations", ()))
        values["actions"] = tuple(MaAction(**a) for a in data.get("actions", ()))
        values["hearings"] = tuple(MaHearing(**h) for h in data.get("hearings", ()))
        return cls(**values)


def boston(value: str | None) -> tuple[str, str | None]:
    """An API date (Boston wall-clock, no zone) as (``YYYY-MM-DD``, ``HH:MM`` or None).

    The API sends no offset and its times are already Boston's, so nothing is converted: a
    conversion to UTC would move a 9 p.m. action to the next day. ``23:59:59`` is the API's
    "some time that day", shown as the date alone.
    """
    if not value:
        return "", None
    stamp = datetime.fromisoformat(value.strip()[:19])
    day = stamp.date().isoformat()
    if stamp.strftime("%H:%M:%S") == _PLACEHOLDER:
        return day, None
    return day, stamp.strftime("%H:%M")


def parse_document(ref: MaRef, detail: dict, history: list, hearings: list[dict] = ()) -> MaBill:
    """One ``MaBill`` from the document detail, its history of actions and hearing records.

    Raises:
        ValueError: the detail is not a document object, or a date cannot be read.
    """
    if not isinstance(detail, dict) or not isinstance(history, list):
        raise ValueError("expected a document object and a list of history actions")
    sponsor = detail.get("PrimarySponsor") or {}
    sponsor_id = sponsor.get("Id") or ""
    cosponsors = []
    for member in detail.get("Cosponsors") or []:
        # The API lists the primary sponsor among the cosponsors; counted once, as the sponsor.
        if member.get("Id") != sponsor_id and member.get("Name") and member["Name"] not in cosponsors:
            cosponsors.append(member["Name"].strip())
    actions = []
    for entry in history:
        day, time = boston(entry.get("Date"))
        actions.append(MaAction(day, entry.get("Branch") or "", (entry.get("Action") or "").strip(), time,
                                bool(entry.get("IsStricken"))))  # fmt: skip
    recommendations = tuple(
        MaRecommendation((r.get("Committee") or {}).get("CommitteeCode") or "", r.get("Action") or "")
        for r in detail.get("CommitteeRecommendations") or []
    )
    return MaBill(
        court=ref.court,
        prefix=ref.prefix,
        number=ref.number,
        title=(detail.get("Title") or "").strip(),
        docket=detail.get("DocketNumber") or "",
        bill_number=detail.get("BillNumber") or "",
        sponsor=(sponsor.get("Name") or "").strip(),
        sponsor_id=sponsor_id,
        cosponsors=tuple(cosponsors),
        recommendations=recommendations,
        actions=tuple(actions),
        hearings=tuple(_hearings(ref, history=actions, records=hearings)),
    )


def hearing_ids(detail: dict) -> list[int]:
    """Hearing ids the detail offers (the committee holding the bill), newest first."""
    ids = []
    for holder in [detail.get("BeforeCommittee") or {}]:
        for hearing in holder.get("Hearings") or []:
            if isinstance(hearing.get("EventId"), int):
                ids.append(hearing["EventId"])
    return sorted(set(ids), reverse=True)


def lists_bill(record: dict, ref: MaRef) -> bool:
    """Whether a hearing record's agenda names this document."""
    for agenda in record.get("HearingAgendas") or []:
        for doc in agenda.get("DocumentsInAgenda") or []:
            if ref.bill in (doc.get("BillNumber"), doc.get("DocketNumber")):
                return True
    return False


def _hearings(ref: MaRef, *, history: list[MaAction], records) -> list[MaHearing]:
    found = []
    for record in records:
        # The agenda item naming this bill has its own start (a long hearing takes topics in turn).
        agenda = next((a for a in record.get("HearingAgendas") or [] if _on(a, ref)), {})
        day, time = boston(agenda.get("StartTime") or record.get("StartTime") or record.get("EventDate"))
        topic = agenda.get("Topic") or ""
        place = ((record.get("Location") or {}).get("LocationName") or "").strip()
        host = (record.get("Name") or "").strip()
        found.append(
            MaHearing(record.get("EventId"), day, time, record.get("Status") or "", host, place, topic.strip())
        )
    if not found:  # no hearing record: the history's own "Hearing scheduled for ..." lines
        for action in history:
            status = "Scheduled" if _HEARING_ACTION.match(action.text) else None
            status = "Canceled" if _HEARING_CANCELED.match(action.text) else status
            if status and not action.stricken:
                found.append(_hearing_from_action(action, status))
    return found


def _hearing_from_action(action: MaAction, status: str) -> MaHearing:
    # "Hearing scheduled for 12/07/2021 from 01:00 PM-04:00 PM in Virtual Hearing": the hearing's
    # own date and place, not the day the clerk entered the line.
    match = _HEARING_WHEN.search(action.text)
    if not match:
        return MaHearing(None, action.date, action.time, status, location=action.text)
    day = datetime.strptime(match.group("day"), "%m/%d/%Y").date().isoformat()
    start = match.group("start")
    time = datetime.strptime(start.upper(), "%I:%M %p").strftime("%H:%M") if start else None
    return MaHearing(None, day, time, status, location=(match.group("place") or "").strip().rstrip("."))


def _on(agenda: dict, ref: MaRef) -> bool:
    return any(ref.bill in (d.get("BillNumber"), d.get("DocketNumber")) for d in agenda.get("DocumentsInAgenda") or [])


# -- what changed -----------------------------------------------------------------------------


def content_hash(bill: MaBill) -> str:
    """The API sends no ETag or Last-Modified: a version is new when this hash changes."""
    return hashlib.sha256(json.dumps(bill.to_json(), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def when(day: str, time: str | None) -> str:
    return f"{day} {time}" if time else day


def decide(previous: MaBill | None, current: MaBill) -> list[Change]:
    """What a reader cares about between two versions: actions, cosponsors, recommendations, hearings."""
    latest = current.latest_action
    if previous is None:
        where = f"; latest action {latest.date}: {latest.text}" if latest else ""
        return [Change("tracked", f"tracking started{where}", latest.date if latest else None)]
    changes = []
    known = {(a.date, a.branch, a.text) for a in previous.actions}
    for a in sorted(current.actions, key=lambda a: (a.date, a.time or "99")):
        if (a.date, a.branch, a.text) not in known and not a.stricken:
            changes.append(Change("action", f"new action {a.date} ({a.branch}): {a.text}", a.date))
    added = [name for name in current.cosponsors if name not in previous.cosponsors]
    if added:
        more = f" and {len(added) - MAX_NAMES} more" if len(added) > MAX_NAMES else ""
        noun = "new cosponsor" if len(added) == 1 else "new cosponsors"
        changes.append(Change("cosponsors", f"{len(added)} {noun}: {', '.join(added[:MAX_NAMES])}{more}"))
    for rec in current.recommendations:
        if rec not in previous.recommendations:
            changes.append(Change("recommendation", f"committee {rec.committee} recommended: {rec.action}"))
    # Keyed by when, not by event id: the same hearing first read from a history line and later
    # from its hearing record (Scheduled, then Confirmed) is no news; a cancellation is.
    before = {(h.date, h.time): h.canceled for h in previous.hearings}
    for h in current.hearings:
        if before.get((h.date, h.time)) != h.canceled:
            place = f" ({h.committee or h.location})" if (h.committee or h.location) else ""
            state = "canceled" if h.canceled else "scheduled"
            changes.append(Change("hearing", f"hearing {state}: {when(h.date, h.time)}{place}", h.date))
    if previous.title != current.title and current.title:
        changes.append(Change("title", f"title is now {current.title}"))
    return changes or [Change("other", "record updated: amendments, roll calls or other details")]
