"""Pages of the selection area: the calls to select from, the selection designer (bands and
floors re-solve as they change), the rule comparison, and each run's decision record.

The designer recomputes with GET (its fields are the query); saving, deciding and verifying are
POSTs with the CSRF token.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from html import escape
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from nexus_sti.accounts.service import actor_for
from nexus_sti.accounts.webdeps import PageUser, Viewer
from nexus_sti.calls.service import call_by_id, published_calls
from nexus_sti.core.access import Actor, check, require
from nexus_sti.core.countries import UnknownCountryError, country
from nexus_sti.core.errors import (
    Conflict,
    InvalidInput,
    PermissionDenied,
    RuleViolation,
)
from nexus_sti.jobs import service as job_service
from nexus_sti.jobs.pages import follow
from nexus_sti.jobs.service import status_of
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.downloads import csv_download
from nexus_sti.platform.jobqueue import Job, key_of
from nexus_sti.platform.webdeps import (
    SessionDep,
    get_platform,
    render,
    require_csrf,
    take_notice,
)
from nexus_sti.programs.service import program_version
from nexus_sti.proposals.queries import eligible_by_call
from nexus_sti.review.queries import scored_eligible_by_call
from nexus_sti.selection import awards as call_awards
from nexus_sti.selection import charts, decisions, jobs, queries, service
from nexus_sti.selection.api import run_summary
from nexus_sti.selection.inputs import SelectionParams
from nexus_sti.selection.tables import SelectionRun

router = APIRouter(include_in_schema=False)

PARAM_FIELDS = tuple(SelectionParams.model_fields)
CHECKBOXES = ("inclusive", "one_award_per_lead", "lottery")


def _params_from(fields: Mapping[str, Any], *, submitted: bool) -> dict[str, Any]:
    """The parameters a form sent. Empty fields take the defaults; an unticked checkbox is only
    ``False`` when the form was submitted (a first visit keeps the defaults)."""
    out: dict[str, Any] = {}
    for name in PARAM_FIELDS:
        value = fields.get(name)
        if name in CHECKBOXES:
            if submitted:
                out[name] = value in ("on", "true", "1")
            continue
        if isinstance(value, str) and value.strip():
            out[name] = value.strip()
    if submitted and "band_tolerance" not in out and fields.get("bands") != "on":
        out["band_tolerance"] = None
    own: dict[str, dict[str, str]] = {}
    for key, value in fields.items():
        kind, _, code = str(key).partition("_band_")
        if kind in ("low", "high") and code and isinstance(value, str) and value.strip():
            own.setdefault(code, {})[kind] = value.strip()
    if own:
        out["band_overrides"] = own
    return out


def _query(raw: Mapping[str, Any]) -> str:
    """The parameters as the designer's query string (own bands as ``low_band_THA=2``)."""
    flat = {k: v for k, v in raw.items() if v is not None and k != "band_overrides"}
    for code, band in dict(raw.get("band_overrides") or {}).items():
        for side in ("low", "high"):
            if band.get(side) not in (None, ""):
                flat[f"{side}_band_{code}"] = band[side]
    return urlencode(flat)


def _where(loc: tuple[int | str, ...]) -> str:
    """A field as the form names it: ``band_overrides.THA`` is "Thailand's band"; other fields
    keep their name, which is also the form field's (``band_tolerance``)."""
    if len(loc) >= 2 and loc[0] == "band_overrides" and isinstance(loc[1], str):
        try:
            return f"{country(loc[1]).name}'s band"
        except UnknownCountryError:
            return f"the band of {loc[1]}"
    return ".".join(str(p) for p in loc)


def _message(exc: ValidationError) -> str:
    return "; ".join(
        f"{_where(tuple(e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
    )


@router.get("/selection")
def selection_home(request: Request, user: PageUser, session: SessionDep) -> Response:
    actor = actor_for(user)
    require(actor, "selection.read", "open selection")
    calls = published_calls(session)
    eligible = eligible_by_call(session)
    scored = scored_eligible_by_call(session)
    runs = queries.list_runs(session, actor=actor)
    return render(
        request,
        "selection_home.html",
        user,
        title="Selection",
        calls=calls,
        eligible=eligible,
        scored=scored,
        runs=runs,
        call_refs={c.id: c.reference for c in calls},
        selectable=service.SELECTABLE,
    )


def _answer(
    request: Request,
    session: Session,
    actor: Actor,
    kind: str,
    reference: str,
    params: SelectionParams,
    back: str,
) -> Job:
    """The job that answers ``kind`` for this call and these rules: one answered before on the
    same data, or a new one (waited for briefly, so quick answers come at once)."""
    require(actor, "selection.run", "run a selection")
    key = jobs.question_key(kind, reference, params, jobs.facts_digest(session, reference))
    return job_service.answer(
        session,
        actor=actor,
        kind=kind,
        params={
            "call": reference,
            "params": params.model_dump(mode="json"),
            "back": back,
            "title": JOB_TITLES[kind].format(call=reference),
        },
        key=key,
        wait_s=get_platform(request).settings.job_wait_s,
    )


JOB_TITLES = {
    jobs.PREVIEW: "Solving the selection of {call} under these rules",
    jobs.COSTS: "Pricing each family of rules for {call}",
    jobs.COMPARE: "Comparing selection rules on {call}",
    jobs.PROPOSE: "Saving a selection of {call} for decision",
}


def _designer(
    request: Request,
    user: Viewer,
    session: Session,
    reference: str,
    raw: dict[str, Any],
    *,
    note: str = "",
    error: str | None = None,
) -> Response:
    actor = actor_for(user)
    call = service.call_for_page(session, actor=actor, reference=reference)
    params: SelectionParams | None = None
    view: dict[str, Any] = {}
    progress = None
    if error is None:
        try:
            params = SelectionParams.model_validate(raw)
        except ValidationError as exc:
            error = _message(exc)
    if params is not None and error is None:
        # The address asked for, as asked: the job leads back to it when the answer is ready.
        query = request.url.query
        job = _answer(
            request,
            session,
            actor,
            jobs.PREVIEW,
            reference,
            params,
            f"/selection/calls/{reference}?{query}",
        )
        if job.status == "done" and job.result is not None:
            view = dict(job.result)
            # Pricing the rules takes a solve per family: the page asks for it afterwards.
            view["costs_url"] = f"/selection/calls/{reference}/costs?{query}"
        elif job.status == "failed":
            error = job.error
        else:
            progress = status_of(job)
    form = {**SelectionParams().model_dump(), **raw}
    return render(
        request,
        "selection_call.html",
        user,
        status_code=422 if error else 200,
        title=f"Selection: {call.reference}",
        call=call,
        form=form,
        error=error,
        note=note,
        params=params,
        view=view,
        job_status=progress,
        query=_query(raw),
        can_save=bool(check(actor, "selection.run")),
        members=program_version(session, call.program_version_id).config.partner_countries,
    )


@router.get("/selection/calls/{reference}")
def designer_page(
    reference: str, request: Request, user: PageUser, session: SessionDep
) -> Response:
    submitted = request.query_params.get("submitted") == "1"
    raw = _params_from(request.query_params, submitted=submitted)
    return _designer(request, user, session, reference, raw)


@router.get("/selection/calls/{reference}/costs")
def rule_costs_fragment(
    reference: str, request: Request, user: PageUser, session: SessionDep
) -> Response:
    """The designer's "what each family of rules costs" chart, as an HTML fragment the page
    loads once the portfolio is shown (the same query as the designer); while the prices are
    being worked out, the fragment is a progress bar that loads it again when they are ready."""
    submitted = request.query_params.get("submitted") == "1"
    raw = _params_from(request.query_params, submitted=submitted)
    try:
        params = SelectionParams.model_validate(raw)
    except ValidationError as exc:
        return HTMLResponse(f'<p class="error">{escape(_message(exc))}</p>', status_code=422)
    back = f"/selection/calls/{reference}?{request.url.query}"
    job = _answer(request, session, actor_for(user), jobs.COSTS, reference, params, back)
    if job.status == "failed":
        return HTMLResponse(f'<p class="error">{escape(job.error or "")}</p>', status_code=422)
    if job.status != "done" or job.result is None:
        return render(request, "_job_progress.html", user, status=status_of(job))
    costs = job.result["costs"]
    if not costs:
        return HTMLResponse('<p class="muted">No rule beyond the budgets applies.</p>')
    return HTMLResponse(charts.costs_chart(costs))


async def _form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormFields = Annotated[dict[str, str], Depends(_form_fields)]


@router.post("/selection/calls/{reference}/runs", dependencies=[Depends(require_csrf)])
def save_run_page(
    reference: str, request: Request, user: PageUser, session: SessionDep, form: FormFields
) -> Response:
    """Saving solves again with every family of rules priced: a background job. A quick one
    leads straight to the saved run; a longer one to its progress page, which leads there."""
    actor = actor_for(user)
    raw = _params_from(form, submitted=True)
    note = form.get("note", "")
    try:
        params = SelectionParams.model_validate(raw)
    except ValidationError as exc:
        return _designer(request, user, session, reference, raw, note=note, error=_message(exc))
    require(actor, "selection.run", "run a selection")
    service.call_for_page(session, actor=actor, reference=reference)
    dump = params.model_dump(mode="json")
    job = job_service.start(
        session,
        actor=actor,
        kind=jobs.PROPOSE,
        params={
            "call": reference,
            "params": dump,
            "note": note,
            "back": f"/selection/calls/{reference}?{_query(raw)}",
            "title": JOB_TITLES[jobs.PROPOSE].format(call=reference),
        },
        # The same rules and note from the same officer while a save is under way: one save.
        key=key_of(
            jobs.PROPOSE, {"call": reference, "params": dump, "note": note, "by": actor.user_id}
        ),
        wait_s=get_platform(request).settings.job_wait_s,
    )
    if job.status == "failed":
        return _designer(request, user, session, reference, raw, note=note, error=job.error)
    return follow(request, job)


@router.get("/selection/calls/{reference}/compare")
def compare_page(reference: str, request: Request, user: PageUser, session: SessionDep) -> Response:
    actor = actor_for(user)
    raw = _params_from(request.query_params, submitted=request.query_params.get("submitted") == "1")
    call = service.call_for_page(session, actor=actor, reference=reference)
    query = _query(raw)
    error: str | None = None
    view: dict[str, Any] = {}
    progress = None
    try:
        params = SelectionParams.model_validate(raw)
    except ValidationError as exc:
        error = _message(exc)
    else:
        back = f"/selection/calls/{reference}/compare?{request.url.query}"
        job = _answer(request, session, actor, jobs.COMPARE, reference, params, back)
        if job.status == "done" and job.result is not None:
            view = dict(job.result)
        elif job.status == "failed":
            error = job.error
        else:
            progress = status_of(job)
    return render(
        request,
        "selection_compare.html",
        user,
        status_code=422 if error else 200,
        title=f"Selection rules compared: {call.reference}",
        call=call,
        error=error,
        view=view,
        job_status=progress,
        query=query,
    )


def _record(
    request: Request,
    user: Viewer,
    session: Session,
    run: SelectionRun,
    *,
    verification: service.Verification | None = None,
    error: str | None = None,
) -> Response:
    actor = actor_for(user)
    call = call_by_id(session, run.call_id)
    explanations = run.result.get("explanations", [])
    return render(
        request,
        "selection_run.html",
        user,
        status_code=422 if error else 200,
        title=f"Selection run {run.id}",
        notice=take_notice(request) if error is None else None,
        run=run,
        call=call,
        error=error,
        verification=verification,
        kinds=Counter(e["kind"] for e in explanations),
        explanations=explanations,
        awards=call_awards.awards_of(session, actor=actor, call_reference=call.reference)
        if call is not None and run.status == "approved"
        else [],
        can_decide=bool(check(actor, "selection.decide"))
        and run.status == "proposed"
        and run.created_by_label != actor.username,
        merits={c["id"]: c["merit"] for c in run.problem["candidates"]},
    )


@router.get("/selection/runs/{run_id}")
def run_page(run_id: int, request: Request, user: PageUser, session: SessionDep) -> Response:
    run = queries.get_run(session, actor=actor_for(user), run_id=run_id)
    return _record(request, user, session, run)


@router.post("/selection/runs/{run_id}/decision", dependencies=[Depends(require_csrf)])
def decide_page(
    run_id: int, request: Request, user: PageUser, session: SessionDep, form: FormFields
) -> Response:
    actor = actor_for(user)
    verdict = form.get("verdict", "")
    try:
        if verdict not in ("approve", "reject"):
            raise InvalidInput("verdict", "must be approve or reject")
        decisions.decide(
            session,
            actor=actor,
            run_id=run_id,
            approve=verdict == "approve",
            note=form.get("note", ""),
            now=utcnow(),
        )
    except (InvalidInput, RuleViolation, Conflict, PermissionDenied) as exc:
        session.rollback()
        run = queries.get_run(session, actor=actor, run_id=run_id)
        return _record(request, user, session, run, error=exc.message)
    request.session["notice"] = (
        f"Run {run_id} approved: its awards are created and the call is decided."
        if verdict == "approve"
        else f"Run {run_id} rejected: nothing is awarded."
    )
    return RedirectResponse(f"/selection/runs/{run_id}", status_code=303)


@router.post("/selection/runs/{run_id}/verify", dependencies=[Depends(require_csrf)])
def verify_page(run_id: int, request: Request, user: PageUser, session: SessionDep) -> Response:
    actor = actor_for(user)
    verification = service.verify_run(session, actor=actor, run_id=run_id)
    run = queries.get_run(session, actor=actor, run_id=run_id)
    return _record(request, user, session, run, verification=verification)


@router.get("/selection/calls/{reference}/awards.csv")
def awards_download(reference: str, user: PageUser, session: SessionDep) -> Response:
    awards = call_awards.awards_of(session, actor=actor_for(user), call_reference=reference)
    rows = call_awards.award_rows(session, awards)
    return csv_download(call_awards.awards_csv(rows), f"awards-{reference}.csv")


@router.get("/selection/runs/{run_id}/record.json")
def record_download(run_id: int, user: PageUser, session: SessionDep) -> Response:
    run = queries.get_run(session, actor=actor_for(user), run_id=run_id)
    return JSONResponse(
        run_summary(run, full=True),
        headers={"Content-Disposition": f'attachment; filename="selection-run-{run.id}.json"'},
    )
