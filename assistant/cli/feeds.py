"""``assistant feeds ...``: subscriptions, the daily refresh, updates and digests.

Thin commands over ``assistant.feeds``; the ``Service`` arrives in ``ctx.obj``. Every command
first makes sure the feed tables exist and, once per data directory, loads the default
subscriptions of ``corpus/feeds.toml`` (a default feed you remove stays removed).
"""

from __future__ import annotations

import json
import re
import sys
import time
import traceback
from datetime import UTC, datetime, timedelta

import click

from assistant import db
from assistant.cli import bills as bills_cli
from assistant.cli.signals import stop_on_signals
from assistant.errors import AssistantError, ConfigError
from assistant.feeds import digest as digest_mod
from assistant.feeds import sources, store
from assistant.feeds.index_updates import INDEX_LOCK, IndexResult, sync_index
from assistant.feeds.models import FeedSource, utc_now

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class _FeedsGroup(click.Group):
    """Turns ``AssistantError`` into a one-line CLI error, in one place for the whole group."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AssistantError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group("feeds", cls=_FeedsGroup)
def feeds() -> None:
    """Track policy feeds (Federal Register, GovInfo, CISA, state bills) and their changes.

    \b
    Examples:
      assistant feeds list
      assistant feeds add https://www.govinfo.gov/rss/plaw.xml --name "Public laws" --topic workforce
      assistant feeds refresh
      assistant feeds updates --since 2025-01-01 --topic apprenticeship
      assistant feeds digest --format atom > digest.xml
    """


def _db(service):
    conn = service.db
    store.ensure_schema(conn)
    if sources.DEFAULT_FEEDS_FILE.is_file():
        store.seed_defaults(conn, sources.load_feeds_toml()[0], now=utc_now())
    return conn


@feeds.command("add")
@click.argument("url")
@click.option("--name", default="", help="Display name.")
@click.option("--topic", default="", help="Topic, e.g. apprenticeship; feeds.toml may give it keywords.")
@click.option("--jurisdiction", default="", help="US (default), or a state such as MA.")
@click.option("--keyword", "keywords", multiple=True, help="Index only items containing this; repeatable.")
@click.pass_obj
def add(service, url, name, topic, jurisdiction, keywords) -> None:
    """Subscribe to a feed, or update and re-enable an existing subscription."""
    conn = _db(service)
    url = sources.validate_url(url)
    keywords = tuple(keywords) or sources.topic_keywords(topic)
    source = FeedSource(url=url, name=name, topic=topic, jurisdiction=jurisdiction, keywords=keywords)
    new = store.add_feed(conn, source, now=utc_now())
    click.echo(f"{'Subscribed to' if new else 'Updated and re-enabled'} {url}")


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def list_(service, as_json) -> None:
    """Show subscriptions and their health."""
    conn = _db(service)
    counts = dict(conn.execute("SELECT feed_id, count(*) FROM feed_items GROUP BY feed_id").fetchall())
    rows = [_feed_json(f, counts.get(f.id, 0)) for f in store.list_feeds(conn)]
    if as_json:
        click.echo(json.dumps({"feeds": rows}, indent=2))
        return
    for row in rows:
        where = "/".join(x for x in (row["topic"], row["jurisdiction"]) if x)
        click.echo(f"{row['url']}  {row['name']} [{where}]  {row['items']} items  {_health(row)}")


def _feed_json(feed: store.Feed, items: int) -> dict:
    return {
        "url": feed.url,
        "name": feed.label,
        "topic": feed.topic,
        "jurisdiction": feed.jurisdiction,
        "keywords": list(feed.keywords),
        "items": items,
        "last_success": feed.last_success,
        "last_error": feed.last_error,
        "consecutive_errors": feed.consecutive_errors,
        "next_check": feed.next_check,
        "disabled": feed.disabled_reason,
        "warnings": list(feed.warnings),
    }


def _health(row: dict) -> str:
    if row["disabled"]:
        return click.style(f"DISABLED: {row['disabled']}", fg="red")
    if row["consecutive_errors"]:
        return click.style(f"failing ({row['consecutive_errors']}x): {row['last_error']}", fg="red")
    if row["last_success"]:
        return f"ok, last success {row['last_success']}"
    return "never fetched"


@feeds.command("remove")
@click.argument("url")
@click.pass_obj
def remove(service, url) -> None:
    """Unsubscribe; the feed's items leave the store and the search index."""
    conn = _db(service)
    feed = store.get_feed(conn, url)
    if feed is None:
        raise ConfigError(f"{url}: not subscribed (see `assistant feeds list`)")
    doc_ids = store.indexed_doc_ids(conn, feed.id)
    if doc_ids:  # index first: a crash in between leaves the feed, and re-running finishes it
        with db.exclusive(conn, INDEX_LOCK):
            service.index.remove(doc_ids)
    store.remove_feed(conn, feed.url)
    click.echo(f"Removed {feed.url} ({len(doc_ids)} indexed item(s) dropped)")


@feeds.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def import_(service, file) -> None:
    """Subscribe to every feed of an OPML file (folders become topics)."""
    conn = _db(service)
    with open(file, "rb") as handle:
        found = sources.parse_opml(handle.read(), path=file, default_keywords=sources.topic_keywords)
    new = 0
    for source in found:
        new += store.add_feed(conn, source, now=utc_now(), origin="opml")
    click.echo(f"Imported {len(found)} feed(s) from {file}: {new} new, {len(found) - new} updated")


@feeds.command("export")
@click.pass_obj
def export(service) -> None:
    """Print the subscriptions as OPML (import it into any feed reader)."""
    conn = _db(service)
    click.echo(sources.to_opml([f.source() for f in store.list_feeds(conn)]), nl=False)


@feeds.command("refresh")
@click.option("--json", "as_json", is_flag=True, help='Print {"feeds": [...]} instead of one line per feed.')
@click.option("--force", is_flag=True, help="Ignore back-off waits (not disabled feeds).")
@click.option("--workers", default=16, show_default=True, help="Feeds fetched in parallel.")
@click.pass_obj
def refresh(service, as_json, force, workers) -> None:
    """Fetch every due feed and tracked bill, store new versions, index relevant changes.
    Exit 1 if any failed.

    \b
    Daily from cron:  15 6 * * *  ASSISTANT_DATA_DIR=/srv/assistant/data assistant feeds refresh
    """
    updates, index_result, index_error = run_once(
        service, force=force, workers=workers, echo=None if as_json else _echo_update
    )
    # The daily refresh covers tracked bills too (`assistant bills refresh` alone does only them).
    bill_updates, bill_index, bill_index_error = bills_cli.run_once(
        service, force=force, workers=workers, echo=None if as_json else bills_cli.echo_update
    )
    if as_json:
        click.echo(json.dumps({"feeds": [u.to_json() for u in updates],
                               "bills": [u.to_json() for u in bill_updates]}, indent=2))  # fmt: skip
    elif index_result.indexed or index_result.removed or bill_index.indexed:
        click.echo(f"Indexed {index_result.indexed + bill_index.indexed} item(s), "
                   f"removed {index_result.removed} from the index")  # fmt: skip
    index_error = index_error or bill_index_error
    if index_error:
        click.echo(click.style(f"indexing failed (items stay pending): {index_error}", fg="red"), err=True)
    if index_error or any(u.status == "error" for u in [*updates, *bill_updates]):
        click.get_current_context().exit(1)


def run_once(service, *, force=False, workers=16, echo=None, client=None):
    """One refresh + index run: (updates, IndexResult, index error message or None)."""
    from assistant.feeds.refresh import refresh_feeds  # imports httpx and feedparser: only when used

    conn = _db(service)
    updates = []
    for update in refresh_feeds(
        conn, client=client, allow_private=service.settings.feeds_allow_private, force=force, workers=workers
    ):
        updates.append(update)
        if echo:
            echo(update)
    try:
        result = sync_index(conn, lambda: service.index)
    except Exception as exc:  # the model or Chroma may be unavailable; items stay pending
        return updates, IndexResult(), f"{type(exc).__name__}: {exc}"
    return updates, result, None


def _echo_update(update) -> None:
    if update.status == "error":
        click.echo(f"{update.url}  " + click.style(f"error: {update.error}", fg="red"))
        return
    click.echo(f"{update.url}  {_result(update, styled=True)}")


def _result(update, *, styled: bool = False) -> str:
    """What one feed's refresh did, in a few words ("2 new, 0 changed, 5 unchanged")."""
    if update.status == "error":
        return f"error: {update.error}"
    if update.other_worker:
        return "refreshed by another worker"
    line = "not modified" if update.status == "not_modified" else (
        f"{update.new} new, {update.changed} changed, {update.unchanged} unchanged")
    if update.moved_to:
        line += f" (moved permanently to {update.moved_to})"
    if update.warnings:
        warning = f" ({len(update.warnings)} warning(s): {update.warnings[0]})"
        line += click.style(warning, fg="yellow") if styled else warning
    return line


def _since(value: str | None, *, default_days: int = 7) -> datetime:
    if not value:
        return utc_now() - timedelta(days=default_days)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--since {value!r}: expected a date such as 2025-01-31") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@feeds.command("updates")
@click.option("--since", help="A date (YYYY-MM-DD) or ISO time; default 7 days ago.")
@click.option("--topic", help="Only this topic.")
@click.option("--all", "include_all", is_flag=True, help="Include items outside the feeds' keywords.")
@click.option("--json", "as_json", is_flag=True, help='Print {"updates": [...]}.')
@click.pass_obj
def updates(service, since, topic, include_all, as_json) -> None:
    """What is new or changed, newest first, with what changed between versions."""
    conn = _db(service)
    found = digest_mod.list_updates(conn, since=_since(since), topic=topic, include_irrelevant=include_all)
    if as_json:
        click.echo(digest_mod.updates_json(found))
        return
    if not found:
        click.echo("No new or changed items.")
    for u in found:
        click.echo(f"{u.date[:10]}  {u.kind:<7}  [{u.topic or 'other'}/{u.jurisdiction}] {u.title}")
        click.echo(f"            {u.feed} · {u.link}")
        if u.change:
            click.echo(f"            what changed: {u.change}")


@feeds.command("digest")
@click.option("--since", help="A date (YYYY-MM-DD) or ISO time; default 7 days ago.")
@click.option("--format", "fmt", type=click.Choice(["md", "atom"]), default="md", show_default=True)
@click.option("--topic", help="Only this topic.")
@click.pass_obj
def digest(service, since, fmt, topic) -> None:
    """A digest grouped by topic and jurisdiction, as Markdown or as an Atom feed."""
    conn = _db(service)
    moment = _since(since)
    found = digest_mod.list_updates(conn, since=moment, topic=topic)
    render = digest_mod.digest_atom if fmt == "atom" else digest_mod.digest_markdown
    click.echo(render(found, since=moment), nl=False)


def parse_duration(text: str) -> float:
    """Seconds in "24h", "30m", "90s", "1d" or a bare number of seconds."""
    match = _DURATION.match(text or "")
    if not match or float(match.group(1)) <= 0:
        raise click.BadParameter(f"{text!r}: use a positive duration such as 24h, 30m or 90s")
    return float(match.group(1)) * _UNITS[match.group(2)]


@feeds.command("watch")
@click.option("--every", default="24h", show_default=True, help="Time between run starts: 24h, 30m, 90s.")
@click.option("--max-runs", type=int, default=None, hidden=True, help="Stop after N runs (tests).")
@click.pass_obj
def watch(service, every, max_runs) -> None:
    """Refresh forever on a fixed cadence (for containers); a failing run is logged, not fatal.

    \b
    Example:  assistant feeds watch --every 24h
    """
    interval = parse_duration(every)
    run = 0
    with stop_on_signals(_log, finishing="the current run") as stop:
        while (max_runs is None or run < max_runs) and not stop.is_set():
            run += 1
            started = time.monotonic()
            _log(f"run {run} started")
            try:
                found, result, index_error = run_once(service)
                failed = [u for u in found if u.status == "error"]
                _log(
                    f"run {run} finished: {len(found)} feed(s), {len(failed)} failed, "
                    f"{sum(u.new for u in found)} new, {sum(u.changed for u in found)} changed, "
                    f"{result.indexed} indexed" + (f"; indexing failed: {index_error}" if index_error else "")
                )
                for u in found:  # one line per feed, so an operator sees what each one did
                    _log(f"  {u.url}: {_result(u)}")
                bill_updates, bill_index, bill_error = bills_cli.run_once(service)
                if bill_updates:
                    bills_failed = [u for u in bill_updates if u.status == "error"]
                    _log(
                        f"run {run} bills: {len(bill_updates)} bill(s), {len(bills_failed)} failed, "
                        f"{sum(bool(u.changes) for u in bill_updates)} changed, {bill_index.indexed} indexed"
                        + (f"; indexing failed: {bill_error}" if bill_error else "")
                    )
                    for u in bills_failed:
                        _log(f"  {u.label} ({u.congress}): {u.error}")
            except Exception as exc:  # survive anything a run throws; the next run tries again
                _log(f"run {run} failed: {type(exc).__name__}: {exc}")
                traceback.print_exc(file=sys.stderr)
            if max_runs is not None and run >= max_runs:
                break
            if stop.is_set():
                break
            wait = max(0.0, interval - (time.monotonic() - started))
            _log(f"next run in {wait:.0f}s")
            stop.wait(wait)
    _log("stopped")


def _log(message: str) -> None:
    click.echo(f"{utc_now().isoformat(timespec='seconds')} feeds watch: {message}", err=True)
