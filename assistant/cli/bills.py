"""``assistant bills ...``: follow federal bills through GovInfo's BILLSTATUS records, and
Massachusetts bills (``--jurisdiction ma``) through the Legislature's own API.

Thin commands over ``assistant.bills``; the ``Service`` arrives in ``ctx.obj``. ``run_once`` is
also what ``feeds refresh`` and ``feeds watch`` call, so the daily refresh covers bills too.
"""

from __future__ import annotations

import json
from contextlib import closing

import click

from assistant.bills import store
from assistant.bills.desk import bill_summary, timeline
from assistant.bills.ids import BillRef, ordinal, parse_bill_id
from assistant.bills.ma import CURRENT_COURT, MaRef, parse_ma_id
from assistant.bills.ma_desk import ma_summary, timeline_sentences
from assistant.cli.signals import stop_on_signals
from assistant.errors import AssistantError, ConfigError
from assistant.feeds.index_updates import IndexResult
from assistant.feeds.models import utc_now


class _BillsGroup(click.Group):
    """Turns ``AssistantError`` into a one-line CLI error, in one place for the whole group."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AssistantError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group("bills", cls=_BillsGroup)
def bills() -> None:
    """Follow federal bills (GovInfo's BILLSTATUS) and Massachusetts bills (the Legislature's API).

    \b
    Examples:
      assistant bills track "H.R. 6655" --congress 118
      assistant bills track H.4521 --jurisdiction ma
      assistant bills show hr6655 --congress 118
      assistant bills refresh --json
      assistant bills untrack hr6655 --congress 118
    """


def _db(service):
    conn = service.db
    store.ensure_schema(conn)
    return conn


def _ref(service, bill: str, congress: int | None) -> BillRef:
    return parse_bill_id(bill, congress=congress or service.settings.default_congress)


congress_option = click.option(
    "--congress",
    type=click.IntRange(1, 999),
    default=None,
    help="The Congress (default: $ASSISTANT_CONGRESS, else 119).",
)


def ma_options(command):
    """``--jurisdiction us|ma`` and ``--court N`` (the Massachusetts General Court, default 194)."""
    court = click.option(
        "--court", type=click.IntRange(1, 999), default=None,
        help=f"Massachusetts General Court (default {CURRENT_COURT}, 2025-26).",
    )  # fmt: skip
    jurisdiction = click.option(
        "--jurisdiction", type=click.Choice(["us", "ma"]), default="us", show_default=True,
        help="us: a federal bill; ma: a Massachusetts bill (H4521, H.4521, S 2710, HD1234).",
    )  # fmt: skip
    return jurisdiction(court(command))


def _ma_ref(bill: str, court: int | None) -> MaRef:
    return parse_ma_id(bill, court=court or CURRENT_COURT)


@bills.command("track", short_help="Follow a bill and fetch it once now.")
@click.argument("bill")
@congress_option
@ma_options
@click.pass_obj
def track(service, bill, congress, jurisdiction, court) -> None:
    """Start following BILL and fetch it once now: hr6655, "H.R. 6655", s.2902, hjres45, or with
    --jurisdiction ma a Massachusetts bill (H4521, H.4521, S 2710, HD1234)."""
    conn = _db(service)
    if jurisdiction == "ma":
        return _track_ma(service, conn, _ma_ref(bill, court))
    ref = _ref(service, bill, congress)
    new = store.track(conn, ref, url=ref.file_url(service.settings.billstatus_url), now=utc_now())
    click.echo(f"{'Tracking' if new else 'Already tracking'} {ref.label} ({ref.congress_label})")
    updates, index_result, index_error = run_once(service, keys=[ref.key], force=True)
    update = updates[0]
    if update.status == "error":
        click.echo(click.style(f"the first fetch failed: {update.error}", fg="red"), err=True)
        click.echo(f"{ref.label} stays tracked; `assistant bills refresh` will try again.", err=True)
        click.get_current_context().exit(1)
    tracked = store.get(conn, ref.key)
    found = store.latest_bill(conn, tracked.id)
    summary = bill_summary(found)
    click.echo(f"{summary['short_title'] or summary['title']}")
    if summary["latest_action"]:
        click.echo(f"latest action {summary['latest_action']['date']}: {summary['latest_action']['text']}")
    click.echo(f"version {tracked.version} stored; {summary['url']}")
    _report_index(index_result, index_error)


def _track_ma(service, conn, ref: MaRef) -> None:
    url = ref.document_url(service.settings.malegislature_url)
    new = store.track(conn, ref, url=url, now=utc_now(), jurisdiction="ma")
    click.echo(f"{'Tracking' if new else 'Already tracking'} {ref.label} ({ref.court_label}, Massachusetts)")
    updates, index_result, index_error = run_once(service, keys=[ref.key], force=True)
    update = updates[0]
    if update.status == "error":
        click.echo(click.style(f"the first fetch failed: {update.error}", fg="red"), err=True)
        click.echo(f"{ref.label} stays tracked; `assistant bills refresh` will try again.", err=True)
        click.get_current_context().exit(1)
    tracked = store.get(conn, ref.key)
    summary = ma_summary(_ma_bill(conn, tracked))
    click.echo(summary["title"])
    if summary["latest_action"]:
        latest = summary["latest_action"]
        click.echo(f"latest action {latest['date']} ({latest['branch']}): {latest['text']}")
    click.echo(f"version {tracked.version} stored; {summary['url']}")
    _report_index(index_result, index_error)


def _ma_bill(conn, tracked):
    from assistant.bills.ma import MaBill

    record = store.latest_record(conn, tracked.id) if tracked and tracked.version else None
    return MaBill.from_json(record) if record else None


@bills.command("untrack")
@click.argument("bill")
@congress_option
@ma_options
@click.pass_obj
def untrack(service, bill, congress, jurisdiction, court) -> None:
    """Stop following BILL; its versions leave the store and its updates leave the search index."""
    conn = _db(service)
    ref = _ma_ref(bill, court) if jurisdiction == "ma" else _ref(service, bill, congress)
    session = ref.court_label if jurisdiction == "ma" else ref.congress_label
    tracked = store.get(conn, ref.key)
    if tracked is None:
        raise ConfigError(f"{ref.label} ({session}) is not tracked (see `assistant bills list`)")
    indexed = [r[0] for r in conn.execute("SELECT doc_id FROM bill_versions WHERE bill_id = ? AND indexed = 1",
                                          (tracked.id,))]  # fmt: skip
    if indexed:  # index first: a crash in between leaves the bill tracked, and re-running finishes it
        service.index.remove(indexed)
    store.untrack(conn, ref.key)
    click.echo(f"Stopped tracking {ref.label} ({session}); {len(indexed)} indexed update(s) dropped")


@bills.command("list")
@click.option("--json", "as_json", is_flag=True, help='Print {"bills": [...]}.')
@click.pass_obj
def list_(service, as_json) -> None:
    """Show tracked bills, where each stands and the health of its polling."""
    conn = _db(service)
    rows, all_tracked = [], store.list_tracked(conn)
    for tracked in all_tracked:
        if tracked.jurisdiction == "ma":
            rows.append(_ma_row(conn, tracked))
            continue
        found = store.latest_bill(conn, tracked.id) if tracked.version else None
        summary = bill_summary(found) if found else None
        rows.append({
            "bill": tracked.ref.bill,
            "congress": tracked.congress,
            "jurisdiction": "us",
            "title": summary["short_title"] or summary["title"] if summary else None,
            "latest_action": summary["latest_action"] if summary else None,
            "versions": tracked.version,
            "url": tracked.url,
            "last_success": tracked.last_success,
            "last_error": tracked.last_error,
            "next_check": tracked.next_check,
            "disabled": tracked.disabled_reason,
        })  # fmt: skip
    if as_json:
        click.echo(json.dumps({"bills": rows}, indent=2))
        return
    if not rows:
        click.echo("No bills tracked; `assistant bills track hr6655 --congress 118` starts one.")
    for row, tracked in zip(rows, all_tracked):
        latest = row["latest_action"]
        where = f"{latest['date']}: {latest['text']}" if latest else "never fetched"
        health = ""
        if row["disabled"]:
            health = click.style(f"  NOT POLLED: {row['disabled']}", fg="red")
        elif row["last_error"]:
            health = click.style(f"  failing: {row['last_error']}", fg="red")
        ma_label = MaRef(tracked.congress, tracked.type, tracked.number).label
        name = (f"{ma_label} ({ordinal(row['court'])} General Court, MA)" if tracked.jurisdiction == "ma"
                else f"{tracked.ref.label} ({tracked.ref.congress_label})")  # fmt: skip
        click.echo(f"{name}  {row['title'] or ''}\n    {where}{health}")


def _ma_row(conn, tracked) -> dict:
    found = _ma_bill(conn, tracked)
    summary = ma_summary(found) if found else None
    return {
        "bill": tracked.type.upper() + str(tracked.number),
        "court": tracked.congress,
        "jurisdiction": "ma",
        "title": summary["title"] if summary else None,
        "latest_action": summary["latest_action"] if summary else None,
        "versions": tracked.version,
        "url": tracked.url,
        "last_success": tracked.last_success,
        "last_error": tracked.last_error,
        "next_check": tracked.next_check,
        "disabled": tracked.disabled_reason,
    }


@bills.command("show")
@click.argument("bill")
@congress_option
@ma_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def show(service, bill, congress, jurisdiction, court, as_json) -> None:
    """Show a tracked bill: titles, sponsor, cosponsors, latest action, timeline and every action."""
    conn = _db(service)
    if jurisdiction == "ma":
        return _show_ma(conn, _ma_ref(bill, court), as_json=as_json)
    ref = _ref(service, bill, congress)
    if congress is None:  # the newest Congress in which this number is tracked
        newest = store.newest_congress(conn, ref.type, ref.number)
        ref = BillRef(newest, ref.type, ref.number) if newest else ref
    tracked = store.get(conn, ref.key)
    found = store.latest_bill(conn, tracked.id) if tracked and tracked.version else None
    if found is None:
        state = "tracked but not fetched yet" if tracked else "not tracked"
        hint = f"`assistant bills track {ref.bill} --congress {ref.congress}`"
        raise ConfigError(f"{ref.label} ({ref.congress_label}) is {state}: {hint}")
    summary = bill_summary(found)
    if as_json:
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    click.echo(f"{ref.label} ({ref.congress_label}): {summary['short_title'] or summary['title']}")
    click.echo(f"  official title: {summary['official_title']}")
    click.echo(f"  sponsor: {summary['sponsor'] or 'none on record'}; {summary['cosponsors']} cosponsor(s)")
    if summary["latest_action"]:
        click.echo(f"  latest action {summary['latest_action']['date']}: {summary['latest_action']['text']}")
    click.echo("  timeline:")
    for action in timeline(found):
        click.echo(f"    {action.date[:10]}  {action.text}")
    click.echo(f"  {summary['url']}")


def _show_ma(conn, ref: MaRef, *, as_json: bool) -> None:
    tracked = store.get(conn, ref.key)
    found = _ma_bill(conn, tracked)
    if found is None:
        state = "tracked but not fetched yet" if tracked else "not tracked"
        hint = f"`assistant bills track {ref.bill} --jurisdiction ma --court {ref.court}`"
        raise ConfigError(f"{ref.label} ({ref.court_label}) is {state}: {hint}")
    summary = ma_summary(found)
    if as_json:
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    click.echo(f"{ref.label} ({ref.court_label}, Massachusetts): {summary['title']}")
    click.echo(f"  sponsor: {summary['sponsor'] or 'none on record'}; {summary['cosponsors']} cosponsor(s)")
    if summary["committee"]:
        click.echo(f"  committee: {summary['committee']}")
    for rec in summary["recommendations"]:
        click.echo(f"  recommendation of {rec['committee']}: {rec['action']}")
    for hearing in summary["hearings"]:
        click.echo(f"  hearing {hearing['date']}: {hearing['status']} {hearing['committee'] or hearing['location']}")
    click.echo("  history:")
    for line in timeline_sentences(found):
        click.echo(f"    {line}")
    click.echo(f"  {summary['url']}")


@bills.command("refresh")
@click.option("--json", "as_json", is_flag=True, help='Print {"bills": [...]} instead of one line per bill.')
@click.option("--force", is_flag=True, help="Ignore back-off waits (not bills that stopped being polled).")
@click.option("--workers", default=16, show_default=True, help="Bills fetched in parallel.")
@click.pass_obj
def refresh(service, as_json, force, workers) -> None:
    """Fetch every tracked bill, keep new versions, index what changed. Exit 1 if any failed.

    \b
    `assistant feeds refresh` (the daily refresh) runs this too. SIGTERM or Ctrl-C stores the bill
    under way and stops (exit 0); the rest, and indexing, wait for the next refresh.
    """
    with stop_on_signals(_say, finishing="the bill under way") as stop:
        updates, index_result, index_error = run_once(
            service, force=force, workers=workers, echo=None if as_json else echo_update, stop=stop
        )
    if as_json:
        click.echo(json.dumps({"bills": [u.to_json() for u in updates]}, indent=2))
    _report_index(index_result, index_error, quiet=as_json)
    if stop.is_set():
        _say(f"stopped after {len(updates)} bill(s); the others and indexing wait for the next refresh")
    if index_error or any(u.status == "error" for u in updates):
        click.get_current_context().exit(1)


def _say(message: str) -> None:
    click.echo(f"{utc_now().isoformat(timespec='seconds')} bills refresh: {message}", err=True)


@bills.command("monitor", short_help="Newly filed Massachusetts bills on our topics.")
@click.option("--court", type=click.IntRange(1, 999), default=None, help=f"General Court (default {CURRENT_COURT}).")
@click.option(
    "--keyword", "keywords", multiple=True, help="Search for this instead of the default topics (repeatable)."
)
@click.option("--force", is_flag=True, help="Fetch the document list even if today's is kept.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def monitor(service, court, keywords, force, as_json) -> None:
    """Search the court's whole document list (fetched once a day) for the monitors' keywords and
    report filings not seen before; they also appear in `feeds updates` and the digest.

    \b
    Run it daily, e.g. `30 6 * * * assistant bills monitor`. Exit 1 if the list could not be read.
    """
    from assistant.bills.ma_monitor import DEFAULT_KEYWORDS, run_monitor

    conn = _db(service)
    result = run_monitor(
        conn, base=service.settings.malegislature_url, court=court or CURRENT_COURT,
        keywords=keywords or DEFAULT_KEYWORDS, allow_private=service.settings.feeds_allow_private, force=force,
    )  # fmt: skip
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        source = "fetched" if result.fetched else "kept from today"
        first = " (first search: a baseline, not news)" if result.baseline else ""
        counts = f"{result.documents} documents ({source}), {result.matching} matching, {len(result.new)} new"
        click.echo(f"{ordinal(result.court)} General Court: {counts}{first}")
        for filing in [] if result.baseline else result.new:
            number = filing.bill or filing.docket
            click.echo(f"  {number}  {filing.title}  [{', '.join(filing.keywords)}]")
            click.echo(f"      track it: assistant bills track {number} --jurisdiction ma --court {result.court}")
    if result.error:
        click.echo(click.style(result.error, fg="red"), err=True)
        if not result.documents:
            click.get_current_context().exit(1)


def run_once(service, *, keys=None, force=False, workers=16, echo=None, client=None, stop=None):
    """One refresh + index run of the tracked bills: (updates, IndexResult, index error or None).

    Once ``stop`` (a ``threading.Event``) is set, no further bill is stored and nothing is indexed:
    each bill is stored in its own transaction, and versions not yet indexed stay pending.
    """
    from assistant.bills.ma_refresh import refresh_ma_bills  # imports httpx: only when used
    from assistant.bills.refresh import refresh_bills, sync_index

    conn = _db(service)
    updates = []
    allow_private = service.settings.feeds_allow_private
    federal = refresh_bills(conn, client=client, allow_private=allow_private, force=force, workers=workers, keys=keys)
    massachusetts = refresh_ma_bills(conn, base=service.settings.malegislature_url, allow_private=allow_private,
                                     force=force, keys=keys)  # fmt: skip
    for source in (federal, massachusetts):
        with closing(source):  # closed early, it cancels the fetches not started and waits for the rest
            for update in source:
                updates.append(update)
                if echo:
                    echo(update)
                if stop is not None and stop.is_set():
                    break
        if stop is not None and stop.is_set():
            return updates, IndexResult(), None
    try:
        result = sync_index(conn, lambda: service.index)
    except Exception as exc:  # the model or Chroma may be unavailable; versions stay pending
        return updates, IndexResult(), f"{type(exc).__name__}: {exc}"
    return updates, result, None


def echo_update(update) -> None:
    """One line per bill, as ``feeds refresh`` prints one per feed."""
    session = " General Court, MA" if update.jurisdiction == "ma" else ""
    name = f"{update.label} ({ordinal(update.congress)}{session})"
    if update.status == "error":
        click.echo(f"{name}  " + click.style(f"error: {update.error}", fg="red"))
    elif update.status == "not_modified":
        click.echo(f"{name}  not modified")
    elif not update.changes:
        click.echo(f"{name}  unchanged")
    else:
        click.echo(f"{name}  " + "; ".join(update.changes))


def _report_index(result: IndexResult, error: str | None, *, quiet: bool = False) -> None:
    if result.indexed and not quiet:
        click.echo(f"Indexed {result.indexed} bill update(s)")
    if error:
        click.echo(click.style(f"indexing failed (updates stay pending): {error}", fg="red"), err=True)
