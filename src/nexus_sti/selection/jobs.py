"""Selection work that runs in the background: the designer's solve, the price of each family
of rules, the comparison of selection rules, and saving a run for decision.

Each kind turns a service's answer into the plain values its page shows (JSON, kept with the
job), so the page renders a finished job without solving anything again. The designer's,
prices' and comparison's jobs are keyed by the call, the rules and a digest of the facts they
read (:func:`facts_digest`): the same question on the same data reuses the answer, and a new
score or proposal is a new question.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from nexus_sti.accounts.queries import active_actor
from nexus_sti.calls.service import call_by_reference
from nexus_sti.core.access import Actor
from nexus_sti.core.errors import NotFound
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.jobqueue import Finished, Progress, Work, job_kind, key_of
from nexus_sti.selection import charts, service, studies
from nexus_sti.selection.inputs import SelectionParams, read_facts

PREVIEW = "selection.preview"
COSTS = "selection.costs"
COMPARE = "selection.compare"
PROPOSE = "selection.propose"


def facts_digest(session: Session, reference: str) -> str:
    """A digest of everything a call's selection reads (its eligible proposals, their scores,
    the form's thresholds, the targets): equal digests, equal answers."""
    call = call_by_reference(session, reference)
    facts = read_facts(session, call=call, program_version_id=call.program_version_id)
    return hashlib.sha256(repr((call.status, call.track, facts)).encode()).hexdigest()


def question_key(kind: str, reference: str, params: SelectionParams, facts: str) -> str:
    return key_of(
        kind, {"call": reference, "params": params.model_dump(mode="json"), "facts": facts}
    )


def _owner(session: Session, work: Work) -> Actor:
    """The job acts as the account that asked for it, with its permissions as they are now."""
    actor = active_actor(session, work.owner_id)
    if actor is None:
        raise NotFound("active account", work.owner_id)
    return actor


def _params(work: Work) -> SelectionParams:
    return SelectionParams.model_validate(work.params["params"])


def designer_view(outcome: service.SelectionOutcome) -> dict[str, Any]:
    """What the designer shows of a solved selection."""
    inputs, result = outcome.inputs, outcome.result
    problem, selected = inputs.problem, result.selected
    by_id = {c.id: c for c in problem.candidates}
    funded = sorted((by_id[i] for i in selected), key=lambda c: (-c.merit, c.id))
    bands = problem.rules.country_bands or {}
    return {
        "result": {
            "objective": result.objective,
            "solver": result.solver,
            "status": result.status,
            "gap": result.gap,
            "seconds": result.seconds,
            "binding": list(result.binding),
            "lottery": asdict(result.lottery) if result.lottery else None,
        },
        "candidates": len(problem.candidates),
        "currency": inputs.currency,
        "baseline_objective": outcome.baseline.objective,
        "funding_line": outcome.funding_line,
        "inputs_digest": outcome.inputs_digest,
        "notes": list(inputs.notes),
        "bands": {code: {"low": b.low, "high": b.high} for code, b in bands.items()},
        "places_chart": charts.places_chart(problem, selected, inputs.partner_countries),
        "areas_chart": charts.areas_chart(problem, selected),
        "funded": [
            {
                "id": c.id,
                "merit": c.merit,
                "merit_interval": list(c.merit_interval) if c.merit_interval else None,
                "area": c.area,
                "countries": list(c.countries),
                "cost": inputs.requested[c.id],
            }
            for c in funded
        ],
        "cost": sum(inputs.requested[i] for i in selected),
        "explanations": outcome.explanations,
        "kinds": dict(Counter(e["kind"] for e in outcome.explanations)),
    }


def compare_view(found: studies.Comparison) -> dict[str, Any]:
    """What the comparison page shows: a row per selection rule, the charts, the cost of the
    rules."""
    rows = []
    targets = found.inputs.target_shares
    for o in found.comparison.outcomes:
        rows.append(
            {
                "rule": o.rule,
                "label": o.label,
                "merit": o.merit,
                "funded": o.funded,
                "partners_covered": len(o.partners_covered),
                "areas_covered": len(o.areas_covered),
                "hoover": studies.places_hoover(found.places[o.rule], targets),
                "gini": o.gini_per_researcher,
                "rules_broken": len(o.broken_rules),
                "broken": list(o.broken_rules),
                "places": found.places[o.rule],
            }
        )
    merit_svg, shares_svg = charts.comparison_charts(
        rows, found.inputs.target_shares, found.inputs.partner_countries
    )
    c = found.comparison
    return {
        "rows": rows,
        "merit_chart": merit_svg,
        "shares_chart": shares_svg,
        "partner_countries": len(found.inputs.partner_countries),
        "target_source": found.inputs.target_source,
        "researchers_note": found.researchers_note,
        "budgets_only_objective": c.budgets_only_objective,
        "optimum_objective": c.optimum_objective,
        "cost_of_inclusiveness": c.cost_of_inclusiveness,
    }


@job_kind(PREVIEW)
def preview_job(session: Session, work: Work, progress: Progress) -> Finished:
    outcome = service.preview(
        session,
        actor=_owner(session, work),
        call_reference=work.params["call"],
        params=_params(work),
        with_rule_costs=False,
        progress=progress,
    )
    return Finished(designer_view(outcome), url=work.params.get("back"))


@job_kind(COSTS)
def costs_job(session: Session, work: Work, progress: Progress) -> Finished:
    costs = service.rule_costs(
        session,
        actor=_owner(session, work),
        call_reference=work.params["call"],
        params=_params(work),
        progress=progress,
    )
    return Finished({"costs": costs}, url=work.params.get("back"))


@job_kind(COMPARE)
def compare_job(session: Session, work: Work, progress: Progress) -> Finished:
    found = studies.compare(
        session,
        actor=_owner(session, work),
        call_reference=work.params["call"],
        params=_params(work),
        progress=progress,
    )
    return Finished(compare_view(found), url=work.params.get("back"))


@job_kind(PROPOSE)
def propose_job(session: Session, work: Work, progress: Progress) -> Finished:
    run = service.propose(
        session,
        actor=_owner(session, work),
        call_reference=work.params["call"],
        params=_params(work),
        note=str(work.params.get("note", "")),
        now=utcnow(),
        progress=progress,
    )
    return Finished(
        {
            "run": run.id,
            "notice": f"Saved as run {run.id} (version {run.version}, proposed): another "
            "officer approves or rejects it.",
        },
        url=f"/selection/runs/{run.id}",
    )
