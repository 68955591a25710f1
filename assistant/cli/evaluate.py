"""``assistant eval``: measure retrieval and answers against a gold question set."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from assistant import evaluate
from assistant.service import Service

DEFAULT_GOLD = Path(__file__).resolve().parents[2] / "corpus" / "eval" / "gold.jsonl"


@click.command("eval")
@click.argument("gold", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--split", type=click.Choice(["tune", "heldback", "all"]), default="all", help="Questions to run.")
@click.option("--llm", type=click.Choice(["extractive", "openai", "ollama"]), default=None,
              help="Answer with this provider (checks citation validity and fallbacks).")
@click.pass_obj
def eval_command(service: Service, gold: Path | None, as_json: bool, split: str, llm: str | None) -> None:
    """Score recall@1, recall@5, MRR, must-mention, citation precision and abstention.

    \b
    Examples:
        assistant eval
        assistant eval corpus/eval/gold.jsonl --json
    """
    if llm:
        service = Service(service.settings.replace(llm_provider=llm))
    items = evaluate.load_gold(gold or DEFAULT_GOLD)
    if split != "all":
        items = [i for i in items if i.split == split]
    service.require_index()
    with click.progressbar(length=len(items), label="Evaluating", file=sys.stderr,
                           hidden=as_json or not sys.stderr.isatty()) as bar:
        outcomes = evaluate.run(service, items, on_item=lambda: bar.update(1))
    result = evaluate.report(outcomes)
    stats = getattr(service.answerer, "stats", None)
    if callable(stats):
        result["llm"] = stats()
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"{'split':<10}" + "".join(f"{m:>20}" for m in ("n", *evaluate.METRICS)))
    for name, metrics in {**result["splits"], **result["audiences"]}.items():
        click.echo(f"{name:<10}" + "".join(f"{metrics[m]:>20}" for m in ("n", *evaluate.METRICS)))
    for miss in result["misses"]:
        click.echo(f"miss {miss['id']} [{miss['split']}] {miss['question']!r}: {'; '.join(miss['problems'])}"
                   f" (retrieved {', '.join(miss['retrieved'][:3]) or 'nothing'})")
