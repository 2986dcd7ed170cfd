"""Country target shares: the share formula, floors and caps, the per-cycle change limit, and
the allocation keys of real programs.

One cycle's targets come from :func:`target_shares`: :func:`share_formula` turns need and scale
figures into base shares, then :func:`bounded_shares` holds every country between its floor and
cap. Whole project slots come from :func:`~nexus_sti.algorithms.apportionment.apportion`,
re-exported here. Everything is pure: mappings in, new frozen results out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from nexus_sti.algorithms.apportionment import Apportionment, Method, apportion
from nexus_sti.core.errors import Infeasible, InvalidInput

__all__ = [
    "Apportionment",
    "Bound",
    "BoundedShares",
    "Method",
    "TargetShares",
    "apportion",
    "balkans_key",
    "bounded_shares",
    "share_formula",
    "target_shares",
    "widening_countries",
    "widening_need",
]

Bound = Literal["floor", "cap", "free"]

WEIGHT_TOLERANCE = 1e-9
# Sums of floors or caps within this of 1 count as exactly 1, so 11 floors of 1/11 stay feasible.
SUM_TOLERANCE = 1e-13


@dataclass(frozen=True, slots=True)
class BoundedShares:
    """Shares held within floors and caps. ``bound`` names the limit each country is held at
    ("free": it kept its proportional share); ``rounds`` counts redistribution rounds, 0 when
    the base shares were already in range."""

    shares: dict[str, float]
    bound: dict[str, Bound]
    rounds: int


@dataclass(frozen=True, slots=True)
class TargetShares:
    """One cycle's country targets and what explains them: the formula's shares, the floors and
    caps actually applied (``lower``, ``upper``: after the change limit), which of them binds,
    every input (``parameters``, for the audit record) and any conflicts that were resolved."""

    formula_shares: dict[str, float]
    shares: dict[str, float]
    bound: dict[str, Bound]
    lower: dict[str, float]
    upper: dict[str, float]
    rounds: int
    parameters: dict[str, object]
    notes: tuple[str, ...]


def _codes(countries: Sequence[str]) -> list[str]:
    codes = list(countries)
    if not codes:
        raise InvalidInput("countries", "needs at least one country")
    if len(set(codes)) != len(codes):
        raise InvalidInput("countries", "must not repeat a country")
    return codes


def _values(field: str, values: Mapping[str, float], codes: Sequence[str]) -> dict[str, float]:
    """Each country's value, checked present, finite and ≥ 0; keys not in ``codes`` are ignored."""
    out: dict[str, float] = {}
    for code in codes:
        if code not in values:
            raise InvalidInput(f"{field}.{code}", f"missing: every country needs a {field} value")
        value = float(values[code])
        if not (math.isfinite(value) and value >= 0):
            raise InvalidInput(f"{field}.{code}", f"must be a finite number ≥ 0, got {value}")
        out[code] = value
    return out


def _fraction(field: str, value: float) -> float:
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise InvalidInput(field, f"must be between 0 and 1, got {value}")
    return float(value)


def _total(x: float) -> str:
    # Two decimals read well ("1.10"), but would print a near miss such as 1.0001 as "1.00".
    return f"{x:.2f}" if abs(x - 1) >= 0.005 else f"{x:.6f}"


def share_formula(
    *,
    countries: Sequence[str],
    need: Mapping[str, float],
    scale: Mapping[str, float],
    a: float,
    b: float,
    c: float,
) -> dict[str, float]:
    """s_i = a/N + b·need_i/Σneed + c·scale_i/Σscale: an equal part, a need part and a scale
    part, weighted by a, b, c ≥ 0 with a + b + c = 1. Values for countries not listed are
    ignored; an all-zero need (or scale) is refused only when its weight is above 0."""
    codes = _codes(countries)
    weights = {"a": a, "b": b, "c": c}
    for name, weight in weights.items():
        if not (math.isfinite(weight) and weight >= 0):
            raise InvalidInput(name, f"must be a finite number ≥ 0, got {weight}")
    weight_sum = math.fsum(weights.values())
    if abs(weight_sum - 1) > WEIGHT_TOLERANCE:
        raise InvalidInput("a+b+c", f"the weights must add up to 1, got {weight_sum:.9g}")
    need_v = _values("need", need, codes)
    scale_v = _values("scale", scale, codes)
    need_sum = math.fsum(need_v.values())
    scale_sum = math.fsum(scale_v.values())
    if b > 0 and need_sum == 0:
        raise InvalidInput("need", "is 0 for every country while b > 0: set b = 0 or give a need")
    if c > 0 and scale_sum == 0:
        raise InvalidInput("scale", "is 0 for every country while c > 0: set c = 0 or give a scale")
    # Dividing by the weights' own sum absorbs the tolerated 1e-9, so the shares add up to 1.
    a, b, c = a / weight_sum, b / weight_sum, c / weight_sum
    n = len(codes)
    return {
        code: a / n
        + (b * (need_v[code] / need_sum) if b > 0 else 0.0)
        + (c * (scale_v[code] / scale_sum) if c > 0 else 0.0)
        for code in codes
    }


def _check_feasible(
    base: Mapping[str, float],
    lower: Mapping[str, float],
    upper: Mapping[str, float],
    tolerance: float = SUM_TOLERANCE,
) -> None:
    n = len(base)
    for code in base:
        if lower[code] > upper[code]:
            raise Infeasible(
                f"the floor for {code} is above its cap",
                hint=f"the floor for {code} ({lower[code]:.4f}) is above its cap "
                f"({upper[code]:.4f}): lower the floor or raise the cap",
                country=code,
            )
    floors = math.fsum(lower.values())
    if floors > 1 + tolerance:
        uneven = "" if len(set(lower.values())) == 1 else f", or lower them by {floors - 1:.4f}"
        raise Infeasible(
            f"the floors add up to more than the whole ({_total(floors)})",
            hint=f"floors add up to {_total(floors)} > 1: lower the floor to at most {1 / n:.4f}"
            + uneven,
        )
    caps = math.fsum(upper.values())
    if caps < 1 - tolerance:
        uneven = "" if len(set(upper.values())) == 1 else f", or raise them by {1 - caps:.4f}"
        raise Infeasible(
            f"the caps add up to less than the whole ({_total(caps)})",
            hint=f"caps add up to {_total(caps)} < 1: raise the cap to at least {1 / n:.4f}"
            + uneven,
        )
    reachable = math.fsum(upper[c] if base[c] > 0 else lower[c] for c in base)
    if reachable < 1 - tolerance:
        zero = ", ".join(c for c in base if base[c] == 0)
        raise Infeasible(
            "countries with a base share of 0 can only receive their floor, and the others' caps "
            "cannot take the rest",
            hint=f"{zero} can only receive their floor, so the reachable total is "
            f"{_total(reachable)} < 1: raise the other caps or these floors",
        )


def bounded_shares(
    base: Mapping[str, float], *, lower: Mapping[str, float], upper: Mapping[str, float]
) -> BoundedShares:
    """Hold each share within [lower_i, upper_i]: a country out of range is fixed at the bound it
    breaks, and the others share what is left in proportion to their base shares, round after
    round. A country with a base share of 0 receives only its floor. ``base`` need not add up to
    1. The result is the unique s_i = clip(λ·base_i, lower_i, upper_i) with Σs = 1."""
    codes = _codes(list(base))
    weight = _values("base", base, codes)
    base_sum = math.fsum(weight.values())
    if base_sum == 0:
        raise InvalidInput("base", "is 0 for every country: there is nothing to share out")
    # Normalised, so the level λ stays near 1 even for tiny or huge base figures.
    weight = {code: value / base_sum for code, value in weight.items()}
    lo = _values("lower", lower, codes)
    hi = _values("upper", upper, codes)
    _check_feasible(weight, lo, hi)

    fixed: dict[str, float] = {}
    bound: dict[str, Bound] = {}
    for code in codes:
        if weight[code] == 0:
            fixed[code], bound[code] = lo[code], "floor"
    free = [code for code in codes if code not in bound]
    rounds = 0
    # Each round fixes at least one country, so at most N + 1 passes are ever needed.
    for _ in range(len(codes) + 1):
        free_weight = math.fsum(weight[code] for code in free)
        remaining = 1 - math.fsum(fixed.values())
        # remaining·(w/W), not (remaining/W)·w: a tiny W must not overflow the level to ∞.
        proposal = {code: remaining * (weight[code] / free_weight) for code in free}
        over = [code for code in free if proposal[code] > hi[code]]
        under = [code for code in free if proposal[code] < lo[code]]
        if not over and not under:
            break
        excess = math.fsum(proposal[code] - hi[code] for code in over)
        deficit = math.fsum(lo[code] - proposal[code] for code in under)
        # Excess above deficit means the final level λ is higher than this round's, so every
        # country over its cap now is over it in the answer too, while one under its floor may
        # not be: fix only the heavier side (both when they balance), and no fixing is undone.
        if excess >= deficit:
            for code in over:
                fixed[code], bound[code] = hi[code], "cap"
        if deficit >= excess:
            for code in under:
                fixed[code], bound[code] = lo[code], "floor"
        free = [code for code in free if code not in bound]
        rounds += 1
    else:  # pragma: no cover - unreachable, see the loop's comment
        raise RuntimeError("bounded_shares did not settle")

    shares = {code: fixed.get(code, proposal.get(code, 0.0)) for code in codes}
    for code in free:
        bound[code] = "free"
    return BoundedShares(shares=shares, bound={c: bound[c] for c in codes}, rounds=rounds)


@dataclass(slots=True)
class _Window:
    lower: dict[str, float]
    upper: dict[str, float]
    pinned: dict[str, Bound]
    notes: list[str]


def _change_window(
    codes: Sequence[str], previous: Mapping[str, float], limit: float, floor: float, cap: float
) -> _Window:
    """Bounds from floor, cap and |s_i − previous_i| ≤ limit; where they clash the country is
    pinned to the floor or cap nearest to its allowed window."""
    window = _Window({}, {}, {}, [])
    for code in codes:
        low, high = previous[code] - limit, previous[code] + limit
        if low > cap:
            window.lower[code] = window.upper[code] = cap
            window.pinned[code] = "cap"
            window.notes.append(
                f"{code}: the change limit keeps it at or above {low:.4f}, over the cap "
                f"{cap:.4f}; the cap wins"
            )
        elif high < floor:
            window.lower[code] = window.upper[code] = floor
            window.pinned[code] = "floor"
            window.notes.append(
                f"{code}: the change limit keeps it at or below {high:.4f}, under the floor "
                f"{floor:.4f}; the floor wins"
            )
        else:
            window.lower[code], window.upper[code] = max(floor, low), min(cap, high)
    return window


def _fits(base: Mapping[str, float], window: _Window, tolerance: float) -> bool:
    try:
        _check_feasible(base, window.lower, window.upper, tolerance)
    except Infeasible:
        return False
    return True


def target_shares(
    *,
    countries: Sequence[str],
    need: Mapping[str, float],
    scale: Mapping[str, float],
    a: float,
    b: float,
    c: float,
    floor: float = 0.0,
    cap: float = 1.0,
    previous: Mapping[str, float] | None = None,
    max_change: float | None = None,
) -> TargetShares:
    """The formula's shares held within [floor, cap] and, when ``previous`` (last cycle's
    targets) and ``max_change`` are given, within previous_i ± max_change. Floors and caps win
    over the change limit: per country, and, if the limits together leave no solution, by
    widening the change limit for everyone; ``notes`` says so each time."""
    formula = share_formula(countries=countries, need=need, scale=scale, a=a, b=b, c=c)
    codes = list(formula)
    floor, cap = _fraction("floor", floor), _fraction("cap", cap)
    if floor > cap:
        raise Infeasible(
            "the floor is above the cap",
            hint=f"floor {floor:.4f} > cap {cap:.4f}: lower the floor or raise the cap",
        )
    if (previous is None) != (max_change is None):
        missing = "previous" if previous is None else "max_change"
        raise InvalidInput(missing, "previous and max_change are needed together")
    plain = _Window(dict.fromkeys(codes, floor), dict.fromkeys(codes, cap), {}, [])
    # Floors and caps alone must fit; otherwise their own error, not the change limit's, applies.
    _check_feasible(formula, plain.lower, plain.upper)
    window, widened = plain, ""
    prev: dict[str, float] | None = None
    if previous is not None and max_change is not None:
        prev = _values("previous", previous, codes)
        for code, value in prev.items():
            _fraction(f"previous.{code}", value)
        limit = _fraction("max_change", max_change)
        window = _change_window(codes, prev, limit, floor, cap)
        if not _fits(formula, window, SUM_TOLERANCE):
            # At a limit of 1 the window is [floor, cap], which fits (checked above); bisection
            # keeps `wide` fitting, so the limit used is at most 1e-15 wider than needed. It asks
            # for an exact fit: the bisection would otherwise stop where the slack runs out.
            narrow, wide = limit, 1.0
            while wide - narrow > 1e-15:
                mid = (narrow + wide) / 2
                if _fits(formula, _change_window(codes, prev, mid, floor, cap), 0.0):
                    wide = mid
                else:
                    narrow = mid
            window = _change_window(codes, prev, wide, floor, cap)
            widened = (
                f"the change limit {limit:.4f} cannot hold together with the floors and caps; "
                f"widened to {wide:.4f} for every country"
            )
    result = bounded_shares(formula, lower=window.lower, upper=window.upper)
    parameters: dict[str, object] = {
        "countries": codes,
        "need": {code: float(need[code]) for code in codes},
        "scale": {code: float(scale[code]) for code in codes},
        "a": a,
        "b": b,
        "c": c,
        "floor": floor,
        "cap": cap,
        "previous": prev,
        "max_change": max_change,
    }
    return TargetShares(
        formula_shares=formula,
        shares=result.shares,
        # A pinned country has floor = cap; name the limit that pinned it, not the side that
        # happened to fix it during redistribution.
        bound={code: window.pinned.get(code, result.bound[code]) for code in codes},
        lower=window.lower,
        upper=window.upper,
        rounds=result.rounds,
        parameters=parameters,
        notes=(*window.notes, *([widened] if widened else [])),
    )


def widening_countries(capacity: Mapping[str, float], *, threshold: float = 0.7) -> dict[str, bool]:
    """Whether each country's capacity is below ``threshold`` × the group's mean capacity.

    Source: Horizon Europe (Regulation (EU) 2021/695) counts as "widening countries" the Member
    States whose R&I excellence composite indicator is below 70 % of the EU average."""
    codes = _codes(list(capacity))
    values = _values("capacity", capacity, codes)
    if not (math.isfinite(threshold) and threshold >= 0):
        raise InvalidInput("threshold", f"must be a finite number ≥ 0, got {threshold}")
    mean = math.fsum(values.values()) / len(codes)
    return {code: values[code] < threshold * mean for code in codes}


def widening_need(capacity: Mapping[str, float], *, threshold: float = 0.7) -> dict[str, float]:
    """1.0 for a widening country (see :func:`widening_countries`), else 0.0: as ``need`` in
    :func:`share_formula` it splits the need part equally among the widening countries."""
    flags = widening_countries(capacity, threshold=threshold)
    return {code: 1.0 if widening else 0.0 for code, widening in flags.items()}


def balkans_key(
    *,
    population: Mapping[str, float],
    gdp_per_capita: Mapping[str, float],
    population_weight: float = 0.6,
) -> dict[str, float]:
    """w·pop_i/Σpop + (1 − w)·(1/gdppc_i)/Σ(1/gdppc), with w = ``population_weight``.

    Source: the Annex of Regulation (EU) 2024/1449 (Reform and Growth Facility for the Western
    Balkans) weighs a population key 60 % and a key of the region's mean GDP per capita over the
    beneficiary's 40 %; the mean cancels once normalised. This equals :func:`share_formula` with
    a = 0, b = 1 − w (need = 1/gdppc) and c = w (scale = population)."""
    codes = _codes(list(population))
    pop = _values("population", population, codes)
    gdp = _values("gdp_per_capita", gdp_per_capita, codes)
    weight = _fraction("population_weight", population_weight)
    for code, value in gdp.items():
        if value == 0:
            raise InvalidInput(f"gdp_per_capita.{code}", "must be above 0")
    pop_sum = math.fsum(pop.values())
    if pop_sum == 0:
        raise InvalidInput("population", "is 0 for every country")
    inverse = {code: 1 / gdp[code] for code in codes}
    inverse_sum = math.fsum(inverse.values())
    return {
        code: weight * pop[code] / pop_sum + (1 - weight) * inverse[code] / inverse_sum
        for code in codes
    }
