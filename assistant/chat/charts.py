"""Charts as PNG bytes (the only importer of matplotlib): careers compared, and policy updates per week.

Each chart carries its figures and their source and year on the image itself, so a chart saved
or shared out of the chat still says where its numbers come from.

Figures are built with ``matplotlib.figure.Figure`` directly, not pyplot: pyplot keeps global
state and is not thread-safe, and charts are drawn in worker threads of a server.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

#: The table shipped with the project (BLS Occupational Outlook Handbook figures).
OCCUPATIONS_CSV = Path(__file__).resolve().parents[2] / "corpus" / "occupations.csv"
_PAY = "#1f6f8b"
_GROWTH = "#e07a2f"
_MISSING = "#9aa5ab"
_TOPIC_COLOURS = ("#1f6f8b", "#e07a2f", "#4c9a2a", "#8e5ea2", "#c44e52", "#7f7f7f", "#b5a642", "#17becf")


@dataclass(frozen=True)
class Occupation:
    title: str
    median_pay: int
    pay_year: str
    growth_pct: float | None
    projection_period: str
    source_url: str


def load_occupations(path: Path = OCCUPATIONS_CSV) -> list[Occupation]:
    """Rows of ``occupations.csv`` that have a median pay (growth may be missing)."""
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            pay = (row.get("median_annual_pay") or "").strip()
            if not pay:
                continue
            growth = (row.get("projected_growth_pct") or "").strip()
            rows.append(
                Occupation(
                    title=row["title"].strip(),
                    median_pay=int(float(pay)),
                    pay_year=(row.get("pay_year") or "").strip(),
                    growth_pct=float(growth) if growth else None,
                    projection_period=(row.get("projection_period") or "").strip(),
                    source_url=(row.get("source_url") or "").strip(),
                )
            )
    return rows


def source_note(occupations: Sequence[Occupation]) -> str:
    """ "Source: ... median pay 2024; projections 2024-34" from the rows themselves."""
    pay_years = sorted({o.pay_year for o in occupations if o.pay_year})
    periods = sorted({o.projection_period for o in occupations if o.projection_period})
    note = "Source: U.S. Bureau of Labor Statistics, Occupational Outlook Handbook"
    if pay_years:
        note += f"; median annual pay, May {', '.join(pay_years)}"
    if periods:
        note += f"; projected employment change {', '.join(p.replace('-', '–') for p in periods)}"
    return note + "."


def compare_careers_png(occupations: Sequence[Occupation], *, highlight: str = "Medical equipment repairers") -> bytes:
    """Two aligned bar charts: median pay and projected growth, each bar labelled with its figure."""
    rows = sorted(occupations, key=lambda o: o.median_pay)
    titles = [_wrap(o.title + (" (BMETs)" if o.title == highlight else "")) for o in rows]
    height = 1.2 + 0.55 * len(rows)
    fig = Figure(figsize=(11, height))
    pay_ax, growth_ax = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3, 2]})
    pay_colours = [_PAY if o.title != highlight else "#0b3c4d" for o in rows]
    bars = pay_ax.barh(titles, [o.median_pay for o in rows], color=pay_colours)
    for bar, o in zip(bars, rows):
        pay_ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" ${o.median_pay:,}", va="center", fontsize=9)
    pay_ax.set_xlim(0, max(o.median_pay for o in rows) * 1.28)
    pay_ax.set_title(f"Median annual pay ({_years(o.pay_year for o in rows)})", fontsize=11, loc="left")
    pay_ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"${v / 1000:.0f}k"))

    growths = [o.growth_pct if o.growth_pct is not None else 0 for o in rows]
    colours = [_GROWTH if o.growth_pct is not None else _MISSING for o in rows]
    gbars = growth_ax.barh(titles, growths, color=colours)
    top = max([g for g in growths] + [1])
    for bar, o in zip(gbars, rows):
        label = f" {o.growth_pct:+.0f}%" if o.growth_pct is not None else " no figure in table"
        growth_ax.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            label,
            va="center",
            fontsize=9,
            color="black" if o.growth_pct is not None else _MISSING,
        )
    growth_ax.set_xlim(min(0, min(growths)) * 1.2, top * 1.6)
    growth_ax.set_title(f"Projected growth ({_years(o.projection_period for o in rows)})", fontsize=11, loc="left")
    for ax in (pay_ax, growth_ax):
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="y", labelsize=9)
    fig.suptitle("Allied-health and healthcare-technology careers compared", fontsize=13, x=0.01, ha="left")
    fig.text(0.01, 0.01, source_note(rows), fontsize=8, color="#444444", ha="left")
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    return _png(fig)


def updates_timeline_png(counts: Mapping[date, Mapping[str, int]], *, title: str, note: str) -> bytes:
    """Stacked bars of updates per week (the Monday that starts it), one colour per topic."""
    weeks = sorted(counts)
    topics = sorted({t for week in counts.values() for t in week}) or ["(none)"]
    fig = Figure(figsize=(10, 4.2))
    ax = fig.subplots()
    bottoms = [0] * len(weeks)
    labels = [f"{w:%b} {w.day}" for w in weeks]
    for i, topic in enumerate(topics):
        values = [counts[w].get(topic, 0) for w in weeks]
        ax.bar(labels, values, bottom=bottoms, label=topic, color=_TOPIC_COLOURS[i % len(_TOPIC_COLOURS)])
        bottoms = [b + v for b, v in zip(bottoms, values)]
    for x, total in enumerate(bottoms):
        if total:
            ax.text(x, total, str(total), ha="center", va="bottom", fontsize=9)
    ax.set_ylabel("New or changed items")
    ax.set_xlabel("Week starting (Monday, UTC)", fontsize=9)
    ax.set_ylim(0, max(bottoms + [1]) * 1.2)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="x", labelsize=8, rotation=45 if len(weeks) > 8 else 0)
    ax.set_title(title, fontsize=12, loc="left")
    if any(bottoms):
        ax.legend(
            title="Topic", fontsize=8, title_fontsize=9, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0)
        )
    else:
        ax.text(0.5, 0.5, "No tracked updates in these weeks", transform=ax.transAxes, ha="center", color="#666666")
    fig.text(0.01, 0.01, note, fontsize=8, color="#444444", ha="left")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return _png(fig)


def _wrap(title: str, width: int = 28) -> str:
    words, lines, line = title.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def _years(values: Iterable[str]) -> str:
    found = sorted({v.replace("-", "–") for v in values if v})
    return ", ".join(found) or "year not given"


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()
