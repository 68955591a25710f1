"""The ``assistant`` command line (click). Commands stay thin: they call ``Service`` and print.

Every ``AssistantError`` becomes a one-line ``Error: ...`` and exit code 1, in one place.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from assistant.config import Settings
from assistant.conversation import BACKGROUNDS
from assistant.errors import AssistantError
from assistant.retrieval.filters import Filters
from assistant.service import PROFILES, Service


class AssistantGroup(click.Group):
    """Turns our errors into one readable line instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AssistantError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=AssistantGroup)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the index lives (default: $ASSISTANT_DATA_DIR, else ./data).",
)
@click.version_option(package_name="bmet-assistant")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None) -> None:
    """Career guidance and policy tracking for healthcare-technology workforce programs.

    \b
    Quick start:
        assistant ingest corpus/
        assistant ask "how do I become a BMET?"
        assistant status
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings.from_env(os.environ, data_dir=data_dir)
    service = Service(settings)
    ctx.obj = service
    ctx.call_on_close(service.close)


def _switch_data_dir(ctx: click.Context, _param, value):
    """``--data-dir`` after the command name: rebuild the service on that directory."""
    if value is not None:
        service: Service = ctx.find_object(Service)
        service.close()
        fresh = Service(service.settings.replace(data_dir=Path(value)))
        ctx.find_root().obj = fresh
        ctx.obj = fresh
        ctx.call_on_close(fresh.close)
    return value


def _add_data_dir_everywhere(group: click.Group) -> None:
    """DESIGN.md promises ``--data-dir`` on every command, so every leaf command gets it here."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _add_data_dir_everywhere(command)
        elif not any(p.name == "sub_data_dir" for p in command.params):
            command.params.append(click.Option(
                ["--data-dir", "sub_data_dir"], type=click.Path(file_okay=False), default=None,
                expose_value=False, is_eager=True, callback=_switch_data_dir,
                help="Where the index lives (same as the global option).",
            ))


def _progress(enabled: bool):
    """A progress bar on a terminal; nothing when quiet or piped."""
    if not enabled:
        return None

    def start(total: int, _unused: int):
        bar = click.progressbar(length=total, label="Indexing", file=sys.stderr)
        bar.__enter__()
        state = {"done": 0}

        def advance(n: int) -> None:
            bar.update(n)
            state["done"] += n
            if state["done"] >= total:
                bar.__exit__(None, None, None)

        return advance

    return start


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--starter-corpus", "starter", is_flag=True,
              help="Also index the starter corpus shipped inside the package (any install has it).")
@click.option("--prune", is_flag=True, help="Also remove documents whose files are gone.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.pass_obj
def ingest(service: Service, paths: tuple[str, ...], starter: bool, prune: bool, as_json: bool) -> None:
    """Index files and folders (.md, .txt, .html, .pdf, .csv). Safe to re-run.

    Unchanged files are skipped by content hash; changed files replace their chunks.

    \b
    Examples:
        assistant ingest corpus/
        assistant ingest my-notes/ corpus/ --prune --json
        assistant ingest --starter-corpus
    """
    if starter:
        from assistant.shipped import starter_corpus

        paths = (*paths, str(starter_corpus()))
    if not paths:
        raise click.UsageError("name the files or folders to index, or use --starter-corpus")
    interactive = not as_json and sys.stderr.isatty()
    report = service.ingest(paths, prune=prune, on_index=_progress(interactive))
    if as_json:
        click.echo(json.dumps(report.to_json()))
    else:
        for path in report.skipped:
            click.echo(f"skipped {path}: unsupported file type", err=True)
        for error in report.failed:
            click.secho(f"failed  {error}", fg="red", err=True)
        click.echo(
            f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.removed} removed, {report.chunks_embedded} chunks embedded, {len(report.failed)} failed"
        )
    if report.failed:
        sys.exit(1)


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object.")
@click.option("--profile", type=click.Choice(PROFILES), default=None, help="Who is asking: student or advocacy.")
@click.option("--where", "where", multiple=True, metavar="KEY=VALUE",
              help="Filter: doc_type, audience, jurisdiction or since (YYYY-MM-DD). Repeatable.")
@click.option("--k", type=click.IntRange(1, 50), default=None, help="Number of passages to draw on.")
@click.option("--llm", "llm", type=click.Choice(["extractive", "openai", "ollama"]), default=None,
              help="Answer with this provider for this call.")
@click.option("--conversation", is_flag=True,
              help="With -: the lines are one conversation; each turn remembers the earlier ones.")
@click.pass_obj
def ask(service: Service, question: str, as_json: bool, profile: str | None, where: tuple[str, ...],
        k: int | None, llm: str | None, conversation: bool) -> None:
    """Answer a question from the indexed documents, with numbered citations.

    With - as the question, read one question per line from standard input and print one
    JSON object per line.

    \b
    Examples:
        assistant ask "how do I become a BMET?"
        assistant ask "what does WIOA fund?" --profile advocacy --where jurisdiction=US --json
        printf 'bmet pay\\ncbet eligibility\\n' | assistant ask - --json
        printf "I'm a veteran in Springfield, MA\\nhow much would a BMET make?\\n" | assistant ask - --conversation
    """
    if llm:
        service = Service(service.settings.replace(llm_provider=llm))
    filters = Filters.parse(where)
    if conversation and question != "-":
        raise click.UsageError("--conversation reads the turns from standard input: use - as the question")
    if conversation:
        turns = [line.strip() for line in sys.stdin if line.strip()]
        for answer in service.converse(turns, profile=profile, filters=filters, k=k,
                                       memory=service.settings.conversation_memory):
            click.echo(json.dumps(answer.to_json()))
        return
    if question == "-":
        for line in sys.stdin:
            if line.strip():
                answer = service.ask(line.strip(), profile=profile, filters=filters, k=k)
                click.echo(json.dumps(answer.to_json()))
        return
    if as_json:
        answer = service.ask(question, profile=profile, filters=filters, k=k)
        click.echo(json.dumps(answer.to_json()))
        return
    shown = []
    answer = None
    for piece in service.ask_stream(question, profile=profile, filters=filters, k=k):
        if isinstance(piece, str):
            shown.append(piece)
            click.echo(piece, nl=False)
        else:
            answer = piece
    click.echo("")
    for notice in answer.notices:
        click.secho(notice, fg="yellow", err=True)
    if "".join(shown).strip() != answer.text.strip():
        # The LLM's streamed text was replaced (e.g. by the extractive fallback): show the final one.
        click.echo(answer.text)
    if answer.citations:
        click.echo("\nSources:")
        for c in answer.citations:
            dated = f" ({c.published})" if c.published else ""
            click.echo(f"  [{c.n}] {c.title}{dated}\n      {c.source}")


@main.command()
@click.option("--background", required=True, type=click.Choice(BACKGROUNDS), help="Who the plan is for.")
@click.option("--place", default=None, help='Where they live, e.g. "Springfield, MA" (default: the home area).')
@click.option("--goal", required=True, help="The occupation to aim for, e.g. bmet.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--markdown", "as_markdown", is_flag=True, help="Print the plan as a Markdown checklist.")
@click.pass_obj
def plan(service: Service, background: str, place: str | None, goal: str, as_json: bool, as_markdown: bool) -> None:
    """Make a cited, step-by-step pathway plan for one person.

    \b
    Examples:
        assistant plan --background veteran --place "Springfield, MA" --goal bmet
        assistant plan --background high-school --place Worcester --goal "surgical tech" --json
    """
    place = place or service.settings.home_area
    if not place:
        raise click.UsageError('say where with --place "Town, ST" (or set ASSISTANT_HOME_AREA)')
    service.require_index()
    made = service.plan(background=background, place=place, goal=goal)
    if as_json:
        click.echo(json.dumps(made.to_json()))
    elif as_markdown:
        click.echo(made.to_markdown(), nl=False)
    else:
        click.echo(f"Plan: {made.goal} in {made.place} ({made.background})\n")
        for step in made.steps:
            click.echo(f"  {step.n}. {step.text}\n")
        click.echo("Sources:")
        for c in made.citations:
            click.echo(f"  [{c.n}] {c.title}\n      {c.source}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def status(service: Service, as_json: bool) -> None:
    """Show what is indexed, the models in use, and each feed's health."""
    info = service.status()
    if as_json:
        click.echo(json.dumps(info))
        return
    click.echo(f"documents: {info['documents']}\nchunks: {info['chunks']}")
    click.echo(f"embedding model: {info['embedding_model']}\nllm: {info['llm']}")
    click.echo(f"data dir: {service.settings.data_dir}")
    click.echo(f"database: {info['database']}")
    click.echo("schema: " + ", ".join(f"{name} {version}" for name, version in sorted(info["schema"].items())))
    for feed in info["feeds"]:
        state = f"error: {feed['last_error']}" if feed["last_error"] else f"ok {feed['last_success'] or 'never'}"
        click.echo(f"feed {feed['name']}: {state}")


@main.command()
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--headless/--open", default=True, hidden=True, help="Kept for old scripts; never opens a browser.")
@click.pass_obj
def serve(service: Service, port: int, host: str, headless: bool) -> None:
    """Serve the chat UI (Chainlit) on HOST:PORT, in this process, until SIGTERM or Ctrl-C.

    GET /healthz answers 200 once the index, model and stores are ready, else 503.

    \b
    Examples:
        assistant serve --port 8000
        assistant --data-dir /var/lib/assistant serve --host 0.0.0.0
    """
    from assistant.chat.server import serve as run_server

    data_dir = service.settings.data_dir.resolve()
    service.close()  # the chat builds its own Service; this one holds nothing it needs
    raise SystemExit(run_server(data_dir=data_dir, host=host, port=port))


def _register_optional() -> None:
    for module, name in (("assistant.cli.feeds", "feeds"), ("assistant.cli.evaluate", "eval"),
                         ("assistant.cli.data", "data"), ("assistant.cli.bills", "bills"),
                         ("assistant.cli.staff", "staff"), ("assistant.cli.migrate", "migrate")):
        try:
            mod = __import__(module, fromlist=[name])
        except ImportError:
            continue
        main.add_command(getattr(mod, name if name != "eval" else "eval_command"), name=name)
    _add_data_dir_everywhere(main)


_register_optional()
