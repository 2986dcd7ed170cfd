import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexus_sti.algorithms.inclusiveness import countries_covered, gini, hoover_index
from nexus_sti.core.errors import InvalidInput


def test_hoover_by_hand() -> None:
    # Shares 0.5/0.3/0.2 against targets 0.4/0.4/0.2: |0.1| + |-0.1| + 0 = 0.2, halved = 0.1.
    assert hoover_index({"A": 5, "B": 3, "C": 2}, {"A": 0.4, "B": 0.4, "C": 0.2}) == pytest.approx(
        0.1
    )
    assert hoover_index({"A": 1}, {"A": 0.5, "B": 0.5}) == pytest.approx(0.5)
    assert hoover_index({"A": 2, "B": 2}, {"A": 1, "B": 1}) == 0


def test_gini_by_hand() -> None:
    assert gini([1, 1, 1, 1]) == 0
    # One of four gets everything: (2*4 - 4 - 1) * 1 / (4 * 1) = 3/4.
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)
    # (1, 2, 3): (-2*1 + 0*2 + 2*3) / (3 * 6) = 4/18.
    assert gini([3, 1, 2]) == pytest.approx(4 / 18)
    assert gini([0, 0]) == 0


def test_coverage_and_bad_input() -> None:
    covered, missing = countries_covered([("JPN", "THA"), ("JPN", "VNM")], ["THA", "LAO", "VNM"])
    assert covered == ("THA", "VNM")
    assert missing == ("LAO",)
    with pytest.raises(InvalidInput, match="negative"):
        gini([1, -1])
    with pytest.raises(InvalidInput, match="all be zero"):
        hoover_index({"A": 0}, {"A": 1})


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50))
def test_gini_is_between_zero_and_one(values: list[float]) -> None:
    assert 0 <= gini(values) < 1


def test_equal_amounts_give_zero_not_a_rounding_error_below_it() -> None:
    """Found by Hypothesis: five equal amounts summed to -2.7e-17 before the floor at 0."""
    assert gini([43691.43691503805] * 5) == 0.0


@given(
    st.dictionaries(st.sampled_from("ABCDE"), st.floats(0.01, 100), min_size=1),
    st.dictionaries(st.sampled_from("ABCDE"), st.floats(0.01, 100), min_size=1),
)
def test_hoover_is_a_distance_between_zero_and_one(
    a: dict[str, float], b: dict[str, float]
) -> None:
    h = hoover_index(a, b)
    assert 0 <= h <= 1 + 1e-12
    assert h == pytest.approx(hoover_index(b, a))
    assert hoover_index(a, a) == pytest.approx(0, abs=1e-12)
