"""The portfolio MILP as HiGHS sees it: candidates and rules turned into a sparse row-wise
matrix of named constraint groups, and one solve of a chosen subset of the groups."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np

from nexus_sti.algorithms.highs import Highs

if TYPE_CHECKING:
    from nexus_sti.algorithms.portfolio import PortfolioProblem

_HIGHS: Any = Highs
# A flip that moves a row past its bound by more than this makes the row binding.
BINDING_TOLERANCE = 1e-7


def solver_version() -> str:
    return str(_HIGHS().version())


@dataclass(frozen=True, slots=True)
class ModelRun:
    status: str
    x: np.ndarray | None  # boolean selection; None when no feasible solution was found
    gap: float
    seconds: float


@dataclass(frozen=True, slots=True)
class Model:
    """Rows ``lower ≤ A x ≤ upper`` in CSR form (``start``, ``index``, ``value``), each row in
    one named constraint group of one family."""

    objective: np.ndarray
    groups: tuple[str, ...]
    families: tuple[str, ...]
    row_group: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray

    def binding(self, x: np.ndarray) -> tuple[str, ...]:
        lengths = np.diff(self.start)
        row_of = np.repeat(np.arange(len(lengths)), lengths)
        activity = np.bincount(row_of, weights=self.value * x[self.index], minlength=len(lengths))
        flipped = activity[row_of] + self.value * (1.0 - 2.0 * x[self.index])
        tol = BINDING_TOLERANCE * np.maximum(1.0, np.abs(activity[row_of]))
        broken = (flipped > self.upper[row_of] + tol) | (flipped < self.lower[row_of] - tol)
        return tuple(self.groups[g] for g in np.unique(self.row_group[row_of[broken]]))


class _RowBuilder:
    def __init__(self) -> None:
        self.groups: list[str] = []
        self.families: list[str] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.index: list[np.ndarray] = []
        self.value: list[np.ndarray] = []

    def dense(self, family: str, name: str, coef: np.ndarray, lo: float, hi: float) -> None:
        nz = np.flatnonzero(coef)
        self.sparse(family, name, nz, coef[nz], lo, hi)

    def sparse(
        self, family: str, name: str, idx: np.ndarray, val: np.ndarray, lo: float, hi: float
    ) -> None:
        self.groups.append(name)
        self.families.append(family)
        self.lower.append(lo)
        self.upper.append(hi)
        self.index.append(np.asarray(idx, dtype=np.int32))
        self.value.append(np.asarray(val, dtype=np.float64))


def build_model(problem: PortfolioProblem) -> Model:
    cands, rules = problem.candidates, problem.rules
    n = len(cands)
    inf = math.inf
    rows = _RowBuilder()
    keys = sorted({k for c in cands for k in c.costs})
    key_at = {k: j for j, k in enumerate(keys)}
    cost = np.zeros((n, len(keys)))
    for i, c in enumerate(cands):
        for k, amount in c.costs.items():
            cost[i, key_at[k]] = amount
    for (funder, year), cap in sorted((rules.budgets or {}).items()):
        column = cost[:, key_at[(funder, year)]] if (funder, year) in key_at else np.zeros(n)
        rows.dense("budget", f"budget {funder} {year}", column, -inf, cap)
    for funder, cap in sorted((rules.funder_totals or {}).items()):
        cols = [j for j, (f, _) in enumerate(keys) if f == funder]
        rows.dense("budget", f"budget {funder} total", cost[:, cols].sum(axis=1), -inf, cap)

    codes = sorted({*(rules.country_bands or {}), *rules.inclusive_countries})
    member = np.array([[code in c.countries for code in codes] for c in cands], dtype=float)
    member = member.reshape(n, len(codes))
    funding = np.array([[c.country_funding.get(code, 0.0) for code in codes] for c in cands])
    funding = funding.reshape(n, len(codes))
    total_funding = np.array([sum(c.country_funding.values()) for c in cands], dtype=float)
    for code, band in sorted((rules.country_bands or {}).items()):
        j = codes.index(code)
        for bound, side in ((band.low, "min"), (band.high, "max")):
            if bound is None:
                continue
            name = f"band {code} {side}"
            if band.measure == "count":
                lo, hi = (bound, inf) if side == "min" else (-inf, bound)
                rows.dense("band", name, member[:, j], lo, hi)
            else:
                lo, hi = (0.0, inf) if side == "min" else (-inf, 0.0)
                rows.dense("band", name, funding[:, j] - bound * total_funding, lo, hi)
    for code in sorted(set(rules.inclusive_countries)):
        rows.dense("inclusive", f"inclusive {code}", member[:, codes.index(code)], 1.0, inf)

    areas = np.array([c.area for c in cands], dtype=object)
    for area, minimum in sorted((rules.area_minimums or {}).items()):
        if minimum > 0:
            rows.dense("area", f"area {area} >= {minimum}", (areas == area) * 1.0, minimum, inf)
    tracks = np.array([c.track for c in cands], dtype=object)
    for track, band in sorted((rules.track_bands or {}).items()):
        in_track = (tracks == track) * 1.0
        for bound, side in ((band.low, "min"), (band.high, "max")):
            if bound is None:
                continue
            name = f"track {track} {side}"
            if band.measure == "count":
                lo, hi = (bound, inf) if side == "min" else (-inf, bound)
                rows.dense("track", name, in_track, lo, hi)
            else:
                lo, hi = (0.0, inf) if side == "min" else (-inf, 0.0)
                rows.dense("track", name, in_track - bound, lo, hi)

    org_cap = rules.organisation_cap
    if org_cap is not None:
        for org, idx in sorted(
            _incidence((i, o) for i, c in enumerate(cands) for o in set(c.organisations)).items()
        ):
            if len(idx) > org_cap:
                rows.sparse(
                    "organisation",
                    f"organisation {org} <= {org_cap}",
                    idx,
                    np.ones(len(idx)),
                    -inf,
                    org_cap,
                )
    if rules.one_award_per_lead:
        for lead, idx in sorted(_incidence((i, c.lead) for i, c in enumerate(cands)).items()):
            if len(idx) > 1:
                rows.sparse("lead", f"lead {lead} one award", idx, np.ones(len(idx)), -inf, 1.0)

    merit = np.array([c.merit for c in cands], dtype=float)
    if problem.objective == "merit_per_cost":
        merit = merit / cost.sum(axis=1)
    lengths = np.array([len(ix) for ix in rows.index], dtype=np.int64)
    return Model(
        objective=merit,
        groups=tuple(rows.groups),
        families=tuple(rows.families),
        row_group=np.arange(len(rows.groups)),
        lower=np.array(rows.lower, dtype=float),
        upper=np.array(rows.upper, dtype=float),
        start=np.concatenate(([0], np.cumsum(lengths))).astype(np.int32),
        index=np.concatenate([np.zeros(0, dtype=np.int32), *rows.index]),
        value=np.concatenate([np.zeros(0), *rows.value]),
    )


def _incidence(pairs: Any) -> dict[str, np.ndarray]:
    found: dict[str, list[int]] = {}
    for i, key in pairs:
        found.setdefault(key, []).append(i)
    return {key: np.array(idx, dtype=np.int32) for key, idx in found.items()}


_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kModelEmpty: "optimal",
}


def highs_for(
    model: Model,
    keep: np.ndarray,
    objective: np.ndarray,
    time_limit: float,
    gap: float,
    *,
    relax: bool = False,
) -> Any:
    """A HiGHS instance holding the model restricted to the kept groups, maximising
    ``objective`` (its LP relaxation with ``relax``), options set, not yet run."""
    rows = keep[model.row_group]
    lengths = np.diff(model.start)
    nz = np.repeat(rows, lengths)
    n = len(objective)
    lp: Any = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = int(rows.sum())
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.asarray(objective, dtype=float)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.ones(n)
    lp.row_lower_ = model.lower[rows]
    lp.row_upper_ = model.upper[rows]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = lp.num_row_
    lp.a_matrix_.start_ = np.concatenate(([0], np.cumsum(lengths[rows]))).astype(np.int32)
    lp.a_matrix_.index_ = model.index[nz]
    lp.a_matrix_.value_ = model.value[nz]
    if not relax:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h: Any = _HIGHS()
    for option, value in (
        ("output_flag", False),
        ("time_limit", float(time_limit)),
        ("mip_rel_gap", float(gap)),
        ("threads", 1),
        ("random_seed", 0),
    ):
        h.setOptionValue(option, value)
    h.passModel(lp)
    return h


def status_name(h: Any) -> str:
    status = h.getModelStatus()
    return _STATUS.get(status, str(h.modelStatusToString(status)).lower())


def run_model(
    model: Model, keep: np.ndarray, objective: np.ndarray, time_limit: float, gap: float
) -> ModelRun:
    """Solve the model restricted to the kept groups with HiGHS' branch and cut, maximising
    ``objective``."""
    h = highs_for(model, keep, objective, time_limit, gap)
    h.run()
    info = h.getInfo()
    seconds = float(h.getRunTime())
    name = status_name(h)
    n = len(objective)
    if name == "infeasible":
        return ModelRun(name, None, math.inf, seconds)
    if n == 0:
        return ModelRun(name, np.zeros(0, dtype=bool), 0.0, seconds)
    if info.primal_solution_status != 2:  # 2: a feasible solution exists
        return ModelRun(name, None, math.inf, seconds)
    x = np.asarray(h.getSolution().col_value) > 0.5
    return ModelRun(name, x, float(info.mip_gap), seconds)
