"""Server-rendered charts as inline SVG (matplotlib, no JavaScript needed).

Figures are built with ``matplotlib.figure.Figure`` rather than pyplot: pages render in a
thread pool, and a bare figure shares no global state between threads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
from matplotlib.figure import Figure

# Text stays text in the SVG (set once, before any figure is drawn; never changed after, so the
# page threads share it safely): the browser draws it with its own fonts, which cover Thai,
# Khmer, Lao, Burmese and CJK scripts, and a chart with 160 labels is a tenth of the size of one
# whose every glyph is a path.
matplotlib.rcParams["svg.fonttype"] = "none"


def svg_of(fig: Figure) -> str:
    """The figure as an SVG element string, without a timestamp (so output is reproducible)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    return svg[svg.index("<svg") :]


def bar_chart_svg(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    xlabel: str = "",
    sort: bool = True,
) -> str:
    """A horizontal bar chart with each value written at its bar's end; largest at the top
    (or, with ``sort=False``, the first label at the top)."""
    pairs = list(zip(labels, values, strict=True))
    pairs = sorted(pairs, key=lambda p: p[1]) if sort else list(reversed(pairs))
    fig = Figure(figsize=(6.4, 0.32 * max(len(pairs), 3) + 0.9))
    ax = fig.subplots()
    ax.barh(range(len(pairs)), [p[1] for p in pairs], color="#2b6cb0")
    for i, (_, v) in enumerate(pairs):
        ax.text(v, i, f" {v:,.0f}", va="center", fontsize=8)
    ax.set_yticks(range(len(pairs)), [p[0] for p in pairs])
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel(xlabel, fontsize=8)
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.12)
    fig.tight_layout()
    return svg_of(fig)
