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
@click.option("--group", "groups", multiple=True, type=click.Choice(evaluate.GROUPS),
              help="Run only this group of questions (repeatable).")
@click.option("--llm", type=click.Choice(["extractive", "openai", "ollama"]), default=None,
              help="Answer with this provider (checks citation validity and fallbacks).")
@click.pass_obj
def eval_command(service: Service, gold: Path | None, as_json: bool, split: str, groups: tuple[str, ...],
                 llm: str | None) -> None:
    """Score retrieval (recall, MRR) and answers (must-mention, directness, repeats, raw URLs,
    abstention, remembered context, plans) per split, audience and group of questions.

    \b
    Examples:
        assistant eval
        assistant eval corpus/eval/gold.jsonl --json
        assistant eval --group data --split heldback
    """
    if llm:
        service = Service(service.settings.replace(llm_provider=llm))
    items = evaluate.load_gold(gold or DEFAULT_GOLD)
    if split != "all":
        items = [i for i in items if i.split == split]
    if groups:
        items = [i for i in items if i.group in groups]
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
    _print_table(result)


# Short column heads keep both tables inside 120 characters.
_RETRIEVAL = {"n": "n", "recall@1": "R@1", "recall@5": "R@5", "mrr": "MRR", "citation_precision": "cite-prec",
              "abstention_accuracy": "abstain-ok"}
_ANSWERS = {"must_mention": "must-ment", "directness": "direct", "repeats_per_answer": "repeats",
            "urls_in_text": "urls", "false_abstention": "false-abst", "false_answer": "false-ans",
            "assumed_accuracy": "assumed", "plan_steps_ok": "plan-4-8", "plan_figures_cited": "plan-cited"}


def _print_table(result: dict) -> None:
    rows = {**result["splits"], **result["audiences"]}
    rows.update({f"{g}": m for g, m in result["groups"].items()})
    rows.update({f"{g}/held": by["heldback"] for g, by in result["groups_by_split"].items()})
    for title, columns in (("retrieval", _RETRIEVAL), ("answers", _ANSWERS)):
        click.echo(f"{title:<20}" + "".join(f"{head:>11}" for head in columns.values()))
        for name, metrics in rows.items():
            if metrics.get("error"):
                click.echo(f"{name:<20}{metrics['n']:>11}  {metrics['error']}")
                continue
            click.echo(f"{name:<20}" + "".join(f"{_cell(metrics.get(m)):>11}" for m in columns))
        click.echo()
    for miss in result["misses"]:
        click.echo(f"miss {miss['id']} [{miss['group']}/{miss['split']}] {miss['question']!r}: "
                   f"{'; '.join(miss['problems'])} (retrieved {', '.join(miss['retrieved'][:3]) or 'nothing'})")


def _cell(value) -> str:
    """A figure for the table: '-' where there was nothing to measure."""
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)
