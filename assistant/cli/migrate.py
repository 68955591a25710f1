"""``assistant migrate --from-sqlite DIR``: move an embedded installation to Postgres and a Chroma server."""

from __future__ import annotations

import json
from pathlib import Path

import click

from assistant.migrate import migrate as run_migration


@click.command("migrate")
@click.option("--from-sqlite", "source_dir", required=True, type=click.Path(path_type=Path),
              help="The old data directory (holds assistant.db, chroma/, chat.db).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the summary.")
@click.pass_obj
def migrate(service, source_dir: Path, as_json: bool) -> None:
    """Copy an embedded installation (SQLite + embedded Chroma) into ASSISTANT_DATABASE_URL's
    Postgres and ASSISTANT_CHROMA_URL's Chroma server (else this data directory's Chroma).

    Each component's tables are created by its own migrations and copied in batches; rows
    Postgres already holds are kept, so running it again copies nothing. Vectors are copied
    with their stored embeddings (nothing is embedded again). Progress goes to stderr.

    \b
    Examples:
      export ASSISTANT_DATABASE_URL=postgresql://assistant:PASSWORD@db.internal:5432/assistant
      export ASSISTANT_CHROMA_URL=http://chroma.internal:8000
      assistant migrate --from-sqlite /var/lib/assistant/data
      assistant status
    """
    settings = service.settings
    service.close()  # the migration opens its own connections
    report = run_migration(source_dir, settings, progress=lambda line: click.echo(line, err=True))
    if as_json:
        click.echo(json.dumps(report.to_json()))
    elif report.copied == 0 and not report.failed:
        click.echo(f"nothing to copy: {report.target} already holds everything in {report.source}")
    else:
        click.echo(f"copied {report.copied:,} rows and vectors from {report.source} to {report.target}")
    if not as_json:
        click.echo(f"now in Postgres: {report.documents} documents, {report.chunks} chunks "
                   f"(as `assistant status` counts them)")
    if report.failed:
        raise click.ClickException(f"not copied: {', '.join(report.failed)} (see above); run it again once fixed")
