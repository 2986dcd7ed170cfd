"""A composite capacity index, built as the OECD/JRC Handbook on Constructing Composite
Indicators (2008) describes, and its robustness under a Monte Carlo over the choices made.

Steps, each explainable on its own:

1. **Coverage.** An indicator observed for fewer than ``min_coverage`` of the countries where it
   applies is left out (:func:`apply_coverage`).
2. **Outliers.** Where an indicator's skewness exceeds 2 in absolute value and its (excess)
   kurtosis exceeds 3.5, the most extreme values are winsorised one by one (at most
   ``MAX_WINSORISED``); if that does not bring it within bounds the indicator is log-transformed
   instead (:func:`treat_outliers`).
3. **Normalisation** to [0, 1]: min-max against fixed reference points (goalposts), so scores of
   different cycles stay comparable; or, as an option, z-scores mapped through the standard normal
   CDF. Indicators where a higher value means *less* capacity are flipped.
4. **Imputation.** A missing value (never zero) is imputed, in normalised units, as the mean of the
   country's observed indicators in the same dimension, else of all its observed indicators. The
   Monte Carlo draws it from ±``imputation_spread`` around that centre, which is what widens the
   intervals of countries with large gaps. Cells marked *not applicable* are left out instead.
5. **Aggregation:** weighted arithmetic mean inside each dimension, then across dimensions
   arithmetic (compensating) or geometric (less compensating; scores are floored at
   ``GEOMETRIC_FLOOR`` first).

Capacity is in [0, 1]; need is ``1 - capacity``. Everything is pure: values in, values out, and
randomness only from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from math import erf, sqrt
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from nexus_sti.core.errors import InvalidInput

Normalisation = Literal["minmax", "zscore"]
Aggregation = Literal["arithmetic", "geometric"]
FACTORS = ("weights", "normalisation", "aggregation", "outliers", "imputation")

SKEW_LIMIT = 2.0
KURTOSIS_LIMIT = 3.5
MAX_WINSORISED = 5
GEOMETRIC_FLOOR = 0.01

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """One indicator: its dimension, direction (+1: more is more capacity), weight inside its
    dimension, and goalposts (the fixed min-max reference points, in the indicator's units)."""

    code: str
    dimension: str
    lower: float
    upper: float
    direction: int = 1
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.direction not in (1, -1):
            raise InvalidInput(f"{self.code}.direction", "must be 1 or -1")
        if not self.upper > self.lower:
            raise InvalidInput(f"{self.code}.upper", "must be greater than lower")
        if self.weight <= 0:
            raise InvalidInput(f"{self.code}.weight", "must be positive")


@dataclass(frozen=True)
class IndexProblem:
    """Raw values (countries x indicators; NaN where missing) and what they mean."""

    countries: tuple[str, ...]
    indicators: tuple[IndicatorSpec, ...]
    values: Array
    applicable: NDArray[np.bool_]
    dimension_weights: Mapping[str, float]

    def __post_init__(self) -> None:
        shape = (len(self.countries), len(self.indicators))
        if self.values.shape != shape or self.applicable.shape != shape:
            raise InvalidInput("values", f"must have shape {shape} (countries x indicators)")
        dims = {i.dimension for i in self.indicators}
        if missing := dims - set(self.dimension_weights):
            raise InvalidInput("dimension_weights", f"no weight for {sorted(missing)}")
        if any(w <= 0 for w in self.dimension_weights.values()):
            raise InvalidInput("dimension_weights", "must all be positive")

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.dimension for i in self.indicators))

    @property
    def missing(self) -> NDArray[np.bool_]:
        """Cells that apply but were not observed: the ones imputed."""
        return self.applicable & np.isnan(self.values)


@dataclass(frozen=True, slots=True)
class Method:
    normalisation: Normalisation = "minmax"
    aggregation: Aggregation = "arithmetic"
    treat_outliers: bool = True


@dataclass(frozen=True, slots=True)
class DroppedIndicator:
    code: str
    coverage: float
    reason: str


def apply_coverage(
    problem: IndexProblem, min_coverage: float
) -> tuple[IndexProblem, tuple[DroppedIndicator, ...]]:
    """Leave out indicators observed for fewer than ``min_coverage`` of the countries they apply
    to, and say which and why."""
    keep: list[int] = []
    dropped: list[DroppedIndicator] = []
    for k, spec in enumerate(problem.indicators):
        applies = problem.applicable[:, k]
        observed = applies & ~np.isnan(problem.values[:, k])
        coverage = float(observed.sum() / max(applies.sum(), 1))
        if coverage < min_coverage:
            dropped.append(
                DroppedIndicator(
                    spec.code,
                    coverage,
                    f"observed for {int(observed.sum())} of {int(applies.sum())} countries "
                    f"({coverage:.0%}), below the coverage rule of {min_coverage:.0%}",
                )
            )
        else:
            keep.append(k)
    if not keep:
        raise InvalidInput("min_coverage", "leaves no indicator: lower it or widen the window")
    kept = tuple(problem.indicators[k] for k in keep)
    dims = {i.dimension for i in kept}
    return (
        replace(
            problem,
            indicators=kept,
            values=problem.values[:, keep],
            applicable=problem.applicable[:, keep],
            dimension_weights={d: w for d, w in problem.dimension_weights.items() if d in dims},
        ),
        tuple(dropped),
    )


def _moments(x: Array) -> tuple[float, float]:
    """Skewness and excess kurtosis (population moments) of the finite values."""
    v = x[np.isfinite(x)]
    if v.size < 3 or float(v.std()) == 0.0:
        return 0.0, 0.0
    z = (v - v.mean()) / v.std()
    return float((z**3).mean()), float((z**4).mean() - 3.0)


def _too_skewed(x: Array) -> bool:
    skew, kurt = _moments(x)
    return abs(skew) > SKEW_LIMIT and kurt > KURTOSIS_LIMIT


def _log_transform(x: Array, positive: bool, pivot: float) -> Array:
    """An order-preserving log compression: ``log1p(x)`` for right-skewed data, and
    ``-log1p(pivot - x)`` (reflect, compress, reflect back) for left-skewed data."""
    if positive:
        return np.asarray(np.log1p(np.maximum(x, 0.0)), dtype=np.float64)
    return np.asarray(-np.log1p(np.maximum(pivot - x, 0.0)), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class OutlierTreatment:
    action: Literal["none", "winsorised", "log"]
    values_changed: int = 0
    positive_skew: bool = True
    pivot: float = 0.0

    def transform(self, x: Array) -> Array:
        """Apply the same log compression to other values (the goalposts)."""
        if self.action != "log":
            return x
        return _log_transform(x, self.positive_skew, self.pivot)


def treat_outliers(x: Array) -> tuple[Array, OutlierTreatment]:
    """Winsorise up to ``MAX_WINSORISED`` extreme values, else log-transform (see module doc).

    Returns a new array; NaN stays NaN."""
    if not _too_skewed(x):
        return x.copy(), OutlierTreatment("none")
    y = x.copy()
    positive = _moments(x)[0] > 0
    for n in range(1, MAX_WINSORISED + 1):
        finite = np.sort(y[np.isfinite(y)])
        if finite.size <= n + 1:
            break
        if positive:
            y = np.where(y > finite[-n - 1], finite[-n - 1], y)
        else:
            y = np.where(y < finite[n], finite[n], y)
        if not _too_skewed(y):
            return y, OutlierTreatment("winsorised", n)
    # Winsorising would flatten too much of the distribution: compress it instead.
    treatment = OutlierTreatment("log", positive_skew=positive, pivot=float(np.nanmax(x)))
    return treatment.transform(x), treatment


def _normal_cdf(z: Array) -> Array:
    return np.asarray(0.5 * (1.0 + np.vectorize(erf)(z / sqrt(2.0))), dtype=np.float64)


def normalise(problem: IndexProblem, method: Method) -> tuple[Array, tuple[OutlierTreatment, ...]]:
    """Indicator values mapped to [0, 1] capacity scores (NaN where missing or n/a)."""
    out = np.full(problem.values.shape, np.nan)
    treatments: list[OutlierTreatment] = []
    for k, spec in enumerate(problem.indicators):
        raw = np.where(problem.applicable[:, k], problem.values[:, k], np.nan)
        if method.treat_outliers:
            x, treatment = treat_outliers(raw)
        else:
            x, treatment = raw, OutlierTreatment("none")
        treatments.append(treatment)
        if method.normalisation == "minmax":
            lower, upper = treatment.transform(np.array([spec.lower, spec.upper]))
            span = upper - lower
            y = np.clip((x - lower) / span, 0.0, 1.0) if span > 0 else np.full_like(x, 0.5)
        elif not np.isfinite(x).any():
            y = np.full_like(x, np.nan)
        else:
            sd = float(np.nanstd(x))
            centred = (x - np.nanmean(x)) / sd if sd > 0 else np.zeros_like(x)
            y = np.where(np.isnan(x), np.nan, _normal_cdf(np.nan_to_num(centred)))
        out[:, k] = y if spec.direction == 1 else 1.0 - y
    return out, tuple(treatments)


def _indicator_weights(problem: IndexProblem) -> Array:
    """(indicators x dimensions): each indicator's weight inside its own dimension."""
    dims = problem.dimensions
    w = np.zeros((len(problem.indicators), len(dims)))
    for k, spec in enumerate(problem.indicators):
        w[k, dims.index(spec.dimension)] = spec.weight
    return w


def imputation_centres(
    problem: IndexProblem, norm: Array
) -> tuple[Array, tuple[tuple[str, ...], ...]]:
    """The value each missing cell is imputed with, and the rule used, per cell."""
    centres = np.full(norm.shape, np.nan)
    rules: list[tuple[str, ...]] = []
    dims = [spec.dimension for spec in problem.indicators]
    for c in range(len(problem.countries)):
        row: list[str] = []
        observed = ~np.isnan(norm[c])
        for k, dim in enumerate(dims):
            if not problem.applicable[c, k]:
                row.append("not applicable")
            elif observed[k]:
                row.append("")
            else:
                same = [j for j, d in enumerate(dims) if d == dim and observed[j]]
                if same:
                    centres[c, k] = float(norm[c, same].mean())
                    row.append("mean of the country's other indicators in this dimension")
                elif observed.any():
                    centres[c, k] = float(norm[c, observed].mean())
                    row.append("mean of all the country's observed indicators")
                else:
                    centres[c, k] = 0.5
                    row.append("no observed indicator: midpoint 0.5")
        rules.append(tuple(row))
    return centres, tuple(rules)


def _aggregate(dims: Array, weights: Array, geometric: NDArray[np.bool_]) -> Array:
    """Combine dimension scores (..., countries, dims) with weights (..., dims); NaN dimensions
    (nothing applicable) drop out and the other weights are renormalised."""
    available = ~np.isnan(dims)
    w = np.where(available, weights[..., None, :], 0.0)
    total = w.sum(axis=-1)
    filled = np.where(available, dims, 0.0)
    arithmetic = (w * filled).sum(axis=-1) / total
    logs = np.log(np.maximum(np.where(available, dims, 1.0), GEOMETRIC_FLOOR))
    geo = np.exp((w * logs).sum(axis=-1) / total)
    return np.asarray(np.where(geometric[..., None], geo, arithmetic), dtype=np.float64)


def _dimension_scores(scores: Array, applicable: NDArray[np.bool_], ind_w: Array) -> Array:
    """Weighted mean of the applicable indicators of each dimension: (..., C, K) -> (..., C, G)."""
    w = applicable[..., None] * ind_w  # (C, K, G)
    num = np.einsum("...ck,ckg->...cg", np.nan_to_num(scores), w)
    den = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return np.asarray(scores, dtype=np.float64)


def ranks_of(capacity: Array) -> NDArray[np.int64]:
    """Rank 1 = highest capacity, along the last axis."""
    greater = capacity[..., None, :] > capacity[..., :, None]
    return np.asarray(greater.sum(axis=-1) + 1, dtype=np.int64)


@dataclass(frozen=True)
class IndexResult:
    """One evaluation of the index, with everything needed to explain it."""

    countries: tuple[str, ...]
    dimensions: tuple[str, ...]
    method: Method
    dimension_weights: tuple[float, ...]
    normalised: Array  # (C, K), imputed cells filled in, n/a cells NaN
    imputed: NDArray[np.bool_]
    imputation_rules: tuple[tuple[str, ...], ...]
    treatments: tuple[OutlierTreatment, ...]
    dimension_scores: Array  # (C, G)
    capacity: Array  # (C,)
    rank: NDArray[np.int64]

    @property
    def need(self) -> Array:
        return 1.0 - self.capacity


def _weights_vector(problem: IndexProblem, weights: Mapping[str, float] | None) -> Array:
    source = weights if weights is not None else problem.dimension_weights
    missing = [d for d in problem.dimensions if d not in source]
    if missing:
        raise InvalidInput("dimension_weights", f"no weight for {missing}")
    w = np.array([float(source[d]) for d in problem.dimensions])
    if (w < 0).any() or w.sum() <= 0:
        raise InvalidInput("dimension_weights", "must be non-negative and not all zero")
    return np.asarray(w / w.sum(), dtype=np.float64)


def evaluate(
    problem: IndexProblem,
    method: Method = Method(),
    *,
    dimension_weights: Mapping[str, float] | None = None,
    imputed_values: Array | None = None,
) -> IndexResult:
    """The index for one set of choices. ``imputed_values`` (one per missing cell, row-major)
    replaces the imputation centres; the Monte Carlo uses it to draw them."""
    norm, treatments = normalise(problem, method)
    centres, rules = imputation_centres(problem, norm)
    missing = problem.missing
    filled = norm.copy()
    filled[missing] = centres[missing] if imputed_values is None else imputed_values
    dims = _dimension_scores(filled, problem.applicable, _indicator_weights(problem))
    weights = _weights_vector(problem, dimension_weights)
    capacity = _aggregate(dims, weights, np.array(method.aggregation == "geometric"))
    return IndexResult(
        countries=problem.countries,
        dimensions=problem.dimensions,
        method=method,
        dimension_weights=tuple(float(w) for w in weights),
        normalised=np.where(problem.applicable, filled, np.nan),
        imputed=missing,
        imputation_rules=rules,
        treatments=treatments,
        dimension_scores=dims,
        capacity=capacity,
        rank=ranks_of(capacity),
    )


@dataclass(frozen=True)
class Choices:
    """The methodological choices of each Monte Carlo draw (one row per draw)."""

    zscore: NDArray[np.bool_]
    geometric: NDArray[np.bool_]
    treat_outliers: NDArray[np.bool_]
    weights: Array  # (D, G), rows sum to 1
    imputed: Array  # (D, number of missing cells)

    def __len__(self) -> int:
        return int(self.zscore.shape[0])

    def method(self, d: int) -> Method:
        return Method(
            "zscore" if self.zscore[d] else "minmax",
            "geometric" if self.geometric[d] else "arithmetic",
            bool(self.treat_outliers[d]),
        )


@dataclass(frozen=True)
class _Prepared:
    """Normalised values and imputation centres for the four discrete method combinations."""

    norm: Array  # (2 zscore?, 2 outliers?, C, K)
    centres: Array  # same shape
    ind_w: Array


def _prepare(problem: IndexProblem) -> _Prepared:
    norm = np.empty((2, 2, *problem.values.shape))
    centres = np.empty_like(norm)
    for z in (0, 1):
        for o in (0, 1):
            method = Method("zscore" if z else "minmax", "arithmetic", bool(o))
            norm[z, o], _ = normalise(problem, method)
            centres[z, o], _ = imputation_centres(problem, norm[z, o])
    return _Prepared(norm, centres, _indicator_weights(problem))


def draw_choices(
    problem: IndexProblem,
    draws: int,
    rng: np.random.Generator,
    *,
    vary: Sequence[str] = FACTORS,
    imputation_spread: float = 0.25,
    weight_concentration: float = 20.0,
    default: Method = Method(),
) -> Choices:
    """Sample ``draws`` sets of choices; factors not in ``vary`` stay at their default."""
    unknown = set(vary) - set(FACTORS)
    if unknown:
        raise InvalidInput(
            "vary", f"unknown factors {sorted(unknown)}; known: {', '.join(FACTORS)}"
        )
    if draws < 1:
        raise InvalidInput("draws", "must be at least 1")
    base_w = _weights_vector(problem, None)

    def coin(factor: str, default_on: bool) -> NDArray[np.bool_]:
        if factor in vary:
            return np.asarray(rng.random(draws) < 0.5)
        return np.full(draws, default_on)

    zscore = coin("normalisation", default.normalisation == "zscore")
    geometric = coin("aggregation", default.aggregation == "geometric")
    treat = coin("outliers", default.treat_outliers)
    if "weights" in vary:
        weights = rng.dirichlet(weight_concentration * base_w * len(base_w), size=draws)
    else:
        weights = np.tile(base_w, (draws, 1))
    prepared_centres = _prepare(problem).centres
    missing = problem.missing
    centre = prepared_centres[zscore.astype(int), treat.astype(int)][:, missing]
    if "imputation" in vary:
        noise = rng.uniform(-imputation_spread, imputation_spread, size=centre.shape)
        imputed = np.clip(centre + noise, 0.0, 1.0)
    else:
        imputed = centre
    return Choices(zscore, geometric, treat, weights, imputed)


def evaluate_draws(problem: IndexProblem, choices: Choices) -> Array:
    """Capacity of every country under every draw, vectorised: (draws, countries)."""
    prepared = _prepare(problem)
    x = prepared.norm[choices.zscore.astype(int), choices.treat_outliers.astype(int)]
    x[:, problem.missing] = choices.imputed
    dims = _dimension_scores(x, problem.applicable, prepared.ind_w)
    return _aggregate(dims, choices.weights, choices.geometric)


def evaluate_draws_loop(problem: IndexProblem, choices: Choices) -> Array:
    """The same as :func:`evaluate_draws`, one draw at a time: the straightforward baseline."""
    out = np.empty((len(choices), len(problem.countries)))
    for d in range(len(choices)):
        weights = dict(zip(problem.dimensions, choices.weights[d], strict=True))
        result = evaluate(
            problem,
            choices.method(d),
            dimension_weights=weights,
            imputed_values=choices.imputed[d],
        )
        out[d] = result.capacity
    return out


@dataclass(frozen=True, slots=True)
class FactorEffect:
    factor: str
    mean_rank_shift: float
    max_rank_shift: int


@dataclass(frozen=True)
class Robustness:
    """Each country's capacity and rank across the draws, and which choice moves ranks most."""

    draws: int
    capacity_median: Array
    capacity_p5: Array
    capacity_p95: Array
    rank_median: Array
    rank_p5: Array
    rank_p95: Array
    sensitivity: tuple[FactorEffect, ...] = field(default_factory=tuple)


def monte_carlo(
    problem: IndexProblem,
    rng: np.random.Generator,
    *,
    draws: int = 1000,
    imputation_spread: float = 0.25,
    weight_concentration: float = 20.0,
    sensitivity_draws: int = 200,
    default: Method = Method(),
) -> Robustness:
    """Uncertainty over every choice at once, then one factor at a time for the sensitivity
    summary (mean absolute change of rank against the default method's ranking)."""

    def sample(n: int, vary: Sequence[str]) -> Choices:
        return draw_choices(
            problem,
            n,
            rng,
            vary=vary,
            default=default,
            imputation_spread=imputation_spread,
            weight_concentration=weight_concentration,
        )

    choices = sample(draws, FACTORS)
    capacity = evaluate_draws(problem, choices)
    ranks = ranks_of(capacity)
    base_rank = evaluate(problem, default).rank
    effects = []
    for factor in FACTORS:
        one = sample(sensitivity_draws, (factor,))
        shift = np.abs(ranks_of(evaluate_draws(problem, one)) - base_rank)
        effects.append(FactorEffect(factor, float(shift.mean()), int(shift.max())))
    effects.sort(key=lambda e: (-e.mean_rank_shift, e.factor))
    return Robustness(
        draws=draws,
        capacity_median=np.median(capacity, axis=0),
        capacity_p5=np.percentile(capacity, 5, axis=0),
        capacity_p95=np.percentile(capacity, 95, axis=0),
        rank_median=np.median(ranks, axis=0),
        rank_p5=np.percentile(ranks, 5, axis=0),
        rank_p95=np.percentile(ranks, 95, axis=0),
        sensitivity=tuple(effects),
    )
