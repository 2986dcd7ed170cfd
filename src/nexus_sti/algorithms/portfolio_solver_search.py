"""Large portfolios: HiGHS' branch and cut for the bound, a neighbourhood search for portfolios.

On a programme-scale call HiGHS' branch and cut proves a good bound early but finds good
portfolios slowly: the yearly budgets are dozens of knapsacks that every proposal touches
several of at once, and its heuristics leave a few units of slack in each. So two searches run
side by side, one thread each (branch and cut spends most of its time in HiGHS, which releases
the interpreter):

* branch and cut on the whole model, as :func:`~nexus_sti.algorithms.portfolio_model.run_model`
  runs it; it is handed every better portfolio the other search finds, and reports its proven
  bound as it goes;
* a large-neighbourhood search around the LP optimum:

  1. the LP relaxation gives a bound and each proposal's reduced cost;
  2. the *core* — the fractional proposals and those with the smallest reduced costs, where the
     optimum and the LP disagree — is solved as a MIP with everything else fixed at the LP's
     value, for a first portfolio;
  3. repeatedly, the proposals of a few budget rows (two yearly budgets, say) whose reduced
     cost is small are freed, the rest fixed at the incumbent, and HiGHS re-optimises: this
     moves slack between the knapsacks that share proposals, which is where the heuristics
     inside branch and cut leave merit behind.

Both stop once the proven gap is at most the one asked for, at the time limit, or when branch
and cut ends (small models: at once, with a proof of optimality). The reported gap is
``(bound - objective) / |objective|``, as HiGHS reports it, with the bound the lower of the LP
bound and branch and cut's proven bound: both are valid upper bounds, never estimates.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import highspy
import numpy as np

from nexus_sti.algorithms.portfolio_model import (
    Model,
    ModelRun,
    highs_for,
    run_model,
    status_name,
)

# Share of the columns in the core (at least CORE_MIN_COLUMNS) and at most in a neighbourhood.
CORE_SHARE = 0.2
CORE_MIN_COLUMNS = 200
NEIGHBOURHOOD_SHARE = 0.12
# A neighbourhood: the columns of this many budget rows whose reduced cost is at most
# NEIGHBOURHOOD_REACH times the largest reduced cost in the core.
NEIGHBOURHOOD_ROWS = 2
NEIGHBOURHOOD_REACH = 2.0
# Rows are drawn with weight 1/rows + LOSS_WEIGHT x their share of the merit left in slack.
LOSS_WEIGHT = 1.0
# Share of the time limit for the core MIP, and the most time given to each neighbourhood.
CORE_TIME_SHARE = 0.15
CORE_MAX_SECONDS = 2.0
NEIGHBOURHOOD_SECONDS = 1.0
# Relative slack allowed on a row when checking a portfolio a HiGHS callback hands over.
FEASIBILITY_TOLERANCE = 1e-9
# Seed of the neighbourhood draws. What a search finds still depends on how far each solve gets
# in its time, as with any time limit: only an answer within the gap asked for is reproducible.
SEED = 0


def relative_gap(bound: float, value: float) -> float:
    """HiGHS' relative gap of a maximisation: bound minus objective over the objective."""
    if bound - value <= 1e-9 * max(1.0, abs(value)):
        return 0.0
    return (bound - value) / abs(value) if value != 0 else math.inf


class _Race:
    """What the two searches share: the best portfolio, the best proven bound, and the signal
    to stop. Branch and cut's callbacks run on its own thread, hence the lock."""

    def __init__(self, model: Model, keep: np.ndarray, objective: np.ndarray, gap: float) -> None:
        self.model = model
        self.target = gap
        self.rows = keep[model.row_group]
        self.objective = objective
        self.lock = threading.Lock()
        self.x: np.ndarray | None = None
        self.value = -math.inf
        self.bound = math.inf
        self.stop = False
        self.for_branch_and_cut: np.ndarray | None = None

    def offer(self, x: np.ndarray, *, to_branch_and_cut: bool) -> bool:
        """Take ``x`` if it is a better portfolio that keeps every kept row (a callback's
        solution is checked rather than trusted)."""
        if x.shape != self.objective.shape or not self._feasible(x):
            return False
        value = float(self.objective @ x)
        with self.lock:
            if value <= self.value:
                return False
            self.x, self.value = x, value
            if to_branch_and_cut:
                self.for_branch_and_cut = x
            return True

    def _feasible(self, x: np.ndarray) -> bool:
        m = self.model
        lengths = np.diff(m.start)
        row_of = np.repeat(np.arange(len(lengths)), lengths)
        activity = np.bincount(row_of, weights=m.value * x[m.index], minlength=len(lengths))
        slack = FEASIBILITY_TOLERANCE * np.maximum(1.0, np.abs(activity))
        broken = (activity > m.upper + slack) | (activity < m.lower - slack)
        return not bool((broken & self.rows).any())

    def tighten(self, bound: float) -> None:
        if math.isfinite(bound):
            with self.lock:
                self.bound = min(self.bound, bound)

    def gap(self) -> float:
        return relative_gap(self.bound, self.value) if self.x is not None else math.inf

    # Branch and cut's callbacks.
    def on_interrupt(self, event: Any) -> None:
        self.tighten(float(event.data_out.mip_dual_bound))
        if self.stop or self.gap() <= self.target:
            event.interrupt()

    def on_improving(self, event: Any) -> None:
        self.offer(np.asarray(event.data_out.mip_solution) > 0.5, to_branch_and_cut=False)

    def on_user_solution(self, event: Any) -> None:
        with self.lock:
            x, self.for_branch_and_cut = self.for_branch_and_cut, None
        if x is not None:
            event.data_in.setSolution(x.astype(float))
            event.data_in.user_has_solution = True


def search_model(
    model: Model, keep: np.ndarray, objective: np.ndarray, time_limit: float, gap: float
) -> ModelRun:
    """The best portfolio the two searches find in ``time_limit`` seconds, stopping early once
    the proven gap is at most ``gap``; the same contract as
    :func:`~nexus_sti.algorithms.portfolio_model.run_model`."""
    if len(objective) == 0:
        return run_model(model, keep, objective, time_limit, gap)
    started = time.perf_counter()
    race = _Race(model, keep, objective, gap)
    branch_and_cut = highs_for(model, keep, objective, time_limit, gap)
    branch_and_cut.cbMipInterrupt.subscribe(race.on_interrupt)
    branch_and_cut.cbMipImprovingSolution.subscribe(race.on_improving)
    branch_and_cut.cbMipUserSolution.subscribe(race.on_user_solution)
    thread = branch_and_cut.startSolve()
    try:
        _neighbourhood_search(model, keep, race, time_limit, gap, started, thread)
    except BaseException:
        race.stop = True
        raise
    finally:
        # Unless the search failed, branch and cut goes on to its own end: the gap asked for
        # (its callback checks the race's), a proof, or the time limit.
        branch_and_cut.joinSolve(thread)
    seconds = time.perf_counter() - started
    status = status_name(branch_and_cut)
    if status == "infeasible":
        return ModelRun(status, None, math.inf, seconds)
    info = branch_and_cut.getInfo()
    if info.primal_solution_status == 2:  # 2: a feasible solution exists
        race.offer(
            np.asarray(branch_and_cut.getSolution().col_value) > 0.5, to_branch_and_cut=False
        )
    race.tighten(float(info.mip_dual_bound))
    if race.x is None:
        return ModelRun("time_limit", None, math.inf, seconds)
    achieved = race.gap()
    return ModelRun("optimal" if achieved <= gap else "time_limit", race.x, achieved, seconds)


def _neighbourhood_search(
    model: Model,
    keep: np.ndarray,
    race: _Race,
    time_limit: float,
    gap: float,
    started: float,
    rival: threading.Thread,
) -> None:
    def left() -> float:
        return time_limit - (time.perf_counter() - started)

    def done() -> bool:
        return not rival.is_alive() or left() <= 0.1 or race.gap() <= gap

    n = len(race.objective)
    relaxation = highs_for(model, keep, race.objective, time_limit, gap, relax=True)
    relaxation.run()
    if status_name(relaxation) != "optimal":
        return  # infeasible, or no LP optimum in time: branch and cut alone decides
    solution = relaxation.getSolution()
    x_lp = np.asarray(solution.col_value)
    reduced = np.abs(np.asarray(solution.col_dual))
    race.tighten(float(relaxation.getInfo().objective_function_value))

    local = highs_for(model, keep, race.objective, time_limit, 0.0)

    def on_local_interrupt(event: Any) -> None:
        if done():
            event.interrupt()

    def on_local_improving(event: Any) -> None:
        race.offer(np.asarray(event.data_out.mip_solution) > 0.5, to_branch_and_cut=True)

    local.cbMipInterrupt.subscribe(on_local_interrupt)
    local.cbMipImprovingSolution.subscribe(on_local_improving)
    fractional = (x_lp > 1e-6) & (x_lp < 1 - 1e-6)
    core_size = min(n, max(CORE_MIN_COLUMNS, int(CORE_SHARE * n)))
    scale = float(np.partition(reduced, core_size - 1)[core_size - 1])
    core = fractional | (reduced <= scale)
    fixed = np.round(x_lp)
    lower, upper = np.where(core, 0.0, fixed), np.where(core, 1.0, fixed)
    core_seconds = min(CORE_TIME_SHARE * time_limit, CORE_MAX_SECONDS, left())
    _run_within(local, lower, upper, None, core_seconds, race)

    size = min(n, max(CORE_MIN_COLUMNS, int(NEIGHBOURHOOD_SHARE * n)))
    near = reduced <= NEIGHBOURHOOD_REACH * scale
    rows = _budget_rows(model, keep)
    dual = np.zeros(len(model.upper))
    dual[np.flatnonzero(keep[model.row_group])] = np.abs(np.asarray(solution.row_dual))
    rng = np.random.default_rng(SEED)
    while race.x is not None and not done():
        incumbent = race.x
        free = _neighbourhood(
            model, rows, _row_losses(model, rows, dual, incumbent), near, size, rng
        )
        lower = incumbent.astype(float)
        upper = lower.copy()
        lower[free], upper[free] = 0.0, 1.0
        _run_within(local, lower, upper, incumbent, min(NEIGHBOURHOOD_SECONDS, left()), race)


def _budget_rows(model: Model, keep: np.ndarray) -> np.ndarray:
    """The kept rows of the budget groups: the knapsacks."""
    budget = np.array([family == "budget" for family in model.families], dtype=bool)
    return np.flatnonzero(keep[model.row_group] & budget[model.row_group])


def _row_losses(model: Model, rows: np.ndarray, dual: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Merit each row leaves on the table at ``x`` as the LP prices it: dual times slack."""
    losses = np.zeros(len(rows))
    for k, r in enumerate(rows):
        span = slice(model.start[r], model.start[r + 1])
        activity = float(model.value[span] @ x[model.index[span]])
        slack = min(model.upper[r] - activity, activity - model.lower[r])
        losses[k] = dual[r] * slack
    return losses


def _neighbourhood(
    model: Model,
    rows: np.ndarray,
    losses: np.ndarray,
    near: np.ndarray,
    size: int,
    rng: np.random.Generator,
) -> np.ndarray:
    candidates = np.flatnonzero(near)
    if len(rows) > 0:
        weight = 1.0 / len(rows) + LOSS_WEIGHT * losses / max(losses.sum(), 1e-12)
        picked = rng.choice(
            rows, size=min(NEIGHBOURHOOD_ROWS, len(rows)), replace=False, p=weight / weight.sum()
        )
        columns = np.unique(
            np.concatenate([model.index[model.start[r] : model.start[r + 1]] for r in picked])
        )
        candidates = columns[near[columns]]
    if len(candidates) > size:
        candidates = rng.choice(candidates, size=size, replace=False)
    return candidates


def _run_within(
    h: Any,
    lower: np.ndarray,
    upper: np.ndarray,
    start: np.ndarray | None,
    limit: float,
    race: _Race,
) -> None:
    """Re-optimise within the column bounds from ``start``; offer what it finds to the race."""
    n = len(lower)
    h.changeColsBounds(n, np.arange(n, dtype=np.int32), lower, upper)
    h.setOptionValue("time_limit", max(0.05, limit))
    if start is not None:
        hint: Any = highspy.HighsSolution()
        hint.col_value = start.astype(float)
        h.setSolution(hint)
    h.run()
    if h.getInfo().primal_solution_status == 2:  # 2: a feasible solution exists
        race.offer(np.asarray(h.getSolution().col_value) > 0.5, to_branch_and_cut=True)
