"""Whole project slots from country shares: Huntington–Hill, Webster or largest remainder.

The two divisor methods hand out one slot at a time to the country with the highest priority
p_i / d(n_i), where n_i is what it holds so far: d(n) = √(n(n+1)) for Huntington–Hill (the
method of the US House of Representatives since 1941), d(n) = n + ½ for Webster (Sainte-Laguë).
Because each slot goes to whoever ranks highest, adding a slot never takes one away from anyone
(house monotonicity). Largest remainder (Hamilton) floors the quotas and tops up by the largest
fractional parts; it can break house monotonicity (the Alabama paradox).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, get_args

from nexus_sti.core.errors import Infeasible, InvalidInput

Method = Literal["huntington_hill", "webster", "largest_remainder"]
METHODS: tuple[Method, ...] = get_args(Method)


@dataclass(frozen=True, slots=True)
class Apportionment:
    """Slots per country; ``quotas`` are the exact fair shares slots·p_i they were rounded from."""

    slots: dict[str, int]
    quotas: dict[str, float]
    method: Method
    minimum: int


def _count(field: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(field, f"must be a whole number ≥ 0, got {value!r}")
    return value


def _divisor_method(
    p: Mapping[str, float], slots: int, minimum: int, divisor: Callable[[int], float]
) -> dict[str, int]:
    def priority(code: str, held: int) -> float:
        d = divisor(held)
        if d == 0:
            # Holding nothing yet: any positive share outranks every country that holds some.
            return math.inf if p[code] > 0 else 0.0
        return p[code] / d

    held = dict.fromkeys(p, minimum)
    # Min-heap on (−priority, code): the highest priority first, ties to the smaller code.
    heap = [(-priority(code, minimum), code) for code in p]
    heapq.heapify(heap)
    for _ in range(slots - minimum * len(p)):
        _, code = heapq.heappop(heap)
        held[code] += 1
        heapq.heappush(heap, (-priority(code, held[code]), code))
    return held


def _largest_remainder(shares: Mapping[str, float], slots: int, minimum: int) -> dict[str, int]:
    # Exact rationals, so remainders that are equal on paper compare equal and the top-up
    # provably has enough candidates.
    exact = {code: Fraction(value) for code, value in shares.items()}
    total = sum(exact.values(), Fraction(0))
    quota = {code: slots * value / total for code, value in exact.items()}
    whole = {code: math.floor(q) for code, q in quota.items()}
    remainder = {code: quota[code] - whole[code] for code in quota}
    held = {code: max(minimum, whole[code]) for code in quota}
    missing = slots - sum(held.values())
    if missing > 0:
        # A country raised to the minimum already holds more than its quota: no top-up for it.
        candidates = sorted(
            (code for code in quota if held[code] == whole[code]),
            key=lambda code: (-remainder[code], code),
        )
        for code in candidates[:missing]:
            held[code] += 1
    elif missing < 0:
        # Taking from the smallest remainders first leaves each donor as close to its quota as
        # possible; repeated passes cover the case where one pass of donors is not enough.
        donors = sorted(
            (code for code in quota if held[code] > minimum),
            key=lambda code: (remainder[code], code),
        )
        surplus = -missing
        while surplus:
            for code in donors:
                if surplus and held[code] > minimum:
                    held[code] -= 1
                    surplus -= 1
    return held


def apportion(
    shares: Mapping[str, float],
    slots: int,
    *,
    method: Method = "huntington_hill",
    minimum: int = 1,
) -> Apportionment:
    """Split ``slots`` whole slots so that each country gets at least ``minimum`` and the total
    is exact. Shares are normalised first. Ties go to the alphabetically first country code.

    Largest remainder: quotas are floored and raised to ``minimum``; leftover slots go to the
    largest remainders among countries not raised; if raising overshoots, slots are taken back
    from the smallest remainders among countries above the minimum."""
    codes = list(shares)
    if not codes:
        raise InvalidInput("shares", "needs at least one country")
    for code in codes:
        value = shares[code]
        if not (math.isfinite(value) and value >= 0):
            raise InvalidInput(f"shares.{code}", f"must be a finite number ≥ 0, got {value}")
    total = math.fsum(shares[code] for code in codes)
    if total <= 0:
        raise InvalidInput("shares", "must add up to more than 0")
    slots = _count("slots", slots)
    minimum = _count("minimum", minimum)
    if method not in METHODS:
        raise InvalidInput("method", f"must be one of {', '.join(METHODS)}, got {method!r}")
    n = len(codes)
    if slots < minimum * n:
        raise Infeasible(
            f"{slots} slots cannot give each of the {n} countries {minimum}",
            hint=f"at least {minimum * n} slots are needed to give each of the {n} countries "
            f"{minimum}; with {slots} the minimum can be at most {slots // n}",
        )
    p = {code: shares[code] / total for code in codes}
    if method == "huntington_hill":
        held = _divisor_method(p, slots, minimum, lambda k: math.sqrt(k * (k + 1)))
    elif method == "webster":
        held = _divisor_method(p, slots, minimum, lambda k: k + 0.5)
    else:
        held = _largest_remainder({code: shares[code] for code in codes}, slots, minimum)
    return Apportionment(
        slots={code: held[code] for code in codes},
        quotas={code: slots * p[code] for code in codes},
        method=method,
        minimum=minimum,
    )
