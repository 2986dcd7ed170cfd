"""Charts of the selection pages as inline SVG: partner-country places against their bands, funded
projects per area, the merit each rule family costs, and the rule comparison."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from nexus_sti.algorithms.portfolio import PortfolioProblem
from nexus_sti.core.countries import country
from nexus_sti.platform.charts import svg_of

FUNDED = "#2b6cb0"
BAND = "#cbd5e0"
TARGET = "#1a202c"
RULE_COLOURS = ("#718096", "#a0aec0", "#2b6cb0", "#2f855a")


def _tidy(ax: Any) -> None:
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)


def places_chart(
    problem: PortfolioProblem, selected: frozenset[str], partners: Sequence[str]
) -> str:
    """Funded places per partner country (bars) inside each country's band (grey range)."""
    funded = Counter(code for c in problem.candidates if c.id in selected for code in c.countries)
    bands = problem.rules.country_bands or {}
    codes = [c for c in partners if funded[c] or c in bands]
    fig = Figure(figsize=(6.6, 0.34 * max(len(codes), 3) + 1.1))
    ax = fig.subplots()
    for i, code in enumerate(codes):
        band = bands.get(code)
        if band is not None and band.measure == "count":
            low = band.low or 0.0
            high = band.high if band.high is not None else low
            ax.barh(i, high - low, left=low, height=0.8, color=BAND)
        ax.barh(i, funded[code], height=0.42, color=FUNDED)
        ax.text(funded[code], i, f" {funded[code]}", va="center", fontsize=8)
    ax.set_yticks(range(len(codes)), [country(c).name for c in codes])
    ax.invert_yaxis()
    ax.set_xlabel("funded places (grey: the country's band)", fontsize=8)
    _tidy(ax)
    fig.tight_layout()
    return svg_of(fig)


def areas_chart(problem: PortfolioProblem, selected: frozenset[str]) -> str:
    funded = Counter(c.area for c in problem.candidates if c.id in selected)
    entered = Counter(c.area for c in problem.candidates)
    areas = sorted(entered, key=lambda a: -entered[a])
    fig = Figure(figsize=(6.6, 0.34 * max(len(areas), 3) + 1.1))
    ax = fig.subplots()
    ax.barh(range(len(areas)), [entered[a] for a in areas], color=BAND, label="candidates")
    ax.barh(range(len(areas)), [funded[a] for a in areas], color=FUNDED, label="funded")
    for i, a in enumerate(areas):
        ax.text(entered[a], i, f" {funded[a]} of {entered[a]}", va="center", fontsize=8)
    ax.set_yticks(range(len(areas)), areas)
    ax.invert_yaxis()
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.margins(x=0.15)
    _tidy(ax)
    fig.tight_layout()
    return svg_of(fig)


def costs_chart(costs: Mapping[str, float]) -> str:
    """Merit given up to each rule family, largest first."""
    items = sorted(costs.items(), key=lambda kv: kv[1])
    fig = Figure(figsize=(6.6, 0.34 * max(len(items), 3) + 1.1))
    ax = fig.subplots()
    ax.barh(range(len(items)), [v for _, v in items], color=FUNDED)
    for i, (_, v) in enumerate(items):
        ax.text(v, i, f" {v:.2f}", va="center", fontsize=8)
    ax.set_yticks(range(len(items)), [k for k, _ in items])
    ax.set_xlabel("merit given up (sum of calibrated scores)", fontsize=8)
    ax.margins(x=0.18)
    _tidy(ax)
    fig.tight_layout()
    return svg_of(fig)


def comparison_charts(
    rows: Sequence[Mapping[str, Any]], targets: Mapping[str, float], partners: Sequence[str]
) -> tuple[str, str]:
    """(merit and rules broken per selection rule; partner-country places share per rule against
    the target shares)."""
    labels = [str(r["label"]) for r in rows]
    fig = Figure(figsize=(6.6, 2.8))
    ax = fig.subplots()
    merits = [float(r["merit"]) for r in rows]
    ax.barh(range(len(rows)), merits, color=RULE_COLOURS[: len(rows)])
    for i, r in enumerate(rows):
        broken = int(r["rules_broken"])
        ax.text(
            merits[i], i, f" {merits[i]:.1f}" + (f"  ({broken} rules broken)" if broken else ""),
            va="center", fontsize=8,
        )  # fmt: skip
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("total merit of the funded proposals", fontsize=8)
    ax.margins(x=0.35)
    _tidy(ax)
    fig.tight_layout()
    merit_svg = svg_of(fig)

    codes = [c for c in partners if c in targets or any(r["places"].get(c) for r in rows)]
    fig = Figure(figsize=(7.2, 3.4))
    ax = fig.subplots()
    width = 0.8 / max(len(rows), 1)
    for k, r in enumerate(rows):
        total = sum(r["places"].get(c, 0) for c in codes) or 1
        ax.bar(
            [i + k * width for i in range(len(codes))],
            [r["places"].get(c, 0) / total for c in codes],
            width=width, color=RULE_COLOURS[k % len(RULE_COLOURS)], label=labels[k],
        )  # fmt: skip
    if targets:
        ax.scatter(
            [i + 0.4 - width / 2 for i in range(len(codes))],
            [targets.get(c, 0.0) for c in codes],
            marker="D", color=TARGET, zorder=3, s=18, label="target share",
        )  # fmt: skip
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(codes))], codes)
    ax.set_ylabel("share of partner-country places", fontsize=8)
    ax.legend(fontsize=7, frameon=False, ncols=3, loc="upper center", bbox_to_anchor=(0.5, 1.25))
    _tidy(ax)
    fig.tight_layout()
    return merit_svg, svg_of(fig)
