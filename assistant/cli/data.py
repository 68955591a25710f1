"""``assistant data ...``: import the official labor-market files and show what is stored.

Thin commands over ``assistant.occupations.importers``; the ``Service`` arrives in ``ctx.obj``
and its catalog connection holds the data tables. A refused file raises ``DataImportError``,
which the root group prints as one ``Error: ...`` line with exit code 1.
"""

from __future__ import annotations

import json

import click

from assistant.occupations import importers, store
from assistant.people.importers import import_legislators

_SOURCES_HELP = {
    "oews": "BLS OEWS all-data rows: .csv, .csv.gz or BLS's .xlsx (cross-industry rows are kept).",
    "onet": "The O*NET text release folder (db_30_1_text.zip unzipped).",
    "projections": "BLS Employment Projections occupation.xlsx (sheet Table 1.2).",
    "cip": "NCES CIP 2020 to SOC 2018 crosswalk CSV.",
    "legislators": "congress-legislators YAML and/or Open States Massachusetts folders.",
}


@click.group("data")
def data() -> None:
    """Official labor-market data: BLS OEWS wages, O*NET, BLS projections, NCES CIP-SOC.

    Each source holds one release; importing a file replaces it whole, or refuses the file
    and keeps the stored release as it was.

    \b
    Examples:
      assistant data import oews ../shared/data/oews/oews_may2025_cross_industry.csv.gz
      assistant data import onet ../shared/data/onet --json
      assistant data import projections ../shared/data/bls-ep/occupation.xlsx
      assistant data import cip ../shared/data/cip/CIP2020_SOC2018_Crosswalk.csv
      assistant data import legislators ../shared/data/legislators --release 2026-06-15
      assistant data status
    """


@data.command("import")
@click.argument("source", type=click.Choice([*importers.IMPORTERS, "legislators"]))
@click.argument("path", type=click.Path(path_type=str))
@click.option("--release", default=None, metavar="NAME",
              help="OEWS: the release (e.g. 'May 2025') when the file name does not say it; "
                   "legislators: the date the files were published (YYYY-MM-DD; default today).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def import_command(service, source: str, path: str, release: str | None, as_json: bool) -> None:
    """Import PATH as the new release of SOURCE (oews, onet, projections, cip, legislators).

    \b
    oews         BLS OEWS all-data rows (.csv, .csv.gz, .xlsx); the release comes from the
                 file name (oews_may2025..., all_data_M_2025.xlsx) or --release
    onet         the O*NET text release folder; release from its Read Me.txt
    projections  BLS EP occupation.xlsx; release from the Table 1.2 title (2024-34)
    cip          NCES CIP-SOC crosswalk CSV; release from its columns (CIP 2020)
    legislators  the congress-legislators folder, the Open States Massachusetts folder, or
                 a folder holding both; --release is the date they were published
    """
    if release and source not in ("oews", "legislators"):
        raise click.UsageError("--release applies to oews and legislators only (the other files name their release)")
    if source == "legislators":
        stored = import_legislators(service.db, path, as_of=release)
    else:
        stored = importers.import_source(service.db, source, path, release=release)
    if as_json:
        click.echo(json.dumps({"source": stored.source, "release": stored.release, "rows": stored.rows}))
    else:
        click.echo(f"{stored.source}: {stored.release}, {stored.rows:,} rows imported from {path}")


@data.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def status(service, as_json: bool) -> None:
    """Show each source's release, row count and import time."""
    stored = store.releases(service.db)
    if as_json:
        click.echo(json.dumps({"sources": [r.to_json() for r in stored.values()]}))
        return
    for name in store.SOURCES:
        release = stored.get(name)
        if release is None:
            click.echo(f"{name:<12} not imported  (assistant data import {name} ...)")
        else:
            click.echo(f"{name:<12} {release.release:<12} {release.rows:>8,} rows  imported {release.imported_at}")
