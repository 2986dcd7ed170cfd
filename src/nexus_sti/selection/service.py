"""Selection use cases: preview a portfolio for a call, save it as a decision record, approve or
reject it (approval creates the awards), and re-run a record to show it reproduces.

A run stores the whole problem as solved (in the documented JSON format), the officer's
parameters, the seed and the solver, so ``verify_run`` can solve it again from the record alone
and compare the outcome.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nexus_sti.algorithms.portfolio import (
    PortfolioProblem,
    PortfolioResult,
    solve_portfolio,
)
from nexus_sti.algorithms.portfolio_explain import (
    explain_unfunded,
    explanations_to_dicts,
    funding_line,
)
from nexus_sti.algorithms.portfolio_lottery import LOTTERY_RULE
from nexus_sti.algorithms.portfolio_model import build_model, run_model
from nexus_sti.calls.service import call_by_reference
from nexus_sti.core.access import Actor, require
from nexus_sti.core.errors import (
    Infeasible,
    RuleViolation,
)
from nexus_sti.platform.auditlog import record
from nexus_sti.platform.jobqueue import Progress, no_progress
from nexus_sti.programs.service import program_version
from nexus_sti.selection.inputs import (
    SelectionInputs,
    SelectionParams,
    budgets_only,
    inputs_from,
    partner_places,
    read_facts,
)
from nexus_sti.selection.problem_io import (
    OptionsIn,
    digest_of,
    read_problem,
    write_problem,
    write_result,
)
from nexus_sti.selection.queries import get_run
from nexus_sti.selection.tables import SelectionRun

if TYPE_CHECKING:
    from nexus_sti.calls.tables import Call

# Calls whose proposals have been screened and may be selected from.
SELECTABLE = frozenset({"screening", "in_review"})


def call_for_page(session: Session, *, actor: Actor, reference: str) -> Call:
    require(actor, "selection.read", "open selection")
    return call_by_reference(session, reference)


@dataclass(frozen=True)
class SelectionOutcome:
    """A solved selection and everything shown around it."""

    call: Call
    params: SelectionParams
    inputs: SelectionInputs
    result: PortfolioResult
    baseline: PortfolioResult  # the budgets alone
    explanations: list[dict[str, Any]]
    rule_costs: dict[str, float] | None  # None: not computed (see preview)
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
    problem: PortfolioProblem,
    result: PortfolioResult,
    time_limit: float,
    progress: Progress = no_progress,
) -> dict[str, float]:
    """Merit given up to each family of rules (bands, inclusiveness, areas, ...): the optimum
    without that family minus the optimum with every rule; ``"all balance rules"`` is the
    optimum under the budgets alone minus the full optimum. One solve per family, each
    announced to ``progress``."""
    model = build_model(problem)
    families = np.array(model.families)
    costs: dict[str, float] = {}
    priced = [f for f in dict.fromkeys(model.families) if f != "budget"]
    for index, family in enumerate(priced):
        progress(index, len(priced) + 1, f"without the {family} rules")
        run = run_model(model, families != family, model.objective, time_limit, 1e-4)
        if run.x is not None:
            costs[family] = round(float(model.objective @ run.x) - result.objective, 6)
    progress(len(priced), len(priced) + 1, "under the budgets alone")
    run = run_model(model, families == "budget", model.objective, time_limit, 1e-4)
    if run.x is not None:
        costs["all balance rules"] = round(float(model.objective @ run.x) - result.objective, 6)
    return costs


_BASELINES: OrderedDict[tuple[str, float], PortfolioResult] = OrderedDict()
_BASELINES_KEPT = 64
_BASELINES_LOCK = threading.Lock()


def _budgets_only_optimum(problem: PortfolioProblem, time_limit: float) -> PortfolioResult:
    """The best portfolio under the budgets alone, solved once per distinct problem in this
    process: the designer asks for the same baseline on every change of a balance rule. The
    key is the digest of the budgets-only problem in the documented file format, so a new
    score, proposal or budget is a new problem."""
    alone = budgets_only(problem)
    key = (digest_of(write_problem(alone, OptionsIn(time_limit=time_limit))), time_limit)
    with _BASELINES_LOCK:
        if key in _BASELINES:
            _BASELINES.move_to_end(key)
            return _BASELINES[key]
    result = solve_portfolio(alone, time_limit=time_limit, method="branch_and_cut")
    with _BASELINES_LOCK:
        _BASELINES[key] = result
        while len(_BASELINES) > _BASELINES_KEPT:
            _BASELINES.popitem(last=False)
    return result


def problem_for(
    session: Session, call: Call, params: SelectionParams, progress: Progress = no_progress
) -> tuple[SelectionInputs, PortfolioResult]:
    """The call's selection inputs, with the bands sized by the budgets-only portfolio (which
    is returned too: it is the baseline every rule's cost is measured against)."""
    if call.status not in SELECTABLE:
        raise RuleViolation(
            "selection.call_status",
            f"call {call.reference} is {call.status}: select from a screened call "
            "(screening or in review)",
        )
    progress(0, 3, "reading the call's proposals, scores and targets")
    program = program_version(session, call.program_version_id)
    facts = read_facts(session, call=call, program_version_id=program.row.id)
    first = inputs_from(facts, call=call, config=program.config, params=params)
    if not first.problem.candidates:
        raise RuleViolation(
            "selection.no_candidates",
            f"call {call.reference} has no eligible proposal with a calibrated score"
            + (" at or above the threshold" if first.below_threshold else ""),
        )
    progress(1, 3, "the best portfolio under the budgets alone")
    baseline = _budgets_only_optimum(first.problem, params.time_limit)
    inputs = inputs_from(
        facts,
        call=call,
        config=program.config,
        params=params,
        budgets_only_places=partner_places(
            first.problem, baseline.selected, program.config.home_country
        ),
    )
    return inputs, baseline


def preview(
    session: Session,
    *,
    actor: Actor,
    call_reference: str,
    params: SelectionParams,
    with_rule_costs: bool = True,
    progress: Progress = no_progress,
) -> SelectionOutcome:
    """Solve the call's selection under ``params`` without saving anything. Pricing every
    family of rules takes a solve per family; the designer page asks for it separately
    (``with_rule_costs=False`` here, then :func:`rule_costs`), a saved run always has it."""
    require(actor, "selection.run", "run a selection")
    call = call_by_reference(session, call_reference)
    inputs, baseline = problem_for(session, call, params, progress)
    progress(2, 3, "solving with every rule")
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
        rule_costs=(
            family_costs(inputs.problem, result, params.time_limit, progress)
            if with_rule_costs
            else None
        ),
        funding_line=funding_line(inputs.problem, result.selected),
        problem_json=problem_json,
        inputs_digest=digest_of(problem_json),
    )


def rule_costs(
    session: Session,
    *,
    actor: Actor,
    call_reference: str,
    params: SelectionParams,
    progress: Progress = no_progress,
) -> dict[str, float]:
    """Merit given up to each family of rules under ``params`` (see :func:`family_costs`)."""
    require(actor, "selection.run", "run a selection")
    call = call_by_reference(session, call_reference)
    inputs, _ = problem_for(session, call, params)
    result = _solve(inputs.problem, _options(params))
    return family_costs(inputs.problem, result, params.time_limit, progress)


def propose(
    session: Session,
    *,
    actor: Actor,
    call_reference: str,
    params: SelectionParams,
    note: str,
    now: datetime,
    progress: Progress = no_progress,
) -> SelectionRun:
    """Solve and store the selection as the call's next proposed decision record, audited."""
    outcome = preview(
        session, actor=actor, call_reference=call_reference, params=params, progress=progress
    )
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


@dataclass(frozen=True)
class Verification:
    run_id: int
    inputs_digest_matches: bool
    same_selection: bool
    same_lottery: bool
    objective_recorded: float
    objective_now: float
    seconds: float
    # The recorded draw followed another lottery rule than this version's (runs saved before
    # the draw decided in draw order): its lottery cannot be reproduced, and the check says so.
    earlier_lottery_rule: bool = False

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
    recorded_lottery = run.result.get("lottery")
    return Verification(
        run_id=run.id,
        inputs_digest_matches=digest_of(again) == run.inputs_digest,
        same_selection=redone["selected"] == run.result["selected"],
        same_lottery=redone["lottery"] == run.result["lottery"],
        objective_recorded=run.objective,
        objective_now=result.objective,
        seconds=time.perf_counter() - started,
        earlier_lottery_rule=isinstance(recorded_lottery, dict)
        and recorded_lottery.get("rule") != LOTTERY_RULE,
    )
