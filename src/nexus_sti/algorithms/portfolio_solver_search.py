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
  3. repeatedly, the core proposals of a few budget rows (three yearly budgets, say) are
     freed, the rest fixed at the incumbent, and HiGHS re-optimises: this moves slack
     between the knapsacks that share proposals, which is where the heuristics inside branch
     and cut leave merit behind.

In its last :data:`POLISH_SECONDS` the neighbourhood search polishes the best portfolio with
:class:`_LocalSearch`, a numpy fill-and-swap that spends money the budget rows left unspent.

Once branch and cut's bound stalls (past its root node, see STALL_SECONDS) it is interrupted,
its proven bound kept, and its thread runs a second neighbourhood search, with its own seed and
neighbourhoods of uniformly drawn rows. All stop once the proven gap is at most the one
asked for, at the time limit, or when branch and cut ends on its own (small models: at once,
with a proof of optimality). The reported gap is
``(bound - objective) / |objective|``, as HiGHS reports it, with the bound the lower of the LP
bound and branch and cut's proven bound: both are valid upper bounds, never estimates.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

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
# NEIGHBOURHOOD_REACH times the largest reduced cost in the core, i.e. the rows' core columns
# (fractional or near-zero reduced cost). On the 5,000-proposal benchmark (2 cores, 10 seeds)
# 3 rows of core columns reached 0.1 % in 4-10 s (median 6.5); 2 rows reaching twice as far,
# 9-30 s (median 17, 5 seeds), and 3 rows that far or adaptive sizes just as unevenly.
NEIGHBOURHOOD_ROWS = 3
NEIGHBOURHOOD_REACH = 1.0
# Rows are drawn with weight 1/rows + LOSS_WEIGHT x their share of the merit left in slack.
LOSS_WEIGHT = 1.0
# Share of the time limit for the core MIP, and the most time given to each neighbourhood.
CORE_TIME_SHARE = 0.15
CORE_MAX_SECONDS = 2.0
NEIGHBOURHOOD_SECONDS = 1.0
# Relative slack allowed on a row when checking a portfolio a HiGHS callback hands over.
FEASIBILITY_TOLERANCE = 1e-9
# Branch and cut hands its thread to a second neighbourhood search once its proven bound has
# moved by less than STALL_SHARE of itself in STALL_SECONDS: its root node's cuts are where the
# bound comes from, past them it barely moves (on programme-scale calls) while the portfolios
# still need improving. Small models prove optimality well before the bound stalls that long.
STALL_SECONDS = 1.0
STALL_SHARE = 1e-6
# ... and over at least STALL_CALLS of its callbacks: in the root's cut loop they come a few
# tenths of a second apart, with a new bound nearly every time; in the tree, dozens a second.
STALL_CALLS = 20
# Branch and cut's root heuristics that search sub-MIPs for portfolios, off: the neighbourhood
# search finds better ones sooner, and while they run the root's bound is final but no callback
# comes to hand the thread over.
BRANCH_AND_CUT_OFF = (
    "mip_heuristic_run_rens",
    "mip_heuristic_run_rins",
    "mip_heuristic_run_root_reduced_cost",
    "mip_heuristic_run_feasibility_jump",
)
# The second search draws its budget rows uniformly (LOSS_WEIGHT 0), from its own seed, and
# frees the core columns of SECOND_ROWS rows (as the first: measured best with it).
SECOND_LOSS_WEIGHT = 0.0
SECOND_ROWS = 3
SECOND_REACH = 1.0
# Seed of the neighbourhood draws. What a search finds still depends on how far each solve gets
# in its time, as with any time limit: only an answer within the gap asked for is reproducible.
SEED = 0
# The fill-and-swap polish of the best portfolio, in the last POLISH_SECONDS of the search: the
# slack it allows on a row (the independent checker's, halved), the least rise in the objective
# it counts as one, how many unblocked proposals a swap refills from and from how many of the
# best of them it starts.
POLISH_SECONDS = 1.0
LOCAL_TOLERANCE = 1e-9
GAIN_TOLERANCE = 1e-9
SWAP_CANDIDATES = 40
SWAP_FIRSTS = 3


def relative_gap(bound: float, value: float) -> float:
    """HiGHS' relative gap of a maximisation: bound minus objective over the objective."""
    if bound - value <= 1e-9 * max(1.0, abs(value)):
        return 0.0
    return (bound - value) / abs(value) if value != 0 else math.inf


@dataclass(frozen=True, slots=True)
class _Relaxation:
    """What the LP optimum tells the neighbourhood searches: each proposal's ``reduced`` cost
    and the largest in the core (``scale``), how many proposals a neighbourhood frees at most
    (``size``), the budget ``rows`` and what the LP pays for each row's slack (``dual``)."""

    reduced: np.ndarray
    scale: float
    size: int
    rows: np.ndarray
    dual: np.ndarray


class _Race:
    """What the searches share: the best portfolio, the best proven bound, the LP optimum, and
    the signals to stop. Branch and cut's callbacks and the second search run on their own
    thread, hence the lock."""

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
        # Branch and cut ended on its own (a proof, the gap asked for, the time limit), or
        # stalled and handed its thread over; its proven bound stays in ``bound`` either way.
        self.finished = False
        self.stalled = False
        self.moved_bound = math.inf
        self.moved_at = 0.0
        self.calls_since_moved = 0
        self.for_branch_and_cut: np.ndarray | None = None
        self.relaxation: _Relaxation | None = None
        self.relaxed = threading.Event()

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

    def _bound_stalled(self, bound: float) -> bool:
        """Whether branch and cut's proven bound has moved by less than STALL_SHARE of itself
        in the last STALL_SECONDS."""
        if not math.isfinite(bound):
            return False
        now = time.perf_counter()
        if bound < self.moved_bound - STALL_SHARE * max(1.0, abs(bound)):
            self.moved_bound, self.moved_at, self.calls_since_moved = bound, now, 0
            return False
        self.calls_since_moved += 1
        return now - self.moved_at >= STALL_SECONDS and self.calls_since_moved >= STALL_CALLS

    # Branch and cut's callbacks.
    def on_interrupt(self, event: Any) -> None:
        bound = float(event.data_out.mip_dual_bound)
        self.tighten(bound)
        if self.stop or self.gap() <= self.target:
            event.interrupt()
        elif self._bound_stalled(bound):
            self.stalled = True
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
    """The best portfolio the searches find in ``time_limit`` seconds, stopping early once the
    proven gap is at most ``gap``; the same contract as
    :func:`~nexus_sti.algorithms.portfolio_model.run_model`."""
    if len(objective) == 0:
        return run_model(model, keep, objective, time_limit, gap)
    started = time.perf_counter()
    race = _Race(model, keep, objective, gap)
    branch_and_cut = highs_for(model, keep, objective, time_limit, gap)
    for option in BRANCH_AND_CUT_OFF:
        branch_and_cut.setOptionValue(option, False)
    branch_and_cut.cbMipInterrupt.subscribe(race.on_interrupt)
    branch_and_cut.cbMipImprovingSolution.subscribe(race.on_improving)
    branch_and_cut.cbMipUserSolution.subscribe(race.on_user_solution)
    failures: list[BaseException] = []

    def second_thread() -> None:
        try:
            branch_and_cut.run()
            race.finished = not race.stalled
            if race.stalled:
                race.relaxed.wait(max(0.0, time_limit - (time.perf_counter() - started)))
                _improve(
                    model,
                    keep,
                    race,
                    time_limit,
                    gap,
                    started,
                    seed=SEED + 1,
                    loss_weight=SECOND_LOSS_WEIGHT,
                    rows=SECOND_ROWS,
                    reach=SECOND_REACH,
                    reserve=0.1,
                )
        except BaseException as error:  # handed to the caller's thread below
            failures.append(error)
            race.stop = True

    thread = threading.Thread(target=second_thread, daemon=True)
    thread.start()
    try:
        _neighbourhood_search(model, keep, race, time_limit, gap, started)
    except BaseException:
        race.stop = True
        raise
    finally:
        # Unless the search failed, branch and cut goes on to its own end (the gap asked for,
        # a proof, the time limit) or to its stall, and the second search to the time limit.
        thread.join()
    if failures:
        raise failures[0]
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


def _local_solver(
    model: Model,
    keep: np.ndarray,
    race: _Race,
    time_limit: float,
    done: Callable[[], bool],
) -> Any:
    """A HiGHS instance for neighbourhoods: it stops when ``done`` says so and offers each
    portfolio it finds to the race."""
    local = highs_for(model, keep, race.objective, time_limit, 0.0)

    def on_local_interrupt(event: Any) -> None:
        if done():
            event.interrupt()

    def on_local_improving(event: Any) -> None:
        race.offer(np.asarray(event.data_out.mip_solution) > 0.5, to_branch_and_cut=True)

    local.cbMipInterrupt.subscribe(on_local_interrupt)
    local.cbMipImprovingSolution.subscribe(on_local_improving)
    return local


def _neighbourhood_search(
    model: Model,
    keep: np.ndarray,
    race: _Race,
    time_limit: float,
    gap: float,
    started: float,
) -> None:
    """The LP, the core MIP, neighbourhoods, and the polish at the end (see the module's
    docstring). The LP optimum goes to the race for the second search."""
    try:
        if not _solve_core(model, keep, race, time_limit, gap, started):
            return  # infeasible, or no LP optimum in time: branch and cut alone decides
    finally:
        race.relaxed.set()
    _improve(
        model,
        keep,
        race,
        time_limit,
        gap,
        started,
        seed=SEED,
        loss_weight=LOSS_WEIGHT,
        rows=NEIGHBOURHOOD_ROWS,
        reach=NEIGHBOURHOOD_REACH,
        reserve=POLISH_SECONDS,
    )
    # Polishing every incumbent as it comes measured worse: it leads the neighbourhoods into a
    # local optimum they cannot leave. Once, on the best portfolio, it recovers unspent money.
    if race.x is not None and not _done(race, time_limit, gap, started):
        with race.lock:
            best = race.x
        polish = _LocalSearch(model, keep, race.objective)
        race.offer(polish.improve(best, started + time_limit), to_branch_and_cut=True)


def _done(race: _Race, time_limit: float, gap: float, started: float) -> bool:
    left = time_limit - (time.perf_counter() - started)
    return race.stop or race.finished or left <= 0.1 or race.gap() <= gap


def _solve_core(
    model: Model,
    keep: np.ndarray,
    race: _Race,
    time_limit: float,
    gap: float,
    started: float,
) -> bool:
    """Solve the LP relaxation and then the core MIP for a first portfolio; whether the LP had
    an optimum."""
    n = len(race.objective)
    relaxation = highs_for(model, keep, race.objective, time_limit, gap, relax=True)
    relaxation.run()
    if status_name(relaxation) != "optimal":
        return False
    solution = relaxation.getSolution()
    x_lp = np.asarray(solution.col_value)
    reduced = np.abs(np.asarray(solution.col_dual))
    race.tighten(float(relaxation.getInfo().objective_function_value))

    fractional = (x_lp > 1e-6) & (x_lp < 1 - 1e-6)
    core_size = min(n, max(CORE_MIN_COLUMNS, int(CORE_SHARE * n)))
    scale = float(np.partition(reduced, core_size - 1)[core_size - 1])
    core = fractional | (reduced <= scale)
    dual = np.zeros(len(model.upper))
    dual[np.flatnonzero(keep[model.row_group])] = np.abs(np.asarray(solution.row_dual))
    race.relaxation = _Relaxation(
        reduced=reduced,
        scale=scale,
        size=min(n, max(CORE_MIN_COLUMNS, int(NEIGHBOURHOOD_SHARE * n))),
        rows=_budget_rows(model, keep),
        dual=dual,
    )
    race.relaxed.set()

    local = _local_solver(
        model, keep, race, time_limit, lambda: _done(race, time_limit, gap, started)
    )
    fixed = np.round(x_lp)
    lower, upper = np.where(core, 0.0, fixed), np.where(core, 1.0, fixed)
    left = time_limit - (time.perf_counter() - started)
    _run_within(
        local, lower, upper, None, min(CORE_TIME_SHARE * time_limit, CORE_MAX_SECONDS, left), race
    )
    return True


def _improve(
    model: Model,
    keep: np.ndarray,
    race: _Race,
    time_limit: float,
    gap: float,
    started: float,
    *,
    seed: int,
    loss_weight: float,
    rows: int,
    reach: float,
    reserve: float,
) -> None:
    """Re-optimise neighbourhoods of the race's best portfolio until ``reserve`` seconds are
    left (or the race is done): the proposals of ``rows`` budget rows drawn with ``loss_weight``
    (see LOSS_WEIGHT) whose reduced cost is at most ``reach`` times the core's largest."""
    relaxation = race.relaxation
    if relaxation is None:
        return

    def left() -> float:
        return time_limit - (time.perf_counter() - started)

    def done() -> bool:
        return _done(race, time_limit, gap, started)

    local = _local_solver(model, keep, race, time_limit, done)
    near = relaxation.reduced <= reach * relaxation.scale
    rng = np.random.default_rng(seed)
    while race.x is not None and not done() and left() > reserve:
        incumbent = race.x
        losses = _row_losses(model, relaxation.rows, relaxation.dual, incumbent)
        free = _neighbourhood(
            model, relaxation.rows, rows, losses, loss_weight, near, relaxation.size, rng
        )
        lower = incumbent.astype(float)
        upper = lower.copy()
        lower[free], upper[free] = 0.0, 1.0
        limit = min(NEIGHBOURHOOD_SECONDS, left() - reserve)
        _run_within(local, lower, upper, incumbent, limit, race)


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
    count: int,
    losses: np.ndarray,
    loss_weight: float,
    near: np.ndarray,
    size: int,
    rng: np.random.Generator,
) -> np.ndarray:
    candidates = np.flatnonzero(near)
    if len(rows) > 0:
        weight = 1.0 / len(rows) + loss_weight * losses / max(losses.sum(), 1e-12)
        picked = rng.choice(
            rows, size=min(count, len(rows)), replace=False, p=weight / weight.sum()
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


class _LocalSearch:
    """A fast "fill and swap" search on the kept rows, in numpy: it never breaks a kept row and
    never lowers the objective.

    *Fill* adds every unfunded proposal that still fits every row, best objective first. After
    a fill, every unfunded proposal is *blocked* by some rows; taking out a funded proposal can
    unblock only those whose blocking rows it touches, so a *swap* tries each funded proposal
    against just those, adds back the best that fit (one, two or more) and keeps the exchange
    when the objective rises. Budget money left unspent by branch and cut is mostly recovered
    this way: a cheap, weak project makes room for one or two better ones.

    Columns are held padded to the longest one (``rows`` and ``values``, one line per column),
    the padding pointing at an extra row without bounds, so a batch of columns is checked in
    one numpy expression."""

    def __init__(self, model: Model, keep: np.ndarray, objective: np.ndarray) -> None:
        kept = np.flatnonzero(keep[model.row_group])
        n, m = len(objective), len(kept)
        matrix = sp.csr_matrix(
            (model.value, model.index, model.start), shape=(len(model.upper), n)
        )[kept].tocsc()
        matrix.sort_indices()
        lengths = np.diff(matrix.indptr)
        width = max(1, int(lengths.max(initial=0)))
        col_of = np.repeat(np.arange(n), lengths)
        slot = np.arange(len(matrix.indices)) - np.repeat(matrix.indptr[:-1], lengths)
        self.rows = np.full((n, width), m, dtype=np.int64)
        self.values = np.zeros((n, width))
        self.rows[col_of, slot] = matrix.indices
        self.values[col_of, slot] = matrix.data
        self.matrix = matrix
        self.objective = objective
        lower, upper = model.lower[kept], model.upper[kept]
        # The slack a row may take beyond its bound: the independent checker's, halved.
        self.upper = np.append(upper + 0.5 * LOCAL_TOLERANCE * np.maximum(1.0, np.abs(upper)), 0)
        self.lower = np.append(lower - 0.5 * LOCAL_TOLERANCE * np.maximum(1.0, np.abs(lower)), 0)

    def slacks(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Room left below each row's upper bound and above its lower bound (the padding row:
        unlimited)."""
        activity = np.append(self.matrix @ x.astype(float), 0.0)
        above, below = self.upper - activity, activity - self.lower
        above[-1] = below[-1] = math.inf
        return above, below

    def feasible(self, x: np.ndarray) -> bool:
        above, below = self.slacks(x)
        return bool((above >= 0).all() and (below >= 0).all())

    def _fitting(self, cols: np.ndarray, above: np.ndarray, below: np.ndarray) -> np.ndarray:
        r, v = self.rows[cols], self.values[cols]
        return np.asarray(((v <= above[r]) & (-v <= below[r])).all(axis=-1))

    def _move(self, j: int, sign: float, above: np.ndarray, below: np.ndarray) -> None:
        r, v = self.rows[j], sign * self.values[j]
        above[r] -= v
        below[r] += v

    def _blocking(self, x: np.ndarray, above: np.ndarray, below: np.ndarray) -> np.ndarray:
        """Per column slot: whether it blocks its unfunded, worthwhile column."""
        blocking = (self.values > above[self.rows]) | (-self.values > below[self.rows])
        blocking &= (~x & (self.objective > 0))[:, None]
        return np.asarray(blocking)

    def fill(self, x: np.ndarray, above: np.ndarray, below: np.ndarray) -> None:
        """Add, best objective first, every unfunded proposal that fits (in place)."""
        free = np.flatnonzero(~x & (self.objective > 0))
        free = free[self._fitting(free, above, below)]
        for j in free[np.argsort(-self.objective[free], kind="stable")]:
            if self._fitting(j, above, below):
                self._move(j, 1.0, above, below)
                x[j] = True

    def improve(self, start: np.ndarray, deadline: float) -> np.ndarray:
        """A portfolio at least as good as the feasible ``start``: fill, then swaps (each
        followed by a fill) until none helps or the clock passes ``deadline``."""
        x = start.copy()
        above, below = self.slacks(x)
        if (above < 0).any() or (below < 0).any():
            return start
        self.fill(x, above, below)
        improved = True
        while improved and time.perf_counter() < deadline:
            improved = self._swap_pass(x, above, below, deadline)
        return x

    def _blocked_by_row(
        self, x: np.ndarray, above: np.ndarray, below: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How many rows block each column, and the blocked columns of each row (CSR)."""
        blocking = self._blocking(x, above, below)
        col, slot = np.nonzero(blocking)
        count = np.bincount(col, minlength=len(x))
        row = self.rows[col, slot]
        order = np.argsort(row, kind="stable")
        row_start = np.searchsorted(row[order], np.arange(len(above) + 1))
        return count, col[order], row_start

    def _swap_pass(
        self, x: np.ndarray, above: np.ndarray, below: np.ndarray, deadline: float
    ) -> bool:
        n = len(x)
        count, blocked_col, row_start = self._blocked_by_row(x, above, below)
        improved = False
        funded = np.flatnonzero(x)
        for i in funded[np.argsort(self.objective[funded], kind="stable")]:
            if time.perf_counter() > deadline:
                break
            if not x[i]:
                continue
            hit = np.concatenate(
                [blocked_col[row_start[r] : row_start[r + 1]] for r in self.rows[i]]
            )
            hits = np.bincount(hit, minlength=n)
            candidates = np.flatnonzero((hits == count) & (count > 0))
            if len(candidates) == 0:
                continue
            if self._exchange(x, i, candidates, above, below):
                improved = True
                self.fill(x, above, below)
                count, blocked_col, row_start = self._blocked_by_row(x, above, below)
        return improved

    def _exchange(
        self,
        x: np.ndarray,
        i: int,
        candidates: np.ndarray,
        above: np.ndarray,
        below: np.ndarray,
    ) -> bool:
        """Take ``i`` out and add back, best first, the candidates that then fit, starting from
        each of the few best in turn; keep the best exchange if it raises the objective."""
        self._move(i, -1.0, above, below)
        candidates = candidates[self._fitting(candidates, above, below)]
        value = self.objective[candidates]
        best: list[int] = []
        best_gain = self.objective[i] + GAIN_TOLERANCE
        if value.sum() > best_gain:
            candidates = candidates[np.argsort(-value, kind="stable")][:SWAP_CANDIDATES]
            rows_i = self.rows[i]
            for first in range(min(SWAP_FIRSTS, len(candidates))):
                added: list[int] = []
                gain = 0.0
                for j in candidates[first:]:
                    if self._fitting(j, above, below):
                        self._move(j, 1.0, above, below)
                        added.append(j)
                        gain += self.objective[j]
                ok = bool((above[rows_i] >= 0).all() and (below[rows_i] >= 0).all())
                if ok and gain > best_gain:
                    best, best_gain = added, gain
                for j in added:
                    self._move(j, -1.0, above, below)
        if not best:
            self._move(i, 1.0, above, below)
            return False
        x[i] = False
        for j in best:
            self._move(j, 1.0, above, below)
            x[j] = True
        return True
