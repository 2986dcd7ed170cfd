"""Pages of the review area, officer side: the area home (calls with their pools and assignment
status; for a reviewer, their invitations), a call's pool with conflicts and reasons, and the
assignment (run and save, per-proposal affinity, load histogram, manual swap).

Every form that changes state posts the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRouter
from matplotlib.figure import Figure
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from nexus_sti.accounts.model import check
from nexus_sti.accounts.service import actor_for
from nexus_sti.accounts.tables import User
from nexus_sti.algorithms.similarity import BACKENDS
from nexus_sti.calls.tables import Call, Proposal
from nexus_sti.core.errors import Conflict, Infeasible, InvalidInput, NotFound, RuleViolation
from nexus_sti.platform.charts import svg_of
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.webdeps import PageUser, SessionDep, render, require_csrf
from nexus_sti.review import assignments, pool
from nexus_sti.review.assignments import AssignmentParams

router = APIRouter(include_in_schema=False)

CHECKBOXES = ("fairness",)


async def _form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormFields = Annotated[dict[str, str], Depends(_form_fields)]


def load_histogram_chart(histogram: Mapping[str, int]) -> str:
    """Reviewers (bars) by the number of reviews they were given."""
    loads = sorted(int(k) for k in histogram)
    fig = Figure(figsize=(6.4, 2.6))
    ax = fig.subplots()
    ax.bar(loads, [histogram[str(x)] for x in loads], color="#2b6cb0", width=0.8)
    for x in loads:
        ax.text(x, histogram[str(x)], f"{histogram[str(x)]}", ha="center", va="bottom", fontsize=8)
    ax.set_xlabel("reviews given to a reviewer", fontsize=8)
    ax.set_ylabel("reviewers", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return svg_of(fig)


@router.get("/review")
def review_home(request: Request, user: PageUser, session: SessionDep) -> Response:
    actor = actor_for(user)
    if not check(actor, "review.manage"):
        invitations = pool.my_invitations(session, actor=actor)
        return render(
            request, "review_officer_home.html", user, title="Review", invitations=invitations
        )
    calls = list(
        session.scalars(select(Call).where(Call.status != "draft").order_by(Call.closes_at.desc()))
    )
    return render(
        request,
        "review_officer_home.html",
        user,
        title="Review",
        calls=calls,
        sizes=pool.pool_sizes(session),
        runs=assignments.latest_runs(session),
        invitations=None,
    )


@router.post("/review/calls/{reference}/invitation", dependencies=[Depends(require_csrf)])
def answer_invitation_page(
    reference: str, user: PageUser, session: SessionDep, form: FormFields
) -> Response:
    load = form.get("max_load", "").strip()
    if load and not load.isdigit():
        raise InvalidInput("max_load", "must be a whole number")
    pool.respond_to_invitation(
        session,
        actor=actor_for(user),
        call_reference=reference,
        accept=form.get("answer") == "accept",
        max_load=int(load) if load else None,
        now=utcnow(),
    )
    return RedirectResponse("/review", status_code=303)


@router.get("/review/calls/{reference}/pool")
def pool_page(reference: str, request: Request, user: PageUser, session: SessionDep) -> Response:
    actor = actor_for(user)
    entries = pool.list_pool(session, actor=actor, call_reference=reference)
    found = pool.call_conflicts(
        session, actor=actor, call_reference=reference, as_of_year=utcnow().year
    )
    names = {e.profile.id: e.label for e in found.entries}
    by_proposal = found.conflicts.by_proposal()
    return render(
        request,
        "review_officer_pool.html",
        user,
        title=f"Reviewer pool: {reference}",
        call=found.call,
        entries=entries,
        proposals=found.proposals,
        by_proposal=by_proposal,
        names=names,
        kinds=found.conflicts.count_by_kind(),
        pairs=int(found.conflicts.matrix.sum()),
    )


@router.post("/review/calls/{reference}/pool", dependencies=[Depends(require_csrf)])
def invite_page(reference: str, user: PageUser, session: SessionDep, form: FormFields) -> Response:
    load = form.get("max_load", "").strip()
    if load and not load.isdigit():
        raise InvalidInput("max_load", "must be a whole number")
    raw = form.get("reviewer_ids", "").replace(",", " ").split()
    if any(not x.isdigit() for x in raw):
        raise InvalidInput("reviewer_ids", "reviewer profile ids, separated by spaces or commas")
    pool.invite_reviewers(
        session,
        actor=actor_for(user),
        call_reference=reference,
        reviewer_ids=[int(x) for x in raw] if raw else None,
        max_load=int(load) if load else None,
        now=utcnow(),
    )
    return RedirectResponse(f"/review/calls/{reference}/pool", status_code=303)


def _params_from(fields: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in AssignmentParams.model_fields:
        if name in CHECKBOXES:
            out[name] = fields.get(name) in ("on", "true", "1")
        elif (value := fields.get(name, "").strip()) != "":
            out[name] = value
    return out


def _message(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
        for e in exc.errors()
    )


def _assignment_page(
    request: Request,
    user: User,
    session: Session,
    reference: str,
    *,
    form: Mapping[str, Any] | None = None,
    error: str | None = None,
    hint: str | None = None,
    error_proposals: list[str] | None = None,
    violations: list[str] | None = None,
) -> Response:
    actor = actor_for(user)
    current = assignments.active_assignment(session, actor=actor, call_reference=reference)
    call = pool.call_by_reference(session, reference)
    entries = pool.list_pool(session, actor=actor, call_reference=reference, statuses=("accepted",))
    names = {e.profile.id: e.label for e in entries}
    proposals = {
        p.id: p for p in session.scalars(select(Proposal).where(Proposal.call_id == call.id))
    }
    rows: dict[int, list[Any]] = {}
    for r in current.rows:
        rows.setdefault(r.proposal_id, []).append(r)
    run = current.run
    table = [
        {
            "proposal": proposals[pid],
            "reviewers": [(r.reviewer_id, names.get(r.reviewer_id, "?"), r.affinity) for r in rs],
            "total": sum(r.affinity for r in rs),
        }
        for pid, rs in sorted(rows.items(), key=lambda kv: proposals[kv[0]].reference)
    ]
    defaults = AssignmentParams().model_dump()
    if run is not None:
        defaults.update(run.parameters)
    return render(
        request,
        "review_officer_assignment.html",
        user,
        status_code=422 if (error or violations) else 200,
        title=f"Reviewer assignment: {reference}",
        call=call,
        run=run,
        table=table,
        chart=load_histogram_chart(run.result["load_histogram"]) if run else None,
        form={**defaults, **(form or {})},
        error=error,
        hint=hint,
        error_proposals=error_proposals or [],
        violations=violations or [],
        entries=entries,
        backends=list(BACKENDS),
    )


@router.get("/review/calls/{reference}/assignment")
def assignment_page(
    reference: str, request: Request, user: PageUser, session: SessionDep
) -> Response:
    return _assignment_page(request, user, session, reference)


@router.post("/review/calls/{reference}/assignment", dependencies=[Depends(require_csrf)])
def run_assignment_page(
    reference: str, request: Request, user: PageUser, session: SessionDep, form: FormFields
) -> Response:
    raw = _params_from(form)
    try:
        assignments.run_assignment(
            session,
            actor=actor_for(user),
            call_reference=reference,
            params=AssignmentParams.model_validate(raw),
            now=utcnow(),
        )
    except ValidationError as exc:
        return _assignment_page(request, user, session, reference, form=raw, error=_message(exc))
    except (Infeasible, InvalidInput, RuleViolation, Conflict) as exc:
        session.rollback()
        return _assignment_page(
            request,
            user,
            session,
            reference,
            form=raw,
            error=exc.message,
            hint=exc.details.get("hint"),
            error_proposals=exc.details.get("proposal_references"),
        )
    return RedirectResponse(f"/review/calls/{reference}/assignment", status_code=303)


@router.post("/review/calls/{reference}/assignment/swap", dependencies=[Depends(require_csrf)])
def swap_page(
    reference: str, request: Request, user: PageUser, session: SessionDep, form: FormFields
) -> Response:
    ids = (form.get("old_reviewer_id", ""), form.get("new_reviewer_id", ""))
    if not all(x.strip().isdigit() for x in ids):
        raise InvalidInput("reviewer_id", "choose both reviewers")
    try:
        assignments.swap_reviewer(
            session,
            actor=actor_for(user),
            call_reference=reference,
            proposal_reference=form.get("proposal", "").strip(),
            old_reviewer_id=int(ids[0]),
            new_reviewer_id=int(ids[1]),
            now=utcnow(),
        )
    except RuleViolation as exc:
        session.rollback()
        return _assignment_page(
            request,
            user,
            session,
            reference,
            error="The swap was refused; nothing changed.",
            violations=list(exc.details.get("violations", [exc.message])),
        )
    except (Conflict, NotFound) as exc:
        session.rollback()
        return _assignment_page(request, user, session, reference, error=exc.message)
    return RedirectResponse(f"/review/calls/{reference}/assignment", status_code=303)
