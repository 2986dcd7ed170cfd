"""The program configuration: what a funding program is, as a validated, immutable value.

A program file (TOML) is human-edited and versioned by its ``format_version`` (the file format)
and ``program.version`` (the edition of this program's rules). Nothing here is NEXUS-specific:
NEXUS is one preset in ``presets/``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nexus_sti.core.areas import AREA_CODES
from nexus_sti.core.countries import ASEAN_MEMBERS, ISO3_CODES
from nexus_sti.core.money import MINOR_UNITS, ExchangeRate, Money, RateTable

FORMAT_VERSION = 1
CODE_PATTERN = r"^[a-z][a-z0-9_-]{1,39}$"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _currency(value: str) -> str:
    if value not in MINOR_UNITS:
        raise ValueError(f"unknown currency {value!r}; allowed: {', '.join(sorted(MINOR_UNITS))}")
    return value


def _countries(values: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [v for v in values if v not in ISO3_CODES]
    if unknown:
        raise ValueError(f"unknown country codes {unknown}; allowed: {', '.join(ISO3_CODES)}")
    return values


class YearCap(_Frozen):
    year: int = Field(ge=2000, le=2100)
    cap: Decimal = Field(gt=0, description="Most the program may commit in this year.")


class Funder(_Frozen):
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1)
    role: Literal["implementing_agency", "co_funder"]
    country: str
    # A national co-funder pays for its own country's teams only; the implementing agency pays
    # for the countries listed here (usually its own).
    pays_for: tuple[str, ...]
    # A national co-funder's own limits for one project, in its country's currency (optional).
    max_per_project: Decimal | None = Field(None, gt=0)
    max_per_year: Decimal | None = Field(None, gt=0)

    _check_country = field_validator("country")(lambda cls, v: _countries((v,))[0])
    _check_pays_for = field_validator("pays_for")(lambda cls, v: _countries(v))

    @model_validator(mode="after")
    def _co_funder_pays_own(self) -> Self:
        if self.role == "co_funder" and self.pays_for != (self.country,):
            raise ValueError(
                f"a co_funder pays for its own country's teams only: pays_for = [{self.country!r}]"
            )
        return self


class Track(_Frozen):
    """A funding track and the consortium rules a proposal in it must meet."""

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1)
    kind: Literal["research", "mobility"]
    description: str = ""
    requires_japan: bool = False
    min_member_states: int = Field(0, ge=0, le=len(ASEAN_MEMBERS))
    max_member_states: int | None = Field(None, ge=0, le=len(ASEAN_MEMBERS))
    min_industry_partners: int = Field(0, ge=0)
    budget_currency: str = "JPY"
    max_budget_per_project: Decimal = Field(gt=0)
    max_budget_per_year: Decimal | None = Field(
        None, gt=0, description="Most the implementing agency pays one project in one year."
    )
    min_duration_months: int = Field(1, ge=1, le=120)
    max_duration_months: int = Field(36, ge=1, le=120)
    max_indirect_cost_share: Decimal = Field(Decimal("0.30"), ge=0, le=1)
    budget_share: Decimal = Field(
        ge=0, le=1, description="Share of the program budget planned for this track."
    )

    _check_currency = field_validator("budget_currency")(lambda cls, v: _currency(v))

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if self.max_member_states is not None and self.max_member_states < self.min_member_states:
            raise ValueError("max_member_states must be at least min_member_states")
        if (
            self.max_budget_per_year is not None
            and self.max_budget_per_year > self.max_budget_per_project
        ):
            raise ValueError("max_budget_per_year must not exceed max_budget_per_project")
        if self.max_duration_months < self.min_duration_months:
            raise ValueError("max_duration_months must be at least min_duration_months")
        return self


class ReviewCriterion(_Frozen):
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1)
    description: str = ""
    weight: Decimal = Field(gt=0)
    scale_min: Decimal = Decimal(0)
    scale_max: Decimal = Decimal(5)
    step: Decimal = Field(Decimal("0.5"), gt=0)
    threshold: Decimal | None = None

    @model_validator(mode="after")
    def _scale(self) -> Self:
        if self.scale_max <= self.scale_min:
            raise ValueError("scale_max must be greater than scale_min")
        if self.threshold is not None:
            if not self.scale_min <= self.threshold <= self.scale_max:
                raise ValueError("threshold must lie on the scale")
            if (self.threshold - self.scale_min) % self.step != 0:
                raise ValueError(
                    f"threshold {self.threshold} is not a score a reviewer can give "
                    f"(scale {self.scale_min}-{self.scale_max} in steps of {self.step})"
                )
        return self


class RateEntry(_Frozen):
    on: date
    base: str
    quote: str
    rate: Decimal = Field(gt=0)
    source: str = ""

    _check_base = field_validator("base", "quote")(lambda cls, v: _currency(v))


class ProgramInfo(_Frozen):
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1)
    short_name: str = Field(min_length=1, max_length=40)
    version: int = Field(ge=1)
    description: str = ""
    currency: str
    total_budget: Decimal = Field(gt=0)
    countries: tuple[str, ...] = Field(min_length=2)
    priority_areas: tuple[str, ...] = Field(min_length=1)
    total_threshold: Decimal | None = None

    _check_currency = field_validator("currency")(lambda cls, v: _currency(v))
    _check_countries = field_validator("countries")(lambda cls, v: _countries(v))

    @field_validator("countries", "priority_areas")
    @classmethod
    def _unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise ValueError(f"listed more than once: {', '.join(repeated)}")
        return values

    @field_validator("priority_areas")
    @classmethod
    def _areas(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in values if v not in AREA_CODES]
        if unknown:
            raise ValueError(f"unknown priority areas {unknown}; allowed: {', '.join(AREA_CODES)}")
        return values


class ProgramConfig(_Frozen):
    """A whole program file."""

    format_version: Literal[1]
    program: ProgramInfo
    years: tuple[YearCap, ...] = Field(min_length=1)
    funders: tuple[Funder, ...] = Field(min_length=1)
    tracks: tuple[Track, ...] = Field(min_length=1)
    review_criteria: tuple[ReviewCriterion, ...] = Field(min_length=1)
    exchange_rates: tuple[RateEntry, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        years = [y.year for y in self.years]
        if years != sorted(set(years)) or years != list(range(years[0], years[0] + len(years))):
            raise ValueError("years must be consecutive, ascending and unique")
        caps = sum((y.cap for y in self.years), Decimal(0))
        if caps < self.program.total_budget:
            raise ValueError(
                f"the per-year caps add up to {caps}, less than total_budget "
                f"{self.program.total_budget}: the budget could never be spent"
            )
        for label, items in (
            ("funders", self.funders),
            ("tracks", self.tracks),
            ("review_criteria", self.review_criteria),
        ):
            codes = [i.code for i in items]
            if len(codes) != len(set(codes)):
                raise ValueError(f"{label} codes must be unique, got {codes}")
        if sum(1 for f in self.funders if f.role == "implementing_agency") != 1:
            raise ValueError("exactly one funder must have role = 'implementing_agency'")
        countries = set(self.program.countries)
        outside = [
            f.code
            for f in self.funders
            if f.country not in countries or not set(f.pays_for) <= countries
        ]
        if outside:
            raise ValueError(
                f"funders {outside} are from, or pay for, countries outside program.countries"
            )
        members = sum(1 for c in self.program.countries if c in ASEAN_MEMBERS)
        for t in self.tracks:
            if t.requires_japan and "JPN" not in countries:
                raise ValueError(
                    f"track {t.code!r} requires Japan, but JPN is not a program country"
                )
            if t.min_member_states > members:
                raise ValueError(
                    f"track {t.code!r} needs {t.min_member_states} member states; "
                    f"the program has {members}"
                )
        if self.program.total_threshold is not None:
            low = sum((c.scale_min for c in self.review_criteria), Decimal(0))
            high = sum((c.scale_max for c in self.review_criteria), Decimal(0))
            if not low <= self.program.total_threshold <= high:
                raise ValueError(
                    f"program.total_threshold {self.program.total_threshold} cannot be reached: "
                    f"total scores run from {low} to {high}"
                )
        share = sum((t.budget_share for t in self.tracks), Decimal(0))
        if share != 1:
            raise ValueError(f"tracks' budget_share must add up to 1, got {share}")
        needed = {(t.budget_currency, self.program.currency) for t in self.tracks}
        for base, quote in needed:
            if base != quote and not any(
                {r.base, r.quote} == {base, quote} for r in self.exchange_rates
            ):
                raise ValueError(
                    f"a track budgets in {base} but no {base}/{quote} exchange rate is given"
                )
        return self

    def track(self, code: str) -> Track:
        for t in self.tracks:
            if t.code == code:
                return t
        raise KeyError(f"no track {code!r}; tracks: {', '.join(t.code for t in self.tracks)}")

    def rate_table(self) -> RateTable:
        return RateTable(
            ExchangeRate(on=r.on, base=r.base, quote=r.quote, rate=r.rate, source=r.source)
            for r in self.exchange_rates
        )

    @property
    def total_budget(self) -> Money:
        return Money(self.program.total_budget, self.program.currency)

    def track_budget(self, code: str) -> Money:
        return (self.total_budget * self.track(code).budget_share).rounded()
