"""From the reference snapshot to the index's raw matrix, under the data policy: the latest value
within the window of years (optionally ending earlier for one indicator); outside it, missing.
Every cell keeps where it came from, so every output can cite its figure, year and source."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nexus_sti.algorithms.composite_index import IndexProblem, IndicatorSpec
from nexus_sti.core.countries import country
from nexus_sti.needs.model import IndicatorConfig
from nexus_sti.reference.snapshot import ReferenceSnapshot

POPULATION = "SP.POP.TOTL"
INTL_WORKS = "OA.INTL.COAUTH.WORKS"


@dataclass(frozen=True, slots=True)
class Observation:
    """One cell of the matrix: the value used (None if missing), its year, source and how it
    was obtained."""

    value: float | None
    year: int | None
    source: str
    note: str
    applicable: bool = True


def _window(config: IndicatorConfig, window: tuple[int, int]) -> tuple[int, int]:
    last = min(window[1], config.last_year) if config.last_year else window[1]
    return window[0], last


def _describe_gap(
    snapshot: ReferenceSnapshot, code: str, iso3: str, window: tuple[int, int]
) -> str:
    any_year = snapshot.latest(code, iso3)
    if any_year is None:
        return "no value in the source"
    return f"no value within {window[0]}-{window[1]} (latest is {any_year[0]})"


def observe(
    snapshot: ReferenceSnapshot, config: IndicatorConfig, iso3: str, window: tuple[int, int]
) -> Observation:
    """The value of one indicator for one country under the data policy."""
    years = _window(config, window)
    if config.coauthored_with is not None:
        other = config.coauthored_with
        name = country(other).name
        source = snapshot.source_of(INTL_WORKS).attribution
        if iso3 == other:
            return Observation(None, None, source, f"not applicable to {name}", applicable=False)
        for year in range(years[1], years[0] - 1, -1):
            pair = snapshot.coauthored_works(other, iso3, year)
            total = snapshot.value(INTL_WORKS, iso3, year)
            if pair is not None and total:
                note = f"{pair} works with {name} / {total:.0f} international works ({year})"
                return Observation(100.0 * pair / total, year, source, note)
        return Observation(None, None, source, f"no counts within {years[0]}-{years[1]}")
    source = snapshot.source_of(config.code).attribution
    latest = snapshot.latest(config.code, iso3, window=years)
    if latest is None:
        return Observation(None, None, source, _describe_gap(snapshot, config.code, iso3, years))
    year, value = latest
    if config.per_million:
        population = snapshot.value(POPULATION, iso3, year)
        if not population:
            return Observation(None, year, source, f"no population figure for {year}")
        note = f"{value:,.0f} / population {population:,.0f} x 1e6 ({year})"
        return Observation(value / population * 1e6, year, source, note)
    return Observation(value, year, source, f"latest within {years[0]}-{years[1]}")


def build_problem(
    snapshot: ReferenceSnapshot,
    indicators: Sequence[IndicatorConfig],
    dimension_weights: dict[str, float],
    window: tuple[int, int],
    countries: Sequence[str],
) -> tuple[IndexProblem, dict[tuple[str, str], Observation]]:
    """The index problem and, per (country, indicator code), the observation behind each cell."""
    observations = {
        (iso3, ind.code): observe(snapshot, ind, iso3, window)
        for iso3 in countries
        for ind in indicators
    }
    values = np.array(
        [
            [
                np.nan if (o := observations[(c, i.code)]).value is None else o.value
                for i in indicators
            ]
            for c in countries
        ],
        dtype=np.float64,
    )
    applicable = np.array(
        [[observations[(c, i.code)].applicable for i in indicators] for c in countries], dtype=bool
    )
    specs = tuple(
        IndicatorSpec(i.code, i.dimension, i.lower, i.upper, i.direction, i.weight)
        for i in indicators
    )
    problem = IndexProblem(tuple(countries), specs, values, applicable, dict(dimension_weights))
    return problem, observations
