"""Pages of the review area, officer side: the area home (calls with their pools and assignment
status, and a researcher search to create a reviewer profile; for a reviewer, their invitations
and profile), a call's pool with conflicts and reasons (and a form to declare one for a pool
member), a reviewer's profile (view, edit, declared conflicts), the assignment (run and save,
per-proposal affinity, load histogram, the rules the active assignment now breaks, manual swap)
and the call's review form (criteria, scales, weights, thresholds, deadline, reminders). The
profile and relation form parsers here are shared with the reviewer's own pages.

Pages read and write through the use-case modules of ``review.service`` (``pool``,
``assignments``, ``forms``), never the tables. Every form that changes state posts the
session's CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.routing import APIRouter
from matplotlib.figure import Figure
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from nexus_sti.accounts.service import actor_for
from nexus_sti.accounts.webdeps import PageUser, Viewer
from nexus_sti.algorithms.similarity import BACKENDS
from nexus_sti.calls.deadlines import local_time, zone_for
from nexus_sti.calls.service import call_by_reference
from nexus_sti.core.access import Actor, check, require
from nexus_sti.core.areas import AREA_CODES, PRIORITY_AREAS
from nexus_sti.core.errors import Conflict, InvalidInput, NotFound, RuleViolation
from nexus_sti.jobs import service as job_service
from nexus_sti.jobs.pages import follow
from nexus_sti.platform.charts import svg_of
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.jobqueue import key_of
from nexus_sti.platform.table_view import table_view
from nexus_sti.platform.webdeps import (
    SessionDep,
    get_platform,
    render,
    require_csrf,
    take_notice,
)
from nexus_sti.programs.service import program_version
from nexus_sti.review import jobs as review_jobs
from nexus_sti.review.conflicts import orcid_key
from nexus_sti.review.forms import CriterionSpec
from nexus_sti.review.pages.table_views import (
    POOL_PROPOSALS,
    POOL_REVIEWER_SORTS,
    POOL_REVIEWERS,
    pool_proposals_in_view,
)
from nexus_sti.review.service import assignments, pool
from nexus_sti.review.service import forms as form_service
from nexus_sti.review.service.assignments import AssignmentParams
from nexus_sti.review.tables import ReviewerProfile

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
def review_home(
    request: Request, user: PageUser, session: SessionDep, researcher: str = ""
) -> Response:
    """The officer's calls; ``?researcher=`` searches researchers by name to create a
    reviewer profile for one who has none."""
    actor = actor_for(user)
    if not check(actor, "review.manage"):
        invitations = pool.my_invitations(session, actor=actor)
        return render(
            request, "review_officer_home.html", user, title="Review", invitations=invitations
        )
    matches = None
    search_error = None
    if researcher.strip():
        try:
            matches = pool.search_researchers(session, actor=actor, query=researcher)
        except InvalidInput as exc:
            search_error = exc
    return render(
        request,
        "review_officer_home.html",
        user,
        title="Review",
        calls=pool.review_calls(session, actor=actor),
        sizes=pool.pool_sizes(session),
        runs=assignments.latest_runs(session),
        invitations=None,
        query=researcher,
        matches=matches,
        search_error=search_error,
        search_limit=pool.SEARCH_LIMIT,
    )


@router.post("/review/reviewers", dependencies=[Depends(require_csrf)])
def create_reviewer_profile_page(
    request: Request, user: PageUser, session: SessionDep, form: FormFields
) -> Response:
    """An officer creates a reviewer profile for a researcher who has none; the new profile's
    page opens to complete it."""
    chosen = form.get("researcher_id", "").strip()
    if not chosen.isdigit():
        raise InvalidInput("researcher_id", "required", "researcher_id: choose a researcher")
    profile = pool.create_profile(
        session, actor=actor_for(user), researcher_id=int(chosen), now=utcnow()
    )
    request.session["review_notice"] = (
        "Reviewer profile created: add the reviewer's expertise and publications."
    )
    return RedirectResponse(f"/review/reviewers/{profile.id}", status_code=303)


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


def _pool_page(
    request: Request,
    user: Viewer,
    session: Session,
    reference: str,
    *,
    conflict_error: InvalidInput | NotFound | None = None,
    typed: Mapping[str, str] | None = None,
) -> Response:
    actor = actor_for(user)
    entries = pool.list_pool(session, actor=actor, call_reference=reference)
    found = pool.call_conflicts(
        session, actor=actor, call_reference=reference, as_of_year=utcnow().year
    )
    names = {e.profile.id: e.label for e in found.entries}
    by_proposal = found.conflicts.by_proposal()
    here = f"/review/calls/{reference}/pool"  # also when a refused form post shows the page
    reviewers = table_view(POOL_REVIEWERS, request.query_params, here)
    conflicted = table_view(POOL_PROPOSALS, request.query_params, here)
    return render(
        request,
        "review_officer_pool.html",
        user,
        status_code=422 if conflict_error else 200,
        title=f"Reviewer pool: {reference}",
        call=found.call,
        entries=entries,
        reviewers_view=reviewers,
        reviewers_page=reviewers.page(reviewers.ordered(entries, POOL_REVIEWER_SORTS)),
        proposals=found.proposals,
        proposals_view=conflicted,
        proposals_page=conflicted.page(
            pool_proposals_in_view(found.proposals, by_proposal, conflicted)
        ),
        by_proposal=by_proposal,
        names=names,
        kinds=found.conflicts.count_by_kind(),
        pairs=int(found.conflicts.matrix.sum()),
        declared=pool.list_declared_conflicts(
            session, actor=actor, reviewer_ids=[e.profile.id for e in entries]
        ),
        conflict_error=conflict_error,
        typed=typed or {},
        notice=request.session.pop("review_notice", None),
    )


@router.get("/review/calls/{reference}/pool")
def pool_page(reference: str, request: Request, user: PageUser, session: SessionDep) -> Response:
    return _pool_page(request, user, session, reference)


@router.post("/review/calls/{reference}/conflicts", dependencies=[Depends(require_csrf)])
def declare_pool_conflict_page(
    reference: str, request: Request, user: PageUser, session: SessionDep, form: FormFields
) -> Response:
    """An officer declares a conflict for a pool member (from the pool page)."""
    actor = actor_for(user)
    require(actor, "review.manage", "declare a conflict for a reviewer")
    try:
        reviewer = form.get("reviewer_id", "").strip()
        if not reviewer.isdigit():
            raise InvalidInput("reviewer_id", "choose a reviewer of the pool")
        _declare(session, actor=actor, reviewer_id=int(reviewer), fields=form)
    except (InvalidInput, NotFound) as exc:
        session.rollback()
        return _pool_page(request, user, session, reference, conflict_error=exc, typed=form)
    return RedirectResponse(f"/review/calls/{reference}/pool#declared", status_code=303)


@router.post("/review/calls/{reference}/pool", dependencies=[Depends(require_csrf)])
def invite_page(
    reference: str, request: Request, user: PageUser, session: SessionDep, form: FormFields
) -> Response:
    load = form.get("max_load", "").strip()
    if load and not load.isdigit():
        raise InvalidInput("max_load", "must be a whole number")
    raw = form.get("reviewer_ids", "").replace(",", " ").split()
    if any(not x.isdigit() for x in raw):
        raise InvalidInput("reviewer_ids", "reviewer profile ids, separated by spaces or commas")
    added = pool.invite_reviewers(
        session,
        actor=actor_for(user),
        call_reference=reference,
        reviewer_ids=[int(x) for x in raw] if raw else None,
        max_load=int(load) if load else None,
        now=utcnow(),
    )
    request.session["review_notice"] = (
        f"Invited {len(added)} reviewer{'s' if len(added) != 1 else ''}."
        if added
        else "Nobody new to invite: they are all in the pool already."
    )
    return RedirectResponse(f"/review/calls/{reference}/pool", status_code=303)


def _params_from(fields: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    minimums = {
        key.removeprefix("minimum_"): value.strip()
        for key, value in fields.items()
        if key.startswith("minimum_") and value.strip() != ""
    }
    if minimums:
        out["group_minimums"] = minimums
    for name in AssignmentParams.model_fields:
        if name == "group_minimums":
            continue
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
    user: Viewer,
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
    call = call_by_reference(session, reference)
    entries = pool.list_pool(session, actor=actor, call_reference=reference, statuses=("accepted",))
    names = {e.profile.id: e.label for e in entries}
    proposals = pool.call_proposals(session, actor=actor, call_reference=reference)
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
    groups = program_version(session, call.program_version_id).config.reviewer_groups
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
        # A background job's message comes as the platform's notice (jobs/pages.py: follow).
        notice=(request.session.pop("review_notice", None) or take_notice(request))
        if error is None
        else None,
        entries=entries,
        backends=list(BACKENDS),
        groups=groups,
        broken=assignments.check_active(
            session, actor=actor, call_reference=reference, year=utcnow().year
        ),
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
    """Solving the assignment is a background job: a quick one leads straight back to the
    page with the new assignment, a longer one to its progress page, which leads there."""
    actor = actor_for(user)
    raw = _params_from(form)
    try:
        params = AssignmentParams.model_validate(raw)
    except ValidationError as exc:
        return _assignment_page(request, user, session, reference, form=raw, error=_message(exc))
    require(actor, "review.manage", "assign reviewers")
    call_by_reference(session, reference)
    dump = params.model_dump(mode="json")
    job = job_service.start(
        session,
        actor=actor,
        kind=review_jobs.ASSIGN,
        params={
            "call": reference,
            "params": dump,
            "back": f"/review/calls/{reference}/assignment",
            "title": f"Assigning reviewers to the proposals of {reference}",
        },
        # A second click with the same rules while the first solve runs joins it.
        key=key_of(review_jobs.ASSIGN, {"call": reference, "params": dump}),
        wait_s=get_platform(request).settings.job_wait_s,
    )
    if job.status == "failed":
        return _assignment_page(request, user, session, reference, form=raw, error=job.error)
    return follow(request, job)


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
    request.session["review_notice"] = (
        f"Reviewer {ids[0]} replaced by reviewer {ids[1]} on {form.get('proposal', '').strip()}."
    )
    return RedirectResponse(f"/review/calls/{reference}/assignment", status_code=303)


# --- reviewer profiles and declared conflicts ---------------------------------------------------

PERSON_MAX = 200  # the declared_conflicts columns' lengths
ORGANISATION_MAX = 300
_LINE_RULE = "write: year | title | co-author; co-author (ORCID)"
_ORCID_IN_NAME = re.compile(r"(.*?)\s*\((\d{4}-\d{4}-\d{4}-\d{3}[\dXx])\)")


def parse_publications(text: str) -> list[dict[str, Any]]:
    """One publication per line: ``2024 | Title | Name; Other Name (0000-0002-1825-0097)``;
    blank lines are skipped. The service checks the year's range and the title."""
    out: list[dict[str, Any]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) not in (2, 3):
            raise InvalidInput(f"publications (line {n})", _LINE_RULE)
        if not parts[0].isdigit():
            raise InvalidInput(f"publications (line {n})", "start with the year, e.g. 2024")
        coauthors = []
        for name in parts[2].split(";") if len(parts) == 3 else []:
            if not (name := name.strip()):
                continue
            found = _ORCID_IN_NAME.fullmatch(name)
            coauthors.append(
                {"name": found.group(1), "orcid": found.group(2).upper()}
                if found
                else {"name": name, "orcid": None}
            )
        out.append({"title": parts[1], "year": int(parts[0]), "coauthors": coauthors})
    return out


def publications_text(publications: list[dict[str, Any]]) -> str:
    """The publications as :func:`parse_publications` reads them back."""
    lines = []
    for pub in publications:
        names = "; ".join(
            f"{c.get('name', '')} ({c['orcid']})" if c.get("orcid") else str(c.get("name", ""))
            for c in pub.get("coauthors", [])
        )
        lines.append(
            f"{pub.get('year', '')} | {pub.get('title', '')}" + (f" | {names}" if names else "")
        )
    return "\n".join(lines)


async def _profile_form(request: Request) -> tuple[dict[str, str], list[str]]:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return fields, [a for a in form.getlist("areas") if isinstance(a, str)]


ProfileForm = Annotated[tuple[dict[str, str], list[str]], Depends(_profile_form)]


def profile_input(fields: Mapping[str, str], areas: list[str]) -> dict[str, Any]:
    """The form's profile as ``pool.save_profile`` arguments; refuses what the form cannot mean."""
    load = fields.get("max_load", "").strip()
    if not load.isdigit():
        raise InvalidInput("max_load", f"a whole number from 0 to {pool.MAX_LOAD_LIMIT}")
    unknown = [a for a in areas if a not in AREA_CODES]
    if unknown:
        raise InvalidInput("areas", f"one of {', '.join(AREA_CODES)}")
    return {
        "expertise": fields.get("expertise", ""),
        "publications": parse_publications(fields.get("publications", "")),
        "areas": areas,
        "max_load": int(load),
        "available": fields.get("available") in ("on", "true", "1"),
    }


def profile_values(profile: ReviewerProfile | None) -> dict[str, Any]:
    if profile is None:
        return {
            "expertise": "",
            "publications": "",
            "areas": [],
            "max_load": "6",
            "available": True,
        }
    return {
        "expertise": profile.expertise,
        "publications": publications_text(profile.publications),
        "areas": list(profile.areas),
        "max_load": str(profile.max_load),
        "available": profile.available,
    }


def typed_profile(fields: Mapping[str, str], areas: list[str]) -> dict[str, Any]:
    return {
        "expertise": fields.get("expertise", ""),
        "publications": fields.get("publications", ""),
        "areas": areas,
        "max_load": fields.get("max_load", ""),
        "available": fields.get("available") in ("on", "true", "1"),
    }


def relation_input(fields: Mapping[str, str]) -> dict[str, Any]:
    """A declared conflict from a form, as ``pool.declare_conflict`` arguments."""
    orcid_text = fields.get("person_orcid", "").strip()
    orcid = orcid_key(orcid_text)
    if orcid_text and orcid is None:
        raise InvalidInput("person_orcid", "an ORCID iD such as 0000-0002-1825-0097")
    person = fields.get("person_name", "").strip()
    organisation = fields.get("organisation_name", "").strip()
    if len(person) > PERSON_MAX:
        raise InvalidInput("person_name", f"at most {PERSON_MAX} characters")
    if len(organisation) > ORGANISATION_MAX:
        raise InvalidInput("organisation_name", f"at most {ORGANISATION_MAX} characters")
    return {
        "reason": fields.get("reason", ""),
        "proposal_reference": fields.get("proposal_reference", "").strip() or None,
        "person_name": person,
        "person_orcid": orcid,
        "organisation_name": organisation,
    }


def _declare(
    session: Session, *, actor: Actor, reviewer_id: int | None, fields: Mapping[str, str]
) -> None:
    pool.declare_conflict(
        session, actor=actor, reviewer_id=reviewer_id, now=utcnow(), **relation_input(fields)
    )


def _reviewer_page(
    request: Request,
    user: Viewer,
    session: Session,
    profile_id: int,
    *,
    typed: dict[str, Any] | None = None,
    profile_error: InvalidInput | NotFound | None = None,
    relation: Mapping[str, str] | None = None,
    relation_error: InvalidInput | NotFound | None = None,
) -> Response:
    actor = actor_for(user)
    detail = pool.get_reviewer(session, actor=actor, profile_id=profile_id)
    profile, researcher = detail.profile, detail.researcher
    failed = profile_error or relation_error
    return render(
        request,
        "review_officer_reviewer.html",
        user,
        status_code=422 if failed else 200,
        title=f"Reviewer: {researcher.name_latin}",
        profile=profile,
        researcher=researcher,
        organisation=detail.organisation_name,
        memberships=detail.memberships,
        values=typed or profile_values(profile),
        all_areas=PRIORITY_AREAS,
        profile_error=profile_error,
        declared=pool.list_declared_conflicts(session, actor=actor, reviewer_ids=[profile.id]).get(
            profile.id, []
        ),
        relation=relation or {},
        relation_error=relation_error,
        notice=request.session.pop("review_notice", None),
    )


@router.get("/review/reviewers/{profile_id}")
def reviewer_profile_page(
    profile_id: int, request: Request, user: PageUser, session: SessionDep
) -> Response:
    return _reviewer_page(request, user, session, profile_id)


@router.post("/review/reviewers/{profile_id}", dependencies=[Depends(require_csrf)])
def save_reviewer_profile_page(
    profile_id: int, request: Request, user: PageUser, session: SessionDep, form: ProfileForm
) -> Response:
    fields, areas = form
    actor = actor_for(user)
    profile = pool.get_reviewer(session, actor=actor, profile_id=profile_id).profile
    try:
        pool.save_profile(
            session,
            actor=actor,
            researcher_id=profile.researcher_id,
            now=utcnow(),
            **profile_input(fields, areas),
        )
    except InvalidInput as exc:
        session.rollback()
        return _reviewer_page(
            request,
            user,
            session,
            profile_id,
            typed=typed_profile(fields, areas),
            profile_error=exc,
        )
    request.session["review_notice"] = "Profile saved."
    return RedirectResponse(f"/review/reviewers/{profile_id}", status_code=303)


@router.post("/review/reviewers/{profile_id}/conflicts", dependencies=[Depends(require_csrf)])
def declare_reviewer_conflict_page(
    profile_id: int, request: Request, user: PageUser, session: SessionDep, form: FormFields
) -> Response:
    actor = actor_for(user)
    pool.get_reviewer(session, actor=actor, profile_id=profile_id)
    try:
        _declare(session, actor=actor, reviewer_id=profile_id, fields=form)
    except (InvalidInput, NotFound) as exc:
        session.rollback()
        return _reviewer_page(request, user, session, profile_id, relation=form, relation_error=exc)
    request.session["review_notice"] = "Conflict declared."
    return RedirectResponse(f"/review/reviewers/{profile_id}#declared", status_code=303)


# --- the call's review form -------------------------------------------------------------------

CRITERION_FIELDS = (
    "code", "name", "description", "weight", "scale_min", "scale_max", "step", "threshold",
)  # fmt: skip
ROW_KINDS = ("existing", "suggested", "new")


def _text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _row_text(kind: str, criterion: CriterionSpec) -> dict[str, str]:
    """A criterion as the form page's row shows it."""
    return {
        "kind": kind,
        **{k: v if isinstance(v, str) else _text(v) for k, v in criterion.as_row().items()},
    }


def _local_input(moment: datetime | None, zone: ZoneInfo) -> str:
    """A moment as a ``datetime-local`` value in ``zone``."""
    return "" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def _local_moment(value: str, zone: ZoneInfo) -> datetime | None:
    """A ``datetime-local`` value read in ``zone``, as UTC (``None`` when empty)."""
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            "due_at", "not_a_date", f"due_at: {value!r} is not a date and time"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


def criterion_rows(fields: Mapping[str, str]) -> list[dict[str, str]]:
    """The criteria rows the officer kept, in page order: existing rows not marked for removal,
    suggested rows ticked to add, and a new row where a code or name was typed."""
    indices = sorted(
        {int(m.group(1)) for k in fields if (m := re.fullmatch(r"criteria-(\d+)-kind", k))}
    )
    rows = []
    for i in indices:
        prefix = f"criteria-{i}-"
        kind = fields.get(prefix + "kind", "")
        row = {name: fields.get(prefix + name, "").strip() for name in CRITERION_FIELDS}
        if (
            (kind == "existing" and fields.get(prefix + "remove") != "on")
            or (kind == "suggested" and fields.get(prefix + "add") == "on")
            or (kind == "new" and (row["code"] or row["name"]))
        ):
            rows.append(row)
    return rows


def form_settings_input(fields: Mapping[str, str], zone: ZoneInfo) -> dict[str, Any]:
    """The posted form as ``form_service.save_review_form`` arguments; the criteria stay text
    for the form rules to check number by number."""
    k = fields.get("reviews_per_proposal", "").strip()
    if not k.isdigit():
        raise InvalidInput(
            "reviews_per_proposal", "whole_number", "reviews_per_proposal: a whole number"
        )
    raw_days = fields.get("reminder_days", "").replace(",", " ").split()
    if any(not d.isdigit() for d in raw_days):
        raise InvalidInput(
            "reminder_days",
            "whole_numbers",
            "reminder_days: whole days before the deadline, e.g. 7, 1",
        )
    total = fields.get("total_threshold", "").strip().replace(",", ".")
    try:
        total_threshold = float(total) if total else None
    except ValueError:
        raise InvalidInput(
            "total_threshold", "not_a_number", f"total_threshold: {total!r} is not a number"
        ) from None
    return {
        "criteria": criterion_rows(fields),
        "total_threshold": total_threshold,
        "reviews_per_proposal": int(k),
        "due_at": _local_moment(fields.get("due_at", ""), zone),
        "reminder_days": [int(d) for d in raw_days],
    }


def _review_form_page(
    request: Request,
    user: Viewer,
    session: Session,
    reference: str,
    *,
    typed: Mapping[str, str] | None = None,
    error: InvalidInput | Conflict | None = None,
) -> Response:
    current = form_service.get_review_form(session, actor=actor_for(user), call_reference=reference)
    zone = zone_for(user.country)
    if typed is None:
        rows = [_row_text("existing", c) for c in current.spec.criteria]
        values = {
            "total_threshold": _text(current.spec.total_threshold),
            "reviews_per_proposal": str(current.reviews_per_proposal),
            "due_at": _local_input(current.due_at, zone),
            "reminder_days": ", ".join(str(d) for d in current.reminder_days),
        }
    else:
        rows = [{"kind": "existing", **row} for row in criterion_rows(typed)]
        values = {
            k: typed.get(k, "")
            for k in ("total_threshold", "reviews_per_proposal", "due_at", "reminder_days")
        }
    present = {r["code"] for r in rows}
    rows += [_row_text("suggested", c) for c in current.suggested if c.code not in present]
    rows.append(_row_text("new", CriterionSpec(code="", name="", weight=1.0)))
    problems = {}
    if isinstance(error, InvalidInput):
        listed = error.details.get("problems") or [
            {"field": error.field, "rule": error.rule, "message": error.message}
        ]
        problems = {p["field"]: f"{p['rule']}: {p['message']}" for p in listed}
    return render(
        request,
        "review_officer_form.html",
        user,
        status_code=(409 if isinstance(error, Conflict) else 422) if error else 200,
        title=f"Review form: {reference}",
        call=current.call,
        current=current,
        rows=rows,
        values=values,
        zone=zone.key,
        due_local=local_time(current.due_at, zone) if current.due_at else None,
        error=error,
        problems=problems,
        notice=request.session.pop("review_notice", None),
    )


@router.get("/review/calls/{reference}/form")
def review_form_page(
    reference: str, request: Request, user: PageUser, session: SessionDep
) -> Response:
    return _review_form_page(request, user, session, reference)


@router.post("/review/calls/{reference}/form", dependencies=[Depends(require_csrf)])
def save_review_form_page(
    reference: str, request: Request, user: PageUser, session: SessionDep, form: FormFields
) -> Response:
    actor = actor_for(user)
    require(actor, "review.manage", "configure a call's review form")
    try:
        form_service.save_review_form(
            session,
            actor=actor,
            call_reference=reference,
            now=utcnow(),
            **form_settings_input(form, zone_for(user.country)),
        )
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        return _review_form_page(request, user, session, reference, typed=form, error=exc)
    request.session["review_notice"] = "Review form saved."
    return RedirectResponse(f"/review/calls/{reference}/form", status_code=303)
