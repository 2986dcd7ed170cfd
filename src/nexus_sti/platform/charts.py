"""Server-rendered charts as inline SVG (matplotlib, no JavaScript needed)."""

from __future__ import annotations

import io
from collections.abc import Sequence


def bar_chart_svg(
    labels: Sequence[str], values: Sequence[float], *, title: str, xlabel: str = ""
) -> str:
    """A horizontal bar chart, largest at the top, as an SVG document string."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    pairs = sorted(zip(labels, values, strict=True), key=lambda p: p[1])
    fig, ax = plt.subplots(figsize=(6.4, 0.32 * max(len(pairs), 3) + 0.9))
    try:
        ax.barh([p[0] for p in pairs], [p[1] for p in pairs], color="#2b6cb0")
        for i, (_, v) in enumerate(pairs):
            ax.text(v, i, f" {v:,.0f}", va="center", fontsize=8)
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xlabel(xlabel, fontsize=8)
        ax.tick_params(labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        ax.margins(x=0.12)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    finally:
        plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.index("<svg") :]
