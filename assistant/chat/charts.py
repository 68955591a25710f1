"""Charts as PNG bytes (the only importer of matplotlib): careers compared, pay across a state, and
policy updates per week.

Each chart carries its figures and their source and release on the image itself, so a chart
saved or shared out of the chat still says where its numbers come from. The figures come from
the imported official data (``assistant.chat.careers``).

Figures are built with ``matplotlib.figure.Figure`` directly, not pyplot: pyplot keeps global
state and is not thread-safe, and charts are drawn in worker threads of a server.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from assistant.chat.careers import Comparison, StatePay

_PAY = "#1f6f8b"
_HIGHLIGHT = "#0b3c4d"
_GROWTH = "#e07a2f"
_MISSING = "#9aa5ab"
_TOPIC_COLOURS = ("#1f6f8b", "#e07a2f", "#4c9a2a", "#8e5ea2", "#c44e52", "#7f7f7f", "#b5a642", "#17becf")
_THOUSANDS = FuncFormatter(lambda v, _: f"${v / 1000:.0f}k")


def _pay_label(value: float | None, note: str) -> str:
    if value is None:
        return " not released"
    return f" at least ${value:,.0f}" if note == "at least" else f" ${value:,.0f}"


def compare_careers_png(comparison: Comparison) -> bytes:
    """Two aligned bar charts: median pay and projected growth, each bar labelled with its figure."""
    rows = sorted(comparison.careers, key=lambda c: c.median_pay or 0)
    titles = [_wrap(c.title + (" (BMETs)" if c.highlight else "")) for c in rows]
    fig = Figure(figsize=(11, 1.4 + 0.6 * len(rows)))
    pay_ax, growth_ax = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3, 2]})
    pays = [c.median_pay or 0 for c in rows]
    colours = [_MISSING if c.median_pay is None else _HIGHLIGHT if c.highlight else _PAY for c in rows]
    bars = pay_ax.barh(titles, pays, color=colours)
    for bar, c in zip(bars, rows):
        pay_ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, _pay_label(c.median_pay, c.pay_note),
                    va="center", fontsize=9, color="black" if c.median_pay is not None else _MISSING)
    pay_ax.set_xlim(0, max(pays + [1]) * 1.3)
    pay_ax.set_title(f"Median annual pay, {comparison.place} (OEWS {comparison.pay_release})", fontsize=11,
                     loc="left")
    pay_ax.xaxis.set_major_formatter(_THOUSANDS)

    growths = [c.growth_pct if c.growth_pct is not None else 0 for c in rows]
    gbars = growth_ax.barh(titles, growths, color=[_GROWTH if c.growth_pct is not None else _MISSING for c in rows])
    for bar, c in zip(gbars, rows):
        label = f" {c.growth_pct:+.1f}%" if c.growth_pct is not None else " no projection"
        growth_ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, label, va="center", fontsize=9,
                       color="black" if c.growth_pct is not None else _MISSING)
    growth_ax.set_xlim(min(0, min(growths + [0])) * 1.3, max(growths + [1]) * 1.6)
    growth_ax.set_title(f"Projected growth, US ({comparison.projections_release.replace('-', '–')})",
                        fontsize=11, loc="left")
    _tidy_axes(pay_ax, growth_ax)
    fig.suptitle("Allied-health and healthcare-technology careers compared", fontsize=13, x=0.01, ha="left")
    fig.text(0.01, 0.01, comparison.source_note, fontsize=8, color="#444444", ha="left")
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    return _png(fig)


def state_pay_png(pay: StatePay) -> bytes:
    """One occupation's median pay in each metro and nonmetro area of a state, the statewide line beside."""
    rows = sorted(pay.areas, key=lambda a: a.median or 0)
    labels = [_wrap(a.area, 34) for a in rows]
    fig = Figure(figsize=(10, 1.6 + 0.5 * len(rows)))
    ax = fig.subplots()
    values = [a.median or 0 for a in rows]
    bars = ax.barh(labels, values, color=[_PAY if a.median is not None else _MISSING for a in rows])
    for bar, a in zip(bars, rows):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, _pay_label(a.median, a.note), va="center",
                fontsize=9, color="black" if a.median is not None else _MISSING)
    if pay.statewide is not None and pay.statewide.median is not None:
        ax.axvline(pay.statewide.median, color=_GROWTH, linestyle="--", linewidth=1.2)
        ax.text(pay.statewide.median, len(rows) - 0.4, f" {pay.state}: ${pay.statewide.median:,.0f}",
                color=_GROWTH, fontsize=9, va="bottom")
    ax.set_xlim(0, max(values + [1]) * 1.3)
    ax.set_ylim(-0.6, len(rows) - 0.1)
    ax.xaxis.set_major_formatter(_THOUSANDS)
    _tidy_axes(ax)
    ax.set_title(f"{pay.title}: median annual pay across {pay.state} (OEWS {pay.release})", fontsize=12,
                 loc="left")
    fig.text(0.01, 0.01, pay.source_note, fontsize=8, color="#444444", ha="left")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return _png(fig)


def _tidy_axes(*axes) -> None:
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="y", labelsize=9)


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


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()
