"""Program-design scenario study: how candidate rule sets would fare over many plausible calls.

A study fixes what a call is expected to look like (:class:`CallAssumptions`: the program's
home country, if any, and partner countries, volumes, the mix of partner countries, merit and
cost distributions), the budgets, and named candidate
:class:`RuleSet` s. Scenario ``i`` draws one synthetic call from ``default_rng([seed, i])`` and
solves it under the budgets alone and under every rule set, so the rule sets are compared on the
same calls. :func:`summarise` turns the scenarios into, per rule set, the expected share of
funding per country, partner countries covered, merit, funded count and cost of inclusiveness (merit
given up against the budgets alone on the same call), each with a percentile interval, and the
rate of calls on which the rule set is infeasible.

:func:`run_study` runs the scenarios in this process; :func:`run_on_dask` maps the same pure
:func:`run_scenario` over a ``dask.distributed`` cluster and gives the identical result for the
same seed, as long as no solve stops at its time limit (a time-limited answer depends on the
machine's speed; ``time_limited_rate`` says how often that happened).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from nexus_sti.algorithms.portfolio import (
    Band,
    CandidateProposal,
    PortfolioProblem,
    PortfolioRules,
)
from nexus_sti.algorithms.portfolio_model import build_model, run_model
from nexus_sti.core.areas import AREA_CODES
from nexus_sti.core.countries import ISO3_CODES
from nexus_sti.core.errors import InvalidInput

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "CallAssumptions",
    "Estimate",
    "Progress",
    "RuleSet",
    "RuleSetOutcome",
    "RuleSetSummary",
    "ScenarioOutcome",
    "ScenarioStudy",
    "StudyResult",
    "default_rule_sets",
    "expected_budgets",
    "run_on_dask",
    "run_scenario",
    "run_study",
    "study_result_to_dict",
    "summarise",
    "synthetic_call",
]

Progress = Callable[[int, int], None]

_REGIONAL_SIZE_P = (0.45, 0.35, 0.15, 0.05)  # 2, 3, 4 or 5 partner countries


def _positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise InvalidInput(name, "must be finite and > 0", value=value)


def _mix(
    name: str, weights: Mapping[str, float] | None, partners: Sequence[str]
) -> dict[str, float]:
    if weights is None:
        return dict.fromkeys(partners, 1.0 / len(partners))
    unknown = sorted(set(weights) - set(partners))
    if unknown:
        raise InvalidInput(name, f"{unknown[0]!r} is not a partner country")
    if any(not (math.isfinite(w) and w >= 0) for w in weights.values()):
        raise InvalidInput(name, "weights must be finite and ≥ 0")
    total = sum(weights.values())
    if total <= 0:
        raise InvalidInput(name, "must not all be zero")
    return {c: weights.get(c, 0.0) / total for c in partners}


@dataclass(frozen=True, slots=True)
class CallAssumptions:
    """What one call is expected to look like: the program's ``home`` country (whose team leads
    every proposal; ``None`` for a multilateral program, where the lead's country is drawn by
    the partner mix) and its ``partners``; by default 240 bilateral proposals (a lead and one
    partner country) and 160 regional ones (2 to 5 partner countries).

    ``funders``: country → code of the funder paying its teams (default ``funder-<iso3>``);
    ``partner_mix``: partner country → relative chance of taking part (``None``: equal);
    ``merit_*``: merit ~ Normal(mean + the mean ``merit_shift`` of its partners, sd) clipped to
    ``merit_range``, with interval ± ``merit_half_width``; proposals below ``threshold`` never
    become candidates; ``*_cost``: the lead team's request (uniform between the bounds); each
    partner team asks ``partner_cost_ratio`` × that / number of partners; costs are spread
    evenly over ``years``; ``organisations_per_country`` and ``lead_pool`` (distinct leads per
    proposal) set how often the organisation cap and one-award-per-lead bite."""

    home: str | None
    partners: tuple[str, ...]
    funders: Mapping[str, str] | None = None
    n_bilateral: int = 240
    n_regional: int = 160
    partner_mix: Mapping[str, float] | None = None
    regional_size_p: tuple[float, ...] = _REGIONAL_SIZE_P
    merit_mean: float = 3.6
    merit_sd: float = 0.6
    merit_range: tuple[float, float] = (0.0, 5.0)
    merit_half_width: float = 0.2
    merit_shift: Mapping[str, float] | None = None
    threshold: float | None = 3.0
    bilateral_cost: tuple[float, float] = (25e6, 40e6)
    regional_cost: tuple[float, float] = (90e6, 150e6)
    partner_cost_ratio: float = 0.3
    years: tuple[int, ...] = (2027, 2028, 2029)
    organisations_per_country: int = 40
    lead_pool: float = 1.0

    def __post_init__(self) -> None:
        if self.n_bilateral < 0 or self.n_regional < 0:
            raise InvalidInput("n_bilateral", "proposal volumes must be ≥ 0")
        object.__setattr__(self, "partners", tuple(self.partners))
        unknown = [c for c in (*self.partners, self.home or ISO3_CODES[0]) if c not in ISO3_CODES]
        if unknown or self.home in self.partners or len(self.partners) < 3:
            raise InvalidInput(
                "partners", "at least 3 known partner countries, without the home country"
            )
        object.__setattr__(self, "funders", dict(self.funders or {}))
        object.__setattr__(
            self, "partner_mix", _mix("partner_mix", self.partner_mix, self.partners)
        )
        p = tuple(float(v) for v in self.regional_size_p)
        if not p or len(p) > len(self.partners) - 1 or any(v < 0 for v in p) or sum(p) <= 0:
            raise InvalidInput("regional_size_p", "chances of 2, 3, ... partner countries, ≥ 0")
        object.__setattr__(self, "regional_size_p", tuple(v / sum(p) for v in p))
        _positive("merit_sd", self.merit_sd)
        lo, hi = self.merit_range
        if not lo < hi:
            raise InvalidInput("merit_range", "must satisfy low < high")
        shift = dict(self.merit_shift or {})
        if set(shift) - set(self.partners):
            raise InvalidInput("merit_shift", "keys must be partner countries")
        object.__setattr__(self, "merit_shift", shift)
        for name in ("bilateral_cost", "regional_cost"):
            low, high = getattr(self, name)
            if not 0 < low <= high:
                raise InvalidInput(name, "must satisfy 0 < low ≤ high")
        if not self.partner_cost_ratio >= 0:
            raise InvalidInput("partner_cost_ratio", "must be ≥ 0")
        if not self.years:
            raise InvalidInput("years", "need at least one year")
        object.__setattr__(self, "years", tuple(self.years))
        if self.organisations_per_country < 1:
            raise InvalidInput("organisations_per_country", "must be ≥ 1")
        _positive("lead_pool", self.lead_pool)

    def funder(self, country: str) -> str:
        """The code of the funder paying ``country``'s teams."""
        return (self.funders or {}).get(country) or f"funder-{country.lower()}"

    @classmethod
    def from_partner_volumes(
        cls,
        volumes: Mapping[str, float],
        *,
        home: str | None,
        partners: tuple[str, ...],
        bilateral_share: float = 0.6,
        **other: Any,
    ) -> CallAssumptions:
        """Assumptions from the expected number of proposals per call in which each partner
        country takes part: the mix is their proportions, and the total is the number of
        proposals with that many partner places given the track split and regional sizes."""
        if not 0 <= bilateral_share <= 1:
            raise InvalidInput("bilateral_share", "must lie in [0, 1]")
        mix = _mix("volumes", volumes, partners)
        size_p = np.asarray(other.get("regional_size_p", _REGIONAL_SIZE_P), dtype=float)
        mean_size = float((np.arange(2, 2 + size_p.size) * size_p).sum() / size_p.sum())
        places = bilateral_share + (1 - bilateral_share) * mean_size
        n = sum(volumes.values()) / places
        return cls(
            home=home,
            partners=partners,
            n_bilateral=round(bilateral_share * n),
            n_regional=round((1 - bilateral_share) * n),
            partner_mix=mix,
            **other,
        )


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A named candidate rule set. Its budgets and funder totals, when ``None``, are the study's
    budgets; its inclusiveness floor covers, on each synthetic call, the partner countries with a
    candidate in it. ``place_targets`` (partner → target share) adds, on each synthetic call, a
    count band per partner country that applied: its target share of the partner places the
    budgets alone fund on that call, ±``place_tolerance``, rounded outwards to whole places —
    the way the selection service sets bands on a real call."""

    name: str
    rules: PortfolioRules
    place_targets: Mapping[str, float] | None = None
    place_tolerance: float = 0.5

    def __reduce__(self) -> tuple[Any, ...]:
        # PortfolioRules keeps read-only mapping proxies, which do not pickle; a Dask worker
        # receives the rules as plain dicts and rebuilds them.
        plain = {
            name: dict(value) if isinstance(value, Mapping) else value
            for name in PortfolioRules.__dataclass_fields__
            for value in (getattr(self.rules, name),)
        }
        targets = None if self.place_targets is None else dict(self.place_targets)
        return (_rule_set_from_plain, (self.name, plain, targets, self.place_tolerance))


def _rule_set_from_plain(
    name: str, plain: dict[str, Any], targets: dict[str, float] | None, tolerance: float
) -> RuleSet:
    return RuleSet(name, PortfolioRules(**plain), targets, tolerance)


def place_bands(
    targets: Mapping[str, float], places: int, tolerance: float, present: set[str]
) -> dict[str, Band]:
    """Count bands around ``targets`` (normalised) × ``places`` for the ``present`` countries."""
    total = sum(v for k, v in targets.items() if k in present) or 1.0
    bands = {}
    for code, share in targets.items():
        if code not in present or share <= 0:
            continue
        expected = share / total * places
        low = math.floor(expected * (1 - tolerance)) if tolerance < 1 else 0
        bands[code] = Band(
            "count", float(max(low, 0)), float(max(math.ceil(expected * (1 + tolerance)), 1))
        )
    return bands


@dataclass(frozen=True, slots=True)
class ScenarioStudy:
    """The study. ``budgets``: cap per (funder, year) (``None``: ``budget_share`` of the
    expected demand, see :func:`expected_budgets`); ``scenarios``: synthetic calls; each solve
    stops at ``time_limit`` seconds or relative ``gap``; intervals span ``quantiles``."""

    rule_sets: tuple[RuleSet, ...]
    call: CallAssumptions
    budgets: Mapping[tuple[str, int], float] | None = None
    budget_share: float = 0.35
    scenarios: int = 200
    seed: int = 0
    time_limit: float = 1.0
    gap: float = 5e-3
    quantiles: tuple[float, float] = (0.05, 0.95)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule_sets", tuple(self.rule_sets))
        names = [r.name for r in self.rule_sets]
        if not names:
            raise InvalidInput("rule_sets", "need at least one rule set")
        if len(set(names)) != len(names):
            raise InvalidInput("rule_sets", "names must be unique")
        if self.scenarios < 1:
            raise InvalidInput("scenarios", "must be ≥ 1")
        _positive("time_limit", self.time_limit)
        lo, hi = self.quantiles
        if not 0 <= lo <= hi <= 1:
            raise InvalidInput("quantiles", "must satisfy 0 ≤ low ≤ high ≤ 1")
        if self.budgets is None:
            _positive("budget_share", self.budget_share)
            budgets = expected_budgets(self.call, self.budget_share)
        else:
            budgets = dict(self.budgets)
        object.__setattr__(self, "budgets", budgets)


def expected_budgets(call: CallAssumptions, share: float) -> dict[tuple[str, int], float]:
    """``share`` of the expected demand per (funder, year). Per call the lead teams ask
    n_bilateral × mean bilateral cost + n_regional × mean regional cost (the home country's
    teams, or in a multilateral program each partner country's in proportion to the mix); the
    partner teams ask ``partner_cost_ratio`` of that, split by the partner mix (the number of
    partners cancels: more partners, each asking less)."""
    mix = call.partner_mix or {}
    leads = call.n_bilateral * sum(call.bilateral_cost) / 2
    leads += call.n_regional * sum(call.regional_cost) / 2
    demand = {c: leads * call.partner_cost_ratio * mix[c] for c in call.partners}
    if call.home is not None:
        demand = {call.home: leads} | demand
    else:
        demand = {c: amount + leads * mix[c] for c, amount in demand.items()}
    return {
        (call.funder(c), year): share * amount / len(call.years)
        for c, amount in demand.items()
        for year in call.years
    }


def default_rule_sets(
    call: CallAssumptions, *, targets: Mapping[str, float] | None = None
) -> tuple[RuleSet, ...]:
    """ "budgets only", "bands ±50 %" (each partner country's funded places within ±50 % of its
    target share of the places the budgets fund) and "bands + inclusiveness floor" (also a
    funded team from every partner country). ``targets``: partner → relative target
    (``None``: the call's partner mix)."""
    weights = _mix("targets", targets if targets is not None else call.partner_mix, call.partners)
    return (
        RuleSet("budgets only", PortfolioRules()),
        RuleSet("bands ±50 %", PortfolioRules(), place_targets=weights, place_tolerance=0.5),
        RuleSet(
            "bands + inclusiveness floor",
            PortfolioRules(inclusive_countries=call.partners),
            place_targets=weights,
            place_tolerance=0.5,
        ),
    )


def synthetic_call(
    call: CallAssumptions, rng: np.random.Generator
) -> tuple[CandidateProposal, ...]:
    """One synthetic call's candidates (those at or above the threshold), drawn from ``rng``."""
    mix = call.partner_mix or {}
    members = np.array(call.partners)
    mix_p = np.array([mix[c] for c in call.partners])
    shift = call.merit_shift or {}
    n = call.n_bilateral + call.n_regional
    regional = rng.permutation(np.arange(n) >= call.n_bilateral)
    sizes = np.where(
        regional, 2 + rng.choice(len(call.regional_size_p), size=n, p=call.regional_size_p), 1
    )
    # Sampling partners without replacement by weight needs positive weights for every draw
    # (and, without a home country, one more for the lead).
    available = int((mix_p > 0).sum()) - (1 if call.home is None else 0)
    sizes = np.minimum(sizes, available)
    noise = rng.normal(0.0, call.merit_sd, size=n)
    unit_cost = rng.random(n)
    areas = rng.choice(len(AREA_CODES), size=n)
    org_weights = 1.0 / np.sqrt(np.arange(1, call.organisations_per_country + 1))
    org_weights /= org_weights.sum()
    orgs = rng.choice(call.organisations_per_country, size=(n, len(ISO3_CODES)), p=org_weights)
    leads = rng.integers(0, max(1, round(call.lead_pool * n)), size=n)
    low, high = call.merit_range
    out: list[CandidateProposal] = []
    for i in range(n):
        if call.home is None:  # the lead's country first, then its partners
            drawn = [
                str(c) for c in rng.choice(members, size=int(sizes[i]) + 1, replace=False, p=mix_p)
            ]
            lead_country, partners = drawn[0], sorted(drawn[1:])
        else:
            lead_country = call.home
            partners = sorted(
                str(c) for c in rng.choice(members, size=int(sizes[i]), replace=False, p=mix_p)
            )
        merit = call.merit_mean + float(np.mean([shift.get(c, 0.0) for c in partners]))
        merit = float(np.clip(merit + noise[i], low, high))
        if call.threshold is not None and merit < call.threshold:
            continue
        lo_cost, hi_cost = call.regional_cost if regional[i] else call.bilateral_cost
        lead_cost = lo_cost + unit_cost[i] * (hi_cost - lo_cost)
        funding = {lead_country: lead_cost} | {
            c: lead_cost * call.partner_cost_ratio / len(partners) for c in partners
        }
        years = len(call.years)
        costs = {
            (call.funder(c), year): amount / years
            for c, amount in funding.items()
            for year in call.years
        }
        countries = (lead_country, *partners)
        out.append(
            CandidateProposal(
                id=f"S{i:04d}",
                merit=merit,
                merit_interval=(merit - call.merit_half_width, merit + call.merit_half_width),
                costs=costs,
                countries=countries,
                country_funding=funding,
                area=AREA_CODES[int(areas[i])],
                track="regional" if regional[i] else "bilateral",
                organisations=tuple(f"{c}-org{orgs[i, ISO3_CODES.index(c)]}" for c in countries),
                lead=f"lead{leads[i]}",
            )
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class RuleSetOutcome:
    """One rule set on one synthetic call. ``status``: the solver's (``"optimal"``,
    ``"time_limit"``, ``"infeasible"``...); the measures are ``None`` without a portfolio."""

    rule_set: str
    status: str
    feasible: bool
    merit: float | None
    funded: int | None
    country_shares: dict[str, float] | None
    partners_covered: int | None
    cost_of_inclusiveness: float | None
    seconds: float = field(compare=False)


@dataclass(frozen=True, slots=True)
class ScenarioOutcome:
    """Scenario ``index``: its number of candidates, the best merit under the budgets alone,
    and each rule set's outcome in the study's order."""

    index: int
    candidates: int
    budgets_only_merit: float | None
    rule_sets: tuple[RuleSetOutcome, ...]


def run_scenario(study: ScenarioStudy, index: int) -> ScenarioOutcome:
    """Draw synthetic call ``index`` of the study and solve it under every rule set. Pure: the
    outcome depends only on the study and the index."""
    rng = np.random.default_rng([study.seed, index])
    candidates = synthetic_call(study.call, rng)
    budgets = dict(study.budgets or {})
    # As the selection service does on a real call: a funder-year budget too small to pay for
    # even one of its teams' requests is raised to the largest single request, so a small
    # co-funder's country is not excluded by construction.
    for c in candidates:
        for key, amount in c.costs.items():
            if key in budgets:
                budgets[key] = max(budgets[key], amount)
    merits = np.array([c.merit for c in candidates])
    budgets_only = PortfolioRules(budgets=budgets)
    base = _solve(PortfolioProblem(candidates, budgets_only), study)
    base_merit = None if base[1] is None else float(merits[base[1]].sum())
    present = {code for c in candidates for code in c.countries}
    outcomes = []
    for rule_set in study.rule_sets:
        rules = rule_set.rules
        if rules.budgets is None and rules.funder_totals is None:
            rules = replace(rules, budgets=budgets)
        if rule_set.place_targets is not None and base[1] is not None:
            places = sum(
                1
                for c, chosen in zip(candidates, base[1], strict=True)
                if chosen
                for code in c.countries
                if code != study.call.home
            )
            bands = place_bands(rule_set.place_targets, places, rule_set.place_tolerance, present)
            rules = replace(rules, country_bands={**(rules.country_bands or {}), **bands})
        if rules.inclusive_countries:
            # As on a real call, the floor covers the partner countries that applied; how often
            # one did not is the gap between its coverage and the number of partners.
            rules = replace(
                rules,
                inclusive_countries=tuple(c for c in rules.inclusive_countries if c in present),
            )
        if rules.country_bands:
            # A share band for a country with no candidate in this call could only be met by
            # funding nothing at all (0 ≥ low × 0); as on a real call, share bands apply to the
            # countries that applied. A count band stays: its minimum is a real requirement.
            kept = {
                k: v for k, v in rules.country_bands.items() if k in present or v.measure == "count"
            }
            rules = replace(rules, country_bands=kept or None)
        # The budgets-only rule set is the baseline already solved: the same answer, for free.
        status, x, seconds = (
            base if rules == budgets_only else _solve(PortfolioProblem(candidates, rules), study)
        )
        if x is None:
            outcomes.append(
                RuleSetOutcome(rule_set.name, status, False, None, None, None, None, None, seconds)
            )
            continue
        merit = float(merits[x].sum())
        funded = [c for c, chosen in zip(candidates, x, strict=True) if chosen]
        outcomes.append(
            RuleSetOutcome(
                rule_set=rule_set.name,
                status=status,
                feasible=True,
                merit=merit,
                funded=len(funded),
                country_shares=_shares(funded),
                partners_covered=len({k for c in funded for k in c.countries} - {study.call.home}),
                cost_of_inclusiveness=None if base_merit is None else base_merit - merit,
                seconds=seconds,
            )
        )
    return ScenarioOutcome(index, len(candidates), base_merit, tuple(outcomes))


def _solve(problem: PortfolioProblem, study: ScenarioStudy) -> tuple[str, np.ndarray | None, float]:
    # The model directly rather than solve_portfolio: an infeasible draw is an expected answer
    # here, and diagnosing its conflict would cost dozens of solves per draw.
    model = build_model(problem)
    keep = np.ones(len(model.groups), dtype=bool)
    run = run_model(model, keep, model.objective, study.time_limit, study.gap)
    return run.status, run.x, run.seconds


def _shares(funded: Sequence[CandidateProposal]) -> dict[str, float]:
    money = dict.fromkeys(ISO3_CODES, 0.0)
    for c in funded:
        for code, amount in c.country_funding.items():
            money[code] += amount
    total = sum(money.values())
    return {code: (amount / total if total > 0 else 0.0) for code, amount in money.items()}


@dataclass(frozen=True, slots=True)
class Estimate:
    """A mean over the feasible scenarios and the study's percentile interval."""

    mean: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class RuleSetSummary:
    """One rule set over the study. Rates are over all scenarios; estimates over the scenarios
    where it found a portfolio (``None`` when it never did)."""

    name: str
    scenarios: int
    feasible: int
    infeasible_rate: float
    unsolved_rate: float
    time_limited_rate: float
    country_shares: dict[str, Estimate]
    partners_covered: Estimate | None
    funded: Estimate | None
    merit: Estimate | None
    cost_of_inclusiveness: Estimate | None
    mean_seconds: float = field(compare=False)


@dataclass(frozen=True, slots=True)
class StudyResult:
    seed: int
    scenarios: int
    budgets: dict[tuple[str, int], float]
    summaries: tuple[RuleSetSummary, ...]
    outcomes: tuple[ScenarioOutcome, ...]


def run_study(study: ScenarioStudy, *, progress: Progress | None = None) -> StudyResult:
    """Every scenario in this process, in order; ``progress(done, total)`` after each."""
    outcomes = []
    for index in range(study.scenarios):
        outcomes.append(run_scenario(study, index))
        if progress is not None:
            progress(index + 1, study.scenarios)
    return summarise(study, outcomes)


def run_on_dask(
    study: ScenarioStudy, address_or_client: str | Client, *, progress: Progress | None = None
) -> StudyResult:
    """The scenarios as tasks on a ``dask.distributed`` cluster: a ``Client``, or a scheduler
    address to connect to (and disconnect from afterwards). Same result as :func:`run_study`."""
    from distributed import Client, as_completed  # imported here: slow, and only needed here

    own = isinstance(address_or_client, str)
    client: Any = Client(address_or_client) if own else address_or_client  # type: ignore[no-untyped-call]
    try:
        futures = client.map(run_scenario, [study] * study.scenarios, range(study.scenarios))
        for done, _ in enumerate(as_completed(futures), start=1):  # type: ignore[no-untyped-call]
            if progress is not None:
                progress(done, study.scenarios)
        outcomes: list[ScenarioOutcome] = client.gather(futures)
    finally:
        if own:
            client.close()
    return summarise(study, sorted(outcomes, key=lambda o: o.index))


def summarise(study: ScenarioStudy, outcomes: Sequence[ScenarioOutcome]) -> StudyResult:
    """Aggregate scenario outcomes per rule set (see :class:`RuleSetSummary`)."""
    q = study.quantiles
    summaries = []
    for k, rule_set in enumerate(study.rule_sets):
        runs = [o.rule_sets[k] for o in outcomes]
        ok = [r for r in runs if r.feasible]
        n = max(len(runs), 1)
        shares = {
            code: _estimate([(r.country_shares or {})[code] for r in ok], q) for code in ISO3_CODES
        }
        summaries.append(
            RuleSetSummary(
                name=rule_set.name,
                scenarios=len(runs),
                feasible=len(ok),
                infeasible_rate=sum(r.status == "infeasible" for r in runs) / n,
                unsolved_rate=sum(not r.feasible and r.status != "infeasible" for r in runs) / n,
                time_limited_rate=sum(r.status == "time_limit" for r in runs) / n,
                country_shares={c: e for c, e in shares.items() if e is not None},
                partners_covered=_estimate([float(r.partners_covered or 0) for r in ok], q),
                funded=_estimate([float(r.funded or 0) for r in ok], q),
                merit=_estimate([r.merit for r in ok if r.merit is not None], q),
                cost_of_inclusiveness=_estimate(
                    [r.cost_of_inclusiveness for r in ok if r.cost_of_inclusiveness is not None], q
                ),
                mean_seconds=sum(r.seconds for r in runs) / n,
            )
        )
    return StudyResult(
        seed=study.seed,
        scenarios=len(outcomes),
        budgets=dict(study.budgets or {}),
        summaries=tuple(summaries),
        outcomes=tuple(outcomes),
    )


def _estimate(values: Sequence[float], quantiles: tuple[float, float]) -> Estimate | None:
    if not values:
        return None
    a = np.asarray(values, dtype=float)
    low, high = np.quantile(a, quantiles)
    return Estimate(float(a.mean()), float(low), float(high))


def _estimate_to_dict(e: Estimate | None) -> dict[str, float] | None:
    return None if e is None else {"mean": e.mean, "low": e.low, "high": e.high}


def study_result_to_dict(result: StudyResult, *, scenarios: bool = False) -> dict[str, Any]:
    """JSON-ready form; budgets keyed ``"<funder> <year>"``; the per-scenario outcomes only
    with ``scenarios=True`` (they are large)."""
    out: dict[str, Any] = {
        "seed": result.seed,
        "scenarios": result.scenarios,
        "budgets": {f"{f} {y}": amount for (f, y), amount in sorted(result.budgets.items())},
        "rule_sets": [
            {
                "name": s.name,
                "scenarios": s.scenarios,
                "feasible": s.feasible,
                "infeasible_rate": s.infeasible_rate,
                "unsolved_rate": s.unsolved_rate,
                "time_limited_rate": s.time_limited_rate,
                "country_shares": {c: _estimate_to_dict(e) for c, e in s.country_shares.items()},
                "partners_covered": _estimate_to_dict(s.partners_covered),
                "funded": _estimate_to_dict(s.funded),
                "merit": _estimate_to_dict(s.merit),
                "cost_of_inclusiveness": _estimate_to_dict(s.cost_of_inclusiveness),
                "mean_seconds": s.mean_seconds,
            }
            for s in result.summaries
        ],
    }
    if scenarios:
        out["outcomes"] = [
            {
                "index": o.index,
                "candidates": o.candidates,
                "budgets_only_merit": o.budgets_only_merit,
                "rule_sets": [
                    {
                        "rule_set": r.rule_set,
                        "status": r.status,
                        "feasible": r.feasible,
                        "merit": r.merit,
                        "funded": r.funded,
                        "country_shares": r.country_shares,
                        "partners_covered": r.partners_covered,
                        "cost_of_inclusiveness": r.cost_of_inclusiveness,
                        "seconds": r.seconds,
                    }
                    for r in o.rule_sets
                ],
            }
            for o in result.outcomes
        ]
    return out
