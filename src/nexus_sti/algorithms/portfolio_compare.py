"""Selection rules side by side on one problem: what each funds and what it does to inclusiveness.

The rules (keys of :data:`RULE_LABELS`):

- ``"rank-and-fund"``: :func:`~nexus_sti.algorithms.portfolio_checks.rank_and_fund`, by merit
  while the budgets allow;
- ``"rank-with-tie-breaks"``: the same, but proposals whose merits tie (equal once rounded to
  ``tie_step``, or within ``tie_tolerance`` of the best of the tied group) are ordered by
  ordered keys — a new priority area for the funded set, a new partner country, a secondary score
  such as (excellence, impact), a lower cost — before the budgets are checked;
- ``"optimum"``: :func:`~nexus_sti.algorithms.portfolio.solve_portfolio` under every rule;
- ``"optimum-lottery"``: the same with the lottery at the funding line, from a seeded generator.

:func:`compare_rules` returns one :class:`RuleOutcome` per rule plus the cost of inclusiveness
(the best merit under the budgets alone minus the best under every rule).
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from nexus_sti.algorithms.inclusiveness import countries_covered, gini, hoover_index
from nexus_sti.algorithms.portfolio import (
    CandidateProposal,
    LotteryRecord,
    PortfolioProblem,
    PortfolioRules,
    solve_portfolio,
)
from nexus_sti.algorithms.portfolio_checks import check_portfolio, rank_and_fund
from nexus_sti.core.areas import AREA_CODES
from nexus_sti.core.countries import ISO3_CODES
from nexus_sti.core.errors import InvalidInput

__all__ = [
    "ALL_RULES",
    "RULE_LABELS",
    "RuleComparison",
    "RuleKey",
    "RuleOutcome",
    "TieBreakKey",
    "area_count_rows",
    "compare_rules",
    "comparison_rows",
    "comparison_to_dict",
    "country_share_rows",
    "rank_with_tie_breaks",
]

RuleKey = Literal["rank-and-fund", "rank-with-tie-breaks", "optimum", "optimum-lottery"]
TieBreakKey = Literal["new-area", "new-country", "secondary", "lower-cost"]

RULE_LABELS: Mapping[RuleKey, str] = {
    "rank-and-fund": "Rank and fund",
    "rank-with-tie-breaks": "Rank with tie-breaks",
    "optimum": "Constrained optimum",
    "optimum-lottery": "Constrained optimum with lottery",
}
ALL_RULES: tuple[RuleKey, ...] = tuple(RULE_LABELS)
DEFAULT_TIE_KEYS: tuple[TieBreakKey, ...] = ("new-area", "secondary")

# Relative slack when adding money to a budget, as in the independent checker.
_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """One rule's portfolio. ``country_shares``: each of the 12 countries' share of the funding
    of the funded proposals (all 0 when nothing is funded); ``target_shares`` as passed in;
    ``partners_covered``: the counted countries with a team in a funded proposal;
    ``hoover``: Hoover index of shares against targets (``None`` without targets or funding);
    ``gini_per_researcher``: Gini over countries of funding per researcher (``None`` without a
    researchers mapping); ``broken_rules``: the independent checker's messages;
    ``seconds``: solver (or ranking) time."""

    rule: RuleKey
    label: str
    selected: frozenset[str]
    merit: float
    funded: int
    country_shares: Mapping[str, float]
    target_shares: Mapping[str, float] | None
    area_counts: Mapping[str, int]
    areas_covered: tuple[str, ...]
    partners_covered: tuple[str, ...]
    hoover: float | None
    gini_per_researcher: float | None
    broken_rules: tuple[str, ...]
    seconds: float
    lottery: LotteryRecord | None


@dataclass(frozen=True, slots=True)
class RuleComparison:
    """The outcomes in the order asked for. ``budgets_only_objective``: the best objective
    under the budgets alone; ``cost_of_inclusiveness``: that minus the best under every rule
    (in merit for the ``"merit"`` objective; never below 0)."""

    outcomes: tuple[RuleOutcome, ...]
    budgets_only_objective: float
    optimum_objective: float
    cost_of_inclusiveness: float

    def outcome(self, rule: RuleKey) -> RuleOutcome:
        for o in self.outcomes:
            if o.rule == rule:
                return o
        raise KeyError(rule)


def compare_rules(
    problem: PortfolioProblem,
    *,
    rules: Sequence[RuleKey] = ALL_RULES,
    target_shares: Mapping[str, float] | None = None,
    researchers: Mapping[str, float] | None = None,
    secondary: Mapping[str, Sequence[float]] | None = None,
    tie_keys: Sequence[TieBreakKey] = DEFAULT_TIE_KEYS,
    tie_step: float = 0.1,
    tie_tolerance: float | None = None,
    lottery_seed: int = 0,
    time_limit: float = 10.0,
    gap: float = 1e-4,
    counted: Sequence[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> RuleComparison:
    """Run each rule on ``problem`` and measure it. ``secondary``: proposal id → scores compared
    in order, higher first (e.g. (excellence, impact)); ``researchers``: country → number of
    researchers; ``counted``: the countries whose coverage is measured and whose first project
    breaks a tie (a program's partner countries; default: every country of the candidates).
    Raises :class:`~nexus_sti.core.errors.Infeasible` when the rules cannot all
    hold (the optimum rules and the cost of inclusiveness need a feasible problem).
    ``progress(done, total, step)`` is called before each rule and before the last solve."""
    unknown = [r for r in rules if r not in RULE_LABELS]
    if unknown:
        raise InvalidInput("rules", f"unknown rule {unknown[0]!r}; allowed: {', '.join(ALL_RULES)}")
    if researchers is not None and any(not v > 0 for v in researchers.values()):
        raise InvalidInput("researchers", "every count must be > 0")
    if counted is None:
        counted = sorted({code for c in problem.candidates for code in c.countries})
    outcomes: list[RuleOutcome] = []
    optimum: float | None = None
    steps = len(rules) + 1
    for index, rule in enumerate(rules):
        if progress is not None:
            progress(index, steps, RULE_LABELS[rule])
        lottery: LotteryRecord | None = None
        started = time.perf_counter()
        if rule == "rank-and-fund":
            selected = frozenset(rank_and_fund(problem))
            seconds = time.perf_counter() - started
        elif rule == "rank-with-tie-breaks":
            selected = frozenset(
                rank_with_tie_breaks(
                    problem,
                    keys=tie_keys,
                    secondary=secondary,
                    tie_step=tie_step,
                    tie_tolerance=tie_tolerance,
                    counted=counted,
                )
            )
            seconds = time.perf_counter() - started
        else:
            rng = np.random.default_rng(lottery_seed) if rule == "optimum-lottery" else None
            result = solve_portfolio(problem, time_limit=time_limit, gap=gap, lottery_rng=rng)
            selected, seconds, lottery = result.selected, result.seconds, result.lottery
            if rule == "optimum":
                optimum = result.objective
        outcomes.append(
            _measure(problem, rule, selected, seconds, lottery, target_shares, researchers, counted)
        )
    if optimum is None:
        optimum = solve_portfolio(problem, time_limit=time_limit, gap=gap).objective
    if progress is not None:
        progress(len(rules), steps, "the best portfolio under the budgets alone")
    rules_in_force = problem.rules
    budgets_only = PortfolioRules(
        budgets=rules_in_force.budgets, funder_totals=rules_in_force.funder_totals
    )
    relaxed = solve_portfolio(
        replace(problem, rules=budgets_only), time_limit=time_limit, gap=gap
    ).objective
    return RuleComparison(
        outcomes=tuple(outcomes),
        budgets_only_objective=relaxed,
        optimum_objective=optimum,
        # A relaxation cannot do worse; a tiny negative is the solver's gap, shown as 0.
        cost_of_inclusiveness=max(relaxed - optimum, 0.0),
    )


def rank_with_tie_breaks(
    problem: PortfolioProblem,
    *,
    keys: Sequence[TieBreakKey] = DEFAULT_TIE_KEYS,
    secondary: Mapping[str, Sequence[float]] | None = None,
    tie_step: float = 0.1,
    tie_tolerance: float | None = None,
    counted: Sequence[str] | None = None,
) -> set[str]:
    """Fund down the merit ranking while the budgets allow, like rank-and-fund, but order each
    group of tied merits by ``keys`` (then by merit, then id), re-ranking the rest of the group
    after each proposal is funded or skipped, since "new area" depends on what is funded.
    "New country" looks at the ``counted`` countries only (default: all)."""
    counting = None if counted is None else frozenset(counted)
    if not (tie_step > 0 and math.isfinite(tie_step)):
        raise InvalidInput("tie_step", "must be finite and > 0", value=tie_step)
    if tie_tolerance is not None and not (tie_tolerance >= 0 and math.isfinite(tie_tolerance)):
        raise InvalidInput("tie_tolerance", "must be finite and ≥ 0", value=tie_tolerance)
    bad = [k for k in keys if k not in ("new-area", "new-country", "secondary", "lower-cost")]
    if bad:
        raise InvalidInput("keys", f"unknown tie-break key {bad[0]!r}")
    scores = secondary or {}
    ranked = sorted(problem.candidates, key=lambda c: (-c.merit, c.id))
    purse = _Purse(problem.rules)
    funded: set[str] = set()
    areas: set[str] = set()
    countries: set[str] = set()

    def order(c: CandidateProposal) -> tuple[Any, ...]:
        out: list[Any] = []
        for key in keys:
            if key == "new-area":
                out.append(c.area in areas)
            elif key == "new-country":
                mine = set(c.countries) if counting is None else set(c.countries) & counting
                out.append(not (mine - countries))
            elif key == "secondary":
                out.append(tuple(-s for s in scores.get(c.id, ())))
            else:
                out.append(c.total_cost)
        return (*out, -c.merit, c.id)

    for group in _tie_groups(ranked, tie_step, tie_tolerance):
        waiting = list(group)
        while waiting:
            best = min(waiting, key=order)
            waiting.remove(best)
            if purse.take(best):
                funded.add(best.id)
                areas.add(best.area)
                countries.update(best.countries)
    return funded


def _tie_groups(
    ranked: list[CandidateProposal], step: float, tolerance: float | None
) -> list[list[CandidateProposal]]:
    groups: list[list[CandidateProposal]] = []
    for c in ranked:
        if groups:
            head = groups[-1][0]
            if tolerance is None:
                same = round(head.merit / step) == round(c.merit / step)
            else:
                same = head.merit - c.merit <= tolerance
            if same:
                groups[-1].append(c)
                continue
        groups.append([c])
    return groups


class _Purse:
    """What is left of each budget per funder and year and each funder's total."""

    def __init__(self, rules: PortfolioRules) -> None:
        self.budgets = dict(rules.budgets or {})
        self.totals = dict(rules.funder_totals or {})
        self.spent: defaultdict[tuple[str, int], float] = defaultdict(float)
        self.spent_total: defaultdict[str, float] = defaultdict(float)

    def take(self, c: CandidateProposal) -> bool:
        per_funder: defaultdict[str, float] = defaultdict(float)
        for (funder, _), amount in c.costs.items():
            per_funder[funder] += amount
        fits = all(
            not _over(self.spent[k] + amount, self.budgets[k])
            for k, amount in c.costs.items()
            if k in self.budgets
        ) and all(
            not _over(self.spent_total[f] + amount, self.totals[f])
            for f, amount in per_funder.items()
            if f in self.totals
        )
        if fits:
            for k, amount in c.costs.items():
                self.spent[k] += amount
            for f, amount in per_funder.items():
                self.spent_total[f] += amount
        return fits


def _over(value: float, bound: float) -> bool:
    return value > bound + _TOLERANCE * max(1.0, abs(bound))


def _measure(
    problem: PortfolioProblem,
    rule: RuleKey,
    selected: frozenset[str],
    seconds: float,
    lottery: LotteryRecord | None,
    target_shares: Mapping[str, float] | None,
    researchers: Mapping[str, float] | None,
    counted: Sequence[str],
) -> RuleOutcome:
    funded = [c for c in problem.candidates if c.id in selected]
    money: dict[str, float] = dict.fromkeys(ISO3_CODES, 0.0)
    for c in funded:
        for code, amount in c.country_funding.items():
            money[code] += amount
    total = sum(money.values())
    shares = {code: (amount / total if total > 0 else 0.0) for code, amount in money.items()}
    areas = Counter(c.area for c in funded)
    hoover = None
    if target_shares is not None and total > 0:
        hoover = hoover_index(shares, target_shares)
    spread = None
    if researchers is not None:
        spread = gini([money.get(code, 0.0) / count for code, count in researchers.items()])
    covered, _ = countries_covered((c.countries for c in funded), counted)
    return RuleOutcome(
        rule=rule,
        label=RULE_LABELS[rule],
        selected=selected,
        merit=float(sum(c.merit for c in funded)),
        funded=len(funded),
        country_shares=shares,
        target_shares=None if target_shares is None else dict(target_shares),
        area_counts={area: areas[area] for area in AREA_CODES},
        areas_covered=tuple(a for a in AREA_CODES if areas[a] > 0),
        partners_covered=covered,
        hoover=hoover,
        gini_per_researcher=spread,
        broken_rules=tuple(check_portfolio(problem, selected)),
        seconds=seconds,
        lottery=lottery,
    )


def comparison_rows(comparison: RuleComparison) -> list[dict[str, Any]]:
    """One row per rule with the scalar measures, for a summary table or bar chart."""
    return [
        {
            "rule": o.rule,
            "label": o.label,
            "merit": o.merit,
            "funded": o.funded,
            "areas_covered": len(o.areas_covered),
            "partners_covered": len(o.partners_covered),
            "hoover": o.hoover,
            "gini_per_researcher": o.gini_per_researcher,
            "broken_rules": len(o.broken_rules),
            "seconds": o.seconds,
            "lottery_group": None if o.lottery is None else len(o.lottery.group),
        }
        for o in comparison.outcomes
    ]


def country_share_rows(comparison: RuleComparison) -> list[dict[str, Any]]:
    """One row per (rule, country): the share funded and its target (``None`` if none)."""
    return [
        {
            "rule": o.rule,
            "label": o.label,
            "country": code,
            "share": share,
            "target": None if o.target_shares is None else o.target_shares.get(code, 0.0),
        }
        for o in comparison.outcomes
        for code, share in o.country_shares.items()
    ]


def area_count_rows(comparison: RuleComparison) -> list[dict[str, Any]]:
    """One row per (rule, priority area): the number of funded proposals."""
    return [
        {"rule": o.rule, "label": o.label, "area": area, "count": count}
        for o in comparison.outcomes
        for area, count in o.area_counts.items()
    ]


def _lottery_to_dict(record: LotteryRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "line": None if math.isnan(record.line) else record.line,
        "group": list(record.group),
        "draw": list(record.draw),
        "common_merit": None if math.isnan(record.common_merit) else record.common_merit,
        "funded": list(record.funded),
        "forced_in": list(record.forced_in),
        "skipped": [{"id": s.id, "rules": list(s.rules)} for s in record.skipped],
        "rule": record.rule,
    }


def comparison_to_dict(comparison: RuleComparison) -> dict[str, Any]:
    """JSON-ready form: plain dicts, lists and numbers, ids sorted."""
    return {
        "budgets_only_objective": comparison.budgets_only_objective,
        "optimum_objective": comparison.optimum_objective,
        "cost_of_inclusiveness": comparison.cost_of_inclusiveness,
        "outcomes": [
            {
                "rule": o.rule,
                "label": o.label,
                "selected": sorted(o.selected),
                "merit": o.merit,
                "funded": o.funded,
                "country_shares": dict(o.country_shares),
                "target_shares": None if o.target_shares is None else dict(o.target_shares),
                "area_counts": dict(o.area_counts),
                "areas_covered": list(o.areas_covered),
                "partners_covered": list(o.partners_covered),
                "hoover": o.hoover,
                "gini_per_researcher": o.gini_per_researcher,
                "broken_rules": list(o.broken_rules),
                "seconds": o.seconds,
                "lottery": _lottery_to_dict(o.lottery),
            }
            for o in comparison.outcomes
        ],
    }
