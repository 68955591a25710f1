"""Bill versions as entries of "what changed": the updates list, the weekly digest and its feed.

A bill counts like a feed item: *new* when tracking started (at its latest action's date) and
*changed* when a later version was seen, with the changes of that version as the "what changed"
line ("2 new actions ...; 3 new cosponsors"). Only versions that became a policy update document
are listed (changes to committees alone are kept but not announced). Massachusetts bills are
listed the same way, linked to their page on malegislature.gov.
"""

from __future__ import annotations

import json
from datetime import datetime

from assistant.bills import store
from assistant.bills.ma import MaBill, parse_ma_id
from assistant.bills.ma_monitor import filed_since
from assistant.bills.models import Bill
from assistant.feeds.digest import Update
from assistant.feeds.store import iso

_QUERY = """
SELECT b.id AS bill_id, b.bill_key, b.jurisdiction, v.version, v.fetched_at, v.latest_action_date, v.record, v.doc_id,
       CASE WHEN v.version = 1 THEN coalesce(v.latest_action_date, v.fetched_at) ELSE v.fetched_at END
         AS event_at
FROM bill_versions v JOIN bills b ON b.id = v.bill_id
WHERE v.indexed != 2
"""


def bill_updates(conn: store.Connection, *, since: datetime) -> list[Update]:
    """The newest announced version of each tracked bill since ``since``, and the Massachusetts
    filings the topic monitors found since then, newest first."""
    if not store.has_table(conn, "bill_versions"):
        return []  # no bill was ever tracked here
    rows = [r for r in conn.execute(_QUERY) if (r["event_at"] or "") >= iso(since)[: len(r["event_at"] or "")]]
    rows.sort(key=lambda r: (r["event_at"], r["version"]), reverse=True)
    out, seen = [], set()
    for row in rows:
        if row["bill_id"] in seen:
            continue
        seen.add(row["bill_id"])
        changes = [c.text for c in store.changes_of(conn, row["bill_id"], row["version"])]
        if row["jurisdiction"] == "ma":
            out.append(_ma_update(row, MaBill.from_json(json.loads(row["record"])), changes))
            continue
        bill = Bill.from_json(json.loads(row["record"]))
        ref = bill.ref
        latest = bill.latest_action
        summary = f"{ref.label}, {bill.title}"
        if latest:
            summary += f". Latest action {latest.date[:10]}: {latest.text}"
        out.append(
            Update(
                doc_id=row["doc_id"],
                kind="new" if row["version"] == 1 else "changed",
                version=row["version"],
                date=row["event_at"],
                title=f"{ref.label}: {bill.short_title or bill.title}",
                link=ref.congress_gov_url,
                feed="Tracked bills (BILLSTATUS)",
                topic="bills",
                jurisdiction="US",
                summary=summary if len(summary) <= 300 else summary[:299].rstrip() + "…",
                change="; ".join(changes) if row["version"] > 1 else "",
                html="",
            )
        )
    filed = [_filed_update(r) for r in filed_since(conn, since=since)]
    return sorted(out + filed, key=lambda u: u.date, reverse=True) if filed else out


def _ma_update(row, bill: MaBill, changes: list[str]) -> Update:
    ref = bill.ref
    latest = bill.latest_action
    summary = f"{ref.label} ({ref.court_label}), {bill.title}"
    if latest:
        summary += f". Latest action {latest.date} ({latest.branch}): {latest.text}"
    return Update(
        doc_id=row["doc_id"], kind="new" if row["version"] == 1 else "changed", version=row["version"],
        date=row["event_at"], title=f"{ref.label}: {bill.title}", link=ref.page_url,
        feed="Tracked bills (Massachusetts Legislature)", topic="bills", jurisdiction="MA",
        summary=summary if len(summary) <= 300 else summary[:299].rstrip() + "…",
        change="; ".join(changes) if row["version"] > 1 else "", html="",
    )  # fmt: skip


def _filed_update(row) -> Update:
    """A newly filed Massachusetts bill that a topic monitor found (``bills monitor``)."""
    number = row["bill"] or row["docket"]
    label = parse_ma_id(number, court=row["court"]).label
    summary = f"{label}, {row['title']}" + (f", filed by {row['sponsor']}" if row["sponsor"] else "")
    return Update(
        doc_id=f"ma-filed:{row['court']}-{row['docket']}", kind="new", version=1, date=row["first_seen"],
        title=f"{label}: {row['title']}", link=f"https://malegislature.gov/Bills/{row['court']}/{number}",
        feed="Massachusetts Legislature: newly filed bills", topic="bills", jurisdiction="MA",
        summary=f"{summary} (matches: {row['keywords']})", change="", html="",
    )  # fmt: skip
