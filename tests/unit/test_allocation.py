"""Country target shares and project slots: hand-worked cases, invariants, and errors.

Country codes in the hand-worked cases are in alphabetical order IDN < LAO < MYS < THA, which is
the order ties are broken in.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nexus_sti.algorithms.allocation import (
    TargetShares,
    balkans_key,
    bounded_shares,
    share_formula,
    target_shares,
    widening_countries,
    widening_need,
)
from nexus_sti.algorithms.apportionment import METHODS, Method, apportion
from nexus_sti.core.countries import ASEAN_MEMBERS
from nexus_sti.core.errors import Infeasible, InvalidInput

THREE = ("IDN", "LAO", "MYS")
FOUR = ("IDN", "LAO", "MYS", "THA")
FAST = settings(max_examples=100, deadline=None)


def by(codes: tuple[str, ...], *values: float) -> dict[str, float]:
    return dict(zip(codes, values, strict=True))


def approx(expected: dict[str, float]) -> object:
    return pytest.approx(expected, abs=1e-12)


# --- share_formula -------------------------------------------------------------------------


def test_share_formula_adds_equal_need_and_scale_parts() -> None:
    # a/N = 0.3/3 = 0.1 each; need (2, 1, 1) → b part 0.5·(½, ¼, ¼) = (0.25, 0.125, 0.125);
    # scale (1, 1, 2) → c part 0.2·(¼, ¼, ½) = (0.05, 0.05, 0.1).
    # IDN 0.1 + 0.25 + 0.05 = 0.4; LAO 0.1 + 0.125 + 0.05 = 0.275; MYS 0.1 + 0.125 + 0.1 = 0.325.
    shares = share_formula(
        countries=THREE,
        need=by(THREE, 2, 1, 1),
        scale=by(THREE, 1, 1, 2),
        a=0.3,
        b=0.5,
        c=0.2,
    )
    assert shares == approx(by(THREE, 0.4, 0.275, 0.325))
    assert list(shares) == list(THREE)


def test_share_formula_allows_an_all_zero_part_whose_weight_is_zero() -> None:
    # b = 0, so the zero need does not matter: 0.5/3 + 0.5·(¾, ¼, 0).
    shares = share_formula(
        countries=THREE, need=by(THREE, 0, 0, 0), scale=by(THREE, 3, 1, 0), a=0.5, b=0, c=0.5
    )
    assert shares == approx(by(THREE, 1 / 6 + 0.375, 1 / 6 + 0.125, 1 / 6))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"a": 0.3, "b": 0.5, "c": 0.1}, "a+b+c"),
        ({"a": 0.6, "b": -0.1, "c": 0.5}, "b"),
        ({"need": {"IDN": 1.0, "LAO": -1.0, "MYS": 1.0}}, "need.LAO"),
        ({"scale": {"IDN": 1.0, "LAO": 1.0}}, "scale.MYS"),
        ({"need": {"IDN": 0.0, "LAO": 0.0, "MYS": 0.0}}, "need"),
        ({"need": {"IDN": math.nan, "LAO": 1.0, "MYS": 1.0}}, "need.IDN"),
        ({"countries": ("IDN", "IDN")}, "countries"),
    ],
)
def test_share_formula_names_the_bad_field(kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {
        "countries": THREE,
        "need": by(THREE, 1, 1, 1),
        "scale": by(THREE, 1, 1, 1),
        "a": 0.4,
        "b": 0.4,
        "c": 0.2,
    } | kwargs
    with pytest.raises(InvalidInput) as caught:
        share_formula(**args)
    assert caught.value.field == field


# --- bounded_shares --------------------------------------------------------------------------


def test_shares_in_range_are_left_alone() -> None:
    result = bounded_shares(
        by(THREE, 0.5, 0.3, 0.2), lower=dict.fromkeys(THREE, 0.1), upper=dict.fromkeys(THREE, 0.6)
    )
    assert result.shares == approx(by(THREE, 0.5, 0.3, 0.2))
    assert result.bound == dict.fromkeys(THREE, "free")
    assert result.rounds == 0


def test_a_capped_country_s_excess_goes_to_the_others_in_proportion() -> None:
    # IDN 0.5 > cap 0.4: its 0.1 goes to LAO and MYS 3:2 → LAO 0.3 + 0.06, MYS 0.2 + 0.04.
    result = bounded_shares(
        by(THREE, 0.5, 0.3, 0.2), lower=dict.fromkeys(THREE, 0.0), upper=dict.fromkeys(THREE, 0.4)
    )
    assert result.shares == approx(by(THREE, 0.4, 0.36, 0.24))
    assert result.bound == {"IDN": "cap", "LAO": "free", "MYS": "free"}
    assert result.rounds == 1


def test_redistribution_can_push_another_country_over_its_cap() -> None:
    # Round 1: IDN 0.5 → cap 0.35; the other 0.65 goes 0.3 : 0.15 : 0.05 = 6:3:1
    #          → LAO 0.39, MYS 0.195, THA 0.065. LAO is now over the cap.
    # Round 2: LAO → 0.35; the remaining 0.3 goes 3:1 → MYS 0.225, THA 0.075.
    result = bounded_shares(
        by(FOUR, 0.5, 0.3, 0.15, 0.05),
        lower=dict.fromkeys(FOUR, 0.0),
        upper=dict.fromkeys(FOUR, 0.35),
    )
    assert result.shares == approx(by(FOUR, 0.35, 0.35, 0.225, 0.075))
    assert result.bound == {"IDN": "cap", "LAO": "cap", "MYS": "free", "THA": "free"}
    assert result.rounds == 2


def test_a_floor_is_paid_for_by_the_others_in_proportion() -> None:
    # MYS 0.04 < floor 0.1: the 0.06 it needs comes from IDN and LAO 2:1 → 0.6 and 0.3.
    result = bounded_shares(
        by(THREE, 0.64, 0.32, 0.04), lower=dict.fromkeys(THREE, 0.1), upper=dict.fromkeys(THREE, 1)
    )
    assert result.shares == approx(by(THREE, 0.6, 0.3, 0.1))
    assert result.bound == {"IDN": "free", "LAO": "free", "MYS": "floor"}


def test_a_country_under_its_floor_may_be_lifted_by_a_cap_s_excess() -> None:
    # IDN 0.7 is 0.2 over the cap 0.5; MYS 0.08 is 0.01 under the floor 0.09. The excess is
    # larger, so only IDN is fixed: the other 0.5 goes 0.22 : 0.08 → LAO 0.3667, MYS 0.1333,
    # which lifts MYS over its floor. Fixing MYS at 0.09 in the same round would be wrong.
    result = bounded_shares(
        by(THREE, 0.7, 0.22, 0.08),
        lower=dict.fromkeys(THREE, 0.09),
        upper=dict.fromkeys(THREE, 0.5),
    )
    assert result.shares == approx(by(THREE, 0.5, 0.5 * 0.22 / 0.3, 0.5 * 0.08 / 0.3))
    assert result.bound == {"IDN": "cap", "LAO": "free", "MYS": "free"}
    assert result.rounds == 1


def test_a_country_with_base_share_zero_receives_its_floor_only() -> None:
    # MYS has no base share: it gets its floor 0.05; the other 0.95 goes 3:2 → 0.57, 0.38.
    result = bounded_shares(
        by(THREE, 0.6, 0.4, 0.0), lower=dict.fromkeys(THREE, 0.05), upper=dict.fromkeys(THREE, 1)
    )
    assert result.shares == approx(by(THREE, 0.57, 0.38, 0.05))
    assert result.bound["MYS"] == "floor"


def test_base_shares_need_not_add_up_to_one() -> None:
    bounds = {"lower": dict.fromkeys(THREE, 0.0), "upper": dict.fromkeys(THREE, 0.4)}
    assert bounded_shares(by(THREE, 5, 3, 2), **bounds) == bounded_shares(
        by(THREE, 0.5, 0.3, 0.2), **bounds
    )


def test_a_tiny_base_share_does_not_overflow() -> None:
    # KHM is capped at 0.5; BRN's base share of 1e-308 is the only one left to scale up.
    result = bounded_shares(
        {"BRN": 1e-308, "KHM": 4.0}, lower={"BRN": 0, "KHM": 0.5}, upper={"BRN": 1, "KHM": 0.5}
    )
    assert result.shares == {"BRN": 0.5, "KHM": 0.5}


def test_floors_above_one_are_infeasible_and_say_how_far_to_lower_them() -> None:
    with pytest.raises(Infeasible) as caught:
        bounded_shares(
            dict.fromkeys(ASEAN_MEMBERS, 1.0),
            lower=dict.fromkeys(ASEAN_MEMBERS, 0.1),
            upper=dict.fromkeys(ASEAN_MEMBERS, 1.0),
        )
    # 11 × 0.1 = 1.10; a common floor fits only up to 1/11 = 0.0909.
    assert caught.value.hint == "floors add up to 1.10 > 1: lower the floor to at most 0.0909"


def test_caps_below_one_are_infeasible_and_say_how_far_to_raise_them() -> None:
    with pytest.raises(Infeasible) as caught:
        bounded_shares(
            dict.fromkeys(FOUR, 1.0), lower=dict.fromkeys(FOUR, 0.0), upper=dict.fromkeys(FOUR, 0.2)
        )
    assert caught.value.hint == "caps add up to 0.80 < 1: raise the cap to at least 0.2500"


def test_a_floor_above_its_cap_is_infeasible() -> None:
    with pytest.raises(Infeasible) as caught:
        bounded_shares(by(THREE, 1, 1, 1), lower=by(THREE, 0, 0.3, 0), upper=by(THREE, 1, 0.2, 1))
    assert caught.value.hint.startswith("the floor for LAO (0.3000) is above its cap (0.2000)")


def test_zero_base_shares_can_make_caps_unreachable() -> None:
    # LAO can only receive its floor 0; IDN's cap 0.5 leaves half of the whole unplaced.
    with pytest.raises(Infeasible) as caught:
        bounded_shares(
            {"IDN": 1.0, "LAO": 0.0}, lower={"IDN": 0, "LAO": 0}, upper={"IDN": 0.5, "LAO": 0.5}
        )
    assert caught.value.hint.startswith("LAO can only receive their floor")


def test_bounds_must_cover_every_country() -> None:
    with pytest.raises(InvalidInput) as caught:
        bounded_shares(
            by(THREE, 1, 1, 1), lower={"IDN": 0, "LAO": 0}, upper=dict.fromkeys(THREE, 1)
        )
    assert caught.value.field == "lower.MYS"


# --- target_shares ---------------------------------------------------------------------------


def formula_targets(**bounds: Any) -> TargetShares:
    """The first share_formula example, (0.4, 0.275, 0.325), under ``bounds``."""
    return target_shares(
        countries=THREE,
        need=by(THREE, 2, 1, 1),
        scale=by(THREE, 1, 1, 2),
        a=0.3,
        b=0.5,
        c=0.2,
        **bounds,
    )


def equal_targets(**bounds: Any) -> TargetShares:
    """A formula that gives 1/3 to each of three countries, under ``bounds``."""
    ones = dict.fromkeys(THREE, 1.0)
    return target_shares(countries=THREE, need=ones, scale=ones, a=1.0, b=0.0, c=0.0, **bounds)


def test_target_shares_applies_the_cap_to_the_formula() -> None:
    # Cap 0.35. Round 1: IDN 0.4 → 0.35; 0.05 goes 0.275 : 0.325 → LAO 0.29792, MYS 0.35208.
    # Round 2: MYS → 0.35; LAO gets the rest, 1 − 0.7 = 0.3.
    result = formula_targets(cap=0.35)
    assert result.formula_shares == approx(by(THREE, 0.4, 0.275, 0.325))
    assert result.shares == approx(by(THREE, 0.35, 0.3, 0.35))
    assert result.bound == {"IDN": "cap", "LAO": "free", "MYS": "cap"}
    assert result.rounds == 2
    assert result.notes == ()


def test_target_shares_limits_the_change_from_last_cycle() -> None:
    # Previous (0.5, 0.25, 0.25) ± 0.1 → bounds IDN [0.4, 0.6], LAO and MYS [0.15, 0.35].
    # The formula gives 1/3 each: IDN rises to 0.4, the others share 0.6 → 0.3 each.
    result = equal_targets(previous=by(THREE, 0.5, 0.25, 0.25), max_change=0.1)
    assert result.shares == approx(by(THREE, 0.4, 0.3, 0.3))
    assert result.bound == {"IDN": "floor", "LAO": "free", "MYS": "free"}
    assert result.lower == approx(by(THREE, 0.4, 0.15, 0.15))
    assert result.notes == ()


def test_floors_and_caps_win_over_the_change_limit_and_say_so() -> None:
    # Floor 0.25, cap 0.45, previous (0.6, 0.3, 0.1) ± 0.1:
    # IDN could fall only to 0.5, above the cap → held at the cap 0.45;
    # MYS could rise only to 0.2, below the floor → held at the floor 0.25; LAO gets 0.3.
    result = equal_targets(
        floor=0.25,
        cap=0.45,
        previous=by(THREE, 0.6, 0.3, 0.1),
        max_change=0.1,
    )
    assert result.shares == approx(by(THREE, 0.45, 0.3, 0.25))
    assert result.bound == {"IDN": "cap", "LAO": "free", "MYS": "floor"}
    assert result.notes == (
        "IDN: the change limit keeps it at or above 0.5000, over the cap 0.4500; the cap wins",
        "MYS: the change limit keeps it at or below 0.2000, under the floor 0.2500; the floor wins",
    )


def test_a_change_limit_that_cannot_fit_with_the_floors_is_widened() -> None:
    # Floor 0.3, previous (0, 0.5, 0.5) ± 0.01: IDN is held at its floor 0.3 (a note), and
    # LAO and MYS cannot fall below 0.49, so the floors would add up to 1.28. The smallest
    # limit that fits is 0.15: 0.3 + 2 × (0.5 − 0.15) = 1. Then LAO = MYS = 0.35.
    result = equal_targets(floor=0.3, previous=by(THREE, 0.0, 0.5, 0.5), max_change=0.01)
    assert result.shares == pytest.approx(by(THREE, 0.3, 0.35, 0.35), abs=1e-9)
    assert sum(result.shares.values()) == pytest.approx(1, abs=1e-12)
    # The per-country note is about the limit actually used.
    assert result.notes[0].startswith("IDN: the change limit keeps it at or below 0.1500")
    assert result.notes[1] == (
        "the change limit 0.0100 cannot hold together with the floors and caps; "
        "widened to 0.1500 for every country"
    )


def test_target_shares_records_every_parameter() -> None:
    result = formula_targets(floor=0.1, previous=by(THREE, 0.4, 0.3, 0.3), max_change=0.1)
    assert result.parameters == {
        "countries": list(THREE),
        "need": by(THREE, 2, 1, 1),
        "scale": by(THREE, 1, 1, 2),
        "a": 0.3,
        "b": 0.5,
        "c": 0.2,
        "floor": 0.1,
        "cap": 1.0,
        "previous": by(THREE, 0.4, 0.3, 0.3),
        "max_change": 0.1,
    }
    json.dumps(result.parameters)  # fit for the audit record


def test_target_shares_floors_for_eleven_countries() -> None:
    with pytest.raises(Infeasible) as caught:
        target_shares(
            countries=ASEAN_MEMBERS,
            need=dict.fromkeys(ASEAN_MEMBERS, 1.0),
            scale=dict.fromkeys(ASEAN_MEMBERS, 1.0),
            a=1,
            b=0,
            c=0,
            floor=0.1,
        )
    assert caught.value.hint == "floors add up to 1.10 > 1: lower the floor to at most 0.0909"


def test_previous_and_max_change_come_together() -> None:
    with pytest.raises(InvalidInput) as caught:
        equal_targets(previous=by(THREE, 0.4, 0.3, 0.3))
    assert caught.value.field == "max_change"


# --- apportion -------------------------------------------------------------------------------

SHARES_58_26_16 = by(THREE, 58, 26, 16)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        # Huntington–Hill from (1, 1, 1), priority p/√(n(n+1)) with √2, √6, √12, √20, √30:
        # A 41.01 → A 23.68 → B 18.38 → A 16.74 → A 12.97 → C 11.31 → B 10.61 (A has 10.59).
        ("huntington_hill", (5, 3, 2)),
        # Webster from (1, 1, 1), priority p/(n + ½):
        # A 38.67 → A 23.2 → B 17.33 → A 16.57 → A 12.89 → C 10.67 → A 10.55 (B has 10.4).
        ("webster", (6, 2, 2)),
        # Hamilton: quotas 5.8, 2.6, 1.6 → floors 5, 2, 1; 2 left for the largest remainders:
        # IDN .8, then LAO and MYS tie at .6 and LAO comes first.
        ("largest_remainder", (6, 3, 1)),
    ],
)
def test_the_three_methods_differ_on_a_small_example(
    method: Method, expected: tuple[int, int, int]
) -> None:
    result = apportion(SHARES_58_26_16, 10, method=method)
    assert result.slots == by(THREE, *expected)
    assert result.quotas == pytest.approx(by(THREE, 5.8, 2.6, 1.6))
    assert (result.method, result.minimum) == (method, 1)


def test_huntington_hill_gives_every_country_with_a_share_a_slot_first() -> None:
    # With minimum 0, n = 0 has priority p/0 = ∞: 3 slots go one to each country under
    # Huntington–Hill, while Webster (0.9/0.5 = 1.8, then 0.6, 0.36) and Hamilton (quotas
    # 2.7, 0.15, 0.15 → 2, 0, 0 plus IDN's remainder .7) give all three to IDN.
    shares = by(THREE, 0.9, 0.05, 0.05)
    assert apportion(shares, 3, minimum=0).slots == by(THREE, 1, 1, 1)
    assert apportion(shares, 3, method="webster", minimum=0).slots == by(THREE, 3, 0, 0)
    assert apportion(shares, 3, method="largest_remainder", minimum=0).slots == by(THREE, 3, 0, 0)


def test_largest_remainder_takes_back_an_overshoot_from_the_smallest_remainder() -> None:
    # Quotas 2.3, 2.2, 0.25, 0.25 → floors 2, 2, 0, 0 → raised to 2, 2, 1, 1 = 6 > 5 slots.
    # Of the countries above the minimum, LAO has the smaller remainder (.2 < .3) and gives one.
    result = apportion(by(FOUR, 46, 44, 5, 5), 5, method="largest_remainder")
    assert result.slots == by(FOUR, 2, 1, 1, 1)


def test_largest_remainder_takes_back_more_than_one_slot_from_a_donor() -> None:
    # Quotas 3.88, 0.04, 0.04, 0.04 → 3, 1, 1, 1 = 6 > 4: IDN, the only donor, gives two.
    result = apportion(by(FOUR, 97, 1, 1, 1), 4, method="largest_remainder")
    assert result.slots == by(FOUR, 1, 1, 1, 1)


@pytest.mark.parametrize("method", METHODS)
def test_ties_go_to_the_first_country_code_whatever_the_input_order(method: Method) -> None:
    shares = {"MYS": 1.0, "LAO": 1.0, "IDN": 1.0}
    assert apportion(shares, 4, method=method).slots == {"MYS": 1, "LAO": 1, "IDN": 2}


def test_a_country_with_no_share_still_gets_its_minimum() -> None:
    assert apportion({"IDN": 1.0, "LAO": 0.0}, 5).slots == {"IDN": 4, "LAO": 1}


@pytest.mark.parametrize("method", METHODS)
def test_thousands_of_slots_are_exact(method: Method) -> None:
    # How fast: benchmarks/bench_apportionment.py (timings are not test assertions).
    shares = {code: float(i + 1) for i, code in enumerate(ASEAN_MEMBERS)}  # 1 … 11, Σ = 66
    result = apportion(shares, 6600, method=method)
    # Quotas are whole numbers (100·(i + 1)), so every method must hit them exactly.
    assert result.slots == {code: 100 * (i + 1) for i, code in enumerate(ASEAN_MEMBERS)}


def test_too_few_slots_are_infeasible_and_say_how_many_are_needed() -> None:
    with pytest.raises(Infeasible) as caught:
        apportion(dict.fromkeys(ASEAN_MEMBERS, 1.0), 10)
    assert caught.value.hint.startswith(
        "at least 11 slots are needed to give each of the 11 countries 1"
    )


@pytest.mark.parametrize(
    ("shares", "slots", "kwargs", "field"),
    [
        ({"IDN": 1.0, "LAO": -0.5}, 3, {}, "shares.LAO"),
        ({"IDN": 0.0, "LAO": 0.0}, 3, {}, "shares"),
        ({"IDN": 1.0}, -1, {}, "slots"),
        ({"IDN": 1.0}, True, {}, "slots"),
        ({"IDN": 1.0}, 3, {"method": "dhondt"}, "method"),
        ({"IDN": 1.0}, 3, {"minimum": -1}, "minimum"),
    ],
)
def test_apportion_names_the_bad_field(
    shares: dict[str, float], slots: int, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        apportion(shares, slots, **kwargs)
    assert caught.value.field == field


# --- presets ---------------------------------------------------------------------------------


def test_widening_countries_are_below_70_percent_of_the_mean() -> None:
    # Mean capacity 0.5, so the threshold is 0.35: MYS (0.3) and THA (0.2) are widening.
    capacity = by(FOUR, 1.0, 0.5, 0.3, 0.2)
    assert widening_countries(capacity) == {"IDN": False, "LAO": False, "MYS": True, "THA": True}
    assert widening_need(capacity) == by(FOUR, 0, 0, 1, 1)
    # Exactly at the threshold is not below it: mean 1.0, LAO at 0.7.
    assert widening_countries(by(THREE, 1.3, 0.7, 1.0))["LAO"] is False


def test_widening_need_splits_the_need_part_equally_among_widening_countries() -> None:
    # a/N = 0.5/4 = 0.125 each; the need part 0.5 goes half to MYS and half to THA.
    shares = share_formula(
        countries=FOUR,
        need=widening_need(by(FOUR, 1.0, 0.5, 0.3, 0.2)),
        scale=dict.fromkeys(FOUR, 1.0),
        a=0.5,
        b=0.5,
        c=0.0,
    )
    assert shares == approx(by(FOUR, 0.125, 0.125, 0.375, 0.375))


def test_balkans_key_weighs_population_and_inverse_income() -> None:
    # Population (2, 1, 1) → (½, ¼, ¼) × 0.6 = (0.3, 0.15, 0.15).
    # GDP per capita (4, 2, 4) → inverses (¼, ½, ¼), Σ = 1 → × 0.4 = (0.1, 0.2, 0.1).
    key = balkans_key(population=by(THREE, 2, 1, 1), gdp_per_capita=by(THREE, 4, 2, 4))
    assert key == approx(by(THREE, 0.4, 0.35, 0.25))


def test_balkans_key_refuses_a_zero_income() -> None:
    with pytest.raises(InvalidInput) as caught:
        balkans_key(population=by(THREE, 1, 1, 1), gdp_per_capita=by(THREE, 1, 0, 1))
    assert caught.value.field == "gdp_per_capita.LAO"


# --- properties ------------------------------------------------------------------------------

positive = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)
# Zero or a normal float: a subnormal base share would make the ratio checks below overflow.
base_figure = st.one_of(st.just(0.0), st.floats(min_value=1e-6, max_value=1e6))


@st.composite
def country_codes(draw: st.DrawFn, min_size: int = 1) -> tuple[str, ...]:
    """A random subset of the ASEAN members, in random order."""
    n = draw(st.integers(min_size, len(ASEAN_MEMBERS)))
    return tuple(draw(st.permutations(ASEAN_MEMBERS))[:n])


@st.composite
def bounded_problems(
    draw: st.DrawFn,
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    codes = draw(country_codes())
    n = len(codes)
    base = {code: draw(base_figure) for code in codes}
    assume(sum(base.values()) > 0)
    lower = {code: draw(st.floats(0.0, 1.2 / n)) for code in codes}
    upper = {code: lower[code] + draw(st.floats(0.0, 1.0)) for code in codes}
    return base, lower, upper


@FAST
@given(bounded_problems())
def test_bounded_shares_hold_bounds_add_up_and_are_proportional(
    problem: tuple[dict[str, float], dict[str, float], dict[str, float]],
) -> None:
    base, lower, upper = problem
    before = copy.deepcopy(problem)
    reachable = math.fsum(upper[c] if base[c] > 0 else lower[c] for c in base)
    if math.fsum(lower.values()) > 1 + 1e-13 or reachable < 1 - 1e-13:
        with pytest.raises(Infeasible):
            bounded_shares(base, lower=lower, upper=upper)
        return
    result = bounded_shares(base, lower=lower, upper=upper)
    assert problem == before
    s = result.shares
    assert math.fsum(s.values()) == pytest.approx(1, abs=1e-12)
    assert 0 <= result.rounds <= len(base)
    for code in base:
        assert lower[code] <= s[code] <= upper[code]
        assert {"floor": lower[code], "cap": upper[code]}.get(result.bound[code], s[code]) == s[
            code
        ]
    # The answer is clip(λ·base, lower, upper) for one λ: free countries share one ratio,
    # capped ones would want more at λ, floored ones (with a base share) less.
    total = math.fsum(base.values())
    free = [c for c in base if result.bound[c] == "free" and base[c] > 0]
    if free:
        level = s[free[0]] / (base[free[0]] / total)
        for code in base:
            want = level * base[code] / total
            if result.bound[code] == "free":
                assert want == pytest.approx(s[code], rel=1e-9, abs=1e-12)
            elif result.bound[code] == "cap":
                assert want >= upper[code] - 1e-9
            elif base[code] > 0:
                assert want <= lower[code] + 1e-9
    flipped = bounded_shares(
        dict(reversed(base.items())), lower=dict(reversed(lower.items())), upper=upper
    )
    assert flipped == result


@FAST
@given(
    codes=country_codes(),
    data=st.data(),
    weights=st.tuples(positive, positive, positive).filter(lambda w: sum(w) > 0),
)
def test_target_shares_respect_floor_cap_and_change_limit(
    codes: tuple[str, ...], data: st.DataObject, weights: tuple[float, float, float]
) -> None:
    n = len(codes)
    need = {code: data.draw(positive) + 1.0 for code in codes}
    scale = {code: data.draw(positive) + 1.0 for code in codes}
    a, b, c = (w / math.fsum(weights) for w in weights)
    assume(abs(a + b + c - 1) <= 1e-9)
    floor = data.draw(st.floats(0.0, 1.0 / n))
    cap = data.draw(st.floats(max(floor, 1.0 / n), 1.0))
    raw = {code: data.draw(st.floats(0.01, 1.0)) for code in codes}
    previous = {code: value / math.fsum(raw.values()) for code, value in raw.items()}
    max_change = data.draw(st.floats(0.0, 0.5))
    inputs = copy.deepcopy((need, scale, previous))
    result = target_shares(
        countries=codes,
        need=need,
        scale=scale,
        a=a,
        b=b,
        c=c,
        floor=floor,
        cap=cap,
        previous=previous,
        max_change=max_change,
    )
    assert (need, scale, previous) == inputs
    assert math.fsum(result.shares.values()) == pytest.approx(1, abs=1e-12)
    assert math.fsum(result.formula_shares.values()) == pytest.approx(1, abs=1e-12)
    for code, share in result.shares.items():
        assert floor - 1e-12 <= share <= cap + 1e-12
        if not result.notes:
            assert abs(share - previous[code]) <= max_change + 1e-12


@FAST
@given(
    codes=country_codes(),
    data=st.data(),
    method=st.sampled_from(METHODS),
    minimum=st.integers(0, 2),
    extra=st.integers(0, 60),
)
def test_apportion_is_exact_respects_the_minimum_and_ignores_input_order(
    codes: tuple[str, ...], data: st.DataObject, method: Method, minimum: int, extra: int
) -> None:
    shares = {code: data.draw(positive) for code in codes}
    assume(sum(shares.values()) > 0)
    before = dict(shares)
    slots = minimum * len(codes) + extra
    result = apportion(shares, slots, method=method, minimum=minimum)
    assert shares == before
    assert sum(result.slots.values()) == slots
    assert all(n >= minimum for n in result.slots.values())
    assert math.fsum(result.quotas.values()) == pytest.approx(slots)
    flipped = apportion(dict(reversed(shares.items())), slots, method=method, minimum=minimum)
    assert flipped.slots == result.slots
    if method == "largest_remainder" and minimum == 0:
        # Hamilton stays within one slot of each quota.
        assert all(abs(result.slots[c] - result.quotas[c]) < 1 + 1e-9 for c in codes)


@FAST
@given(
    codes=country_codes(min_size=2),
    data=st.data(),
    method=st.sampled_from(("huntington_hill", "webster")),
    minimum=st.integers(0, 2),
)
def test_divisor_methods_are_house_monotone(
    codes: tuple[str, ...], data: st.DataObject, method: Method, minimum: int
) -> None:
    shares = {code: data.draw(positive) for code in codes}
    assume(sum(shares.values()) > 0)
    start = minimum * len(codes)
    previous = apportion(shares, start, method=method, minimum=minimum).slots
    for slots in range(start + 1, start + 25):
        current = apportion(shares, slots, method=method, minimum=minimum).slots
        assert all(current[c] >= previous[c] for c in codes)
        previous = current


@FAST
@given(
    codes=country_codes(),
    data=st.data(),
    population_weight=st.floats(0.0, 1.0),
)
def test_balkans_key_is_the_share_formula_with_a_zero(
    codes: tuple[str, ...], data: st.DataObject, population_weight: float
) -> None:
    population = {code: data.draw(st.floats(1.0, 1e9)) for code in codes}
    gdp = {code: data.draw(st.floats(100.0, 1e5)) for code in codes}
    key = balkans_key(
        population=population, gdp_per_capita=gdp, population_weight=population_weight
    )
    formula = share_formula(
        countries=codes,
        need={code: 1 / gdp[code] for code in codes},
        scale=population,
        a=0.0,
        b=1 - population_weight,
        c=population_weight,
    )
    assert key == pytest.approx(formula, abs=1e-12)
    assert math.fsum(key.values()) == pytest.approx(1, abs=1e-12)
