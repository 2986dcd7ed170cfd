"""Portfolio selection: which eligible proposals to fund, as a mixed-integer program.

One binary decision per proposal; the objective maximises total merit (``"merit"``: the sum of
calibrated scores) or merit per unit of cost (``"merit_per_cost"``: each proposal's merit divided
by its total cost, which favours cheap proposals of equal merit). Every rule in
:class:`PortfolioRules` is optional and becomes one or more named *constraint groups*
("budget agency-a 2027", "band THA min", "area quantum >= 2"), the unit in which infeasibility is
reported and rules are priced. :func:`solve_portfolio` solves with HiGHS (on large calls, its
branch and cut races a neighbourhood search around the LP optimum); an impossible set of rules
raises :class:`~nexus_sti.core.errors.Infeasible` naming an irreducible set of conflicting groups.
:func:`rule_costs` prices each group. The independent checker and the rank-and-fund baseline live
in :mod:`nexus_sti.algorithms.portfolio_checks`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from nexus_sti.algorithms.portfolio_lottery import (
    LOTTERY_RULE,
    LotteryRecord,
    LotterySkip,
    draw_at_line,
)
from nexus_sti.algorithms.portfolio_model import (
    Model,
    ModelRun,
    build_model,
    run_model,
    solver_version,
)
from nexus_sti.algorithms.portfolio_solver_search import search_model
from nexus_sti.core.areas import AREA_CODES
from nexus_sti.core.countries import ISO3_CODES
from nexus_sti.core.errors import Infeasible, InvalidInput

__all__ = [
    "INCLUSIVENESS_TOTAL",
    "LOTTERY_RULE",
    "SEARCH_FROM_PROPOSALS",
    "Band",
    "CandidateProposal",
    "LotteryRecord",
    "LotterySkip",
    "Method",
    "Objective",
    "PortfolioProblem",
    "PortfolioResult",
    "PortfolioRules",
    "rule_costs",
    "solve_portfolio",
]

Objective = Literal["merit", "merit_per_cost"]
# "branch_and_cut": HiGHS alone; "search": the LP bound and neighbourhood search of
# :mod:`~nexus_sti.algorithms.portfolio_solver_search`, which ends in HiGHS' branch and cut;
# "auto": the search from SEARCH_FROM_PROPOSALS candidates on. The search uses two threads.
Method = Literal["auto", "branch_and_cut", "search"]
Measure = Literal["share", "count"]


# rule_costs' key for the total price of every rule beyond the budgets.
INCLUSIVENESS_TOTAL = "inclusiveness total"

# From this many candidates "auto" uses the search: below it, branch and cut alone closes the gap
# fast, above it, finding good portfolios is what takes the time.
SEARCH_FROM_PROPOSALS = 1000

_SOLVER_NAMES = {
    "branch_and_cut": "HiGHS {version}",
    "search": "HiGHS {version} (branch and cut + neighbourhood search)",
}

_RELAX_HINTS = {
    "budget": "raise the budget",
    "band": "widen the country band",
    "inclusive": "drop the country from the inclusiveness floor",
    "area": "lower the area minimum",
    "track": "widen the track split",
    "organisation": "raise the organisation cap",
    "lead": "allow a lead investigator more than one award",
}


def _frozen(mapping: Mapping[Any, Any] | None) -> Mapping[Any, Any] | None:
    return None if mapping is None else MappingProxyType(dict(mapping))


def _finite_non_negative(field_name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise InvalidInput(field_name, "must be finite and ≥ 0", value=value)


@dataclass(frozen=True, slots=True)
class Band:
    """Bounds on a country's or a track's funded portfolio: ``measure="share"`` bounds the
    fraction (of total funding for a country, of funded projects for a track) in [0, 1],
    ``measure="count"`` the number of funded participations or projects. ``None``: no bound."""

    measure: Measure
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        if self.measure not in ("share", "count"):
            raise InvalidInput("band.measure", "must be 'share' or 'count'")
        for name, value in (("low", self.low), ("high", self.high)):
            if value is None:
                continue
            _finite_non_negative(f"band.{name}", value)
            if self.measure == "share" and value > 1:
                raise InvalidInput(f"band.{name}", "a share must lie in [0, 1]", value=value)
        if self.low is not None and self.high is not None and self.low > self.high:
            raise InvalidInput("band", "low must not exceed high", low=self.low, high=self.high)


@dataclass(frozen=True, slots=True)
class CandidateProposal:
    """One eligible proposal. ``costs`` maps (funder, year) to the amount that funder pays that
    year in the program currency (each funder pays only its own country's teams);
    ``country_funding`` is the total funding to each country's teams; ``merit_interval`` is the
    (lo, hi) uncertainty of ``merit`` used by the lottery, ``None`` if not known."""

    id: str
    merit: float
    merit_interval: tuple[float, float] | None
    costs: Mapping[tuple[str, int], float]
    countries: tuple[str, ...]
    country_funding: Mapping[str, float]
    area: str
    track: str
    organisations: tuple[str, ...]
    lead: str

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidInput("id", "must not be empty")
        if not math.isfinite(self.merit):
            raise InvalidInput("merit", "must be finite", proposal=self.id)
        if self.merit_interval is not None:
            lo, hi = self.merit_interval
            if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
                raise InvalidInput(
                    "merit_interval", "must be finite with lo ≤ hi", proposal=self.id
                )
        for key, amount in self.costs.items():
            _finite_non_negative(f"costs[{key}]", amount)
        for code in self.countries:
            if code not in ISO3_CODES:
                raise InvalidInput("countries", f"unknown country {code!r}", proposal=self.id)
        for code, amount in self.country_funding.items():
            if code not in self.countries:
                raise InvalidInput(
                    "country_funding", f"{code} has no team in the proposal", proposal=self.id
                )
            _finite_non_negative(f"country_funding[{code}]", amount)
        if self.area not in AREA_CODES:
            raise InvalidInput("area", f"unknown priority area {self.area!r}", proposal=self.id)
        object.__setattr__(self, "costs", _frozen(self.costs))
        object.__setattr__(self, "country_funding", _frozen(self.country_funding))
        object.__setattr__(self, "countries", tuple(self.countries))
        object.__setattr__(self, "organisations", tuple(self.organisations))

    @property
    def total_cost(self) -> float:
        return float(sum(self.costs.values()))


@dataclass(frozen=True, slots=True)
class PortfolioRules:
    """The optional rules. ``budgets``: cap per (funder, year); ``funder_totals``: cap per funder
    over all years; ``country_bands``: a :class:`Band` per country; ``inclusive_countries``: each
    must have a team in at least one funded project; ``area_minimums``: funded projects per
    priority area; ``track_bands``: a :class:`Band` per track; ``organisation_cap``: funded
    projects any one organisation takes part in; ``one_award_per_lead``: at most one funded
    project per lead investigator."""

    budgets: Mapping[tuple[str, int], float] | None = None
    funder_totals: Mapping[str, float] | None = None
    country_bands: Mapping[str, Band] | None = None
    inclusive_countries: tuple[str, ...] = ()
    area_minimums: Mapping[str, int] | None = None
    track_bands: Mapping[str, Band] | None = None
    organisation_cap: int | None = None
    one_award_per_lead: bool = False

    def __post_init__(self) -> None:
        for key, cap in (self.budgets or {}).items():
            _finite_non_negative(f"budgets[{key}]", cap)
        for funder, cap in (self.funder_totals or {}).items():
            _finite_non_negative(f"funder_totals[{funder}]", cap)
        for code in (*(self.country_bands or {}), *self.inclusive_countries):
            if code not in ISO3_CODES:
                raise InvalidInput("rules", f"unknown country {code!r}")
        for area, minimum in (self.area_minimums or {}).items():
            if area not in AREA_CODES:
                raise InvalidInput("area_minimums", f"unknown priority area {area!r}")
            if minimum < 0:
                raise InvalidInput(f"area_minimums[{area}]", "must be ≥ 0")
        if self.organisation_cap is not None and self.organisation_cap < 0:
            raise InvalidInput("organisation_cap", "must be ≥ 0")
        for name in ("budgets", "funder_totals", "country_bands", "area_minimums", "track_bands"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "inclusive_countries", tuple(self.inclusive_countries))


@dataclass(frozen=True, slots=True)
class PortfolioProblem:
    """Candidates, rules and the objective, validated together."""

    candidates: tuple[CandidateProposal, ...]
    rules: PortfolioRules = field(default_factory=PortfolioRules)
    objective: Objective = "merit"

    def __post_init__(self) -> None:
        object.__setattr__(self, "candidates", tuple(self.candidates))
        ids = [c.id for c in self.candidates]
        if len(set(ids)) != len(ids):
            raise InvalidInput("candidates", "proposal ids must be unique")
        if self.objective not in ("merit", "merit_per_cost"):
            raise InvalidInput("objective", "must be 'merit' or 'merit_per_cost'")
        if self.objective == "merit_per_cost":
            for c in self.candidates:
                if c.total_cost <= 0:
                    raise InvalidInput(
                        "costs", "merit_per_cost needs a positive total cost", proposal=c.id
                    )


@dataclass(frozen=True, slots=True)
class PortfolioResult:
    """The funded proposals and how good the answer is: ``objective`` is the problem's objective
    at ``selected`` (with the true merits, also after a lottery); ``gap`` the relative gap proven
    against a valid upper bound (HiGHS' or the LP relaxation's); ``seconds`` the solver's run
    time over all solves; ``solver`` the solver, its version and the method; ``binding`` the
    constraint groups a single change (funding one more, or one fewer, proposal) would break."""

    selected: frozenset[str]
    status: str
    objective: float
    gap: float
    seconds: float
    solver: str
    lottery: LotteryRecord | None
    binding: tuple[str, ...]


def solve_portfolio(
    problem: PortfolioProblem,
    *,
    time_limit: float = 10.0,
    gap: float = 1e-4,
    lottery_rng: np.random.Generator | None = None,
    method: Method = "auto",
) -> PortfolioResult:
    """The best portfolio within ``time_limit`` seconds per solve and relative ``gap``.

    With ``lottery_rng``, proposals whose merit interval straddles the funding line are ordered
    by a draw and funded in that order as far as the budgets and every rule allow, everything
    else kept as the optimum decided (:data:`LOTTERY_RULE`,
    :mod:`~nexus_sti.algorithms.portfolio_lottery`); every rule still holds after the draw.
    ``method`` picks the algorithm (see :data:`Method`).
    """
    if lottery_rng is not None and problem.objective != "merit":
        raise InvalidInput("lottery_rng", "the lottery applies to the 'merit' objective only")
    chosen = _method(problem, method)
    model = build_model(problem)
    every = np.ones(len(model.groups), dtype=bool)
    run = _solve_or_raise(model, every, model.objective, time_limit, gap, chosen)
    assert run.x is not None
    x, seconds, proven_gap = run.x, run.seconds, run.gap
    lottery: LotteryRecord | None = None
    if lottery_rng is not None:
        x, lottery, drawing = draw_at_line(problem, model, x, lottery_rng, time_limit)
        seconds += drawing
        proven_gap = _gap_after_draw(model, run, x)
    ids = [c.id for c in problem.candidates]
    return PortfolioResult(
        selected=frozenset(i for i, chosen in zip(ids, x, strict=True) if chosen),
        status=run.status,
        objective=float(model.objective @ x),
        gap=proven_gap,
        seconds=seconds,
        solver=_SOLVER_NAMES[chosen].format(version=solver_version()),
        lottery=lottery,
        binding=model.binding(x),
    )


def rule_costs(
    problem: PortfolioProblem,
    *,
    time_limit: float = 10.0,
    gap: float = 1e-6,
    method: Method = "auto",
) -> dict[str, float]:
    """What each constraint group costs: the objective without that group minus the objective
    with every rule; under :data:`INCLUSIVENESS_TOTAL`, the objective under the budgets alone
    minus the full objective (the total price of every rule beyond the budgets)."""
    chosen = _method(problem, method)
    solve = _SOLVERS[chosen]
    model = build_model(problem)
    every = np.ones(len(model.groups), dtype=bool)
    full_run = _solve_or_raise(model, every, model.objective, time_limit, gap, chosen)
    full = _objective(model, full_run)
    costs: dict[str, float] = {}
    for g, name in enumerate(model.groups):
        keep = every.copy()
        keep[g] = False
        costs[name] = _objective(model, solve(model, keep, model.objective, time_limit, gap))
        costs[name] -= full
    budgets_only = np.array([f == "budget" for f in model.families], dtype=bool)
    relaxed = solve(model, budgets_only, model.objective, time_limit, gap)
    costs[INCLUSIVENESS_TOTAL] = _objective(model, relaxed) - full
    return costs


_SOLVERS = {"branch_and_cut": run_model, "search": search_model}


def _method(problem: PortfolioProblem, method: Method) -> Literal["branch_and_cut", "search"]:
    if method == "auto":
        large = len(problem.candidates) >= SEARCH_FROM_PROPOSALS
        return "search" if large else "branch_and_cut"
    if method not in _SOLVERS:
        raise InvalidInput("method", "must be 'auto', 'branch_and_cut' or 'search'")
    return method


def _gap_after_draw(model: Model, run: ModelRun, x: np.ndarray) -> float:
    """The draw's portfolio against the optimum's proven bound (HiGHS' gap is relative to the
    incumbent: bound = incumbent + gap · |incumbent|)."""
    assert run.x is not None
    best = float(model.objective @ run.x)
    bound = best + run.gap * abs(best)
    drawn = float(model.objective @ x)
    return (bound - drawn) / abs(drawn) if drawn else (0.0 if bound == drawn else math.inf)


def _objective(model: Model, run: ModelRun) -> float:
    assert run.x is not None, "a relaxation of a feasible problem stays feasible"
    return float(model.objective @ run.x)


def _solve_or_raise(
    model: Model,
    keep: np.ndarray,
    objective: np.ndarray,
    time_limit: float,
    gap: float,
    method: Literal["branch_and_cut", "search"],
) -> ModelRun:
    run = _SOLVERS[method](model, keep, objective, time_limit, gap)
    if run.x is not None:
        return run
    if run.status != "infeasible":
        raise Infeasible(
            f"no feasible portfolio found within {time_limit:g} s (solver status {run.status})",
            hint="raise time_limit, or relax the rules",
            status=run.status,
        )
    conflict = _conflicting_groups(model, time_limit)
    raise Infeasible(
        "no portfolio meets these rules together: " + ", ".join(conflict),
        hint="relax one of: "
        + "; ".join(
            f"{name} ({_RELAX_HINTS[model.families[model.groups.index(name)]]})"
            for name in conflict
        ),
        conflict=list(conflict),
    )


def _conflicting_groups(model: Model, time_limit: float) -> tuple[str, ...]:
    """An irreducible infeasible set of constraint groups, by the deletion filter: drop each
    group in turn and re-solve the feasibility problem; a group whose removal leaves it
    infeasible stays dropped. Whole families (all budgets, all bands...) go first, so the
    per-group pass only visits families that take part in the conflict."""
    zero = np.zeros(len(model.objective))
    active = np.ones(len(model.groups), dtype=bool)

    def still_infeasible(trial: np.ndarray) -> bool:
        # A time-out counts as feasible: the group stays, so the answer never loses a culprit.
        return run_model(model, trial, zero, time_limit, 0.0).status == "infeasible"

    families = np.array(model.families)
    for family in dict.fromkeys(model.families):
        trial = active & (families != family)
        if still_infeasible(trial):
            active = trial
    for g in np.flatnonzero(active):
        trial = active.copy()
        trial[g] = False
        if still_infeasible(trial):
            active = trial
    return tuple(model.groups[g] for g in np.flatnonzero(active))
