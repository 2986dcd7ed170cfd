"""Pages of the selection area: the calls to select from, the selection designer (bands and
floors re-solve as they change), the rule comparison, and each run's decision record.

The designer recomputes with GET (its fields are the query); saving, deciding and verifying are
POSTs with the CSRF token.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from html import escape
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from nexus_sti.accounts.service import actor_for
from nexus_sti.accounts.webdeps import PageUser, Viewer
from nexus_sti.calls.service import call_by_id, published_calls
from nexus_sti.core.access import check, require
from nexus_sti.core.countries import UnknownCountryError, country
from nexus_sti.core.errors import (
    Conflict,
    Infeasible,
    InvalidInput,
    PermissionDenied,
    RuleViolation,
)
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.downloads import csv_download
from nexus_sti.platform.webdeps import SessionDep, render, require_csrf, take_notice
from nexus_sti.programs.service import program_version
from nexus_sti.proposals.queries import eligible_by_call
from nexus_sti.review.queries import scored_eligible_by_call
from nexus_sti.selection import awards as call_awards
from nexus_sti.selection import charts, service, studies
from nexus_sti.selection.api import run_summary
from nexus_sti.selection.inputs import SelectionParams
from nexus_sti.selection.tables import SelectionRun

router = APIRouter(include_in_schema=False)
T = TypeVar("T")

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


def _attempt(
    solve: Callable[[SelectionParams], T], raw: dict[str, Any]
) -> tuple[T | None, str | None]:
    """``solve`` on the parameters in ``raw``, or the message a user should see instead: the
    field and rule a value breaks, or the rules that cannot hold together and what to relax."""
    try:
        return solve(SelectionParams.model_validate(raw)), None
    except ValidationError as exc:
        return None, _message(exc)
    except Infeasible as exc:
        return None, f"{exc.message} — {exc.hint}"
    except (InvalidInput, RuleViolation) as exc:
        return None, exc.message


@router.get("/selection")
def selection_home(request: Request, user: PageUser, session: SessionDep) -> Response:
    actor = actor_for(user)
    require(actor, "selection.read", "open selection")
    calls = published_calls(session)
    eligible = eligible_by_call(session)
    scored = scored_eligible_by_call(session)
    runs = service.list_runs(session, actor=actor)
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
    outcome = None
    if error is None:
        outcome, error = _attempt(
            lambda params: service.preview(
                session,
                actor=actor,
                call_reference=reference,
                params=params,
                with_rule_costs=False,
            ),
            raw,
        )
    form = {**SelectionParams().model_dump(), **raw}
    view: dict[str, Any] = {}
    if outcome is not None:
        problem, selected = outcome.inputs.problem, outcome.result.selected
        by_id = {c.id: c for c in problem.candidates}
        view = {
            "places_chart": charts.places_chart(
                problem, selected, outcome.inputs.partner_countries
            ),
            "areas_chart": charts.areas_chart(problem, selected),
            # Pricing the rules takes a solve per family: the page asks for it afterwards.
            "costs_url": (
                f"/selection/calls/{reference}/costs?{request.url.query}"
                if request.method == "GET"
                else None
            ),
            "funded": sorted((by_id[i] for i in selected), key=lambda c: (-c.merit, c.id)),
            "explanations": outcome.explanations,
            "kinds": Counter(e["kind"] for e in outcome.explanations),
            "cost": sum(outcome.inputs.requested[i] for i in selected),
        }
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
        outcome=outcome,
        query=_query(raw),
        can_save=bool(check(actor, "selection.run")),
        members=program_version(session, call.program_version_id).config.partner_countries,
        bands=dict(outcome.inputs.problem.rules.country_bands or {}) if outcome else {},
        **view,
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
    loads once the portfolio is shown (the same query as the designer)."""
    submitted = request.query_params.get("submitted") == "1"
    raw = _params_from(request.query_params, submitted=submitted)
    costs, error = _attempt(
        lambda params: service.rule_costs(
            session, actor=actor_for(user), call_reference=reference, params=params
        ),
        raw,
    )
    if error is not None or costs is None:
        body = f'<p class="error">{escape(error or "no costs")}</p>'
        return HTMLResponse(body, status_code=422)
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
    actor = actor_for(user)
    raw = _params_from(form, submitted=True)
    note = form.get("note", "")
    try:
        run = service.propose(
            session,
            actor=actor,
            call_reference=reference,
            params=SelectionParams.model_validate(raw),
            note=note,
            now=utcnow(),
        )
    except ValidationError as exc:
        return _designer(request, user, session, reference, raw, note=note, error=_message(exc))
    except (InvalidInput, RuleViolation, Infeasible) as exc:
        session.rollback()
        return _designer(request, user, session, reference, raw, note=note, error=exc.message)
    request.session["notice"] = (
        f"Saved as run {run.id} (version {run.version}, proposed): another officer approves or "
        "rejects it."
    )
    return RedirectResponse(f"/selection/runs/{run.id}", status_code=303)


@router.get("/selection/calls/{reference}/compare")
def compare_page(reference: str, request: Request, user: PageUser, session: SessionDep) -> Response:
    actor = actor_for(user)
    raw = _params_from(request.query_params, submitted=request.query_params.get("submitted") == "1")
    call = service.call_for_page(session, actor=actor, reference=reference)
    found, error = _attempt(
        lambda params: studies.compare(
            session, actor=actor, call_reference=reference, params=params
        ),
        raw,
    )
    view: dict[str, Any] = {}
    if found is not None:
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
                    "broken": o.broken_rules,
                    "places": found.places[o.rule],
                    "lottery": o.lottery,
                }
            )
        merit_svg, shares_svg = charts.comparison_charts(
            rows, found.inputs.target_shares, found.inputs.partner_countries
        )
        view = {"rows": rows, "merit_chart": merit_svg, "shares_chart": shares_svg}
    return render(
        request,
        "selection_compare.html",
        user,
        status_code=422 if error else 200,
        title=f"Selection rules compared: {call.reference}",
        call=call,
        error=error,
        found=found,
        query=_query(raw),
        **view,
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
    run = service.get_run(session, actor=actor_for(user), run_id=run_id)
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
        service.decide(
            session,
            actor=actor,
            run_id=run_id,
            approve=verdict == "approve",
            note=form.get("note", ""),
            now=utcnow(),
        )
    except (InvalidInput, RuleViolation, Conflict, PermissionDenied) as exc:
        session.rollback()
        run = service.get_run(session, actor=actor, run_id=run_id)
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
    run = service.get_run(session, actor=actor, run_id=run_id)
    return _record(request, user, session, run, verification=verification)


@router.get("/selection/calls/{reference}/awards.csv")
def awards_download(reference: str, user: PageUser, session: SessionDep) -> Response:
    awards = call_awards.awards_of(session, actor=actor_for(user), call_reference=reference)
    rows = call_awards.award_rows(session, awards)
    return csv_download(call_awards.awards_csv(rows), f"awards-{reference}.csv")


@router.get("/selection/runs/{run_id}/record.json")
def record_download(run_id: int, user: PageUser, session: SessionDep) -> Response:
    run = service.get_run(session, actor=actor_for(user), run_id=run_id)
    return JSONResponse(
        run_summary(run, full=True),
        headers={"Content-Disposition": f'attachment; filename="selection-run-{run.id}.json"'},
    )
