"""Officers' pages of a call: the submissions dashboard (counts, charts, filters, bulk
screening, exports) and the screening grid with overrides."""

from __future__ import annotations

from collections import Counter
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from nexus_sti.accounts.service import actor_for
from nexus_sti.accounts.webdeps import PageUser, Viewer
from nexus_sti.calls.deadlines import local_time, zone_for
from nexus_sti.calls.pages import track_names
from nexus_sti.calls.service import get_call
from nexus_sti.core.areas import PRIORITY_AREAS
from nexus_sti.core.countries import COUNTRIES, ISO3_CODES
from nexus_sti.core.errors import InvalidInput, NotFound
from nexus_sti.platform.charts import bar_chart_svg
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.paging import page_of
from nexus_sti.platform.table_view import table_view
from nexus_sti.platform.webdeps import PostedForm, SessionDep, render, require_csrf, take_notice
from nexus_sti.proposals.eligibility import rules_for
from nexus_sti.proposals.exchange import export_call
from nexus_sti.proposals.model import SECTORS
from nexus_sti.proposals.pages.table_views import (
    SCREENING,
    SCREENING_SORTS,
    SUBMISSIONS,
    submissions_in_view,
)
from nexus_sti.proposals.queries import call_submissions
from nexus_sti.proposals.screening import (
    apply_screening,
    invite_to_full_proposal,
    override_verdict,
    screening_list,
)
from nexus_sti.proposals.service import call_rules
from nexus_sti.proposals.workflow import PROPOSAL

router = APIRouter(include_in_schema=False)


def _bars(pairs: list[tuple[str, int]], *, title: str, xlabel: str) -> str:
    return bar_chart_svg(
        [p[0] for p in pairs], [p[1] for p in pairs], title=title, xlabel=xlabel, sort=False
    )


# --- submissions dashboard -------------------------------------------------------------------


@router.get("/calls/{reference}/submissions")
def submissions_page(
    reference: str,
    request: Request,
    user: PageUser,
    session: SessionDep,
    status: str = Query("", pattern="^[a-z_]*$"),
    country_code: str = Query("", alias="country", pattern="^([A-Z]{3})?$"),
) -> Response:
    """The counts, charts and figures describe every proposal the filters keep; the table
    shows them a page at a time, in the order asked for."""
    actor = actor_for(user)
    call = get_call(session, actor=actor, reference=reference)
    view = table_view(SUBMISSIONS, request.query_params, request.url.path)
    everything = call_submissions(session, actor=actor, reference=reference)
    rows = submissions_in_view(everything, view)
    page = view.page(rows)
    by_country = Counter(c for s in rows for c in s.countries)
    by_area = Counter(s.area for s in rows)
    by_sector = Counter(sector for s in rows for sector in s.sectors)
    by_track = Counter(s.track for s in rows)
    names = track_names(session, [call])
    charts = []
    if rows:
        charts = [
            _bars(
                [(c.name, by_country[c.iso3]) for c in COUNTRIES],
                title="Proposals involving each country",
                xlabel="proposals",
            ),
            _bars(
                [(a.name, by_area[a.code]) for a in PRIORITY_AREAS if a.code in by_area],
                title="Proposals by primary priority area",
                xlabel="proposals",
            ),
            _bars(
                [(s, by_sector[s]) for s in SECTORS],
                title="Consortium members by sector",
                xlabel="members",
            ),
            _bars(
                [(names.get(t, t), n) for t, n in sorted(by_track.items())],
                title="Proposals by track",
                xlabel="proposals",
            ),
        ]
    zone = zone_for(user.country)
    return render(
        request,
        "call_submissions.html",
        user,
        title=f"Submissions: {call.reference}",
        call=call,
        rows=rows,
        page=page,
        view=view,
        total=len(everything),
        by_status=Counter(s.status for s in everything),
        statuses=PROPOSAL.states,
        countries=ISO3_CODES,
        areas=PRIORITY_AREAS,
        status=status,
        country_code=country_code,
        charts=charts,
        tables={"country": by_country, "area": by_area, "sector": by_sector},
        submitted={
            s.reference: local_time(s.submitted_at, zone) for s in page.items if s.submitted_at
        },
        notice=take_notice(request),
    )


EXPORT_MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/calls/{reference}/submissions/export")
def export_submissions(
    reference: str,
    user: PageUser,
    session: SessionDep,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    """The call's proposals as nexus-proposals/1, for people logged in to the pages (the API
    serves the same file at /api/v1/calls/{reference}/proposals/export with a token)."""
    data = export_call(session, actor=actor_for(user), call_reference=reference, format=format)
    return Response(
        data,
        media_type=EXPORT_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{reference}.{format}"'},
    )


# --- screening -------------------------------------------------------------------------------


def _screening_view(
    request: Request,
    user: Viewer,
    session: Session,
    reference: str,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    actor = actor_for(user)
    here = f"/calls/{reference}/screening"  # also when a refused override shows the page
    view = table_view(SCREENING, request.query_params, here)
    rows = screening_list(session, actor=actor, call_reference=reference)
    call = get_call(session, actor=actor, reference=reference)
    show = request.query_params.get("show", "all")
    shown = view.ordered(
        {
            "failing": [r for r in rows if not r.eligible],
            "passing": [r for r in rows if r.eligible],
        }.get(show, rows),
        SCREENING_SORTS,
    )
    page = view.page(shown)
    if form and form.get("reference") in {r.reference for r in shown}:
        # A refused override comes back on the page that holds its proposal.
        at = [r.reference for r in shown].index(form["reference"])
        page = page_of(shown, at // page.size + 1)
    return render(
        request,
        "call_screening.html",
        user,
        status_code=422 if error else 200,
        title=f"Screening: {reference}",
        call=call,
        rows=rows,
        page=page,
        view=view,
        show=show if show in ("failing", "passing") else "all",
        rules=rules_for(call_rules(session, call).track),
        error=error,
        form=form or {},
        notice=take_notice(request),
    )


@router.get("/calls/{reference}/screening")
def screening_page(
    reference: str, request: Request, user: PageUser, session: SessionDep
) -> Response:
    return _screening_view(request, user, session, reference)


@router.post("/calls/{reference}/overrides", dependencies=[Depends(require_csrf)])
def override_page(
    reference: str, request: Request, user: PageUser, session: SessionDep, posted: PostedForm
) -> Response:
    actor = actor_for(user)
    fields = {k: posted[0].get(k, "") for k in ("reference", "rule_id", "passed", "justification")}
    in_call = {r.reference for r in screening_list(session, actor=actor, call_reference=reference)}
    try:
        if fields["reference"] not in in_call:
            raise InvalidInput("reference", f"not a submitted proposal of call {reference}")
        if fields["passed"] not in ("pass", "fail"):
            raise InvalidInput("passed", "choose pass or fail")
        override_verdict(
            session,
            actor=actor,
            reference=fields["reference"],
            rule_id=fields["rule_id"],
            passed=fields["passed"] == "pass",
            justification=fields["justification"],
            now=utcnow(),
        )
    except InvalidInput as exc:
        session.rollback()
        return _screening_view(request, user, session, reference, error=exc.message, form=fields)
    verdict = "passes" if fields["passed"] == "pass" else "fails"
    request.session["notice"] = (
        f"{fields['reference']}: {fields['rule_id']} now {verdict} by your override "
        "(audit: eligibility.overridden). Apply the screening to update its status."
    )
    return RedirectResponse(f"/calls/{reference}/screening", status_code=303)


@router.post("/calls/{reference}/screening/apply", dependencies=[Depends(require_csrf)])
def apply_screening_page(
    reference: str, request: Request, user: PageUser, session: SessionDep, posted: PostedForm
) -> Response:
    fields, lists = posted
    back = "submissions" if fields.get("next") == "submissions" else "screening"
    chosen = lists.get("references", [])
    if fields.get("scope") != "all" and not chosen:
        request.session["notice"] = "Nothing applied: choose at least one proposal."
        return RedirectResponse(f"/calls/{reference}/{back}", status_code=303)
    counts = apply_screening(
        session,
        actor=actor_for(user),
        call_reference=reference,
        now=utcnow(),
        references=None if fields.get("scope") == "all" else chosen,
    )
    request.session["notice"] = (
        f"Screening applied: {counts['eligible']} eligible, {counts['ineligible']} ineligible "
        "(audit: call.screened)."
    )
    return RedirectResponse(f"/calls/{reference}/{back}", status_code=303)


@router.post("/calls/{reference}/invite-full", dependencies=[Depends(require_csrf)])
def invite_full_page(
    reference: str, request: Request, user: PageUser, session: SessionDep, posted: PostedForm
) -> Response:
    """Two-stage calls: move a concept to the full-proposal stage."""
    proposal_ref = posted[0].get("reference", "")
    actor = actor_for(user)
    in_call = {r.reference for r in screening_list(session, actor=actor, call_reference=reference)}
    if proposal_ref not in in_call:
        raise NotFound("proposal", proposal_ref)
    invite_to_full_proposal(session, actor=actor, reference=proposal_ref, now=utcnow())
    request.session["notice"] = (
        f"{proposal_ref} is invited to the full-proposal stage (audit: proposal.invited_to_full)."
    )
    return RedirectResponse(f"/calls/{reference}/screening", status_code=303)
