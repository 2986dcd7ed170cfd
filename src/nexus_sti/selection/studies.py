"""Studies around a call's selection: the selection rules compared side by side on its
candidates, and the design study of rule sets over synthetic calls before a call opens."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from nexus_sti.algorithms.inclusiveness import hoover_index
from nexus_sti.algorithms.portfolio_compare import RuleComparison, compare_rules
from nexus_sti.algorithms.scenario import CallAssumptions, ScenarioStudy, default_rule_sets
from nexus_sti.calls.service import call_by_reference
from nexus_sti.core.access import Actor, require
from nexus_sti.core.countries import ISO3_CODES
from nexus_sti.needs.indicators import POPULATION
from nexus_sti.needs.queries import target_shares_for
from nexus_sti.needs.service import reference as reference_snapshot
from nexus_sti.platform.jobqueue import Progress, no_progress
from nexus_sti.programs.model import ProgramConfig
from nexus_sti.programs.service import current_program
from nexus_sti.review.queries import scores_of
from nexus_sti.selection.inputs import SelectionInputs, SelectionParams
from nexus_sti.selection.service import problem_for

if TYPE_CHECKING:
    from nexus_sti.calls.tables import Call

RESEARCHERS_PER_MILLION = "SP.POP.SCIE.RD.P6"
# The review criteria that break ties between equal calibrated scores, in order.
TIE_BREAK_CRITERIA = ("excellence", "impact")


def places_hoover(places: Mapping[str, int], targets: Mapping[str, float]) -> float | None:
    """Hoover index of the partner countries' shares of funded places against the target shares
    (``None`` without targets or places)."""
    if not targets or sum(places.values()) == 0:
        return None
    return hoover_index({k: float(v) for k, v in places.items()}, targets)


@dataclass(frozen=True)
class Comparison:
    call: Call
    inputs: SelectionInputs
    comparison: RuleComparison
    places: dict[str, dict[str, int]]  # rule -> partner country -> funded places
    researchers_note: str


def researchers_by_country() -> tuple[dict[str, float], str]:
    """Full-time researchers per country from the reference snapshot (per million people times
    population, latest year); countries without a figure are left out and named."""
    snapshot = reference_snapshot()
    out: dict[str, float] = {}
    missing: list[str] = []
    for code in ISO3_CODES:
        per_million = snapshot.latest(RESEARCHERS_PER_MILLION, code)
        population = snapshot.latest(POPULATION, code)
        if per_million is None or population is None:
            missing.append(code)
            continue
        out[code] = per_million[1] * population[1] / 1e6
    note = f"researchers: {RESEARCHERS_PER_MILLION} × population, latest year"
    if missing:
        note += f"; no figure for {', '.join(missing)} (left out of the Gini)"
    return out, note


def compare(
    session: Session,
    *,
    actor: Actor,
    call_reference: str,
    params: SelectionParams,
    progress: Progress = no_progress,
) -> Comparison:
    """Rank-and-fund, ranking with tie-breaks, the constrained optimum and the optimum with a
    lottery on the same candidates, measured side by side."""
    require(actor, "selection.run", "compare selection rules")
    call = call_by_reference(session, call_reference)
    inputs, _ = problem_for(session, call, params)
    researchers, note = researchers_by_country()
    secondary = _criteria_scores(session, inputs)
    comparison = compare_rules(
        inputs.problem,
        target_shares=inputs.target_shares or None,
        researchers=researchers,
        secondary=secondary,
        lottery_seed=params.seed,
        time_limit=params.time_limit,
        counted=inputs.partner_countries,
        progress=progress,
    )
    places: dict[str, dict[str, int]] = {
        str(o.rule): dict(
            Counter(
                code
                for c in inputs.problem.candidates
                if c.id in o.selected
                for code in c.countries
                if code != inputs.home_country
            )
        )
        for o in comparison.outcomes
    }
    return Comparison(call, inputs, comparison, places, note)


def _criteria_scores(session: Session, inputs: SelectionInputs) -> dict[str, list[float]]:
    """Per proposal, (excellence, impact) means for the tie-break rule, where reviews gave them."""
    ids = {pid: ref for ref, pid in inputs.references.items()}
    return {
        ids[pid]: [float(score.criteria.get(k, 0.0)) for k in TIE_BREAK_CRITERIA]
        for pid, score in scores_of(session, ids).items()
    }


# Years of co-authorship that set a design study's partner mix, and the share of the total
# weight every partner gets on top of its own, so one with almost no joint papers still
# appears in some synthetic calls.
MIX_YEARS = range(2019, 2024)
MIX_FLOOR = 0.002


def partner_mix(config: ProgramConfig) -> tuple[dict[str, float], str]:
    """How often each partner country is expected to take part: in proportion to its works
    co-authored with the home country (reference snapshot, 2019-2023) plus a small floor; equal
    in a multilateral program (no home country). The second value says which."""
    partners = config.partner_countries
    home = config.home_country
    if home is None:
        return dict.fromkeys(partners, 1.0), "equal partner mix (no home country)"
    snapshot = reference_snapshot()
    works = {c: float(snapshot.coauthored_works_total(home, c, MIX_YEARS)) for c in partners}
    floor = MIX_FLOOR * sum(works.values())
    return (
        {c: w + floor for c, w in works.items()},
        f"partner mix from works co-authored with {home}, {MIX_YEARS.start}-{MIX_YEARS.stop - 1}",
    )


def scenario_study(
    session: Session,
    *,
    actor: Actor,
    scenarios: int,
    seed: int,
    bilateral: int,
    regional: int,
    merit_mean: float,
    merit_sd: float,
    time_limit: float,
    track: str,
    program: str | None = None,
) -> tuple[ScenarioStudy, str]:
    """A design study of ``program`` (a code; by default the most recently loaded program):
    its home and partner countries and funders, a partner mix from the reference data (see
    :func:`partner_mix`), and bands that follow the track's latest saved targets; the second
    value says where the mix and targets came from."""
    require(actor, "selection.run", "run a scenario study")
    current = current_program(session, code=program)
    config = current.config
    mix, mix_source = partner_mix(config)
    call = CallAssumptions(
        home=config.home_country,
        partners=config.partner_countries,
        funders={c: f.code for f in config.funders for c in f.pays_for},
        n_bilateral=bilateral,
        n_regional=regional,
        partner_mix=mix,
        merit_mean=merit_mean,
        merit_sd=merit_sd,
    )
    targets, source = target_shares_for(session, current.row.id, track)
    rule_sets = default_rule_sets(call, targets=targets or None)
    study = ScenarioStudy(
        rule_sets=rule_sets, call=call, scenarios=scenarios, seed=seed, time_limit=time_limit
    )
    return study, mix_source + "; " + (
        f"bands around the {source}" if targets else f"{source}: bands follow the partner mix"
    )
