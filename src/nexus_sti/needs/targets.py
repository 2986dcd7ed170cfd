"""Country targets for one track: from the needs assessment and the program's rules to shares
and whole project slots per partner country. Pure: the same inputs give the same targets.

Formula (documented in docs/needs.md)::

    s_i = a/N + b * need_i / sum(need) + c * scale_i / sum(scale),   a + b + c = 1

then floors and caps with redistribution, an optional limit on the change against the previous
cycle's targets, and apportionment of the track's slots (Huntington-Hill by default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from nexus_sti.algorithms.allocation import (
    Apportionment,
    TargetShares,
    apportion,
    target_shares,
    widening_countries,
    widening_need,
)
from nexus_sti.core.errors import InvalidInput
from nexus_sti.needs.assessment import NeedsAssessment
from nexus_sti.programs.model import ProgramConfig
from nexus_sti.reference.snapshot import ReferenceSnapshot

Preset = Literal["formula", "widening", "balkans"]
PRESET_LABELS: dict[str, str] = {
    "formula": "Need-based formula (equal + need + scale parts)",
    "widening": "Widening rule (Horizon Europe): countries below 70 % of the mean capacity "
    "share the need part",
    "balkans": "EU Western Balkans facility key: 60 % population, 40 % inverse GDP per capita",
}
SCALE_INDICATORS: dict[str, str] = {
    "IP.JRN.ARTC.SC": "scientific and technical journal articles",
    "SP.POP.SCIE.RD.P6": "researchers per million people",
    "SP.POP.TOTL": "population",
    "NY.GDP.MKTP.CD": "GDP (current US$)",
}


class TargetParams(BaseModel):
    """Everything a program designer sets; recorded with every saved decision."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    track: str
    preset: Preset = "formula"
    a: float = Field(0.3, ge=0, le=1, description="Equal part")
    b: float = Field(0.5, ge=0, le=1, description="Need part")
    c: float = Field(0.2, ge=0, le=1, description="Scale part")
    floor: float = Field(0.03, ge=0, le=1, description="Lowest share of any partner country")
    cap: float = Field(0.25, ge=0, le=1, description="Highest share of any partner country")
    slots: int | None = Field(None, ge=0, le=100_000, description="Default: from the budget")
    method: Literal["huntington_hill", "webster", "largest_remainder"] = "huntington_hill"
    minimum: int = Field(1, ge=0, le=100)
    scale_indicator: str = "IP.JRN.ARTC.SC"
    max_change: float | None = Field(None, ge=0, le=1, description="Against the previous cycle")
    widening_threshold: float = Field(0.7, gt=0, le=1)

    @model_validator(mode="after")
    def _check(self) -> TargetParams:
        if self.preset != "balkans" and abs(self.a + self.b + self.c - 1) > 1e-9:
            raise ValueError(f"a + b + c must be 1, got {self.a + self.b + self.c:g}")
        if self.scale_indicator not in SCALE_INDICATORS:
            allowed = ", ".join(SCALE_INDICATORS)
            raise ValueError(f"scale_indicator must be one of {allowed}")
        if self.floor > self.cap:
            raise ValueError("floor must not exceed cap")
        return self


def target_countries(config: ProgramConfig) -> tuple[str, ...]:
    """The countries that get targets: the program's partner countries (all but the home
    country, whose teams the implementing agency pays; every country of a multilateral
    program)."""
    return config.partner_countries


def default_slots(config: ProgramConfig, track: str) -> int:
    """Country places per year the track's budget pays for: projects per year (track budget /
    largest project / years) times the partner countries each project must involve."""
    t = config.track(track)
    budget = config.track_budget(track)
    on = config.exchange_rates[-1].on if config.exchange_rates else None
    if budget.currency != t.budget_currency:
        if on is None:
            raise InvalidInput("exchange_rates", f"needed to convert {budget.currency}")
        budget = config.rate_table().convert(budget, t.budget_currency, on)
    if t.max_budget_per_project is None:
        raise InvalidInput(
            "slots",
            f"the {t.code} track sets no per-project maximum to size its places from; "
            "enter the number of places",
        )
    projects = int(budget.amount / t.max_budget_per_project / Decimal(len(config.years)))
    home = 1 if config.home_country else 0
    partners = max(t.min_partner_countries, t.min_countries - home, 1)
    return max(projects, 1) * partners


def _latest(
    snapshot: ReferenceSnapshot, code: str, countries: tuple[str, ...], window: tuple[int, int]
) -> tuple[dict[str, float], dict[str, int]]:
    values: dict[str, float] = {}
    years: dict[str, int] = {}
    for iso3 in countries:
        found = snapshot.latest(code, iso3, window=window) or snapshot.latest(code, iso3)
        if found is None:
            raise InvalidInput("scale_indicator", f"{code} has no value for {iso3}")
        years[iso3], values[iso3] = found
    return values, years


@dataclass(frozen=True)
class TargetsResult:
    track: str
    countries: tuple[str, ...]
    params: TargetParams
    slots: int
    need: dict[str, float]
    scale: dict[str, float]
    shares: TargetShares
    apportionment: Apportionment
    widening: dict[str, bool] | None
    explanation: tuple[str, ...]
    inputs: dict[str, Any]


def compute_targets(
    *,
    assessment: NeedsAssessment,
    snapshot: ReferenceSnapshot,
    config: ProgramConfig,
    params: TargetParams,
    previous: Mapping[str, float] | None = None,
    previous_id: int | None = None,
) -> TargetsResult:
    """Targets for ``params.track``; ``previous`` (the last saved shares) applies the change
    limit when ``params.max_change`` is set."""
    try:
        config.track(params.track)
    except KeyError as exc:
        raise InvalidInput("track", str(exc.args[0])) from None
    countries = target_countries(config)
    slots = params.slots if params.slots is not None else default_slots(config, params.track)
    capacity = {c: assessment.country(c).capacity for c in countries}
    window = assessment.window
    a, b, c = params.a, params.b, params.c
    widening = None
    lines = [PRESET_LABELS[params.preset] + "."]
    scale_code = params.scale_indicator
    if params.preset == "balkans":
        a, b, c = 0.0, 0.4, 0.6
        scale_code = "SP.POP.TOTL"
        gdp, _gdp_years = _latest(snapshot, "NY.GDP.PCAP.CD", countries, window)
        need = {k: 1.0 / v for k, v in gdp.items()}
        lines.append(
            "need = 1 / GDP per capita (current US$); scale = population; a=0, b=0.4, c=0.6"
        )
    elif params.preset == "widening":
        widening = widening_countries(capacity, threshold=params.widening_threshold)
        need = widening_need(capacity, threshold=params.widening_threshold)
        listed = ", ".join(k for k, v in widening.items() if v) or "none"
        lines.append(
            f"widening countries (capacity below {params.widening_threshold:.0%} of the mean "
            f"{sum(capacity.values()) / len(capacity):.3f}): {listed}"
        )
    else:
        need = {k: assessment.country(k).need for k in countries}
        lines.append("need = 1 - capacity from the needs index")
    scale, scale_years = _latest(snapshot, scale_code, countries, window)
    lines.append(
        f"s_i = {a:g}/{len(countries)} + {b:g} * need_i / sum(need) + {c:g} * scale_i / sum(scale)"
        f", scale = {SCALE_INDICATORS.get(scale_code, scale_code)}"
    )
    shares = target_shares(
        countries=countries,
        need=need,
        scale=scale,
        a=a,
        b=b,
        c=c,
        floor=params.floor,
        cap=params.cap,
        previous=previous if params.max_change is not None else None,
        max_change=params.max_change if previous is not None else None,
    )
    binding = sorted(k for k, v in shares.bound.items() if v != "free")
    lines.append(
        f"floor {params.floor:.1%} and cap {params.cap:.1%}: "
        + (
            f"{', '.join(binding)} held at a bound, the rest redistributed in proportion "
            f"({shares.rounds} round(s))"
            if binding
            else "no country reaches either"
        )
    )
    if params.max_change is not None and previous is None:
        lines.append("no previous targets saved for this track: the change limit does not apply")
    lines.extend(shares.notes)
    allotted = apportion(shares.shares, slots, method=params.method, minimum=params.minimum)
    lines.append(
        f"{slots} slots apportioned by {params.method.replace('_', '-')}, "
        f"at least {params.minimum} per partner country"
    )
    inputs = {
        "need": need,
        "scale": scale,
        "scale_indicator": scale_code,
        "scale_years": scale_years,
        "capacity": capacity,
        "index_config_digest": assessment.config_digest,
        "index_seed": assessment.seed,
        "index_draws": assessment.draws,
        "snapshot_sha256": assessment.snapshot_digests,
        "previous_decision": previous_id,
        "previous_shares": dict(previous) if previous else None,
    }
    return TargetsResult(
        track=params.track,
        countries=countries,
        params=params,
        slots=slots,
        need=need,
        scale=scale,
        shares=shares,
        apportionment=allotted,
        widening=widening,
        explanation=tuple(lines),
        inputs=inputs,
    )
