"""The composite index, step by step, on small cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexus_sti.algorithms.composite_index import (
    FACTORS,
    IndexProblem,
    IndicatorSpec,
    Method,
    apply_coverage,
    draw_choices,
    evaluate,
    evaluate_draws,
    evaluate_draws_loop,
    monte_carlo,
    normalise,
    ranks_of,
    treat_outliers,
)
from nexus_sti.core.errors import InvalidInput

NAN = np.nan


def problem(
    values: list[list[float]],
    specs: list[IndicatorSpec],
    *,
    applicable: list[list[bool]] | None = None,
    weights: dict[str, float] | None = None,
) -> IndexProblem:
    arr = np.array(values, dtype=np.float64)
    return IndexProblem(
        countries=tuple("ABCD"[: arr.shape[0]]),
        indicators=tuple(specs),
        values=arr,
        applicable=np.ones(arr.shape, bool) if applicable is None else np.array(applicable),
        dimension_weights=weights or {s.dimension: 1.0 for s in specs},
    )


def test_minmax_uses_fixed_goalposts_clips_and_flips() -> None:
    p = problem(
        [[1, 1], [2, 2], [5, 3]],
        [IndicatorSpec("x", "d", 0, 4), IndicatorSpec("y", "d", 0, 4, direction=-1)],
    )
    norm, _ = normalise(p, Method(treat_outliers=False))
    # x: 1/4, 2/4, 5/4 clipped to 1; y flipped: 1 - 1/4, 1 - 2/4, 1 - 3/4
    np.testing.assert_allclose(norm[:, 0], [0.25, 0.5, 1.0])
    np.testing.assert_allclose(norm[:, 1], [0.75, 0.5, 0.25])


def test_zscore_option_maps_through_the_normal_cdf() -> None:
    p = problem([[1], [2], [3]], [IndicatorSpec("x", "d", 0, 10)])
    norm, _ = normalise(p, Method("zscore", treat_outliers=False))
    # z = (x - 2) / sd, sd = sqrt(2/3): z = -1.2247, 0, 1.2247; Phi(1.2247) = 0.88966
    np.testing.assert_allclose(norm[:, 0], [0.11034, 0.5, 0.88966], atol=1e-5)


def test_outliers_winsorise_first_then_log() -> None:
    one_spike = np.array([1.0] * 9 + [100.0])  # skew 2.67, excess kurtosis 5.11
    treated, how = treat_outliers(one_spike)
    assert how.action == "winsorised"
    assert how.values_changed == 1
    assert treated.max() == 1.0
    long_tail = np.array([1.0] * 50 + [2, 3, 5, 8, 13, 21, 34, 55])  # 5 caps are not enough
    treated, how = treat_outliers(long_tail)
    assert how.action == "log"
    np.testing.assert_allclose(treated, np.log1p(long_tail))
    calm = np.array([1.0, 2, 3, NAN])
    treated, how = treat_outliers(calm)
    assert how.action == "none"
    assert np.isnan(treated[3])


def test_coverage_rule_leaves_out_sparse_indicators_and_says_so() -> None:
    p = problem(
        [[1, 1], [2, NAN], [3, NAN]],
        [IndicatorSpec("full", "d", 0, 4), IndicatorSpec("sparse", "e", 0, 4)],
    )
    kept, dropped = apply_coverage(p, 0.6)
    assert [s.code for s in kept.indicators] == ["full"]
    assert list(kept.dimension_weights) == ["d"]
    assert dropped[0].code == "sparse"
    assert "observed for 1 of 3 countries (33%)" in dropped[0].reason
    with pytest.raises(InvalidInput, match="leaves no indicator"):
        apply_coverage(p, 1.1)


def test_missing_stays_missing_and_is_imputed_within_its_dimension() -> None:
    p = problem(
        [[1, 2, 3], [2, NAN, 1], [4, 4, NAN]],
        [
            IndicatorSpec("a", "d1", 0, 4),
            IndicatorSpec("b", "d1", 0, 4),
            IndicatorSpec("c", "d2", 0, 4),
        ],
    )
    result = evaluate(p, Method(treat_outliers=False))
    # B misses b: imputed with B's other d1 indicator, a = 2/4 = 0.5.
    assert result.normalised[1, 1] == pytest.approx(0.5)
    assert "other indicators in this dimension" in result.imputation_rules[1][1]
    # C misses c, alone in d2: imputed with the mean of C's observed values (1 + 1) / 2.
    assert result.normalised[2, 2] == pytest.approx(1.0)
    assert "all the country's observed" in result.imputation_rules[2][2]
    assert result.imputed.tolist() == [[False] * 3, [False, True, False], [False, False, True]]
    assert np.isnan(p.values[1, 1])  # the input is untouched


def test_arithmetic_and_geometric_aggregation_by_hand() -> None:
    p = problem(
        [[1, 4], [2, 2]],
        [IndicatorSpec("a", "d1", 0, 4), IndicatorSpec("b", "d2", 0, 4)],
    )
    arith = evaluate(p, Method(treat_outliers=False))
    geo = evaluate(p, Method(aggregation="geometric", treat_outliers=False))
    # A: dims 0.25 and 1.0 -> arithmetic 0.625, geometric sqrt(0.25) = 0.5
    assert arith.capacity[0] == pytest.approx(0.625)
    assert geo.capacity[0] == pytest.approx(0.5)
    # B: 0.5 and 0.5 either way; the geometric mean punishes A's imbalance
    assert arith.capacity[1] == pytest.approx(0.5)
    assert geo.capacity[1] == pytest.approx(0.5)
    assert arith.rank.tolist() == [1, 2]
    assert geo.rank.tolist() == [1, 1]  # a tie: both rank first
    assert arith.need[0] == pytest.approx(0.375)
    weighted = evaluate(p, Method(treat_outliers=False), dimension_weights={"d1": 3, "d2": 1})
    assert weighted.capacity[0] == pytest.approx(0.75 * 0.25 + 0.25 * 1.0)


def test_not_applicable_cells_are_left_out_not_imputed() -> None:
    p = problem(
        [[2, NAN], [2, 4]],
        [IndicatorSpec("a", "d1", 0, 4), IndicatorSpec("with_japan", "d1", 0, 4)],
        applicable=[[True, False], [True, True]],
    )
    result = evaluate(p, Method(treat_outliers=False))
    assert not result.imputed.any()
    assert result.imputation_rules[0][1] == "not applicable"
    assert result.capacity[0] == pytest.approx(0.5)  # only a counts for A
    assert result.capacity[1] == pytest.approx(0.75)


def test_ranks() -> None:
    assert ranks_of(np.array([0.2, 0.9, 0.5])).tolist() == [3, 1, 2]


def four_countries() -> IndexProblem:
    return problem(
        [[1.0, 300, 20], [2.5, 900, NAN], [0.4, NAN, NAN], [3.1, 1500, 60]],
        [
            IndicatorSpec("rd", "investment", 0, 4),
            IndicatorSpec("res", "people", 0, 6000),
            IndicatorSpec("enrol", "people", 0, 100),
        ],
    )


def test_vectorised_draws_equal_the_per_draw_loop() -> None:
    p = four_countries()
    choices = draw_choices(p, 64, np.random.default_rng(1))
    np.testing.assert_allclose(evaluate_draws(p, choices), evaluate_draws_loop(p, choices))


def test_monte_carlo_is_reproducible_and_gaps_widen_intervals() -> None:
    p = four_countries()
    a = monte_carlo(p, np.random.default_rng(7), draws=500, sensitivity_draws=50)
    b = monte_carlo(p, np.random.default_rng(7), draws=500, sensitivity_draws=50)
    np.testing.assert_array_equal(a.capacity_p95, b.capacity_p95)
    # Imputation alone moves only the countries with gaps (B misses one value, C two).
    only_imputation = draw_choices(p, 300, np.random.default_rng(3), vary=("imputation",))
    capacity = evaluate_draws(p, only_imputation)
    width = capacity.max(axis=0) - capacity.min(axis=0)
    assert width[0] == 0
    assert width[3] == 0
    assert width[1] > 0
    assert width[2] > width[1]
    assert {e.factor for e in a.sensitivity} == set(FACTORS)
    shifts = [e.mean_rank_shift for e in a.sensitivity]
    assert shifts == sorted(shifts, reverse=True)


def test_draw_choices_rejects_unknown_factors() -> None:
    with pytest.raises(InvalidInput, match="unknown factors"):
        draw_choices(four_countries(), 10, np.random.default_rng(0), vary=("colour",))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.floats(0, 10)), min_size=3, max_size=3),
        min_size=3,
        max_size=4,
    ),
    st.sampled_from(["minmax", "zscore"]),
    st.sampled_from(["arithmetic", "geometric"]),
)
def test_capacity_is_always_within_zero_and_one(
    rows: list[list[float | None]], norm: str, agg: str
) -> None:
    values = [[NAN if v is None else v for v in row] for row in rows]
    for row in values:  # every country has at least one observed value
        if all(np.isnan(row)):
            row[0] = 1.0
    p = problem(
        values,
        [
            IndicatorSpec("a", "d1", 0, 10),
            IndicatorSpec("b", "d1", 0, 10),
            IndicatorSpec("c", "d2", 0, 10),
        ],
    )
    result = evaluate(p, Method(norm, agg))  # type: ignore[arg-type]
    assert np.all((result.capacity >= 0) & (result.capacity <= 1))
    assert sorted(result.rank.tolist()) == sorted(ranks_of(result.capacity).tolist())
