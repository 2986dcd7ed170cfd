"""JSON API of reviews: the reviewer's assignments, drafts, submissions and conflicts under
``/api/v1/review/my``; a call's reviews, reminders, calibration and ranking for officers under
``/api/v1/review/calls/{reference}``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from nexus_sti.accounts.webdeps import ApiActor
from nexus_sti.core.errors import NotFound
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.downloads import file_download
from nexus_sti.platform.webdeps import SessionDep
from nexus_sti.review.ranking import DEFAULT_TIE_BREAKS, parse_tie_breaks
from nexus_sti.review.schemas import CalibrationIn, ConflictIn, ReviewIn
from nexus_sti.review.service import reviews
from nexus_sti.review.tables import CalibrationRun, Review

router = APIRouter(prefix="/api/v1/review", tags=["review"])


def review_body(review: Review | None) -> dict[str, Any] | None:
    if review is None:
        return None
    return {
        "id": review.id,
        "status": review.status,
        "scores": review.scores,
        "total": review.total,
        "comments": review.comments,
        "confidence": review.confidence,
        "updated_at": review.updated_at.isoformat(),
        "submitted_at": review.submitted_at.isoformat() if review.submitted_at else None,
    }


def assignment_body(view: reviews.AssignmentView) -> dict[str, Any]:
    due = view.form.due_at
    return {
        "assignment_id": view.assignment.id,
        "call": view.call.reference,
        "proposal": {"reference": view.proposal.reference, "title": view.proposal.title},
        "due_at": due.isoformat() if due else None,
        "status": view.status,
    }


@router.get("/my")
def my_assignments(actor: ApiActor, session: SessionDep) -> list[dict[str, Any]]:
    """The caller's active review assignments (without those they declared a conflict on)."""
    return [assignment_body(v) for v in reviews.my_assignments(session, actor=actor)]


@router.get("/my/{assignment_id}")
def my_assignment(assignment_id: int, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """The proposal to review (title, abstract, consortium), the form and the caller's review."""
    view = reviews.my_assignment(session, actor=actor, assignment_id=assignment_id)
    members = reviews.consortium_of(session, view.proposal.id)
    return {
        **assignment_body(view),
        "proposal": {
            "reference": view.proposal.reference,
            "title": view.proposal.title,
            "abstract": view.proposal.abstract,
            "area": view.proposal.area,
            "keywords": view.proposal.keywords,
            "consortium": [
                {
                    "name": m.name,
                    "country": m.country,
                    "organisation": m.organisation_name,
                    "role": m.role,
                }
                for m in members
            ],
            "documents": [
                {
                    "id": d.id,
                    "kind": d.kind,
                    "filename": d.filename,
                    "media_type": d.media_type,
                    "size": d.size,
                    "pages": d.pages,
                    "url": f"/api/v1/review/my/{assignment_id}/documents/{d.id}",
                }
                for d in reviews.assignment_documents(
                    session, actor=actor, assignment_id=assignment_id
                )
            ],
        },
        "form": {
            "criteria": view.form.spec.rows(),
            "total_threshold": view.form.spec.total_threshold,
            "min_comment_length": view.form.spec.min_comment_length,
        },
        "review": review_body(view.review),
    }


@router.get("/my/{assignment_id}/documents/{attachment_id}")
def my_assignment_document(
    assignment_id: int, attachment_id: int, actor: ApiActor, session: SessionDep
) -> Response:
    """A document of the proposal under review (the assigned reviewer only)."""
    facts, content = reviews.assignment_document(
        session, actor=actor, assignment_id=assignment_id, attachment_id=attachment_id
    )
    return file_download(content, facts.media_type, facts.filename)


@router.put("/my/{assignment_id}/draft")
def save_draft(
    assignment_id: int, body: ReviewIn, actor: ApiActor, session: SessionDep
) -> dict[str, Any]:
    """Save the review as a draft (marks given must be valid; anything may be missing)."""
    review = reviews.save_draft(
        session,
        actor=actor,
        assignment_id=assignment_id,
        scores=body.scores,
        comments=body.comments,
        confidence=body.confidence,
        now=utcnow(),
    )
    return review_body(review) or {}


@router.post("/my/{assignment_id}/submit")
def submit_review(
    assignment_id: int, body: ReviewIn, actor: ApiActor, session: SessionDep
) -> dict[str, Any]:
    """Submit the complete review before the deadline; a submitted review is final."""
    review = reviews.submit_review(
        session,
        actor=actor,
        assignment_id=assignment_id,
        scores=body.scores,
        comments=body.comments,
        confidence=body.confidence,
        now=utcnow(),
    )
    return review_body(review) or {}


@router.post("/my/{assignment_id}/conflict", status_code=201)
def declare_conflict(
    assignment_id: int, body: ConflictIn, actor: ApiActor, session: SessionDep
) -> dict[str, Any]:
    """Declare a conflict with the assigned proposal; the assignment is withdrawn."""
    conflict = reviews.declare_conflict(
        session, actor=actor, assignment_id=assignment_id, reason=body.reason, now=utcnow()
    )
    return {"id": conflict.id, "assignment_id": assignment_id, "reason": conflict.reason}


def calibration_body(run: CalibrationRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "parameters": run.parameters,
        "inputs_digest": run.inputs_digest,
        "created_by": run.created_by_label,
        "created_at": run.created_at.isoformat(),
        "result": run.result,
    }


@router.post("/calls/{reference}/calibration", status_code=201)
def run_calibration(
    reference: str, body: CalibrationIn, actor: ApiActor, session: SessionDep
) -> dict[str, Any]:
    """Calibrate the call's submitted reviews and write the proposals' scores."""
    run = reviews.run_calibration(
        session,
        actor=actor,
        call_reference=reference,
        now=utcnow(),
        level=body.level,
        reviewer_scale=body.reviewer_scale,
        disagreement_threshold=body.disagreement_threshold,
        confidence_weights=body.confidence_weights,
    )
    return calibration_body(run)


@router.get("/calls/{reference}/calibration")
def latest_calibration(reference: str, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """The call's latest calibration run."""
    run = reviews.latest_calibration(session, actor=actor, call_reference=reference)
    if run is None:
        raise NotFound("calibration run of call", reference)
    return calibration_body(run)


@router.get("/calls/{reference}/reminders")
def reminders(reference: str, actor: ApiActor, session: SessionDep) -> list[dict[str, Any]]:
    """Assignments whose review is not submitted and whose reminder time has come."""
    due = reviews.reminders_due(session, actor=actor, now=utcnow(), call_reference=reference)
    return [
        {
            "assignment_id": r.assignment_id,
            "reviewer": r.reviewer,
            "proposal": r.proposal,
            "due_at": r.due_at.isoformat(),
            "days_left": r.days_left,
            "overdue": r.overdue,
            "status": r.status,
        }
        for r in due
    ]


@router.get("/calls/{reference}/ranking")
def ranking(
    reference: str, actor: ApiActor, session: SessionDep, tie_breaks: str | None = None
) -> list[dict[str, Any]]:
    """The ranked list; ``tie_breaks`` is a comma-separated list of rules, applied in order."""
    rules = parse_tie_breaks(tie_breaks.split(",")) if tie_breaks else DEFAULT_TIE_BREAKS
    found = reviews.ranked_list(session, actor=actor, call_reference=reference, tie_breaks=rules)
    return [
        {
            "rank": r.rank,
            "reference": r.candidate.reference,
            "score": r.candidate.score,
            "low": r.candidate.low,
            "high": r.candidate.high,
            "area": r.candidate.area,
            "disagreement": r.candidate.disagreement,
            "flagged": r.candidate.flagged,
            "tied_with": list(r.tied_with),
            "broken_by": r.broken_by,
            "explanation": r.explanation,
        }
        for r in found.rows
    ]
