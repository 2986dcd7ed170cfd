"""Reviewer assignment: which reviewers read which proposal, as a linear program over pairs.

The arrays are indexed by position: ``affinity[p, r]`` is how well reviewer ``r`` suits proposal
``p`` and ``conflicts[p, r]`` forbids the pair. Proposal ``p`` needs exactly ``k[p]`` reviews,
reviewer ``r`` takes at most ``loads[r]``, and each :class:`DiversityRule` asks for at least
``minimum`` reviewers labelled ``group`` on every proposal in its scope. Each reviewer carries at
most one label, so per proposal the groups are disjoint and, together with the proposal's own
row, form a laminar family; the same holds on the reviewer side. A constraint matrix made of two
laminar families is totally unimodular, so the LP relaxation has an integral optimal vertex and
the simplex method finds it. The HiGHS path still checks every value and falls back to a MILP
on the same columns if one is fractional.

Scale comes from column generation. The master LP starts from the best ``candidates`` allowed
reviewers of each proposal (plus the best few of each group a rule asks for). Phase 1 minimises
the uncovered reviews (slack columns) with zero pair costs; if some slack stays after pricing,
the instance is infeasible and the slack names the proposals that cannot be covered together.
Phase 2 fixes the slacks at zero and maximises affinity. After each solve the reduced cost
``a[p, r] - u[p] - v[r] - w[p, group(r)]`` of *every* allowed pair outside the master is computed
from the row duals in numpy; positive ones enter and the LP is solved again from the old basis.
When none is positive the LP optimum over the full matrix is proven
(``AssignmentResult.proven_optimal``).

The plain mode runs on a min-cost flow instead (:mod:`nexus_sti.algorithms.assignment_flow`):
the same candidate columns and the same pricing over the full matrix, with OR-Tools'
``SimpleMinCostFlow`` as the master (integer costs at a resolution of 1e-8 × max affinity), node
potentials from Bellman-Ford on the residual network as the duals, and a weak-duality bound
recomputed in floating point over every allowed pair as the proof: ``proven_optimal`` means the
bound exceeds the objective by at most the rounding allowance ``Σ k × 1e-8 × max affinity`` (plus
1e-9 relative for the float sum). Measured on the benchmark (5,000 × 4,000, k = 3, loads ≤ 6, 2 %
conflicts, two reviewer groups with one reviewer of each per proposal; a shared 2-core machine
under a load average of 3-4, run side by side in one process): HiGHS LP + pricing 7.8-8.3 s (7
LP solves, 82,000 columns), min-cost flow + pricing 5.4-5.6 s (7 flow solves, 138,000 columns,
pricing on two threads; 6.7 s on one), the same optimum. The flow path hands over to the HiGHS
LP when the flow ends with uncovered reviews (the instance is infeasible: the LP's phase 1 names
the proposals) or when OR-Tools rejects the cost range (its slack penalty grows with the square
of the node count); ``solver`` names the one that answered.

``fairness="max_min"`` first maximises the smallest per-proposal total affinity ``t`` (a MILP:
the extra rows break total unimodularity), then maximises total affinity subject to every
proposal keeping at least ``t - fairness_tolerance * max(1, |t|)``. Both phases start from the
plain optimum, run on the columns the plain solve ended with, and share ``time_limit``; the
result is proven optimal only when those columns are every allowed pair and both MILPs finish.

Infeasible inputs raise :class:`AssignmentInfeasible` naming the proposals, the rule and what to
relax. :func:`check_assignment` is the independent checker (it shares no code with the solver),
:func:`swap` applies an officer's manual change through it, :func:`greedy_assignment` is the
baseline the benchmark compares against.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import highspy
import numpy as np

from nexus_sti.algorithms.assignment_flow import solve_flow
from nexus_sti.algorithms.highs import Highs
from nexus_sti.core.errors import Infeasible, InvalidInput

__all__ = [
    "AssignedPair",
    "AssignmentInfeasible",
    "AssignmentResult",
    "DiversityRule",
    "Fairness",
    "SwapOutcome",
    "check_assignment",
    "greedy_assignment",
    "solve_assignment",
    "swap",
]

_HIGHS: Any = Highs
Fairness = Literal["max_min"]
IntSpec = int | Sequence[int] | np.ndarray

# Matches HiGHS's dual feasibility tolerance, scaled by the largest affinity.
_PRICE_TOL = 1e-7
_INTEGRAL_TOL = 1e-6
# Relative round-off allowed in the flow path's dual bound, a float sum over the full matrix.
_SUM_TOL = 1e-9
# Entering columns per proposal and pricing round; enough to converge in a few rounds.
_ENTER_PER_ROUND = 5
_PRICE_CHUNK = 512
# Entering columns per proposal and round in the min-cost-flow path (measured: 10 beats 5 and 20).
_FLOW_ENTER = 10


@dataclass(frozen=True, slots=True)
class DiversityRule:
    """Every proposal in ``proposals`` (``None``: all of them) needs at least ``minimum``
    reviewers whose label is ``group``."""

    group: str
    minimum: int = 1
    proposals: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.minimum < 0:
            raise InvalidInput("diversity.minimum", "must be ≥ 0", group=self.group)
        if self.proposals is not None:
            object.__setattr__(self, "proposals", tuple(int(p) for p in self.proposals))


class AssignedPair(NamedTuple):
    proposal: int
    reviewer: int
    affinity: float


class AssignmentInfeasible(Infeasible, ValueError):
    """No assignment satisfies the rules. ``reason`` is one of ``"capacity"`` (total load below
    total reviews), ``"too_few_reviewers"`` (a proposal has fewer allowed reviewers than ``k``),
    ``"diversity_exceeds_k"``, ``"group_shortage"`` (no or too few allowed reviewers of a group),
    ``"group_capacity"`` (a group's total load is below what its rule needs) or ``"shortage"``
    (a Hall-type shortage found by the phase-1 LP). ``proposals`` lists the proposals that cannot
    be covered; ``group`` the label concerned, if any; ``hint`` what to relax."""

    def __init__(
        self,
        reason: str,
        message: str,
        hint: str,
        *,
        proposals: Sequence[int] | np.ndarray = (),
        group: str | None = None,
        shortfall: int | None = None,
    ) -> None:
        super().__init__(
            message,
            hint,
            reason=reason,
            proposals=[int(p) for p in proposals],
            group=group,
            shortfall=shortfall,
        )
        self.reason = reason
        self.proposals = tuple(int(p) for p in proposals)
        self.group = group
        self.shortfall = shortfall


@dataclass(frozen=True, slots=True)
class AssignmentResult:
    """An assignment and its figures. ``per_proposal`` is each proposal's total affinity,
    ``loads`` each reviewer's number of reviews; ``proven_optimal`` says the objective was proven
    optimal over the full matrix (not just the candidate columns)."""

    pairs: tuple[AssignedPair, ...]
    status: str
    objective: float
    per_proposal: np.ndarray
    min_per_proposal: float
    loads: np.ndarray
    solver: str
    seconds: float
    proven_optimal: bool
    columns: int = 0
    pricing_rounds: int = 0

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Proposal and reviewer index arrays of the pairs."""
        p = np.fromiter((x.proposal for x in self.pairs), dtype=np.int64, count=len(self.pairs))
        r = np.fromiter((x.reviewer for x in self.pairs), dtype=np.int64, count=len(self.pairs))
        return p, r


@dataclass(frozen=True, slots=True)
class SwapOutcome:
    """The pairs after the swap and the rules it breaks; accepted when there are none."""

    pairs: np.ndarray
    violations: tuple[str, ...]

    @property
    def accepted(self) -> bool:
        return not self.violations


@dataclass(frozen=True, slots=True)
class _Spec:
    allowed: np.ndarray  # (P, R) bool: not conflicted and the reviewer has load
    k: np.ndarray  # (P,)
    loads: np.ndarray  # (R,)
    label: np.ndarray  # (R,) index into groups; len(groups) for unlabelled reviewers
    groups: tuple[str, ...]
    need: np.ndarray  # (P, len(groups) + 1) minimum per proposal and group; last column 0


def _per_item(name: str, value: IntSpec, n: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim == 0:
        arr = np.full(n, arr)
    if arr.shape != (n,) or not np.issubdtype(arr.dtype, np.integer) or np.any(arr < 0):
        raise InvalidInput(name, f"must be an integer ≥ 0 or {n} of them")
    return arr.astype(np.int64)


def _spec(
    conflicts: np.ndarray,
    k: IntSpec,
    loads: IntSpec,
    reviewer_groups: Sequence[str | None] | None,
    diversity: Sequence[DiversityRule],
) -> _Spec:
    conflicts = np.asarray(conflicts)
    if conflicts.ndim != 2 or conflicts.dtype != np.bool_:
        raise InvalidInput("conflicts", "must be a 2-d boolean array (proposals × reviewers)")
    n_p, n_r = conflicts.shape
    k_arr, load_arr = _per_item("k", k, n_p), _per_item("loads", loads, n_r)
    if diversity and reviewer_groups is None:
        raise InvalidInput("reviewer_groups", "diversity rules need a label per reviewer")
    labels = [None] * n_r if reviewer_groups is None else list(reviewer_groups)
    raw = [None if g is None else str(g) for g in labels]
    if len(raw) != n_r:
        raise InvalidInput("reviewer_groups", f"needs one label per reviewer ({n_r})")
    names = sorted({g for g in raw if g is not None} | {rule.group for rule in diversity})
    index = {g: i for i, g in enumerate(names)}
    label = np.array([index[g] if g is not None else len(names) for g in raw], dtype=np.int64)
    need = np.zeros((n_p, len(names) + 1), dtype=np.int64)
    for rule in diversity:
        scope = np.arange(n_p) if rule.proposals is None else np.asarray(rule.proposals, int)
        if scope.size and (scope.min() < 0 or scope.max() >= n_p):
            raise InvalidInput("diversity.proposals", "index out of range", group=rule.group)
        column = need[:, index[rule.group]]
        column[scope] = np.maximum(column[scope], rule.minimum)
    allowed = ~conflicts & (load_arr > 0)[None, :]
    return _Spec(allowed, k_arr, load_arr, label, tuple(names), need)


def _check_affinity(affinity: np.ndarray, spec: _Spec) -> np.ndarray:
    a = np.asarray(affinity, dtype=np.float64)
    if a.shape != spec.allowed.shape:
        raise InvalidInput("affinity", f"must have the conflicts' shape {spec.allowed.shape}")
    if not np.all(np.isfinite(a[spec.allowed])):
        raise InvalidInput("affinity", "must be finite wherever a pair is allowed")
    return np.where(spec.allowed, a, 0.0)


def _listed(items: np.ndarray, limit: int = 10) -> str:
    shown = ", ".join(str(int(i)) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _precheck(spec: _Spec) -> None:
    """Raise for the shortages visible without solving, most basic first."""
    total_k, total_load = int(spec.k.sum()), int(spec.loads.sum())
    if total_load < total_k:
        raise AssignmentInfeasible(
            "capacity",
            f"reviewers can take {total_load} reviews in all but proposals need {total_k}",
            "raise reviewer loads, add reviewers or lower k",
            shortfall=total_k - total_load,
        )
    short = np.flatnonzero(spec.allowed.sum(axis=1) < spec.k)
    if short.size:
        p = int(short[0])
        raise AssignmentInfeasible(
            "too_few_reviewers",
            f"proposals {_listed(short)} have fewer unconflicted reviewers than k "
            f"(proposal {p}: {int(spec.allowed[p].sum())} for k={int(spec.k[p])})",
            "add reviewers without conflicts for these proposals or lower their k",
            proposals=short,
        )
    over = np.flatnonzero(spec.need.sum(axis=1) > spec.k)
    if over.size:
        raise AssignmentInfeasible(
            "diversity_exceeds_k",
            f"proposals {_listed(over)} need more reviewers by diversity rules than k allows",
            "lower the diversity minimums or raise k for these proposals",
            proposals=over,
        )
    for g, name in enumerate(spec.groups):
        members = spec.label == g
        available = spec.allowed[:, members].sum(axis=1)
        short = np.flatnonzero(available < spec.need[:, g])
        if short.size:
            p = int(short[0])
            raise AssignmentInfeasible(
                "group_shortage",
                f"proposals {_listed(short)} have too few unconflicted reviewers in group "
                f"{name!r} (proposal {p}: {int(available[p])}, needs {int(spec.need[p, g])})",
                f"add {name!r} reviewers or drop the {name!r} rule for these proposals",
                proposals=short,
                group=name,
            )
        needed, capacity = int(spec.need[:, g].sum()), int(spec.loads[members].sum())
        if capacity < needed:
            raise AssignmentInfeasible(
                "group_capacity",
                f"group {name!r} reviewers can take {capacity} reviews but its rule needs {needed}",
                f"raise the loads of {name!r} reviewers or narrow the rule's proposals",
                proposals=np.flatnonzero(spec.need[:, g]),
                group=name,
                shortfall=needed - capacity,
            )


def _candidates(a: np.ndarray, spec: _Spec, per_proposal: int) -> np.ndarray:
    """Boolean (P, R): each proposal's best allowed reviewers and its best few in every group a
    rule asks for."""
    n_p, n_r = a.shape
    chosen = np.zeros((n_p, n_r), dtype=bool)
    masked = np.where(spec.allowed, a, -np.inf).astype(np.float32)

    def take(sub: np.ndarray, rows: np.ndarray, cols: np.ndarray, count: int) -> None:
        count = min(count, sub.shape[1])
        if count == 0 or sub.shape[0] == 0:
            return
        top = np.argpartition(sub, sub.shape[1] - count, axis=1)[:, -count:]
        ok = np.isfinite(np.take_along_axis(sub, top, axis=1))
        chosen[np.broadcast_to(rows[:, None], top.shape)[ok], cols[top[ok]]] = True

    take(masked, np.arange(n_p), np.arange(n_r), per_proposal)
    for g in range(len(spec.groups)):
        rows = np.flatnonzero(spec.need[:, g])
        cols = np.flatnonzero(spec.label == g)
        if rows.size and cols.size:
            take(masked[np.ix_(rows, cols)], rows, cols, int(spec.need[:, g].max()) + 2)
    return chosen


class _Master:
    """The restricted master LP in HiGHS: rows are proposals (``= k``), reviewers (``≤ load``)
    and one per (proposal, ruled group) (``≥ minimum``); columns are slacks then pairs."""

    def __init__(
        self, a: np.ndarray, spec: _Spec, chosen: np.ndarray, penalty: float, deadline: float
    ) -> None:
        self.a, self.spec, self.deadline = a, spec, deadline
        self.use_affinity = True
        n_p, n_r = a.shape
        self.n_p, self.n_r = n_p, n_r
        div_p, div_g = np.nonzero(spec.need)
        self.div_row = np.full(spec.need.shape, -1, dtype=np.int64)
        self.div_row[div_p, div_g] = n_p + n_r + np.arange(div_p.size)
        n_rows = n_p + n_r + div_p.size
        self.n_slack = n_p + div_p.size
        self.in_master = np.zeros((n_p, n_r), dtype=bool)
        self.col_p = np.zeros(0, dtype=np.int64)
        self.col_r = np.zeros(0, dtype=np.int64)
        h: Any = _HIGHS()
        for option, value in (
            ("output_flag", False),
            ("threads", 1),
            ("random_seed", 0),
            ("mip_rel_gap", 0.0),
        ):
            h.setOptionValue(option, value)
        lp: Any = highspy.HighsLp()
        lp.num_col_ = self.n_slack
        lp.num_row_ = n_rows
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.col_cost_ = np.full(self.n_slack, -penalty)
        lp.col_lower_ = np.zeros(self.n_slack)
        lp.col_upper_ = np.full(self.n_slack, math.inf)
        lp.row_lower_ = np.concatenate((spec.k, np.full(n_r, -math.inf), spec.need[div_p, div_g]))
        lp.row_upper_ = np.concatenate((spec.k, spec.loads, np.full(div_p.size, math.inf)))
        slack_rows = np.concatenate((np.arange(n_p), n_p + n_r + np.arange(div_p.size)))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_ = self.n_slack
        lp.a_matrix_.num_row_ = n_rows
        lp.a_matrix_.start_ = np.arange(self.n_slack + 1, dtype=np.int32)
        lp.a_matrix_.index_ = slack_rows.astype(np.int32)
        lp.a_matrix_.value_ = np.ones(self.n_slack)
        h.passModel(lp)
        self.h = h
        p, r = np.nonzero(chosen)
        self.add(p, r)

    def add(self, p: np.ndarray, r: np.ndarray) -> None:
        if p.size == 0:
            return
        d = self.div_row[p, self.spec.label[r]]
        has = d >= 0
        counts = 2 + has.astype(np.int64)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        index = np.empty(int(counts.sum()), dtype=np.int32)
        index[starts] = p
        index[starts + 1] = self.n_p + r
        index[starts[has] + 2] = d[has]
        cost = self.a[p, r] if self.use_affinity else np.zeros(p.size)
        self.h.addCols(
            p.size, cost, np.zeros(p.size), np.ones(p.size), index.size,
            starts.astype(np.int32), index, np.ones(index.size),
        )  # fmt: skip
        self.in_master[p, r] = True
        self.col_p = np.concatenate((self.col_p, p))
        self.col_r = np.concatenate((self.col_r, r))

    def run(self) -> str:
        # HiGHS's clock runs across calls on one instance, so the limit is the deadline.
        self.h.setOptionValue("time_limit", max(0.1, self.deadline - time.perf_counter()))
        self.h.run()
        status = self.h.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return "optimal"
        if status == highspy.HighsModelStatus.kTimeLimit:
            return "time_limit"
        return str(self.h.modelStatusToString(status)).lower()

    def slack_total(self) -> float:
        return float(self.values()[: self.n_slack].sum())

    def values(self) -> np.ndarray:
        return np.asarray(self.h.getSolution().col_value, dtype=np.float64)

    def price(self, scale: float) -> tuple[np.ndarray, np.ndarray]:
        """Allowed pairs outside the master whose reduced cost is positive, the best
        ``_ENTER_PER_ROUND`` per proposal."""
        y = np.asarray(self.h.getSolution().row_dual, dtype=np.float64)
        u, v = y[: self.n_p], y[self.n_p : self.n_p + self.n_r]
        w = np.where(self.div_row >= 0, y[np.maximum(self.div_row, 0)], 0.0)
        tol = _PRICE_TOL * scale
        found_p, found_r = [], []
        for lo in range(0, self.n_p, _PRICE_CHUNK):
            hi = min(lo + _PRICE_CHUNK, self.n_p)
            gain = self.a[lo:hi] if self.use_affinity else 0.0
            rc = gain - u[lo:hi, None] - v[None, :] - w[lo:hi][:, self.spec.label]
            rc[~self.spec.allowed[lo:hi] | self.in_master[lo:hi]] = -np.inf
            count = min(_ENTER_PER_ROUND, self.n_r)
            top = np.argpartition(-rc, count - 1, axis=1)[:, :count]
            good = np.take_along_axis(rc, top, axis=1) > tol
            rows = np.broadcast_to(np.arange(lo, hi)[:, None], top.shape)
            found_p.append(rows[good])
            found_r.append(top[good])
        return np.concatenate(found_p), np.concatenate(found_r)

    def generate(self, scale: float) -> tuple[str, int]:
        """Solve and price until no column enters; returns the status and the rounds."""
        rounds = 0
        while True:
            status = self.run()
            rounds += 1
            if status != "optimal":
                return status, rounds
            p, r = self.price(scale)
            if p.size == 0:
                return status, rounds
            self.add(p, r)

    def set_costs(self, penalty: float, use_affinity: bool) -> None:
        """Slack columns cost ``penalty`` each; pair columns their affinity or nothing."""
        h, n = self.h, self.col_p.size
        slacks = np.arange(self.n_slack, dtype=np.int32)
        h.changeColsCost(self.n_slack, slacks, np.full(self.n_slack, -penalty))
        cols = np.arange(self.n_slack, self.n_slack + n, dtype=np.int32)
        h.changeColsCost(n, cols, self.a[self.col_p, self.col_r] if use_affinity else np.zeros(n))
        self.use_affinity = use_affinity


def _shortage(master: _Master) -> AssignmentInfeasible:
    x = master.values()
    slack = x[: master.n_slack]
    uncovered = np.flatnonzero(slack[: master.n_p] > 0.5)
    div_p, div_g = np.nonzero(master.spec.need)
    short_div = slack[master.n_p :] > 0.5
    proposals = np.union1d(uncovered, div_p[short_div])
    total = round(float(slack.sum()))
    groups = sorted({master.spec.groups[g] for g in div_g[short_div]})
    where = f" (reviewers of group {', '.join(map(repr, groups))})" if groups else ""
    return AssignmentInfeasible(
        "shortage",
        f"the reviewers that proposals {_listed(proposals)} can use are fully loaded by "
        f"proposals that have no other choice{where}: {total} review(s) cannot be placed",
        "raise the loads of the reviewers these proposals share, add unconflicted reviewers, "
        "or lower k / the diversity minimums for these proposals",
        proposals=proposals,
        group=groups[0] if len(groups) == 1 else None,
        shortfall=total,
    )


def _result(
    a: np.ndarray,
    p: np.ndarray,
    r: np.ndarray,
    *,
    status: str,
    solver: str,
    started: float,
    proven: bool,
    columns: int = 0,
    rounds: int = 0,
) -> AssignmentResult:
    order = np.lexsort((r, p))
    p, r = p[order], r[order]
    aff = a[p, r]
    n_p, n_r = a.shape
    per = np.bincount(p, weights=aff, minlength=n_p)
    loads = np.bincount(r, minlength=n_r)
    per.setflags(write=False)
    loads.setflags(write=False)
    pairs = tuple(
        AssignedPair(int(i), int(j), float(v))
        for i, j, v in zip(p.tolist(), r.tolist(), aff.tolist(), strict=True)
    )
    return AssignmentResult(
        pairs=pairs,
        status=status,
        objective=float(aff.sum()),
        per_proposal=per,
        min_per_proposal=float(per.min()) if n_p else 0.0,
        loads=loads,
        solver=solver,
        seconds=time.perf_counter() - started,
        proven_optimal=proven,
        columns=columns,
        pricing_rounds=rounds,
    )


def solve_assignment(
    affinity: np.ndarray,
    conflicts: np.ndarray,
    *,
    k: IntSpec,
    loads: IntSpec,
    reviewer_groups: Sequence[str | None] | None = None,
    diversity: Sequence[DiversityRule] = (),
    fairness: Fairness | None = None,
    candidates: int = 10,
    time_limit: float = 60.0,
    fairness_tolerance: float = 1e-6,
) -> AssignmentResult:
    """The assignment of maximum total affinity (or, with ``fairness="max_min"``, the fairest
    one, see the module docstring). ``candidates`` is the number of best reviewers per proposal
    the master LP starts from; pricing adds what is missing, so it only affects speed."""
    started = time.perf_counter()
    spec = _spec(conflicts, k, loads, reviewer_groups, diversity)
    a = _check_affinity(affinity, spec)
    _precheck(spec)
    if candidates < 1:
        raise InvalidInput("candidates", "must be ≥ 1")
    chosen = _candidates(a, spec, candidates)
    if fairness is None:
        flow = solve_flow(
            a, spec.allowed, k=spec.k, loads=spec.loads, label=spec.label, need=spec.need,
            chosen=chosen, enter=_FLOW_ENTER, deadline=started + time_limit,
        )  # fmt: skip
        if flow is None and time.perf_counter() > started + time_limit:
            raise RuntimeError("pricing ran past time_limit; raise time_limit")
        if flow is not None and flow.covered:
            slack = flow.tolerance + _SUM_TOL * max(1.0, abs(flow.bound))
            return _result(
                a, flow.proposals, flow.reviewers, status="optimal",
                solver="min-cost-flow+pricing", started=started, proven=flow.gap <= slack,
                columns=flow.columns, rounds=flow.rounds,
            )  # fmt: skip
    scale = max(1.0, float(np.abs(a).max(initial=0.0)))
    # Large enough that no uncovered review pays off while a covering exists; if the LP still
    # leaves slack, a pure feasibility LP decides (and, if it covers, the penalty grows).
    penalty = scale * (a.shape[0] + a.shape[1] + 1)
    master = _Master(a, spec, chosen, penalty, started + time_limit)
    status, rounds = master.generate(scale)
    while status == "optimal" and master.slack_total() > 0.5:
        master.set_costs(1.0, use_affinity=False)
        status, more = master.generate(1.0)
        rounds += more
        if status == "optimal" and master.slack_total() > 0.5:
            raise _shortage(master)
        penalty *= 1e3
        master.set_costs(penalty, use_affinity=True)
        status, more = master.generate(scale)
        rounds += more
    if status != "optimal":
        raise RuntimeError(f"HiGHS stopped with status {status!r}; raise time_limit")
    x = master.values()[master.n_slack :]
    lp_bound = float(master.h.getInfo().objective_function_value)
    solver = "highs-lp+pricing"
    proven = True
    if np.any(np.minimum(np.abs(x), np.abs(1 - x)) > _INTEGRAL_TOL):
        x, mip_status = _integer_fallback(master)
        solver = "highs-milp"
        z = float(master.a[master.col_p, master.col_r] @ x)
        proven = mip_status == "optimal" and z >= lp_bound - _PRICE_TOL * scale * a.shape[0]
    chosen = x > 0.5
    p, r = master.col_p[chosen], master.col_r[chosen]
    if fairness == "max_min":
        return _max_min(master, p, r, started, time_limit, fairness_tolerance, proven)
    return _result(
        a, p, r, status="optimal", solver=solver, started=started, proven=proven,
        columns=master.col_p.size, rounds=rounds,
    )  # fmt: skip


def _integer_fallback(master: _Master) -> tuple[np.ndarray, str]:
    n = master.col_p.size
    cols = np.arange(master.n_slack, master.n_slack + n, dtype=np.int32)
    master.h.changeColsIntegrality(n, cols, np.full(n, 1, dtype=np.uint8))
    status = master.run()
    x = master.values()[master.n_slack :]
    return np.round(x), status


def _max_min(
    master: _Master,
    p0: np.ndarray,
    r0: np.ndarray,
    started: float,
    time_limit: float,
    tolerance: float,
    lp_proven: bool,
) -> AssignmentResult:
    """Phase 1 maximises the smallest per-proposal affinity ``t``; phase 2 the total with every
    proposal at ``t`` or more (less the tolerance). Both MILPs start from the plain optimum."""
    h, n_s, n = master.h, master.n_slack, master.col_p.size
    a_col = master.a[master.col_p, master.col_r]
    cols = np.arange(n_s, n_s + n, dtype=np.int32)
    h.changeColsIntegrality(n, cols, np.full(n, 1, dtype=np.uint8))
    h.changeColsCost(n, cols, np.zeros(n))
    t_col = n_s + n
    h.addCols(1, np.ones(1), np.full(1, -math.inf), np.full(1, math.inf), 0,
              np.zeros(1, np.int32), np.zeros(0, np.int32), np.zeros(0))  # fmt: skip
    order = np.argsort(master.col_p, kind="stable")
    counts = np.bincount(master.col_p, minlength=master.n_p)
    starts = np.concatenate(([0], np.cumsum(counts + 1)[:-1]))
    index = np.empty(n + master.n_p, dtype=np.int32)
    value = np.empty(n + master.n_p)
    slot = np.repeat(starts, counts) + (
        np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    index[slot] = cols[order]
    value[slot] = a_col[order]
    ends = starts + counts
    index[ends] = t_col
    value[ends] = -1.0
    h.addRows(master.n_p, np.zeros(master.n_p), np.full(master.n_p, math.inf), index.size,
              starts.astype(np.int32), index, value)  # fmt: skip
    x0 = np.zeros(n_s + n + 1)
    in_plain = np.zeros((master.n_p, master.n_r), dtype=bool)
    in_plain[p0, r0] = True
    x0[n_s:t_col] = in_plain[master.col_p, master.col_r]
    x0[t_col] = np.bincount(p0, weights=master.a[p0, r0], minlength=master.n_p).min()
    deadline = started + time_limit

    def solve(start: np.ndarray) -> tuple[str, np.ndarray]:
        h.setOptionValue("time_limit", max(1.0, (deadline - time.perf_counter()) / 2))
        h.setSolution(start.size, np.arange(start.size, dtype=np.int32), start)
        status = master.run()
        info = h.getInfo()
        if info.primal_solution_status != 2:
            return status, start
        return status, master.values()

    status1, x1 = solve(x0)
    per = np.bincount(master.col_p, weights=a_col * np.round(x1[n_s:t_col]), minlength=master.n_p)
    t = float(per.min())
    h.setOptionValue("time_limit", max(1.0, deadline - time.perf_counter()))
    h.changeColsCost(1, np.array([t_col], np.int32), np.zeros(1))
    floor = t - tolerance * max(1.0, abs(t))
    h.changeColsBounds(1, np.array([t_col], np.int32), np.array([floor]), np.array([math.inf]))
    h.changeColsCost(n, cols, a_col)
    x1[t_col] = floor
    status2, x2 = solve(np.round(x1))
    chosen = np.round(x2[n_s:t_col]) > 0.5
    complete = bool(np.all(master.in_master == master.spec.allowed))
    proven = lp_proven and complete and status1 == "optimal" and status2 == "optimal"
    return _result(
        master.a, master.col_p[chosen], master.col_r[chosen],
        status="optimal" if status1 == status2 == "optimal" else "time_limit",
        solver="highs-milp max-min", started=started, proven=proven, columns=n,
    )  # fmt: skip


def greedy_assignment(
    affinity: np.ndarray,
    conflicts: np.ndarray,
    *,
    k: IntSpec,
    loads: IntSpec,
    reviewer_groups: Sequence[str | None] | None = None,
    diversity: Sequence[DiversityRule] = (),
) -> AssignmentResult:
    """The baseline: proposals in index order each take their best allowed reviewers with load
    left, first the best of every group a rule asks for, then the best of the rest. It may leave
    proposals short; :func:`check_assignment` says where."""
    started = time.perf_counter()
    spec = _spec(conflicts, k, loads, reviewer_groups, diversity)
    a = _check_affinity(affinity, spec)
    left = spec.loads.copy()
    out_p: list[int] = []
    out_r: list[int] = []
    for p in range(a.shape[0]):
        order = np.argsort(-a[p], kind="stable")
        usable = spec.allowed[p, order] & (left[order] > 0)
        taken: list[int] = []
        for g in np.flatnonzero(spec.need[p]):
            pool = order[usable & (spec.label[order] == g)]
            taken.extend(pool[: spec.need[p, g]].tolist())
        rest = order[usable & ~np.isin(order, taken)]
        taken.extend(rest[: max(0, int(spec.k[p]) - len(taken))].tolist())
        left[taken] -= 1
        out_p.extend([p] * len(taken))
        out_r.extend(taken)
    p_arr, r_arr = np.array(out_p, dtype=np.int64), np.array(out_r, dtype=np.int64)
    complete = not check_assignment(
        np.column_stack((p_arr, r_arr)), conflicts=conflicts, k=k, loads=loads,
        reviewer_groups=reviewer_groups, diversity=diversity,
    )  # fmt: skip
    return _result(
        a, p_arr, r_arr, status="feasible" if complete else "incomplete", solver="greedy",
        started=started, proven=False,
    )  # fmt: skip


def check_assignment(
    pairs: np.ndarray | Sequence[Sequence[float]],
    *,
    conflicts: np.ndarray,
    k: IntSpec,
    loads: IntSpec,
    reviewer_groups: Sequence[str | None] | None = None,
    diversity: Sequence[DiversityRule] = (),
) -> list[str]:
    """Every rule the assignment breaks, as sentences; empty when it is valid. ``pairs`` holds
    (proposal, reviewer[, affinity]) rows; the checker reads the rules directly, not through
    the solver's model."""
    conflicts = np.asarray(conflicts, dtype=bool)
    n_p, n_r = conflicts.shape
    k_arr, load_arr = _per_item("k", k, n_p), _per_item("loads", loads, n_r)
    rows = np.asarray(pairs, dtype=np.float64)
    rows = rows.reshape(0, 2) if rows.size == 0 else rows
    p, r = rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64)
    found: list[str] = []
    bad = (p < 0) | (p >= n_p) | (r < 0) | (r >= n_r)
    found += [f"pair ({i}, {j}) is out of range" for i, j in zip(p[bad], r[bad], strict=True)]
    p, r = p[~bad], r[~bad]
    seen: set[tuple[int, int]] = set()
    for i, j in zip(p.tolist(), r.tolist(), strict=True):
        if (i, j) in seen:
            found.append(f"proposal {i}: reviewer {j} is assigned twice")
        seen.add((i, j))
        if conflicts[i, j]:
            found.append(f"proposal {i}: reviewer {j} has a conflict of interest")
    count = np.bincount(p, minlength=n_p)
    for i in np.flatnonzero(count != k_arr):
        found.append(f"proposal {i}: {count[i]} reviewers assigned, needs exactly {k_arr[i]}")
    load = np.bincount(r, minlength=n_r)
    for j in np.flatnonzero(load > load_arr):
        found.append(f"reviewer {j}: {load[j]} reviews, above the load limit {load_arr[j]}")
    if diversity:
        labels = list(reviewer_groups or [None] * n_r)
        for rule in diversity:
            members = {j for j in range(n_r) if labels[j] == rule.group}
            have = np.zeros(n_p, dtype=np.int64)
            for i, j in seen:
                have[i] += j in members
            scope = range(n_p) if rule.proposals is None else rule.proposals
            for i in scope:
                if have[i] < rule.minimum:
                    found.append(
                        f"proposal {i}: {have[i]} reviewer(s) from group {rule.group!r}, "
                        f"the diversity rule needs {rule.minimum}"
                    )
    return found


def swap(
    pairs: np.ndarray | Sequence[Sequence[float]],
    proposal: int,
    old_reviewer: int,
    new_reviewer: int,
    *,
    conflicts: np.ndarray,
    k: IntSpec,
    loads: IntSpec,
    reviewer_groups: Sequence[str | None] | None = None,
    diversity: Sequence[DiversityRule] = (),
) -> SwapOutcome:
    """Replace ``old_reviewer`` by ``new_reviewer`` on ``proposal`` and check the result; the
    officer's manual change is accepted only when ``violations`` is empty."""
    rows = np.asarray(pairs, dtype=np.float64)
    current = rows[:, :2].astype(np.int64) if rows.size else np.zeros((0, 2), dtype=np.int64)
    hit = np.flatnonzero((current[:, 0] == proposal) & (current[:, 1] == old_reviewer))
    if hit.size == 0:
        message = f"proposal {proposal}: reviewer {old_reviewer} is not assigned to it"
        return SwapOutcome(current, (message,))
    changed = current.copy()
    changed[hit[0], 1] = new_reviewer
    changed.setflags(write=False)
    violations = check_assignment(
        changed, conflicts=conflicts, k=k, loads=loads, reviewer_groups=reviewer_groups,
        diversity=diversity,
    )  # fmt: skip
    return SwapOutcome(changed, tuple(violations))
