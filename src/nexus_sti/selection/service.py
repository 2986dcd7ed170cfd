"""Selection use cases: preview a portfolio for a call, save it as a decision record, approve or
reject it (approval creates the awards), and re-run a record to show it reproduces.

A run stores the whole problem as solved (in the documented JSON format), the officer's
parameters, the seed and the solver, so ``verify_run`` can solve it again from the record alone
and compare the outcome.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nexus_sti.accounts.model import Actor, require
from nexus_sti.algorithms.inclusiveness import hoover_index
from nexus_sti.algorithms.portfolio import (
    PortfolioProblem,
    PortfolioResult,
    solve_portfolio,
)
from nexus_sti.algorithms.portfolio_compare import RuleComparison, compare_rules
from nexus_sti.algorithms.portfolio_explain import (
    explain_unfunded,
    explanations_to_dicts,
    funding_line,
)
from nexus_sti.algorithms.portfolio_model import build_model, run_model
from nexus_sti.algorithms.scenario import CallAssumptions, ScenarioStudy, default_rule_sets
from nexus_sti.audit.service import record
from nexus_sti.calls.tables import BudgetLine, Call, Proposal, ProposalMember
from nexus_sti.calls.workflow import CALL, step
from nexus_sti.core.countries import ASEAN_MEMBERS, ISO3_CODES
from nexus_sti.core.errors import (
    Conflict,
    Infeasible,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from nexus_sti.demo.generator import partner_probabilities
from nexus_sti.demo.service import demo_params
from nexus_sti.needs.indicators import POPULATION
from nexus_sti.needs.service import reference as reference_snapshot
from nexus_sti.programs.service import current_program
from nexus_sti.review.tables import ProposalScore
from nexus_sti.selection.inputs import (
    SelectionInputs,
    SelectionParams,
    budgets_only,
    build_inputs,
    member_places,
    target_shares_for,
)
from nexus_sti.selection.problem_io import (
    OptionsIn,
    digest_of,
    read_problem,
    write_problem,
    write_result,
)
from nexus_sti.selection.publish import PublishedAward, grants_package
from nexus_sti.selection.tables import Award, SelectionRun

RESEARCHERS_PER_MILLION = "SP.POP.SCIE.RD.P6"
# The review criteria that break ties between equal calibrated scores, in order.
TIE_BREAK_CRITERIA = ("excellence", "impact")

# Calls whose proposals have been screened and may be selected from.
SELECTABLE = frozenset({"screening", "in_review"})


def _call(session: Session, reference: str) -> Call:
    call = session.scalar(select(Call).where(Call.reference == reference))
    if call is None:
        raise NotFound("call", reference)
    return call


def call_for_page(session: Session, *, actor: Actor, reference: str) -> Call:
    require(actor, "selection.read", "open selection")
    return _call(session, reference)


def places_hoover(places: Mapping[str, int], targets: Mapping[str, float]) -> float | None:
    """Hoover index of the member states' shares of funded places against the target shares
    (``None`` without targets or places)."""
    if not targets or sum(places.values()) == 0:
        return None
    return hoover_index({k: float(v) for k, v in places.items()}, targets)


@dataclass(frozen=True)
class SelectionOutcome:
    """A solved selection and everything shown around it."""

    call: Call
    params: SelectionParams
    inputs: SelectionInputs
    result: PortfolioResult
    baseline: PortfolioResult  # the budgets alone
    explanations: list[dict[str, Any]]
    rule_costs: dict[str, float]
    funding_line: float | None
    problem_json: dict[str, Any]
    inputs_digest: str

    def result_json(self) -> dict[str, Any]:
        return write_result(
            self.result,
            inputs_digest=self.inputs_digest,
            seed=self.params.seed,
            extra={
                "funding_line": self.funding_line,
                "explanations": self.explanations,
                "rule_costs": self.rule_costs,
                "budgets_only_objective": self.baseline.objective,
                "notes": list(self.inputs.notes),
            },
        )


def _options(params: SelectionParams) -> OptionsIn:
    return OptionsIn(
        time_limit=params.time_limit,
        gap=1e-4,
        lottery=params.lottery,
        seed=params.seed,
        method="branch_and_cut",
    )


def _solve(problem: PortfolioProblem, options: OptionsIn) -> PortfolioResult:
    rng = np.random.default_rng(options.seed) if options.lottery else None
    return solve_portfolio(
        problem,
        time_limit=options.time_limit,
        gap=options.gap,
        lottery_rng=rng,
        method=options.method,
    )


def family_costs(
    problem: PortfolioProblem, result: PortfolioResult, time_limit: float
) -> dict[str, float]:
    """Merit given up to each family of rules (bands, inclusiveness, areas, ...): the optimum
    without that family minus the optimum with every rule; ``"all balance rules"`` is the
    optimum under the budgets alone minus the full optimum."""
    model = build_model(problem)
    families = np.array(model.families)
    costs: dict[str, float] = {}
    for family in dict.fromkeys(model.families):
        if family == "budget":
            continue
        run = run_model(model, families != family, model.objective, time_limit, 1e-4)
        if run.x is not None:
            costs[family] = round(float(model.objective @ run.x) - result.objective, 6)
    run = run_model(model, families == "budget", model.objective, time_limit, 1e-4)
    if run.x is not None:
        costs["all balance rules"] = round(float(model.objective @ run.x) - result.objective, 6)
    return costs


def _problem_for(
    session: Session, call: Call, params: SelectionParams
) -> tuple[SelectionInputs, PortfolioResult]:
    """The call's selection inputs, with the bands sized by the budgets-only portfolio (which
    is returned too: it is the baseline every rule's cost is measured against)."""
    if call.status not in SELECTABLE:
        raise RuleViolation(
            "selection.call_status",
            f"call {call.reference} is {call.status}: select from a screened call "
            "(screening or in review)",
        )
    program = current_program(session)
    first = build_inputs(
        session, call=call, config=program.config, program_version_id=program.row.id, params=params
    )
    if not first.problem.candidates:
        raise RuleViolation(
            "selection.no_candidates",
            f"call {call.reference} has no eligible proposal with a calibrated score"
            + (" at or above the threshold" if first.below_threshold else ""),
        )
    baseline = solve_portfolio(
        budgets_only(first.problem), time_limit=params.time_limit, method="branch_and_cut"
    )
    inputs = build_inputs(
        session,
        call=call,
        config=program.config,
        program_version_id=program.row.id,
        params=params,
        budgets_only_places=member_places(first.problem, baseline.selected),
    )
    return inputs, baseline


def preview(
    session: Session, *, actor: Actor, call_reference: str, params: SelectionParams
) -> SelectionOutcome:
    """Solve the call's selection under ``params`` without saving anything."""
    require(actor, "selection.run", "run a selection")
    call = _call(session, call_reference)
    inputs, baseline = _problem_for(session, call, params)
    options = _options(params)
    result = _solve(inputs.problem, options)
    if not result.selected and baseline.selected:
        # A share band's minimum can be met by funding nothing (0 ≥ share × 0): say so rather
        # than present an empty portfolio as the optimum.
        raise Infeasible(
            "these rules can only be met by funding nothing",
            hint="widen the country bands or lower the floors",
        )
    problem_json = write_problem(inputs.problem, options, currency=inputs.currency)
    explanations = explain_unfunded(
        inputs.problem, result.selected, excluded=inputs.below_threshold
    )
    return SelectionOutcome(
        call=call,
        params=params,
        inputs=inputs,
        result=result,
        baseline=baseline,
        explanations=explanations_to_dicts(explanations),
        rule_costs=family_costs(inputs.problem, result, params.time_limit),
        funding_line=funding_line(inputs.problem, result.selected),
        problem_json=problem_json,
        inputs_digest=digest_of(problem_json),
    )


@dataclass(frozen=True)
class Comparison:
    call: Call
    inputs: SelectionInputs
    comparison: RuleComparison
    places: dict[str, dict[str, int]]  # rule -> member state -> funded places
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
    session: Session, *, actor: Actor, call_reference: str, params: SelectionParams
) -> Comparison:
    """Rank-and-fund, ranking with tie-breaks, the constrained optimum and the optimum with a
    lottery on the same candidates, measured side by side."""
    require(actor, "selection.run", "compare selection rules")
    call = _call(session, call_reference)
    inputs, _ = _problem_for(session, call, params)
    researchers, note = researchers_by_country()
    secondary = _criteria_scores(session, inputs)
    comparison = compare_rules(
        inputs.problem,
        target_shares=inputs.target_shares or None,
        researchers=researchers,
        secondary=secondary,
        lottery_seed=params.seed,
        time_limit=params.time_limit,
    )
    places: dict[str, dict[str, int]] = {
        str(o.rule): dict(
            Counter(
                code
                for c in inputs.problem.candidates
                if c.id in o.selected
                for code in c.countries
                if code != "JPN"
            )
        )
        for o in comparison.outcomes
    }
    return Comparison(call, inputs, comparison, places, note)


def _criteria_scores(session: Session, inputs: SelectionInputs) -> dict[str, list[float]]:
    """Per proposal, (excellence, impact) means for the tie-break rule, where reviews gave them."""
    ids = {pid: ref for ref, pid in inputs.references.items()}
    out: dict[str, list[float]] = {}
    for score in session.scalars(
        select(ProposalScore).where(ProposalScore.proposal_id.in_(list(ids)))
    ):
        out[ids[score.proposal_id]] = [
            float(score.criteria.get(k, 0.0)) for k in TIE_BREAK_CRITERIA
        ]
    return out


def propose(
    session: Session,
    *,
    actor: Actor,
    call_reference: str,
    params: SelectionParams,
    note: str,
    now: datetime,
) -> SelectionRun:
    """Solve and store the selection as the call's next proposed decision record, audited."""
    outcome = preview(session, actor=actor, call_reference=call_reference, params=params)
    call = outcome.call
    version = (
        session.scalar(
            select(func.max(SelectionRun.version)).where(SelectionRun.call_id == call.id)
        )
        or 0
    ) + 1
    result = outcome.result_json()
    run = SelectionRun(
        call_id=call.id,
        version=version,
        status="proposed",
        note=note.strip()[:500],
        parameters=params.model_dump(mode="json"),
        problem=outcome.problem_json,
        inputs_digest=outcome.inputs_digest,
        seed=params.seed,
        solver=outcome.result.solver[:60],
        solver_status=outcome.result.status[:40],
        objective=outcome.result.objective,
        gap=outcome.result.gap if np.isfinite(outcome.result.gap) else -1.0,
        seconds=outcome.result.seconds,
        result=result,
        result_digest=digest_of({"selected": result["selected"], "lottery": result["lottery"]}),
        created_by=actor.user_id,
        created_by_label=actor.username,
        created_at=now,
    )
    session.add(run)
    session.flush()
    record(
        session,
        action="selection.proposed",
        actor=actor,
        subject_type="selection_run",
        subject_id=run.id,
        inputs={"call": call.reference, "parameters": run.parameters, "digest": run.inputs_digest},
        now=now,
        summary={
            "call": call.reference,
            "version": version,
            "funded": len(outcome.result.selected),
            "objective": round(outcome.result.objective, 4),
            "status": outcome.result.status,
        },
    )
    session.commit()
    return run


def get_run(session: Session, *, actor: Actor, run_id: int) -> SelectionRun:
    require(actor, "selection.read", "see selection runs")
    run = session.get(SelectionRun, run_id)
    if run is None:
        raise NotFound("selection run", run_id)
    return run


def list_runs(
    session: Session, *, actor: Actor, call_reference: str | None = None
) -> list[SelectionRun]:
    require(actor, "selection.read", "see selection runs")
    query = select(SelectionRun).order_by(SelectionRun.id.desc())
    if call_reference is not None:
        query = query.where(SelectionRun.call_id == _call(session, call_reference).id)
    return list(session.scalars(query))


def decide(
    session: Session,
    *,
    actor: Actor,
    run_id: int,
    approve: bool,
    note: str,
    now: datetime,
) -> SelectionRun:
    """Approve or reject a proposed run. Approval needs a second person (not the one who ran the
    selection), a call in review, and creates one award per selected proposal; the call is then
    decided and the call's other proposed runs are superseded."""
    require(actor, "selection.decide", "approve or reject a selection")
    run = get_run(session, actor=actor, run_id=run_id)
    if run.status != "proposed":
        raise Conflict(f"selection run {run.id} is already {run.status}")
    if (run.created_by is not None and run.created_by == actor.user_id) or (
        run.created_by_label == actor.username
    ):
        raise PermissionDenied(
            "decide on this selection",
            "the officer who ran a selection may not also approve or reject it (four eyes)",
        )
    if not note.strip():
        raise InvalidInput("note", "a decision needs a written reason")
    call = session.get(Call, run.call_id)
    assert call is not None
    verdict = "approved" if approve else "rejected"
    awards: list[Award] = []
    if approve:
        if call.status != "in_review":
            raise RuleViolation(
                "selection.call_status",
                f"call {call.reference} is {call.status}: send it to review before approving "
                "a selection",
            )
        call.status = step(CALL, call.status, "decide", actor.role)
        awards = _create_awards(session, run, call, now)
        for other in session.scalars(
            select(SelectionRun).where(
                SelectionRun.call_id == call.id,
                SelectionRun.status == "proposed",
                SelectionRun.id != run.id,
            )
        ):
            other.status = "superseded"
    run.status = verdict
    run.decided_by = actor.user_id
    run.decided_by_label = actor.username
    run.decided_at = now
    run.decision_note = note.strip()
    record(
        session,
        action=f"selection.{verdict}",
        actor=actor,
        subject_type="selection_run",
        subject_id=run.id,
        inputs={"note": run.decision_note},
        now=now,
        summary={
            "call": call.reference,
            "version": run.version,
            "awards": len(awards),
            "result_digest": run.result_digest,
        },
    )
    session.commit()
    return run


def _create_awards(session: Session, run: SelectionRun, call: Call, now: datetime) -> list[Award]:
    selected = run.result["selected"]
    by_ref = {
        p.reference: p
        for p in session.scalars(select(Proposal).where(Proposal.reference.in_(selected)))
    }
    merits = {c["id"]: c["merit"] for c in run.problem["candidates"]}
    awards = []
    for n, reference in enumerate(sorted(selected), start=1):
        proposal = by_ref.get(reference)
        if proposal is None or proposal.status != "eligible":
            raise Conflict(
                f"proposal {reference} changed since the selection ran "
                f"({'gone' if proposal is None else proposal.status}): run the selection again"
            )
        awards.append(
            Award(
                reference=f"{call.reference}-A{n:03d}",
                call_id=call.id,
                proposal_id=proposal.id,
                selection_run_id=run.id,
                amount=proposal.requested_amount,
                currency=proposal.currency,
                merit=float(merits[reference]),
                awarded_at=now,
            )
        )
    session.add_all(awards)
    return awards


@dataclass(frozen=True)
class Verification:
    run_id: int
    inputs_digest_matches: bool
    same_selection: bool
    same_lottery: bool
    objective_recorded: float
    objective_now: float
    seconds: float

    @property
    def reproduced(self) -> bool:
        return self.inputs_digest_matches and self.same_selection and self.same_lottery


def verify_run(session: Session, *, actor: Actor, run_id: int) -> Verification:
    """Solve the recorded problem again with the recorded seed and compare the outcome."""
    run = get_run(session, actor=actor, run_id=run_id)
    started = time.perf_counter()
    problem, options = read_problem(run.problem, source=f"selection run {run.id}")
    again = write_problem(problem, options, currency=run.problem.get("currency", ""))
    result = _solve(problem, options)
    redone = write_result(result, inputs_digest=run.inputs_digest, seed=options.seed)
    return Verification(
        run_id=run.id,
        inputs_digest_matches=digest_of(again) == run.inputs_digest,
        same_selection=redone["selected"] == run.result["selected"],
        same_lottery=redone["lottery"] == run.result["lottery"],
        objective_recorded=run.objective,
        objective_now=result.objective,
        seconds=time.perf_counter() - started,
    )


def awards_of(session: Session, *, actor: Actor, call_reference: str) -> list[Award]:
    require(actor, "selection.read", "see awards")
    call = _call(session, call_reference)
    return list(
        session.scalars(select(Award).where(Award.call_id == call.id).order_by(Award.reference))
    )


def amount_total(awards: list[Award]) -> Decimal:
    return sum((a.amount for a in awards), Decimal(0))


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
) -> tuple[ScenarioStudy, str]:
    """A design study whose partner mix defaults to the demo generator's (Japan co-authorship
    from the reference snapshot) and whose bands follow the track's latest saved targets; the
    second value says where the targets came from."""
    require(actor, "selection.run", "run a scenario study")
    mix = dict(
        zip(
            ASEAN_MEMBERS,
            (
                float(p)
                for p in partner_probabilities(demo_params(reference_snapshot(), n_proposals=1))
            ),
            strict=True,
        )
    )
    call = CallAssumptions(
        n_bilateral=bilateral,
        n_regional=regional,
        partner_mix=mix,
        merit_mean=merit_mean,
        merit_sd=merit_sd,
    )
    program = current_program(session)
    targets, source = target_shares_for(session, program.row.id, track)
    rule_sets = default_rule_sets(call, targets=targets or None)
    study = ScenarioStudy(
        rule_sets=rule_sets, call=call, scenarios=scenarios, seed=seed, time_limit=time_limit
    )
    return study, (
        f"bands around the {source}" if targets else f"{source}: bands follow the partner mix"
    )


def awards_360giving(session: Session, *, actor: Actor, call_reference: str) -> dict[str, Any]:
    """The call's awards as a 360Giving grants package."""
    awards = awards_of(session, actor=actor, call_reference=call_reference)
    config = current_program(session).config
    agency = next(f for f in config.funders if f.role == "implementing_agency")
    published = []
    for award in awards:
        proposal = session.get(Proposal, award.proposal_id)
        assert proposal is not None
        members = list(
            session.scalars(select(ProposalMember).where(ProposalMember.proposal_id == proposal.id))
        )
        lead = next((m for m in members if m.role == "lead_jp"), members[0])
        first_year = session.scalar(
            select(func.min(BudgetLine.year)).where(BudgetLine.proposal_id == proposal.id)
        )
        published.append(
            PublishedAward(
                reference=award.reference,
                title=proposal.title,
                description=proposal.abstract,
                amount=award.amount,
                currency=award.currency,
                awarded_on=award.awarded_at.date(),
                recipient_name=lead.organisation_name,
                recipient_ror=lead.ror_id,
                recipient_local_id=str(lead.organisation_id or lead.id),
                countries=tuple(sorted({m.country for m in members})),
                start_year=first_year or award.awarded_at.year + 1,
                duration_months=proposal.duration_months,
            )
        )
    return grants_package(
        published,
        program_code=config.program.code.upper(),
        funder_code=agency.code,
        funder_name=agency.name,
    )
