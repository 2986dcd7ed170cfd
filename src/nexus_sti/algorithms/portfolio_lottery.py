"""The lottery at the funding line: among proposals whose quality cannot be told apart, the draw
decides who is funded (partial randomisation, as the Swiss National Science Foundation does).

The rule (:data:`LOTTERY_RULE`, recorded with every decision):

1. The optimum with the true merits sets the funding line (the lowest merit it funds). The
   proposals whose merit interval straddles the line form the lottery group; their order is drawn
   with the caller's generator.
2. Every proposal outside the group keeps the optimum's decision, so the group gets the money and
   the places the optimum left to it, not a number of seats: fixing a number of seats would make
   the cheapest members the only ones that fit, which is the bias the draw is there to remove.
3. A member that every portfolio keeping the rules must fund (given step 2) is funded whatever
   its place in the draw, and recorded as forced in.
4. The other members are taken in the drawn order. Each is funded when some portfolio with it,
   with the members funded before it and without those skipped before it still keeps every rule
   and budget (a feasibility solve with HiGHS, skipped when adding the member to a known valid
   portfolio already keeps every rule); otherwise it is skipped, with the constraint groups that
   adding it to the portfolio at its turn would break.

Money the draw leaves unspent (a member skipped because it did not fit) is not re-allocated to
proposals below the group. The solve after the draw keeps every rule, because each step keeps a
valid portfolio in hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from nexus_sti.algorithms.portfolio_model import Model, highs_for, status_name

if TYPE_CHECKING:
    from nexus_sti.algorithms.portfolio import PortfolioProblem

__all__ = ["LOTTERY_RULE", "LotteryRecord", "LotterySkip", "draw_at_line"]

LOTTERY_RULE = (
    "Proposals whose merit interval straddles the funding line (the lowest merit the optimum "
    "funds) form the lottery group, ordered by a seeded draw. Proposals outside the group keep "
    "the optimum's decision. Group members a rule requires are funded whatever the draw; the "
    "others are taken in drawn order, and each is funded if a portfolio with it, with the members "
    "funded before it and without those skipped before it, keeps every rule and budget; "
    "otherwise it is skipped. Money left unspent by the draw is not re-allocated."
)

# Slack when checking a row by hand, relative to its bound (at least 1): the checker's tolerance.
_TOLERANCE = 1e-9
# The reason given when no single constraint group explains a skip.
RULES_TOGETHER = "the rules together"


@dataclass(frozen=True, slots=True)
class LotterySkip:
    """A group member whose turn came but which no portfolio keeping every rule could fund
    then; ``rules``: the constraint groups adding it at its turn would break (or
    :data:`RULES_TOGETHER` when no single group does, e.g. a minimum needs the money)."""

    id: str
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LotteryRecord:
    """The draw at the funding line: ``line`` is the merit of the weakest proposal the optimum
    funds; ``group`` the proposals whose merit interval straddles it (sorted by id); ``draw`` the
    same ids in the drawn order (first drawn: first served); ``common_merit`` the merit the group
    is treated as sharing (the line); ``funded`` the group members funded, in drawn order;
    ``forced_in`` those a rule funds whatever the draw; ``skipped`` those the budget or a rule
    kept out at their turn; the rest were funded by the draw or were drawn when nothing more fit.
    ``rule`` is :data:`LOTTERY_RULE`."""

    line: float
    group: tuple[str, ...]
    draw: tuple[str, ...]
    common_merit: float
    funded: tuple[str, ...]
    forced_in: tuple[str, ...] = ()
    skipped: tuple[LotterySkip, ...] = ()
    rule: str = LOTTERY_RULE


def draw_at_line(
    problem: PortfolioProblem,
    model: Model,
    x: np.ndarray,
    rng: np.random.Generator,
    time_limit: float,
) -> tuple[np.ndarray, LotteryRecord, float]:
    """The selection after the draw, its record and the seconds HiGHS spent. ``x`` is the
    optimum with the true merits (boolean, one per candidate); it is not modified."""
    merits = np.array([c.merit for c in problem.candidates])
    if not x.any():
        return x, LotteryRecord(math.nan, (), (), math.nan, ()), 0.0
    line = float(merits[x].min())
    members = sorted(
        (c.id, i)
        for i, c in enumerate(problem.candidates)
        if c.merit_interval is not None and c.merit_interval[0] <= line <= c.merit_interval[1]
    )
    order = [members[j] for j in rng.permutation(len(members))]
    state = _DrawState(model, x, np.array([i for _, i in members], dtype=np.int64), time_limit)
    forced = {i for _, i in order if state.required(i)}
    for i in forced:
        state.decide(i, funded=True)
    skipped: list[LotterySkip] = []
    for pid, i in order:
        if i in forced:
            continue
        blocking = state.try_fund(i)
        if blocking:
            skipped.append(LotterySkip(pid, blocking))
    record = LotteryRecord(
        line=line,
        group=tuple(pid for pid, _ in members),
        draw=tuple(pid for pid, _ in order),
        common_merit=line,
        funded=tuple(pid for pid, i in order if state.x[i]),
        forced_in=tuple(pid for pid, i in order if i in forced),
        skipped=tuple(skipped),
    )
    return state.x.copy(), record, state.seconds


class _DrawState:
    """A valid portfolio in hand (``x``), the group members decided so far, and feasibility
    checks over the undecided ones: proposals outside the group stay fixed at the optimum."""

    def __init__(self, model: Model, x: np.ndarray, group: np.ndarray, time_limit: float) -> None:
        self.model = model
        self.x = x.copy()
        self.group = group
        self.time_limit = time_limit
        self.seconds = 0.0
        self.decided: dict[int, bool] = {}
        n = len(x)
        shape = (len(model.start) - 1, n)
        matrix = sparse.csr_matrix((model.value, model.index, model.start), shape=shape)
        self.columns = matrix.tocsc()
        self.activity = matrix @ self.x.astype(float)
        outside = np.ones(n, dtype=bool)
        outside[group] = False
        fixed = matrix[:, outside] @ self.x[outside].astype(float)
        sub = matrix[:, group].tocsr()
        # Rows without a group member hold already (the optimum keeps them) and are left out.
        touched = np.diff(sub.indptr) > 0
        sub = sub[touched]
        self.sub = Model(
            objective=np.zeros(len(group)),
            groups=model.groups,
            families=model.families,
            row_group=model.row_group[touched],
            lower=(model.lower - fixed)[touched],
            upper=(model.upper - fixed)[touched],
            start=sub.indptr.astype(np.int32),
            index=sub.indices.astype(np.int32),
            value=sub.data.astype(np.float64),
        )
        self.position = {int(i): k for k, i in enumerate(group)}

    def required(self, i: int) -> bool:
        """Whether every valid portfolio (outside the group as fixed) funds member ``i``."""
        if not self.x[i] or not self._breaks(i, on=False):
            return False
        return self._solve(i, on=False) is None

    def decide(self, i: int, *, funded: bool) -> None:
        self.decided[i] = funded

    def try_fund(self, i: int) -> tuple[str, ...]:
        """Fund member ``i`` when a valid portfolio allows it (and return ``()``), or fix it out
        and return the constraint groups adding it would break."""
        if self.x[i] or not self._breaks(i, on=True):
            self._set(i, True)
            self.decided[i] = True
            return ()
        solution = self._solve(i, on=True)
        if solution is not None:
            self._adopt(solution)
            self.decided[i] = True
            return ()
        self.decided[i] = False
        return self._breaks(i, on=True) or (RULES_TOGETHER,)

    def _breaks(self, i: int, *, on: bool) -> tuple[str, ...]:
        """The constraint groups that flipping member ``i`` (on or off) in ``x`` would break."""
        col = self.columns
        rows = col.indices[col.indptr[i] : col.indptr[i + 1]]
        values = col.data[col.indptr[i] : col.indptr[i + 1]]
        after = self.activity[rows] + (values if on else -values)
        lower, upper = self.model.lower[rows], self.model.upper[rows]
        # An infinite bound gets an infinite slack, which leaves it unbreakable, as it should be.
        over = after > upper + _TOLERANCE * np.maximum(1.0, np.abs(upper))
        under = after < lower - _TOLERANCE * np.maximum(1.0, np.abs(lower))
        broken = self.model.row_group[rows[over | under]]
        return tuple(self.model.groups[g] for g in np.unique(broken))

    def _set(self, i: int, value: bool) -> None:
        if bool(self.x[i]) != value:
            col = self.columns
            span = slice(col.indptr[i], col.indptr[i + 1])
            self.activity[col.indices[span]] += col.data[span] if value else -col.data[span]
            self.x[i] = value

    def _adopt(self, group_values: np.ndarray) -> None:
        for k, i in enumerate(self.group):
            self._set(int(i), bool(group_values[k]))

    def _solve(self, i: int, *, on: bool) -> np.ndarray | None:
        """A valid choice of the group's members with ``i`` fixed on or off and every decided
        member fixed, or ``None`` when there is none (or none was found in the time limit: the
        member then keeps the side of the portfolio in hand, which stays valid)."""
        keep = np.ones(len(self.model.groups), dtype=bool)
        h: Any = highs_for(self.sub, keep, self.sub.objective, self.time_limit, 0.0)
        fixes = {**self.decided, i: on}
        cols = np.array([self.position[j] for j in fixes], dtype=np.int32)
        bounds = np.array([1.0 if v else 0.0 for v in fixes.values()])
        h.changeColsBounds(len(cols), cols, bounds, bounds)
        h.run()
        self.seconds += float(h.getRunTime())
        if status_name(h) == "infeasible" or h.getInfo().primal_solution_status != 2:
            return None
        return np.asarray(h.getSolution().col_value) > 0.5
