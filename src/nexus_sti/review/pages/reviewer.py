"""The reviewer's pages: their assignments with the deadline countdown, one assignment with
the proposal, the review form (save a draft, submit) and the conflict declaration, and their own
profile with the relations (people, organisations) they declare.

Every POST carries the CSRF token. A save or submission that fails validation re-renders the
form with what was typed and each problem named; a success redirects (POST, redirect, GET).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.routing import APIRouter
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from nexus_sti.accounts.service import actor_for
from nexus_sti.accounts.webdeps import PageUser, Viewer
from nexus_sti.calls.deadlines import local_time, time_left, zone_for
from nexus_sti.core.access import require
from nexus_sti.core.areas import PRIORITY_AREAS
from nexus_sti.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from nexus_sti.people.queries import researcher_card
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.downloads import file_download
from nexus_sti.platform.webdeps import SessionDep, render, require_csrf
from nexus_sti.programs.service import program_version
from nexus_sti.proposals.attachments import ATTACHMENT_KINDS
from nexus_sti.review.forms import parse_mark
from nexus_sti.review.pages.officer import (
    ProfileForm,
    profile_input,
    profile_values,
    relation_input,
    typed_profile,
)
from nexus_sti.review.service import pool, reviews

router = APIRouter(include_in_schema=False)

CONFIDENCE_LABELS = {
    1: "1 · outside my expertise",
    2: "2 · some familiarity",
    3: "3 · knowledgeable",
    4: "4 · very knowledgeable",
    5: "5 · expert",
}


def user_zone(session: Session, user: Viewer) -> ZoneInfo:
    """The user's time zone: their account's country, else their researcher profile's."""
    code = user.country
    if code is None and user.researcher_id is not None:
        researcher = researcher_card(session, user.researcher_id)
        code = researcher.country if researcher else None
    return zone_for(code)


def deadline_view(view: reviews.AssignmentView, zone: ZoneInfo) -> dict[str, Any]:
    due = view.form.due_at
    if due is None:
        return {"local": None, "utc": None, "left": None, "closed": False}
    left = time_left(due, utcnow())
    return {
        "local": local_time(due, zone),
        "utc": f"{due:%Y-%m-%d %H:%M} UTC",
        "left": left,
        "closed": left == "closed",
    }


@router.get("/review/my")
def my_reviews_page(request: Request, user: PageUser, session: SessionDep) -> Response:
    actor = actor_for(user)
    views = reviews.my_assignments(session, actor=actor)
    zone = user_zone(session, user)
    return render(
        request,
        "review_reviewer_my.html",
        user,
        title="My reviews",
        rows=[{"view": v, "deadline": deadline_view(v, zone)} for v in views],
        has_profile=reviews.reviewer_profile(session, actor) is not None,
        notice=request.session.pop("review_notice", None),
        zone=zone.key,
    )


def _assignment_page(
    request: Request,
    user: Viewer,
    session: Session,
    assignment_id: int,
    *,
    typed: dict[str, Any] | None = None,
    error: str | None = None,
    problems: list[dict[str, str]] | None = None,
    conflict_error: str | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_for(user)
    view = reviews.my_assignment(session, actor=actor, assignment_id=assignment_id)
    review = view.review
    values: dict[str, Any] = {
        "scores": {k: f"{v:g}" for k, v in (review.scores if review else {}).items()},
        "comments": review.comments if review else "",
        "confidence": str(review.confidence) if review and review.confidence else "",
    }
    if typed is not None:
        values = typed
    deadline = deadline_view(view, user_zone(session, user))
    return render(
        request,
        "review_reviewer_assignment.html",
        user,
        status_code=status_code,
        title=f"Review of {view.proposal.reference}",
        view=view,
        proposal=view.proposal,
        call=view.call,
        members=reviews.consortium_of(session, view.proposal.id),
        documents=reviews.assignment_documents(session, actor=actor, assignment_id=assignment_id),
        attachment_kinds=ATTACHMENT_KINDS,
        role_labels={
            r.code: r.name
            for r in program_version(session, view.call.program_version_id).config.roles
        },
        form=view.form.spec,
        values=values,
        deadline=deadline,
        editable=not deadline["closed"] and view.status != "submitted",
        submitted_at=(
            local_time(review.submitted_at, user_zone(session, user))
            if review and review.submitted_at
            else None
        ),
        confidence_labels=CONFIDENCE_LABELS,
        error=error,
        problems={p["field"]: p["message"] for p in problems or []},
        conflict_error=conflict_error,
        notice=request.session.pop("review_notice", None) if error is None else None,
    )


@router.get("/review/my/{assignment_id}")
def assignment_page(
    assignment_id: int, request: Request, user: PageUser, session: SessionDep
) -> Response:
    return _assignment_page(request, user, session, assignment_id)


@router.get("/review/my/{assignment_id}/documents/{attachment_id}")
def assignment_document(
    assignment_id: int, attachment_id: int, user: PageUser, session: SessionDep
) -> Response:
    """A document of the proposal under review, for the reviewer assigned to it only."""
    facts, content = reviews.assignment_document(
        session, actor=actor_for(user), assignment_id=assignment_id, attachment_id=attachment_id
    )
    return file_download(content, facts.media_type, facts.filename)


async def _form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormFields = Annotated[dict[str, str], Depends(_form_fields)]


def _typed(fields: dict[str, str]) -> dict[str, Any]:
    return {
        "scores": {k[6:]: v for k, v in fields.items() if k.startswith("score_")},
        "comments": fields.get("comments", ""),
        "confidence": fields.get("confidence", ""),
    }


def _parsed(typed: dict[str, Any]) -> tuple[dict[str, float | None], int | None]:
    scores: dict[str, float | None] = {}
    for code, text in typed["scores"].items():
        try:
            scores[code] = parse_mark(text)
        except InvalidInput as exc:
            raise InvalidInput(f"scores.{code}", exc.rule, f"{code}: {exc.message}") from exc
    confidence_text = typed["confidence"].strip()
    if confidence_text and not confidence_text.isdigit():
        raise InvalidInput("confidence", "not_a_number", "confidence: choose 1 to 5")
    return scores, int(confidence_text) if confidence_text else None


@router.post("/review/my/{assignment_id}", dependencies=[Depends(require_csrf)])
def save_review_page(
    assignment_id: int, request: Request, user: PageUser, session: SessionDep, form: FormFields
) -> Response:
    actor = actor_for(user)
    typed = _typed(form)
    final = form.get("action") == "submit"
    try:
        scores, confidence = _parsed(typed)
        save = reviews.submit_review if final else reviews.save_draft
        save(
            session,
            actor=actor,
            assignment_id=assignment_id,
            scores=scores,
            comments=typed["comments"],
            confidence=confidence,
            now=utcnow(),
        )
    except InvalidInput as exc:
        session.rollback()
        what = "Not submitted" if final else "Not saved"
        return _assignment_page(
            request,
            user,
            session,
            assignment_id,
            typed=typed,
            error=f"{what}: {exc.message}",
            problems=exc.details.get("problems")
            or [{"field": exc.field, "rule": exc.rule, "message": exc.message}],
            status_code=422,
        )
    except (RuleViolation, Conflict) as exc:
        session.rollback()
        return _assignment_page(
            request,
            user,
            session,
            assignment_id,
            typed=typed,
            error=exc.message,
            status_code=exc.http_status,
        )
    request.session["review_notice"] = (
        "Review submitted. Thank you." if final else "Draft saved; submit it before the deadline."
    )
    return RedirectResponse(f"/review/my/{assignment_id}", status_code=303)


@router.post("/review/my/{assignment_id}/conflict", dependencies=[Depends(require_csrf)])
def declare_conflict_page(
    assignment_id: int, request: Request, user: PageUser, session: SessionDep, form: FormFields
) -> Response:
    actor = actor_for(user)
    view = reviews.my_assignment(session, actor=actor, assignment_id=assignment_id)
    reference = view.proposal.reference
    try:
        reviews.declare_conflict(
            session,
            actor=actor,
            assignment_id=assignment_id,
            reason=form.get("reason", ""),
            now=utcnow(),
        )
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        return _assignment_page(
            request,
            user,
            session,
            assignment_id,
            conflict_error=exc.message,
            status_code=exc.http_status,
        )
    request.session["review_notice"] = (
        f"Conflict of interest declared on {reference}: the assignment is withdrawn and the "
        "program officer will reassign it."
    )
    return RedirectResponse("/review/my", status_code=303)


# --- the reviewer's own profile and declared relations ----------------------------------------


def _profile_page(
    request: Request,
    user: Viewer,
    session: Session,
    *,
    typed: dict[str, Any] | None = None,
    profile_error: InvalidInput | None = None,
    relation: Mapping[str, str] | None = None,
    relation_error: InvalidInput | NotFound | None = None,
) -> Response:
    actor = actor_for(user)
    require(actor, "review.submit", "keep a reviewer profile")
    profile = reviews.reviewer_profile(session, actor)
    researcher = researcher_card(session, user.researcher_id)
    failed = profile_error or relation_error
    return render(
        request,
        "review_reviewer_profile.html",
        user,
        status_code=422 if failed else 200,
        title="My reviewer profile",
        profile=profile,
        researcher=researcher,
        values=typed or profile_values(profile),
        all_areas=PRIORITY_AREAS,
        profile_error=profile_error,
        declared=(
            pool.list_declared_conflicts(
                session, actor=actor_for(user), reviewer_ids=[profile.id]
            ).get(profile.id, [])
            if profile
            else []
        ),
        relation=relation or {},
        relation_error=relation_error,
        notice=request.session.pop("review_notice", None),
    )


@router.get("/review/profile")
def my_profile_page(request: Request, user: PageUser, session: SessionDep) -> Response:
    return _profile_page(request, user, session)


@router.post("/review/profile", dependencies=[Depends(require_csrf)])
def save_my_profile_page(
    request: Request, user: PageUser, session: SessionDep, form: ProfileForm
) -> Response:
    fields, areas = form
    actor = actor_for(user)
    require(actor, "review.submit", "keep a reviewer profile")
    if user.researcher_id is None:
        raise PermissionDenied(
            "keep a reviewer profile", "this account is not linked to a researcher"
        )
    try:
        pool.save_profile(
            session,
            actor=actor,
            researcher_id=user.researcher_id,
            now=utcnow(),
            **profile_input(fields, areas),
        )
    except InvalidInput as exc:
        session.rollback()
        return _profile_page(
            request, user, session, typed=typed_profile(fields, areas), profile_error=exc
        )
    request.session["review_notice"] = "Profile saved."
    return RedirectResponse("/review/profile", status_code=303)


@router.post("/review/profile/relations", dependencies=[Depends(require_csrf)])
def declare_relation_page(
    request: Request, user: PageUser, session: SessionDep, form: FormFields
) -> Response:
    """A reviewer declares a relation with a person or an organisation (proposal conflicts are
    declared on the assignment, where the proposal is known)."""
    actor = actor_for(user)
    fields = {k: v for k, v in form.items() if k != "proposal_reference"}
    try:
        pool.declare_conflict(
            session, actor=actor, reviewer_id=None, now=utcnow(), **relation_input(fields)
        )
    except (InvalidInput, NotFound) as exc:
        session.rollback()
        return _profile_page(request, user, session, relation=form, relation_error=exc)
    request.session["review_notice"] = (
        "Relation declared: proposals involving it will not be assigned to you."
    )
    return RedirectResponse("/review/profile#declared", status_code=303)
