"""What the demo generator is asked to make, validated when constructed."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn

from nexus_sti.core.areas import AREA_CODES
from nexus_sti.core.countries import ASEAN_MEMBERS, ISO3_CODES
from nexus_sti.core.errors import InvalidInput

BUDGET_STEP_JPY = 100_000


class DemoParamsError(InvalidInput, ValueError):
    """A demo parameter breaks a rule; ``field`` and ``rule`` say which."""


@dataclass(frozen=True, slots=True)
class DemoParams:
    """What to generate. Capacities and co-authorship come from reference data."""

    research_capacity: Mapping[str, float]  # > 0 for each of the 12 countries
    coauthorship_with_japan: Mapping[str, float]  # >= 0 for each ASEAN member state
    n_proposals: int = 400
    n_reviewers: int = 120
    n_mobility_applicants: int = 150
    n_host_offers: int = 60
    min_institutions_per_country: int = 2
    max_institutions_per_country: int = 25
    researchers_per_institution: int = 8
    bilateral_share: float = 0.6
    bilateral_budget_jpy: tuple[int, int] = (25_000_000, 40_000_000)
    regional_budget_jpy: tuple[int, int] = (90_000_000, 150_000_000)
    # Who leads: researchers in Japan (the NEXUS shape, partners drawn by co-authorship with
    # Japan), or None: a multilateral program, where any of ``countries`` may lead and the
    # partners are drawn from the others by research capacity.
    lead_country: str | None = "JPN"
    countries: tuple[str, ...] = ISO3_CODES  # whose researchers join proposals
    areas: tuple[str, ...] = AREA_CODES  # the priority areas proposals are drawn in

    def __post_init__(self) -> None:
        # Keep validated copies, so a caller mutating its dict later cannot change the params.
        capacity = _weights("research_capacity", self.research_capacity, ISO3_CODES, zero_ok=False)
        coauthorship = _weights(
            "coauthorship_with_japan", self.coauthorship_with_japan, ASEAN_MEMBERS, zero_ok=True
        )
        if sum(coauthorship.values()) <= 0:
            fail("coauthorship_with_japan", "positive_total", "must not be zero for every member")
        object.__setattr__(self, "research_capacity", capacity)
        object.__setattr__(self, "coauthorship_with_japan", coauthorship)
        minimums = {
            "n_proposals": (0, ""),
            "n_reviewers": (len(ISO3_CODES), "so every country has a reviewer"),
            "n_mobility_applicants": (0, ""),
            "n_host_offers": (0, ""),
            "min_institutions_per_country": (2, "so every country has a company and a university"),
            "researchers_per_institution": (1, ""),
        }
        for name, (minimum, why) in minimums.items():
            object.__setattr__(self, name, _integer(name, getattr(self, name), minimum, why))
        object.__setattr__(
            self,
            "max_institutions_per_country",
            _integer(
                "max_institutions_per_country",
                self.max_institutions_per_country,
                self.min_institutions_per_country,
                "(min_institutions_per_country)",
            ),
        )
        if self.lead_country not in (None, "JPN"):
            fail(
                "lead_country",
                "supported",
                "must be JPN (co-authorship weights are Japan's) or None (any country leads)",
            )
        unknown = [c for c in self.countries if c not in ISO3_CODES]
        if unknown or len(self.countries) < 3:
            fail("countries", "known", f"must list at least 3 of {', '.join(ISO3_CODES)}")
        object.__setattr__(self, "countries", tuple(self.countries))
        if not self.areas or any(a not in AREA_CODES for a in self.areas):
            fail("areas", "known", f"must list priority areas among {', '.join(AREA_CODES)}")
        object.__setattr__(self, "areas", tuple(self.areas))
        share = self.bilateral_share
        if not _is_real(share) or not 0 <= float(share) <= 1:
            fail("bilateral_share", "range", f"must be a number in [0, 1], got {share!r}")
        object.__setattr__(self, "bilateral_share", float(share))
        for name in ("bilateral_budget_jpy", "regional_budget_jpy"):
            object.__setattr__(self, name, _budget(name, getattr(self, name)))


def fail(field: str, rule: str, detail: str) -> NoReturn:
    """Raise ``DemoParamsError`` for ``field``; the message starts with the field name."""
    raise DemoParamsError(field, rule, f"{field} {detail}")


def _weights(field: str, values: object, keys: Sequence[str], *, zero_ok: bool) -> dict[str, float]:
    if not isinstance(values, Mapping):
        fail(field, "mapping", f"must map country codes to numbers, got {type(values).__name__}")
    missing = [k for k in keys if k not in values]
    if missing:
        fail(field, "all_countries", f"is missing {', '.join(missing)}; needs {', '.join(keys)}")
    unknown = sorted(str(k) for k in values if k not in keys)
    if unknown:
        fail(
            field,
            "known_countries",
            f"has unknown keys {', '.join(unknown)}; allowed: {', '.join(keys)}",
        )
    out: dict[str, float] = {}
    for key in keys:
        value = values[key]
        if (
            not _is_real(value)
            or not math.isfinite(value)
            or value < 0
            or (value == 0 and not zero_ok)
        ):
            bound = ">= 0" if zero_ok else "> 0"
            fail(field, "positive", f"[{key}] must be a finite number {bound}, got {value!r}")
        out[key] = float(value)
    return out


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _integer(field: str, value: object, minimum: int, why: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        reason = f"must be an integer >= {minimum}" + (f" {why}" if why else "")
        fail(field, "minimum", f"{reason}, got {value!r}")
    return int(value)


def _budget(field: str, value: object) -> tuple[int, int]:
    if not isinstance(value, tuple | list) or len(value) != 2:
        fail(field, "pair", f"must be a (low, high) pair of JPY amounts, got {value!r}")
    low, high = value
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in (low, high)):
        fail(field, "integers", f"must hold whole JPY amounts, got {value!r}")
    if not 0 < low <= high:
        fail(field, "order", f"must satisfy 0 < low <= high, got {value!r}")
    if math.ceil(low / BUDGET_STEP_JPY) > high // BUDGET_STEP_JPY:
        fail(field, "step", f"must contain a multiple of {BUDGET_STEP_JPY:,} JPY, got {value!r}")
    return (int(low), int(high))


def institution_counts(params: DemoParams) -> dict[str, int]:
    """Organisations per country: min + (max - min) * sqrt(capacity / largest capacity)."""
    top = max(params.research_capacity.values())
    low = params.min_institutions_per_country
    span = params.max_institutions_per_country - low
    return {c: low + round(span * math.sqrt(params.research_capacity[c] / top)) for c in ISO3_CODES}
