"""Bills on the Policy desk: the bill card under an answer, and "track H.R. 6655" from the chat.

The card is drawn from the stored BILLSTATUS record (``assistant.bills.store``) with the same
summary and timeline as ``assistant bills show`` (``assistant.bills.desk``), as short Markdown
lists that wrap on a phone, like the occupation card. A Massachusetts bill's card is drawn from
its latest stored API record (``assistant.bills.ma``): dates are the Legislature's own Boston
wall-clock, and the link is the bill's page that ``MaRef.page_url`` builds from the court and
number, never a ``Details`` link from a response. Tracking runs what ``assistant bills
track`` runs: ``store.track``, one forced ``refresh_bills`` of that bill through the feeds' fetch
(SSRF guard, size and time caps), then ``sync_index``. Both read SQLite and the network, so the
app calls them in a worker thread.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from assistant.bills import store
from assistant.bills.desk import bill_summary, timeline
from assistant.bills.ids import BillIdError, BillRef, bill_mentions, congress_mentioned
from assistant.bills.ma import MaBill, MaHearing
from assistant.chat import markup
from assistant.errors import AssistantError
from assistant.feeds.models import utc_now
from assistant.types import Citation

#: Longest action text on the card; the full text is on congress.gov and in ``bills show``.
ACTION_CHARS = 160
#: Actions listed on a Massachusetts card, newest first; the page has the whole history.
MA_ACTIONS = 4
#: The Legislature's dates are Boston wall-clock; "next hearing" is judged by Boston's today.
BOSTON = ZoneInfo("America/New_York")
# "track H.R. 6655", "please track s.2902 in the 116th Congress": a short order, not a question
# that happens to contain the word ("which bills do you track?").
_TRACK = re.compile(r"^\s*(?:please\s+)?(?:start\s+)?track(?:ing)?\s+(?P<rest>[^?]{1,80}?)\s*[.!]?\s*$", re.I)


@dataclass(frozen=True)
class BillCard:
    key: str
    #: The bill's short title (else its display title).
    title: str
    #: The element's name, shown above the card ("S. 2902 at a glance").
    name: str
    content: str


@dataclass(frozen=True)
class Tracked:
    """What the chat says after "track ...": a reply, and the bill's card when it was fetched."""

    reply: str
    card: BillCard | None = None
    ok: bool = True


def bill_keys(citations: Sequence[Citation]) -> list[str]:
    """Keys (``116-s-2902``) of the bills whose facts an answer cites, in citation order."""
    keys: list[str] = []
    for c in sorted(citations, key=lambda c: c.n):
        parts = (c.doc_id or "").split(":")
        if c.doc_type == "bill" and len(parts) >= 2 and parts[0] == "bill" and parts[1] not in keys:
            keys.append(parts[1])
    return keys


def card_for_answer(conn: sqlite3.Connection, citations: Sequence[Citation]) -> BillCard | None:
    """The card of the first bill an answer cites a fact of, or None."""
    keys = bill_keys(citations)
    return bill_card(conn, keys[0]) if keys else None


def bill_card(conn: sqlite3.Connection, key: str, *, now: Callable[[], datetime] = utc_now) -> BillCard | None:
    """Titles, sponsor, latest action and major actions of a tracked bill's latest version."""
    store.ensure_schema(conn)
    tracked = store.get(conn, key)
    if tracked and tracked.version and tracked.jurisdiction == "ma":
        record = store.latest_record(conn, tracked.id)
        return ma_bill_card(tracked, MaBill.from_json(record), now=now) if record else None
    bill = store.latest_bill(conn, tracked.id) if tracked and tracked.version else None
    if bill is None:
        return None
    ref, s = bill.ref, bill_summary(bill)
    name = s["short_title"] or s["title"]
    lines = [f"**{markup.escape_text(name)}** ({ref.label}, {ref.congress_label})", ""]
    if s["official_title"] and s["official_title"].rstrip(". ") != name.rstrip(". "):
        lines += [f"Official title: {markup.escape_text(s['official_title'])}", ""]
    if bill.popular_title and bill.popular_title not in (name, s["official_title"]):
        lines += [f"Also known as: {markup.escape_text(bill.popular_title)}", ""]
    cosponsors = f"; {s['cosponsors']} cosponsor{'s' if s['cosponsors'] != 1 else ''}"
    lines.append(f"- **Sponsor:** {markup.escape_text(s['sponsor'] or 'none on record')}{cosponsors}")
    if s["introduced"]:
        lines.append(f"- **Introduced:** {s['introduced']}")
    if s["latest_action"]:
        latest = s["latest_action"]
        lines.append(f"- **Latest action, {latest['date'][:10]}:** {_action(latest['text'])}")
    for law in s["laws"]:
        lines.append(f"- **Became law:** {markup.escape_text(law)}")
    lines += ["", "**Major actions:**", ""]
    lines += [f"- {a.date[:10]}: {_action(a.text)}" for a in timeline(bill)]
    record = markup.link(f"BILLSTATUS, {ref.congress_label}, {ref.label} (GovInfo)", tracked.url)
    fetched = f", as fetched {tracked.last_success[:10]}" if tracked.last_success else ""
    lines += ["", f"*Source: {record}{fetched}; {markup.link('congress.gov', ref.congress_gov_url)}.*"]
    return BillCard(key=key, title=name, name=f"{ref.label} at a glance", content="\n".join(lines))


def ma_bill_card(tracked: store.TrackedBill, bill: MaBill, *, now: Callable[[], datetime] = utc_now) -> BillCard:
    """Title, sponsor, committee, latest action, hearing and recent actions of a Massachusetts bill."""
    ref = bill.ref
    name = bill.title.strip() or ref.label
    lines = [f"**{markup.escape_text(name)}** ({ref.label}, {ref.court_label}, Massachusetts)", ""]
    n = len(bill.cosponsors)
    cosponsors = f"{n} cosponsor{'s' if n != 1 else ''}" if n else "no cosponsors on record"
    lines.append(f"- **Sponsor:** {markup.escape_text(bill.sponsor or 'none on record')}; {cosponsors}")
    if bill.committee:
        lines.append(f"- **Committee:** {markup.escape_text(bill.committee)}")
    for rec in bill.recommendations:
        lines.append(f"- **Committee {markup.escape_text(rec.committee)} recommended:** "
                     f"{markup.escape_text(rec.action)}")  # fmt: skip
    latest = bill.latest_action
    if latest:
        branch = f" ({markup.escape_text(latest.branch)})" if latest.branch else ""
        lines.append(f"- **Latest action, {_boston_when(latest.date, latest.time)}{branch}:** {_action(latest.text)}")
    hearing, upcoming = _hearing_to_show(bill.hearings, today=now().astimezone(BOSTON).date().isoformat())
    if hearing:
        label = "Next hearing" if upcoming else "Hearing"
        lines.append(f"- **{label}:** {_hearing_text(hearing)}")
    actions = sorted((a for a in bill.actions if not a.stricken), key=lambda a: (a.date, a.time or "99"))
    if len(actions) > 1:
        lines += ["", "**Recent actions:**", ""]
        lines += [f"- {a.date}: {_action(a.text)}" for a in reversed(actions[-MA_ACTIONS:])]
    record = markup.link(f"Massachusetts Legislature, {ref.court_label}, {ref.label}", ref.page_url)
    fetched = f", as fetched {tracked.last_success[:10]}" if tracked.last_success else ""
    lines += ["", f"*Source: {record}{fetched}.*"]
    return BillCard(key=tracked.key, title=name, name=f"{ref.label} at a glance", content="\n".join(lines))


def _boston_when(day: str, time: str | None) -> str:
    # No time means the API's 23:59:59 "some time that day": the date alone, as the Legislature shows it.
    return f"{day} {time} Boston time" if time else day


def _hearing_to_show(hearings: Sequence[MaHearing], *, today: str) -> tuple[MaHearing | None, bool]:
    """The next hearing not canceled (True), else the latest one on record (False)."""
    ahead = sorted((h for h in hearings if h.date >= today and not h.canceled), key=lambda h: (h.date, h.time or ""))
    if ahead:
        return ahead[0], True
    return max(hearings, key=lambda h: (h.date, h.time or ""), default=None), False


def _hearing_text(hearing: MaHearing) -> str:
    where = ", ".join(markup.escape_text(x) for x in (hearing.committee, hearing.location) if x)
    status = markup.escape_text(hearing.status.lower()) if hearing.status else ""
    return "; ".join(x for x in (_boston_when(hearing.date, hearing.time), where, status) if x)


# -- tracking from the chat ------------------------------------------------------------------


def track_request(text: str) -> str | None:
    """The bill part of a message that asks to track one bill ("track H.R. 6655"), else None."""
    match = _TRACK.match(text or "")
    if match is None or len(bill_mentions(match.group("rest"))) != 1:
        return None
    return match.group("rest")


def bill_ref(text: str, *, default_congress: int) -> BillRef:
    """The one bill ``text`` names, in the Congress it names ("in the 118th Congress") or the default.

    Raises:
        BillIdError: no bill number, or more than one.
    """
    found = bill_mentions(text)
    if len(found) != 1:
        raise BillIdError(
            f"{(text or '').strip()!r}: name one federal bill, like H.R. 6655 or S. 2902 "
            '(add "in the 118th Congress" for an earlier Congress)'
        )
    bill_type, number = found[0]
    return BillRef(congress_mentioned(text) or default_congress, bill_type, number)


def track(conn: sqlite3.Connection, text: str, *, settings, index: Callable[[], object], client=None) -> Tracked:
    """Track the bill ``text`` names and fetch it once now, as ``assistant bills track`` does;
    a bill number that cannot be read is a one-line reply, not an exception."""
    try:
        return _track(conn, bill_ref(text, default_congress=settings.default_congress), settings=settings,
                      index=index, client=client)  # fmt: skip
    except AssistantError as exc:
        return Tracked(reply=f"I couldn't track that: {markup.escape_text(str(exc))}", ok=False)


def _track(conn: sqlite3.Connection, ref: BillRef, *, settings, index: Callable[[], object], client) -> Tracked:
    from assistant.bills.refresh import refresh_bills, sync_index  # imports httpx: only when used

    store.ensure_schema(conn)
    new = store.track(conn, ref, url=ref.file_url(settings.billstatus_url), now=utc_now())
    head = f"**{'Now tracking' if new else 'Already tracking'} {ref.label}** ({ref.congress_label})"
    updates = list(refresh_bills(conn, client=client, allow_private=settings.feeds_allow_private, force=True,
                                 keys=[ref.key]))  # fmt: skip
    failed = next((u for u in updates if u.status == "error"), None)
    if failed is not None or not updates:
        why = markup.escape_text(failed.error if failed else "it was not fetched")
        return Tracked(reply=f"{head}, but the first fetch failed: {why}. It stays tracked; the daily refresh "
                             "will try again.", ok=False)  # fmt: skip
    try:
        indexed = sync_index(conn, index).indexed
        note = f" {indexed} update(s) indexed for search." if indexed else ""
    except Exception as exc:  # the model or Chroma may be unavailable; the version stays pending
        note = f" Indexing failed ({markup.escape_text(type(exc).__name__)}); the next refresh retries it."
    card = bill_card(conn, ref.key)
    tracked = store.get(conn, ref.key)
    latest = bill_summary(store.latest_bill(conn, tracked.id))["latest_action"]
    said = [f"{head}: {markup.escape_text(card.title.rstrip('. '))}." if card else head + "."]
    if latest:
        said.append(f"Latest action, {latest['date'][:10]}: {_action(latest['text'])}")
    if not new:  # "tracking started" is all a first fetch would say
        changes = "; ".join(updates[0].changes)
        said.append(f"What changed: {markup.escape_text(changes)}." if changes else "No change since the last fetch.")
    said.append(note.strip() + " The daily refresh follows it from now on." if note else
                "The daily refresh follows it from now on.")  # fmt: skip
    return Tracked(reply=" ".join(said), card=card)


def _action(text: str) -> str:
    text = " ".join((text or "").split())
    if len(text) > ACTION_CHARS:
        text = text[: ACTION_CHARS - 1].rsplit(" ", 1)[0] + " …"
    return markup.escape_text(text)
