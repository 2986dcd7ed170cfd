"""The program configuration: what a funding program is, as a validated, immutable value.

A program file (TOML) is human-edited and versioned by its ``format_version`` (the file format)
and ``program.version`` (the edition of this program's rules). Nothing here belongs to one
program: which countries take part, whether one of them is the *home* country (whose agency
implements the program and whose researchers lead), the consortium roles, the lead rules, the
reviewer groups and the funders all come from the file. NEXUS and an e-ASIA-like multilateral
program are two presets in ``presets/``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nexus_sti.core.areas import AREA_CODES
from nexus_sti.core.countries import ISO3_CODES, country
from nexus_sti.core.money import MINOR_UNITS, ExchangeRate, Money, RateTable

FORMAT_VERSION = 2
CODE_PATTERN = r"^[a-z][a-z0-9_-]{1,39}$"
ROLE_CODE_PATTERN = r"^[a-z][a-z0-9_-]{1,19}$"  # the members table stores 20 characters


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


# Where a person in a role, or a track's lead, must be based: the home country, any partner
# country (every program country but the home one), any program country, or a listed set.
Place = str | tuple[str, ...]
PLACES = ("home", "partner", "any")


def _place(value: Place) -> Place:
    if isinstance(value, tuple):
        if not value:
            raise ValueError('list at least one country, or write "home", "partner" or "any"')
        _countries(value)
    elif value not in PLACES:
        raise ValueError(f'write "home", "partner", "any" or a list of countries, not {value!r}')
    return value


def describe_place(place: Place) -> str:
    """``"home"`` -> "the home country"; a list -> its codes."""
    if isinstance(place, tuple):
        return ", ".join(place)
    return {
        "home": "the home country",
        "partner": "a partner country",
        "any": "any program country",
    }[place]


class YearCap(_Frozen):
    year: int = Field(ge=2000, le=2100)
    cap: Decimal = Field(gt=0, description="Most the program may commit in this year.")


class Funder(_Frozen):
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1)
    role: Literal["implementing_agency", "co_funder"]
    country: str
    # A national co-funder pays for its own country's teams only; the implementing agency (a
    # program with a home country has one) pays for the countries listed here (usually its own).
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
    lead_from: Place | None = Field(
        None, description="Where the project lead must be based; default: the lead role's rule."
    )
    min_partner_countries: int = Field(
        0, ge=0, le=len(ISO3_CODES), description="Partner countries with a country lead, at least."
    )
    max_partner_countries: int | None = Field(None, ge=0, le=len(ISO3_CODES))
    min_countries: int = Field(
        0, ge=0, le=len(ISO3_CODES), description="Countries among the leads, at least."
    )
    max_countries: int | None = Field(None, ge=0, le=len(ISO3_CODES))
    min_industry_partners: int = Field(0, ge=0)
    budget_currency: str
    max_budget_per_project: Decimal | None = Field(
        None, gt=0, description="Most the implementing agency pays one project (if it has one)."
    )
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
    _check_lead_from = field_validator("lead_from")(lambda cls, v: None if v is None else _place(v))

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        for low, high in (("min_partner_countries", "max_partner_countries"),
                          ("min_countries", "max_countries")):  # fmt: skip
            most = getattr(self, high)
            if most is not None and most < getattr(self, low):
                raise ValueError(f"{high} must be at least {low}")
        if self.max_budget_per_year is not None and (
            self.max_budget_per_project is None
            or self.max_budget_per_year > self.max_budget_per_project
        ):
            raise ValueError("max_budget_per_year must not exceed max_budget_per_project")
        if self.max_duration_months < self.min_duration_months:
            raise ValueError("max_duration_months must be at least min_duration_months")
        return self


class ConsortiumRole(_Frozen):
    """A role a consortium member can hold. ``kind`` says what the rules make of it: the one
    project ``lead``, a ``country_lead`` (one team's lead in a partner country) or a ``member``."""

    code: str = Field(pattern=ROLE_CODE_PATTERN, description="stored with each member")
    name: str = Field(min_length=1)
    kind: Literal["lead", "country_lead", "member"]
    based_in: Place = "any"

    _check_based_in = field_validator("based_in")(lambda cls, v: _place(v))


class ReviewerGroup(_Frozen):
    """Reviewers based in these countries form a group; assignment asks each proposal for at
    least ``minimum`` of them (an officer can change the minimum for one run)."""

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1)
    countries: Place
    minimum: int = Field(1, ge=0, le=10)

    _check_countries = field_validator("countries")(lambda cls, v: _place(v))


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
    home_country: str | None = Field(
        None,
        description="The country whose agency implements the program and whose researchers "
        "lead its projects; none for a multilateral program.",
    )
    partners_name: str = Field(
        "partner countries",
        min_length=1,
        max_length=60,
        description="What pages call the partner countries, e.g. 'ASEAN member states'.",
    )
    priority_areas: tuple[str, ...] = Field(min_length=1)
    total_threshold: Decimal | None = None

    _check_currency = field_validator("currency")(lambda cls, v: _currency(v))
    _check_countries = field_validator("countries")(lambda cls, v: _countries(v))

    @model_validator(mode="after")
    def _home_takes_part(self) -> Self:
        if self.home_country is not None and self.home_country not in self.countries:
            raise ValueError(f"home_country {self.home_country!r} is not one of the countries")
        return self

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

    format_version: Literal[2]
    program: ProgramInfo
    years: tuple[YearCap, ...] = Field(min_length=1)
    funders: tuple[Funder, ...] = Field(min_length=1)
    roles: tuple[ConsortiumRole, ...] = Field(min_length=2)
    tracks: tuple[Track, ...] = Field(min_length=1)
    review_criteria: tuple[ReviewCriterion, ...] = Field(min_length=1)
    reviewer_groups: tuple[ReviewerGroup, ...] = ()
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
            ("roles", self.roles),
            ("reviewer_groups", self.reviewer_groups),
        ):
            codes = [i.code for i in items]
            if len(codes) != len(set(codes)):
                raise ValueError(f"{label} codes must be unique, got {codes}")
        home = self.program.home_country
        agencies = [f for f in self.funders if f.role == "implementing_agency"]
        if home is not None and (len(agencies) != 1 or agencies[0].country != home):
            raise ValueError(
                f"a program with a home country needs exactly one funder with role = "
                f"'implementing_agency', based in {home}"
            )
        if home is None and agencies:
            raise ValueError(
                "an implementing agency needs a home country: set program.home_country, or make "
                f"{agencies[0].code!r} a co_funder (each funder then pays its own country's teams)"
            )
        kinds = [r.kind for r in self.roles]
        if kinds.count("lead") != 1 or "member" not in kinds or kinds.count("country_lead") > 1:
            raise ValueError(
                "roles: exactly one role of kind 'lead', at most one 'country_lead' and at least "
                "one 'member'"
            )
        places = [("roles", r.code, r.based_in) for r in self.roles]
        places += [("tracks", t.code, t.lead_from) for t in self.tracks if t.lead_from]
        places += [("reviewer_groups", g.code, g.countries) for g in self.reviewer_groups]
        for label, code, place in places:
            if place == "home" and home is None:
                raise ValueError(
                    f"{label} {code!r} names the home country, but program.home_country is not set"
                )
            if isinstance(place, tuple) and not set(place) <= set(self.program.countries):
                raise ValueError(f"{label} {code!r} names countries outside program.countries")
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
        partners = len(self.partner_countries)
        for t in self.tracks:
            if t.min_partner_countries > partners:
                raise ValueError(
                    f"track {t.code!r} needs {t.min_partner_countries} partner countries; "
                    f"the program has {partners}"
                )
            if t.min_countries > len(countries):
                raise ValueError(
                    f"track {t.code!r} needs {t.min_countries} countries; "
                    f"the program has {len(countries)}"
                )
            if agencies and t.max_budget_per_project is None:
                raise ValueError(
                    f"track {t.code!r}: set max_budget_per_project, the most the implementing "
                    "agency pays one project"
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

    @property
    def home_country(self) -> str | None:
        return self.program.home_country

    @property
    def partner_countries(self) -> tuple[str, ...]:
        """Every program country but the home one (all of them in a multilateral program)."""
        return tuple(c for c in self.program.countries if c != self.program.home_country)

    @property
    def implementing_agency(self) -> Funder | None:
        return next((f for f in self.funders if f.role == "implementing_agency"), None)

    def role_of_kind(self, kind: str) -> ConsortiumRole | None:
        return next((r for r in self.roles if r.kind == kind), None)

    @property
    def lead_role(self) -> ConsortiumRole:
        role = self.role_of_kind("lead")
        assert role is not None  # validated: exactly one
        return role

    def role(self, code: str) -> ConsortiumRole | None:
        return next((r for r in self.roles if r.code == code), None)

    def lead_place(self, track: Track) -> Place:
        return track.lead_from or self.lead_role.based_in

    def place_countries(self, place: Place) -> tuple[str, ...]:
        """The program countries a place stands for."""
        if isinstance(place, tuple):
            return place
        if place == "home":
            return (self.program.home_country,) if self.program.home_country else ()
        return self.partner_countries if place == "partner" else self.program.countries

    def countries_home_first(self, codes: set[str] | frozenset[str]) -> tuple[str, ...]:
        home = self.program.home_country
        return tuple(sorted(codes, key=lambda c: (c != home, c)))

    def consortium_rule(self, track: Track) -> str:
        """The track's consortium rule in a few words, e.g. "lead from THA; exactly 1 partner
        country; 1+ industry"."""
        place = self.lead_place(track)
        parts = [
            "lead from " + (", ".join(self.place_countries(place)) if place != "any" else "any")
        ]
        for low, high, noun in (
            (track.min_partner_countries, track.max_partner_countries, "partner countries"),
            (track.min_countries, track.max_countries, "countries"),
        ):
            if low == high and high is not None:
                parts.append(f"exactly {low} {noun}")
            elif high is not None:
                parts.append(f"{low}-{high} {noun}")
            elif low:
                parts.append(f"{low}+ {noun}")
        if track.min_industry_partners:
            parts.append(f"{track.min_industry_partners}+ industry")
        return "; ".join(parts)

    def budget_rule(self, track: Track) -> str:
        """Who pays and the caps that apply, in a sentence for applicants."""
        agency = self.implementing_agency
        if agency is not None and track.max_budget_per_project is not None:
            cur = track.budget_currency
            rule = (
                f"{agency.name} pays the {'/'.join(agency.pays_for)} teams, up to "
                f"{track.max_budget_per_project:,.0f} {cur} per project"
            )
            if track.max_budget_per_year is not None:
                rule += f" and {track.max_budget_per_year:,.0f} {cur} per year"
            rule += "; each other country's team is paid by its own national funder"
        else:
            rule = "each country's team is paid by its own country's funder, in its currency"
        caps = [
            f"{f.name}: up to {f.max_per_project:,.0f} {country(f.country).currency} per project"
            for f in self.funders
            if f.max_per_project is not None and f is not agency
        ]
        return rule + (f" ({'; '.join(caps)})" if caps else "")

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
