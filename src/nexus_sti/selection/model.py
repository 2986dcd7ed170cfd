"""The selection problem of a call as a pure function of plain facts: which eligible proposals
are candidates (calibrated score at or above the thresholds), what each costs each funder in
each year in the program currency, and which rules the officer's parameters switch on, with
every default written out with the numbers it came from (``SelectionInputs.notes``) so the
selection page and the decision record can say how each rule was set.

``selection/inputs.py`` reads the facts from the contexts that own them and calls
:func:`selection_inputs`; tests call it with facts made by hand.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from nexus_sti.algorithms.portfolio import Band, CandidateProposal, PortfolioProblem, PortfolioRules
from nexus_sti.core.errors import InvalidInput
from nexus_sti.core.money import CurrencyError, Money
from nexus_sti.programs.model import ProgramConfig
from nexus_sti.proposals.queries import ProposalFacts
from nexus_sti.review.queries import FormThresholds, ScoreFacts


class PlaceBand(BaseModel):
    """An officer's own band for one partner country: funded places from ``low`` to ``high``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: int | None = Field(None, ge=0, le=10_000)
    high: int | None = Field(None, ge=0, le=10_000)

    @model_validator(mode="after")
    def _ordered(self) -> PlaceBand:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low ({self.low}) must not exceed high ({self.high})")
        return self


class SelectionParams(BaseModel):
    """The officer's settings for one selection run. ``None`` means: use the documented default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float | None = Field(
        None, ge=0, le=100, description="Lowest calibrated score that may be funded"
    )
    budget: float | None = Field(
        None, gt=0, description="The call's total commitment in the program currency"
    )
    band_tolerance: float | None = Field(
        0.5,
        ge=0,
        le=10,
        description="Relative width of each partner country's band; None: no bands",
    )
    band_overrides: dict[str, PlaceBand] = Field(
        default_factory=dict, description="Partner country -> funded places set by hand"
    )
    inclusive: bool = Field(True, description="Every partner country in at least one project")
    area_minimum: int = Field(1, ge=0, le=100, description="Funded projects per call area")
    organisation_cap: int | None = Field(None, ge=1, le=1000)
    one_award_per_lead: bool = True
    objective: Literal["merit", "merit_per_cost"] = "merit"
    lottery: bool = False
    seed: int = Field(0, ge=0, le=2**31 - 1)
    time_limit: float = Field(10.0, gt=0, le=600)

    def check_bands(self, partners: tuple[str, ...]) -> None:
        """Bands are for the program's partner countries; anything else is refused by name."""
        unknown = sorted(set(self.band_overrides) - set(partners))
        if unknown:
            raise InvalidInput(
                "band_overrides",
                f"bands are for partner countries ({', '.join(partners)}), "
                f"not {', '.join(unknown)}",
            )


@dataclass(frozen=True)
class SelectionInputs:
    """The problem for a call plus what the page and the record need around it."""

    problem: PortfolioProblem
    currency: str
    references: dict[str, int]  # proposal reference -> proposal id
    requested: dict[str, float]  # reference -> total cost in the program currency
    below_threshold: dict[str, str]  # reference -> reason
    unscored: tuple[str, ...]
    target_shares: dict[str, float]
    target_source: str
    notes: tuple[str, ...]
    home_country: str | None
    partner_countries: tuple[str, ...]


def _converter(config: ProgramConfig, on: date):  # type: ignore[no-untyped-def]
    rates = config.rate_table()
    currency = config.program.currency

    def to_program(amount: Decimal, code: str) -> float:
        try:
            return float(rates.convert(Money(amount, code), currency, on).amount)
        except CurrencyError as exc:
            raise InvalidInput(
                "exchange_rates",
                f"{exc}; add the rate to the program configuration to select this call",
            ) from None

    return to_program


@dataclass(frozen=True, slots=True)
class _Thresholds:
    total: float | None
    criteria: dict[str, float]
    source: str


def _thresholds(
    params: SelectionParams, form: FormThresholds | None, config: ProgramConfig
) -> _Thresholds:
    """The officer's threshold, else the call's review form's, else the program's criteria."""
    total = params.threshold
    if total is None:
        value = form.total if form else config.program.total_threshold
        total = None if value is None else float(value)
    criteria = (
        dict(form.criteria)
        if form
        else {c.code: float(c.threshold) for c in config.review_criteria if c.threshold is not None}
    )
    return _Thresholds(
        total, criteria, "the call’s review form" if form else "the program’s criteria"
    )


def _below(score: ScoreFacts, limits: _Thresholds) -> str | None:
    """Why a scored proposal cannot be funded, or None."""
    if limits.total is not None and score.score < limits.total:
        return f"calibrated score {score.score:.2f} is below the threshold {limits.total:g}"
    failed = [
        f"{code} mean {score.criteria[code]:.2f} is below the criterion threshold {floor:g}"
        for code, floor in limits.criteria.items()
        if code in score.criteria and float(score.criteria[code]) < floor
    ]
    return "; ".join(failed) or None


def _candidate(
    p: ProposalFacts, score: ScoreFacts, lead_role: str, to_program: object
) -> CandidateProposal:
    """One proposal as the optimiser sees it: costs per (funder, year) and funding per country
    in the program currency, its countries, organisations and a readable, unique lead key."""
    convert = to_program  # a callable (amount, currency) -> float
    country_of = {m.id: m.country for m in p.members}
    costs: defaultdict[tuple[str, int], float] = defaultdict(float)
    funding: defaultdict[str, float] = defaultdict(float)
    for line in p.lines:
        amount = convert(line.amount, line.currency)  # type: ignore[operator]
        costs[(line.funder, line.year)] += amount
        funding[country_of[line.member_id]] += amount
    team = p.members
    lead = next((m for m in team if m.role == lead_role), team[0] if team else None)
    # Readable keys (the explanations name them) that stay unique: a name plus the id.
    lead_key = ""
    if lead is not None and p.lead_researcher_id is not None:
        lead_key = f"{lead.name} #{p.lead_researcher_id}"
    elif lead is not None:
        lead_key = f"{lead.name} <{(lead.orcid or lead.email or lead.name).lower()}>"
    organisations = sorted(
        {
            f"{m.organisation_name} #{m.organisation_id}"
            if m.organisation_id
            else m.organisation_name
            for m in team
            if m.organisation_id or m.organisation_name
        }
    )
    return CandidateProposal(
        id=p.reference,
        merit=round(score.score, 6),
        merit_interval=(round(score.low, 6), round(score.high, 6)),
        costs=dict(costs),
        countries=tuple(sorted({m.country for m in team})),
        country_funding=dict(funding),
        area=p.area,
        track=p.track,
        organisations=tuple(organisations),
        lead=lead_key,
    )


def _budgets(
    candidates: Sequence[CandidateProposal],
    params: SelectionParams,
    config: ProgramConfig,
    track: str,
    notes: list[str],
) -> dict[tuple[str, int], float]:
    """The call's commitment split over funders and years by the eligible requests."""
    currency = config.program.currency
    asked: defaultdict[tuple[str, int], float] = defaultdict(float)
    for c in candidates:
        for key, amount in c.costs.items():
            asked[key] += amount
    total_asked = sum(asked.values())
    if params.budget is not None:
        budget = params.budget
        notes.append(f"budget: {budget:,.0f} {currency}, as entered")
    else:
        budget = float(config.track_budget(track).amount) / len(config.years)
        notes.append(
            f"budget: {budget:,.0f} {currency}, one year of the {track} track's share "
            f"({config.track(track).budget_share} of {config.program.total_budget} over "
            f"{len(config.years)} years)"
        )
    budgets = (
        {key: budget * amount / total_asked for key, amount in asked.items()}
        if total_asked > 0
        else {}
    )
    if total_asked > 0:
        notes.append(
            f"split over {len(budgets)} funder-years in proportion to the eligible requests "
            f"({total_asked:,.0f} {currency} asked: {budget / total_asked:.0%} can be funded)"
        )
    # A funder whose share cannot pay for even one of its teams' requests would make the
    # inclusiveness floor impossible by construction: raise it to the largest single request.
    largest: defaultdict[tuple[str, int], float] = defaultdict(float)
    for c in candidates:
        for key, amount in c.costs.items():
            largest[key] = max(largest[key], amount)
    raised = sorted({f for key, cap in budgets.items() if cap < largest[key] for f in key[:1]})
    for key in budgets:
        budgets[key] = max(budgets[key], largest[key])
    if raised:
        notes.append(
            f"raised to the largest single request, so at least one project is affordable: "
            f"{', '.join(raised)}"
        )
    return budgets


def _bands(
    params: SelectionParams,
    shares: Mapping[str, float],
    source: str,
    present: set[str],
    budgets_only_places: int | None,
    notes: list[str],
) -> dict[str, Band]:
    """Count bands around the target shares of the places funded under the budgets alone, and
    the officer's own bands, which replace them."""
    bands: dict[str, Band] = {}
    if params.band_tolerance is not None and shares and budgets_only_places:
        tol = params.band_tolerance
        for code, share in sorted(shares.items()):
            if code not in present:
                continue
            expected = share * budgets_only_places
            low = math.floor(expected * (1 - tol)) if tol < 1 else 0
            high = math.ceil(expected * (1 + tol))
            bands[code] = Band("count", float(max(low, 0)), float(max(high, 1)))
        notes.append(
            f"country bands: target share × {budgets_only_places} partner-country places "
            f"(funded under the budgets alone), ±{tol:.0%}, from the {source}"
        )
    elif params.band_tolerance is not None and not shares:
        notes.append(f"no country bands: {source} (save targets on the needs page)")
    for code, own in sorted(params.band_overrides.items()):
        if own.low is None and own.high is None:
            continue
        bands[code] = Band(
            "count",
            None if own.low is None else float(own.low),
            None if own.high is None else float(own.high),
        )
    if params.band_overrides:
        notes.append(
            "bands set by hand: "
            + ", ".join(
                f"{code} {'' if b.low is None else b.low}–{'' if b.high is None else b.high}"
                for code, b in sorted(params.band_overrides.items())
            )
        )
    return bands


def selection_inputs(
    *,
    config: ProgramConfig,
    track: str,
    call_areas: Sequence[str],
    rate_date: date,
    proposals: Sequence[ProposalFacts],
    scores: Mapping[int, ScoreFacts],
    form: FormThresholds | None,
    targets: tuple[Mapping[str, float], str],
    params: SelectionParams,
    budgets_only_places: int | None = None,
) -> SelectionInputs:
    """The selection problem of a call of ``track``: every eligible proposal (``proposals``,
    in reference order) with a calibrated score (``scores`` by proposal id) at or above the
    thresholds, costed in the program currency at ``rate_date``, under the rules ``params``
    asks for. ``targets``: the saved target shares and where they came from.

    ``budgets_only_places``: partner-country places funded when only the budgets apply, which
    sizes the country bands (the caller solves that first; ``None`` leaves bands out)."""
    params.check_bands(config.partner_countries)
    to_program = _converter(config, rate_date)
    limits = _thresholds(params, form, config)
    notes: list[str] = []
    candidates: list[CandidateProposal] = []
    below: dict[str, str] = {}
    unscored: list[str] = []
    requested: dict[str, float] = {}
    for p in proposals:
        score = scores.get(p.id)
        if score is None:
            unscored.append(p.reference)
            continue
        reason = _below(score, limits)
        if reason is not None:
            below[p.reference] = reason
            continue
        candidate = _candidate(p, score, config.lead_role.code, to_program)
        requested[p.reference] = sum(candidate.costs.values())
        candidates.append(candidate)
    if limits.total is not None or limits.criteria:
        each = ", ".join(f"{k} ≥ {v:g}" for k, v in limits.criteria.items())
        notes.append(
            f"thresholds ({limits.source}): "
            + (f"calibrated score ≥ {limits.total:g}" if limits.total is not None else "")
            + (f"; each criterion's mean: {each}" if each else "")
            + f" ({len(below)} below)"
        )
    if unscored:
        notes.append(
            f"{len(unscored)} eligible proposals have no calibrated score and are left out"
        )
    budgets = _budgets(candidates, params, config, track, notes)
    shares, source = dict(targets[0]), targets[1]
    partners = config.partner_countries
    present = {c for cand in candidates for c in cand.countries if c in partners}
    bands = _bands(params, shares, source, present, budgets_only_places, notes)
    inclusive = tuple(sorted(present)) if params.inclusive else ()
    if params.inclusive and len(present) < len(partners):
        missing = sorted(set(partners) - present)
        notes.append(f"inclusiveness floor: no eligible proposal involves {', '.join(missing)}")
    areas_present = {c.area for c in candidates}
    area_minimums = (
        {a: params.area_minimum for a in call_areas if a in areas_present}
        if params.area_minimum
        else {}
    )
    rules = PortfolioRules(
        budgets=budgets or None,
        country_bands=bands or None,
        inclusive_countries=inclusive,
        area_minimums=area_minimums or None,
        organisation_cap=params.organisation_cap,
        one_award_per_lead=params.one_award_per_lead,
    )
    return SelectionInputs(
        problem=PortfolioProblem(tuple(candidates), rules, params.objective),
        currency=config.program.currency,
        references={p.reference: p.id for p in proposals},
        requested=requested,
        below_threshold=below,
        unscored=tuple(unscored),
        target_shares=shares,
        target_source=source,
        notes=tuple(notes),
        home_country=config.home_country,
        partner_countries=partners,
    )
