"""JSON API for portfolio selection: preview, decision records, decisions, verification, awards
and the stateless solver for problem files."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from fastapi import APIRouter, Body

from nexus_sti.accounts.webdeps import ApiActor
from nexus_sti.algorithms.portfolio import solve_portfolio
from nexus_sti.algorithms.portfolio_compare import comparison_to_dict
from nexus_sti.algorithms.portfolio_explain import explain_unfunded, explanations_to_dicts
from nexus_sti.core.access import require
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.downloads import csv_download
from nexus_sti.platform.openapi import answers_as
from nexus_sti.platform.webdeps import SessionDep
from nexus_sti.selection import awards as call_awards
from nexus_sti.selection import decisions, queries, service, studies
from nexus_sti.selection.inputs import SelectionParams
from nexus_sti.selection.problem_io import digest_of, read_problem, write_result
from nexus_sti.selection.schemas import DecisionCreate, RunCreate
from nexus_sti.selection.tables import SelectionRun

router = APIRouter(prefix="/api/v1/selection", tags=["selection"])


def run_summary(run: SelectionRun, *, full: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": run.id,
        "call_id": run.call_id,
        "version": run.version,
        "status": run.status,
        "note": run.note,
        "parameters": run.parameters,
        "seed": run.seed,
        "inputs_digest": run.inputs_digest,
        "result_digest": run.result_digest,
        "solver": run.solver,
        "solver_status": run.solver_status,
        "objective": run.objective,
        "gap": run.gap,
        "seconds": run.seconds,
        "funded": len(run.result["selected"]),
        "created_by": run.created_by_label,
        "created_at": run.created_at.isoformat(),
        "decided_by": run.decided_by_label or None,
        "decided_at": run.decided_at.isoformat() if run.decided_at else None,
        "decision_note": run.decision_note or None,
    }
    if full:
        body["result"] = run.result
        body["problem"] = run.problem
    return body


@router.post("/calls/{reference}/preview")
def preview(
    reference: str, params: SelectionParams, actor: ApiActor, session: SessionDep
) -> dict[str, Any]:
    """Solve the call's selection under ``params`` and return the result; nothing is saved."""
    outcome = service.preview(session, actor=actor, call_reference=reference, params=params)
    return outcome.result_json()


@router.post("/calls/{reference}/runs", status_code=201)
def create_run(
    reference: str, body: RunCreate, actor: ApiActor, session: SessionDep
) -> dict[str, Any]:
    """Solve and store the selection as a proposed decision record (officers, administrators)."""
    run = service.propose(
        session,
        actor=actor,
        call_reference=reference,
        params=body.parameters,
        note=body.note,
        now=utcnow(),
    )
    return run_summary(run)


@router.post("/calls/{reference}/comparison")
def comparison(
    reference: str, params: SelectionParams, actor: ApiActor, session: SessionDep
) -> dict[str, Any]:
    """Rank-and-fund, ranking with tie-breaks, the constrained optimum and the optimum with a
    lottery on the same candidates: merit, shares, coverage, Hoover, Gini and broken rules."""
    found = studies.compare(session, actor=actor, call_reference=reference, params=params)
    body = comparison_to_dict(found.comparison)
    for outcome in body["outcomes"]:
        places = found.places[outcome["rule"]]
        outcome["partner_places"] = places
        outcome["places_hoover"] = studies.places_hoover(places, found.inputs.target_shares)
    body["target_shares"] = found.inputs.target_shares
    body["target_source"] = found.inputs.target_source
    body["researchers"] = found.researchers_note
    return body


@router.get("/runs")
def read_runs(
    actor: ApiActor, session: SessionDep, call: str | None = None
) -> list[dict[str, Any]]:
    return [run_summary(r) for r in queries.list_runs(session, actor=actor, call_reference=call)]


@router.get("/runs/{run_id}")
def read_run(run_id: int, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """The whole decision record: parameters, the problem as solved, seed, solver and result."""
    return run_summary(queries.get_run(session, actor=actor, run_id=run_id), full=True)


@router.post("/runs/{run_id}/decision")
def decide(
    run_id: int, body: DecisionCreate, actor: ApiActor, session: SessionDep
) -> dict[str, Any]:
    """Approve (creates the awards) or reject a proposed run; not by the officer who ran it."""
    run = decisions.decide(
        session, actor=actor, run_id=run_id, approve=body.approve, note=body.note, now=utcnow()
    )
    return run_summary(run)


@router.post("/runs/{run_id}/verify")
def verify(run_id: int, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """Re-solve the run from its record with its seed and compare."""
    check_ = service.verify_run(session, actor=actor, run_id=run_id)
    return {
        "run_id": check_.run_id,
        "reproduced": check_.reproduced,
        "inputs_digest_matches": check_.inputs_digest_matches,
        "same_selection": check_.same_selection,
        "same_lottery": check_.same_lottery,
        "earlier_lottery_rule": check_.earlier_lottery_rule,
        "objective_recorded": check_.objective_recorded,
        "objective_now": check_.objective_now,
        "seconds": round(check_.seconds, 3),
    }


@router.get("/calls/{reference}/awards", responses=answers_as("application/json", "text/csv"))
def read_awards(
    reference: str,
    actor: ApiActor,
    session: SessionDep,
    format: Literal["json", "csv", "360giving"] = "json",
) -> Any:
    """The call's awards as JSON, CSV, or a 360Giving grants package (``format=360giving``)."""
    if format == "360giving":
        return call_awards.awards_360giving(session, actor=actor, call_reference=reference)
    rows = call_awards.award_rows(
        session, call_awards.awards_of(session, actor=actor, call_reference=reference)
    )
    if format == "json":
        return rows
    return csv_download(call_awards.awards_csv(rows), f"awards-{reference}.csv")


@router.post("/solve")
def solve(actor: ApiActor, problem: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """Solve a problem in the documented format (``docs/selection.md``); nothing is stored."""
    require(actor, "selection.run", "run a selection")
    parsed, options = read_problem(problem)
    rng = np.random.default_rng(options.seed) if options.lottery else None
    result = solve_portfolio(
        parsed,
        time_limit=min(options.time_limit, 60.0),
        gap=options.gap,
        lottery_rng=rng,
        method=options.method,
    )
    extra: dict[str, Any] = {}
    if options.explain:
        extra["explanations"] = explanations_to_dicts(explain_unfunded(parsed, result.selected))
    return write_result(result, inputs_digest=digest_of(problem), seed=options.seed, extra=extra)
