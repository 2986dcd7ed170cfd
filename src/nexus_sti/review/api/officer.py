"""JSON API of the officer side of review: a call's review form, the pool, conflicts with
reasons, assignment runs and manual swaps (``review.manage``), and a reviewer's answer to an
invitation (``review.submit``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from nexus_sti.accounts.webdeps import ApiActor
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.webdeps import SessionDep
from nexus_sti.review.schemas import (
    Answer,
    CriterionRow,
    Invitation,
    ReviewFormRead,
    ReviewFormUpdate,
    SwapCreate,
)
from nexus_sti.review.service import assignments, pool
from nexus_sti.review.service import forms as form_service
from nexus_sti.review.service.assignments import AssignmentParams
from nexus_sti.review.tables import AssignmentRun

router = APIRouter(prefix="/api/v1/review", tags=["review"])


def pool_entry(e: pool.PoolEntry) -> dict[str, Any]:
    return {
        "reviewer_id": e.profile.id,
        "researcher_id": e.researcher.id,
        "name": e.researcher.name_latin,
        "country": e.researcher.country,
        "organisation": e.organisation_name,
        "status": e.membership.status,
        "max_load": e.membership.max_load,
        "available": e.profile.available,
        "areas": e.profile.areas,
    }


def run_summary(run: AssignmentRun, *, full: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": run.id,
        "call_id": run.call_id,
        "version": run.version,
        "parameters": run.parameters,
        "inputs_digest": run.inputs_digest,
        "created_by": run.created_by_label,
        "created_at": run.created_at.isoformat(),
        **{
            k: run.result.get(k)
            for k in (
                "status", "solver", "objective", "proven_optimal", "seconds",
                "min_per_proposal", "load_histogram", "k", "proposals", "reviewers", "conflicts",
                "embedding",
            )
        },
    }  # fmt: skip
    if full:
        body["result"] = run.result
    return body


@router.get("/calls/{reference}/pool")
def read_pool(reference: str, actor: ApiActor, session: SessionDep) -> list[dict[str, Any]]:
    """The call's reviewer pool with each member's status and load."""
    return [pool_entry(e) for e in pool.list_pool(session, actor=actor, call_reference=reference)]


@router.post("/calls/{reference}/pool", status_code=201)
def invite(
    reference: str, body: Invitation, actor: ApiActor, session: SessionDep
) -> dict[str, Any]:
    added = pool.invite_reviewers(
        session,
        actor=actor,
        call_reference=reference,
        reviewer_ids=body.reviewer_ids,
        max_load=body.max_load,
        now=utcnow(),
    )
    return {"invited": [a.reviewer_id for a in added]}


@router.post("/calls/{reference}/invitation")
def answer_invitation(
    reference: str, body: Answer, actor: ApiActor, session: SessionDep
) -> dict[str, Any]:
    """A reviewer accepts or declines their own invitation to the call's pool."""
    row = pool.respond_to_invitation(
        session,
        actor=actor,
        call_reference=reference,
        accept=body.accept,
        max_load=body.max_load,
        now=utcnow(),
    )
    return {"call": reference, "status": row.status, "max_load": row.max_load}


@router.get("/calls/{reference}/conflicts")
def read_conflicts(
    reference: str, actor: ApiActor, session: SessionDep, coauthorship_years: int = 3
) -> dict[str, Any]:
    """Every conflict between the pool (invited or accepted) and the call's proposals."""
    found = pool.call_conflicts(
        session,
        actor=actor,
        call_reference=reference,
        as_of_year=utcnow().year,
        coauthorship_years=coauthorship_years,
    )
    return {
        "proposals": len(found.proposals),
        "reviewers": len(found.entries),
        "pairs_in_conflict": int(found.conflicts.matrix.sum()),
        "by_kind": found.conflicts.count_by_kind(),
        "conflicts": [
            {"proposal": r.proposal, "reviewer_id": r.reviewer, "kind": r.kind, "reason": r.detail}
            for r in found.conflicts.reasons
        ],
    }


@router.post("/calls/{reference}/assignment-runs", status_code=201)
def create_run(
    reference: str, params: AssignmentParams, actor: ApiActor, session: SessionDep
) -> dict[str, Any]:
    """Solve the assignment and save it as the call's next run (replaces the active rows)."""
    run = assignments.run_assignment(
        session, actor=actor, call_reference=reference, params=params, now=utcnow()
    )
    return run_summary(run)


@router.get("/assignment-runs/{run_id}")
def read_run(run_id: int, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    return run_summary(assignments.get_run(session, actor=actor, run_id=run_id), full=True)


@router.get("/calls/{reference}/assignment")
def read_assignment(reference: str, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """The call's latest run and its active pairs (including swaps)."""
    current = assignments.active_assignment(session, actor=actor, call_reference=reference)
    proposals = pool.call_proposals(session, actor=actor, call_reference=reference)
    references = {pid: p.reference for pid, p in proposals.items()}
    return {
        "run": run_summary(current.run) if current.run is not None else None,
        "pairs": [
            {
                "proposal": references[r.proposal_id],
                "proposal_id": r.proposal_id,
                "reviewer_id": r.reviewer_id,
                "affinity": r.affinity,
                "run_id": r.run_id,
            }
            for r in current.rows
        ],
    }


@router.post("/calls/{reference}/swaps", status_code=201)
def create_swap(
    reference: str, body: SwapCreate, actor: ApiActor, session: SessionDep
) -> dict[str, Any]:
    """Replace one reviewer by another on a proposal; refused (422, ``rule_violation``, with
    ``details.violations``) when it breaks a conflict, load, k or diversity rule."""
    row = assignments.swap_reviewer(
        session,
        actor=actor,
        call_reference=reference,
        proposal_reference=body.proposal,
        old_reviewer_id=body.old_reviewer_id,
        new_reviewer_id=body.new_reviewer_id,
        now=utcnow(),
    )
    return {
        "id": row.id,
        "proposal": body.proposal,
        "reviewer_id": row.reviewer_id,
        "affinity": row.affinity,
    }


def form_read(current: form_service.CallReviewForm) -> ReviewFormRead:
    return ReviewFormRead(
        call=current.call.reference,
        source=current.source,
        criteria=[CriterionRow(**c.as_row()) for c in current.spec.criteria],
        total_threshold=current.spec.total_threshold,
        reviews_per_proposal=current.reviews_per_proposal,
        due_at=current.due_at,
        reminder_days=current.reminder_days,
        submitted_reviews=current.submitted_reviews,
        locked=current.locked,
        suggested=[CriterionRow(**c.as_row()) for c in current.suggested],
    )


@router.get("/calls/{reference}/form")
def read_review_form(reference: str, actor: ApiActor, session: SessionDep) -> ReviewFormRead:
    """The call's review form (``source: program`` when it has none of its own)."""
    return form_read(form_service.get_review_form(session, actor=actor, call_reference=reference))


@router.put("/calls/{reference}/form")
def save_review_form(
    reference: str, body: ReviewFormUpdate, actor: ApiActor, session: SessionDep
) -> ReviewFormRead:
    """Create or replace the call's review form. Refused with 422 ``invalid_input`` naming the
    field and rule (every problem in ``details.problems``), or 409 ``conflict`` when reviews
    were submitted and the criteria or scales would change."""
    form_service.save_review_form(
        session,
        actor=actor,
        call_reference=reference,
        criteria=[c.model_dump() for c in body.criteria],
        total_threshold=body.total_threshold,
        reviews_per_proposal=body.reviews_per_proposal,
        due_at=body.due_at,
        reminder_days=body.reminder_days,
        now=utcnow(),
    )
    return form_read(form_service.get_review_form(session, actor=actor, call_reference=reference))
