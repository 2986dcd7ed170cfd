"""Charts of the needs pages as inline SVG (matplotlib, no JavaScript needed).

Built on ``matplotlib.figure.Figure`` rather than pyplot: pages render in a thread pool, and a
bare figure keeps no global state to share between threads.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from typing import Any

from matplotlib.figure import Figure

from nexus_sti.core.countries import country
from nexus_sti.needs.assessment import NeedsAssessment
from nexus_sti.needs.targets import TargetsResult
from nexus_sti.platform.charts import svg_of

OBSERVED = "#2b6cb0"
IMPUTED = "#c05621"
FORMULA = "#1a202c"
WINDOW = "#e2e8f0"


def _figure(width: float, height: float) -> Any:
    return Figure(figsize=(width, height))


def _tidy(ax: Any) -> None:
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)


def capacity_chart(assessment: NeedsAssessment) -> str:
    """Each country's capacity (dot) and its 5-95 % range over the Monte Carlo draws (bar),
    lowest at the bottom; countries with imputed values in another colour."""
    rows = sorted(assessment.countries, key=lambda c: c.capacity)
    fig = _figure(9.0, 0.34 * len(rows) + 1.3)
    ax = fig.subplots()
    for i, c in enumerate(rows):
        colour = IMPUTED if c.gaps else OBSERVED
        low, high = c.capacity_interval
        ax.hlines(i, low, high, color=colour, alpha=0.35, linewidth=6)
        ax.plot([c.capacity], [i], "o", color=colour, markersize=6)
    ax.set_yticks(range(len(rows)), [country(c.iso3).name for c in rows])
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel("capacity (0 = lowest, 1 = highest)", fontsize=8)
    ax.grid(axis="x", color="#edf0f3", linewidth=0.8)
    ax.set_axisbelow(True)
    _tidy(ax)
    if any(c.gaps for c in rows):
        from matplotlib.lines import Line2D

        handles = [
            Line2D([], [], marker="o", color=OBSERVED, linestyle="", label="observed values"),
            Line2D(
                [],
                [],
                marker="o",
                color=IMPUTED,
                linestyle="",
                label="has imputed values (wider uncertainty)",
            ),
        ]
        ax.legend(handles=handles, fontsize=8, loc="lower right", frameon=False)
    fig.tight_layout()
    return svg_of(fig)


def indicator_series_chart(
    series: Mapping[str, Mapping[int, float]],
    labels: Mapping[str, str],
    window: tuple[int, int],
) -> str:
    """One small panel per indicator: its yearly values, with the data-policy window shaded."""
    codes = list(series)
    columns = 3 if len(codes) > 4 else 2
    rows = max(math.ceil(len(codes) / columns), 1)
    fig = _figure(10.0, 2.1 * rows + 0.2)
    axes = fig.subplots(rows, columns, squeeze=False)
    years = [y for values in series.values() for y in values] + list(window)
    first, last = min(years) - 1, max(years) + 1
    for n, ax in enumerate(axes.flat):
        if n >= len(codes):
            ax.set_visible(False)
            continue
        code = codes[n]
        values = series[code]
        ax.axvspan(window[0] - 0.5, window[1] + 0.5, color=WINDOW, linewidth=0)
        title = textwrap.fill(labels.get(code, code), 30)
        ax.set_title(title, fontsize=8, loc="left")
        ax.set_xlim(first, last)
        _tidy(ax)
        ax.tick_params(labelsize=7)
        if not values:
            ax.set_yticks([])
            ax.text(
                0.5,
                0.5,
                "no data",
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=9,
                color="#5a6473",
            )
            continue
        xs = sorted(values)
        ax.plot(xs, [values[y] for y in xs], "-o", color=OBSERVED, markersize=3, linewidth=1.2)
        ax.set_ylim(bottom=min(0.0, *values.values()))
    fig.tight_layout(h_pad=1.2)
    return svg_of(fig)


def shares_chart(result: TargetsResult) -> str:
    """Each partner country's target share (bar), the formula's share before floors and caps
    (marker) and the slots it gets (at the bar end); largest share at the top."""
    shares = result.shares
    order = sorted(result.countries, key=lambda c: shares.shares[c])
    fig = _figure(9.0, 0.34 * len(order) + 1.3)
    ax = fig.subplots()
    final = [shares.shares[c] * 100 for c in order]
    formula = [shares.formula_shares[c] * 100 for c in order]
    ax.barh(range(len(order)), final, color=OBSERVED, label="target share")
    ax.plot(
        formula,
        range(len(order)),
        "D",
        color=FORMULA,
        markersize=4,
        label="formula share before floors and caps",
    )
    top = max(final + formula) if order else 1.0
    for i, c in enumerate(order):
        n = result.apportionment.slots[c]
        end = max(final[i], formula[i])
        ax.text(end + top * 0.02, i, f"{n} slot{'s' if n != 1 else ''}", va="center", fontsize=8)
    ax.set_yticks(range(len(order)), [country(c).name for c in order])
    ax.set_xlim(0, top * 1.22)
    ax.set_xlabel("share of the track (%)", fontsize=8)
    _tidy(ax)
    ax.legend(fontsize=8, loc="lower right", frameon=False)
    fig.tight_layout()
    return svg_of(fig)
