"""The needs assessment: capacity, need, rank and its uncertainty for every country, with every
figure traceable to its source, year and treatment. Pure: snapshot and configuration in,
assessment out; the same inputs and seed give the same assessment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nexus_sti.algorithms.composite_index import (
    DroppedIndicator,
    FactorEffect,
    IndexProblem,
    IndexResult,
    Robustness,
    apply_coverage,
    evaluate,
    monte_carlo,
)
from nexus_sti.core.countries import ISO3_CODES
from nexus_sti.needs.indicators import Observation, build_problem
from nexus_sti.needs.model import IndicatorConfig, LoadedIndexConfig
from nexus_sti.reference.snapshot import ReferenceSnapshot


@dataclass(frozen=True, slots=True)
class IndicatorCell:
    code: str
    label: str
    dimension: str
    value: float | None
    year: int | None
    source: str
    note: str
    normalised: float | None
    imputation: str  # "" when observed


@dataclass(frozen=True, slots=True)
class CountryNeed:
    iso3: str
    capacity: float
    need: float
    rank: int
    rank_median: float
    rank_interval: tuple[float, float]
    capacity_interval: tuple[float, float]
    dimension_scores: dict[str, float | None]
    indicators: tuple[IndicatorCell, ...]

    @property
    def gaps(self) -> tuple[IndicatorCell, ...]:
        return tuple(
            c
            for c in self.indicators
            if c.value is None and c.imputation and c.imputation != "not applicable"
        )


@dataclass(frozen=True, slots=True)
class AreaNeed:
    area: str
    need: dict[str, float]
    dropped: tuple[DroppedIndicator, ...]
    imputed: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class NeedsAssessment:
    countries: tuple[CountryNeed, ...]
    dimensions: tuple[str, ...]
    dropped: tuple[DroppedIndicator, ...]
    treatments: dict[str, str]
    sensitivity: tuple[FactorEffect, ...]
    draws: int
    seed: int
    window: tuple[int, int]
    config_digest: str
    snapshot_digests: dict[str, str]
    areas: tuple[AreaNeed, ...]

    def country(self, iso3: str) -> CountryNeed:
        for c in self.countries:
            if c.iso3 == iso3:
                return c
        raise KeyError(f"no country {iso3!r} in the assessment")

    def need_of(self, countries: Sequence[str]) -> dict[str, float]:
        return {c: self.country(c).need for c in countries}


def _treatment_text(result: IndexResult, problem: IndexProblem) -> dict[str, str]:
    out = {}
    for spec, t in zip(problem.indicators, result.treatments, strict=True):
        if t.action == "winsorised":
            out[spec.code] = f"winsorised ({t.values_changed} extreme value(s) capped)"
        elif t.action == "log":
            out[spec.code] = "log-transformed (too skewed to winsorise)"
        else:
            out[spec.code] = "none needed"
    return out


def _evaluate(
    snapshot: ReferenceSnapshot,
    indicators: Sequence[IndicatorConfig],
    dimensions: dict[str, float],
    loaded: LoadedIndexConfig,
    countries: Sequence[str],
) -> tuple[
    IndexProblem, dict[tuple[str, str], Observation], tuple[DroppedIndicator, ...], IndexResult
]:
    config = loaded.config
    problem, observations = build_problem(
        snapshot, indicators, dimensions, config.window, countries
    )
    problem, dropped = apply_coverage(problem, config.min_coverage)
    return problem, observations, dropped, evaluate(problem)


def assess_needs(
    snapshot: ReferenceSnapshot,
    loaded: LoadedIndexConfig,
    *,
    countries: Sequence[str] = ISO3_CODES,
    draws: int | None = None,
    seed: int | None = None,
) -> NeedsAssessment:
    """Run the whole index: data policy, coverage, default method, Monte Carlo, areas."""
    config = loaded.config
    labels = {i.code: i.label for i in config.indicators}
    problem, observations, dropped, result = _evaluate(
        snapshot, config.indicators, config.dimensions, loaded, countries
    )
    used_seed = config.seed if seed is None else seed
    robustness: Robustness = monte_carlo(
        problem,
        np.random.default_rng(used_seed),
        draws=draws or config.draws,
        imputation_spread=config.imputation_spread,
        weight_concentration=config.weight_concentration,
        sensitivity_draws=config.sensitivity_draws,
    )
    codes = [s.code for s in problem.indicators]
    rows = []
    for c, iso3 in enumerate(problem.countries):
        cells = []
        for ind in config.indicators:
            obs = observations[(iso3, ind.code)]
            k = codes.index(ind.code) if ind.code in codes else None
            norm = None if k is None else result.normalised[c, k]
            cells.append(
                IndicatorCell(
                    code=ind.code,
                    label=labels[ind.code],
                    dimension=ind.dimension,
                    value=obs.value,
                    year=obs.year,
                    source=obs.source,
                    note=obs.note,
                    normalised=None if norm is None or np.isnan(norm) else float(norm),
                    imputation=(
                        "indicator left out (coverage rule)"
                        if k is None
                        else result.imputation_rules[c][k]
                    ),
                )
            )
        rows.append(
            CountryNeed(
                iso3=iso3,
                capacity=float(result.capacity[c]),
                need=float(result.need[c]),
                rank=int(result.rank[c]),
                rank_median=float(robustness.rank_median[c]),
                rank_interval=(float(robustness.rank_p5[c]), float(robustness.rank_p95[c])),
                capacity_interval=(
                    float(robustness.capacity_p5[c]),
                    float(robustness.capacity_p95[c]),
                ),
                dimension_scores={
                    d: None if np.isnan(v) else float(v)
                    for d, v in zip(result.dimensions, result.dimension_scores[c], strict=True)
                },
                indicators=tuple(cells),
            )
        )
    areas = []
    for area in config.areas:
        area_problem, _, area_dropped, area_result = _evaluate(
            snapshot, area.indicators, area.dimensions, loaded, countries
        )
        imputed = {
            iso3: tuple(
                spec.code
                for k, spec in enumerate(area_problem.indicators)
                if area_result.imputed[c, k]
            )
            for c, iso3 in enumerate(area_problem.countries)
        }
        areas.append(
            AreaNeed(
                area=area.area,
                need={iso3: float(area_result.need[c]) for c, iso3 in enumerate(countries)},
                dropped=area_dropped,
                imputed={k: v for k, v in imputed.items() if v},
            )
        )
    return NeedsAssessment(
        countries=tuple(rows),
        dimensions=result.dimensions,
        dropped=dropped,
        treatments=_treatment_text(result, problem),
        sensitivity=robustness.sensitivity,
        draws=robustness.draws,
        seed=used_seed,
        window=config.window,
        config_digest=loaded.digest,
        snapshot_digests=dict(snapshot.input_sha256),
        areas=tuple(areas),
    )
