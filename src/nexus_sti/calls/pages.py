"""Pages of calls: the list with deadlines in each user's time zone, a new call (staff), one
call with its rules and lifecycle buttons, the submissions dashboard and the screening list;
and the proposals the user may see, with their CSV export.

Times people type (``datetime-local`` fields) are read in the user's own time zone and stored
in UTC; times shown carry their zone, so a deadline never silently means two instants.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from nexus_sti.accounts.model import Actor, Role, check
from nexus_sti.accounts.service import actor_for
from nexus_sti.accounts.tables import User
from nexus_sti.calls.deadlines import accepting, local_time, time_left, zone_for
from nexus_sti.calls.service import (
    create_call,
    get_call,
    list_calls,
    list_proposals,
    transition_call,
)
from nexus_sti.calls.tables import Call, Proposal, ProposalMember
from nexus_sti.calls.workflow import CALL, PROPOSAL
from nexus_sti.core.areas import PRIORITY_AREAS, priority_area
from nexus_sti.core.countries import COUNTRIES, ISO3_CODES
from nexus_sti.core.errors import InvalidInput, PermissionDenied, RuleViolation
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.webdeps import PageUser, SessionDep, render, require_csrf
from nexus_sti.programs.service import current_program
from nexus_sti.proposals.eligibility import rules_for
from nexus_sti.proposals.exchange import export_call
from nexus_sti.proposals.model import SECTORS
from nexus_sti.proposals.screening import apply_screening, override_verdict, screening_list
from nexus_sti.proposals.service import call_rules, my_proposals

router = APIRouter(include_in_schema=False)

CALL_FIELDS = ("track", "title", "opens_at", "closes_at", "description", "concept_closes_at")


def _require(actor: Actor, action: str, what: str) -> None:
    decision = check(actor, action)
    if not decision:
        raise PermissionDenied(what, decision.reason)


async def _form(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The posted fields, and the repeated ones (checkbox lists) separately."""
    form = await request.form()
    lists = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
    return {k: v for k, v in form.items() if isinstance(v, str)}, lists


PostedForm = Annotated[tuple[dict[str, str], dict[str, list[str]]], Depends(_form)]


def _take_notice(request: Request) -> str | None:
    notice = request.session.pop("notice", None)
    return notice if isinstance(notice, str) else None


# --- the list of calls and a new call --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallRow:
    call: Call
    track: str
    deadline: str
    left: str
    closed_reason: str | None


def _track_names(session: Session) -> dict[str, str]:
    return {t.code: t.name for t in current_program(session).config.tracks}


def _calls_view(
    request: Request,
    user: User,
    session: Session,
    *,
    form: dict[str, Any] | None = None,
    error: str | None = None,
) -> Response:
    actor = actor_for(user)
    now, zone = utcnow(), zone_for(user.country)
    names = _track_names(session)
    rows = [
        CallRow(
            call=c,
            track=names.get(c.track, c.track),
            deadline=local_time(c.closes_at, zone),
            left=time_left(c.closes_at, now),
            closed_reason=accepting(c.status, c.opens_at, c.closes_at, now),
        )
        for c in list_calls(session, actor=actor)
    ]
    config = current_program(session).config
    return render(
        request,
        "calls_list.html",
        user,
        status_code=422 if error else 200,
        title="Calls",
        rows=rows,
        zone=zone.key,
        can_manage=bool(check(actor, "calls.manage")),
        mine=my_proposals(session, actor=actor) if actor.role is Role.APPLICANT else None,
        tracks=config.tracks,
        areas=[(a, priority_area(a).name) for a in config.program.priority_areas],
        form=form or {"areas": list(config.program.priority_areas)},
        error=error,
        notice=_take_notice(request),
    )


@router.get("/calls")
def calls_page(request: Request, user: PageUser, session: SessionDep) -> Response:
    return _calls_view(request, user, session)


def _moment(value: str, zone: ZoneInfo, field: str) -> datetime:
    """A ``datetime-local`` value read in ``zone``, as UTC."""
    if not value:
        raise InvalidInput(field, "required", f"{field}: enter a date and time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            field, "not a date and time", f"{field}: {value!r} is not a date and time"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


@router.post("/calls", dependencies=[Depends(require_csrf)])
def create_call_page(
    request: Request, user: PageUser, session: SessionDep, posted: PostedForm
) -> Response:
    actor = actor_for(user)
    _require(actor, "calls.manage", "create calls")
    fields, lists = posted
    form: dict[str, Any] = {k: fields.get(k, "").strip() for k in CALL_FIELDS}
    form["areas"] = lists.get("areas", [])
    form["two_stage"] = fields.get("two_stage") == "on"
    zone = zone_for(user.country)
    try:
        if not form["areas"]:
            raise InvalidInput("areas", "choose at least one priority area")
        concept = form["concept_closes_at"]
        call = create_call(
            session,
            actor=actor,
            track=form["track"],
            title=form["title"],
            opens_at=_moment(form["opens_at"], zone, "opens_at"),
            closes_at=_moment(form["closes_at"], zone, "closes_at"),
            now=utcnow(),
            areas=tuple(form["areas"]),
            description=form["description"],
            two_stage=form["two_stage"],
            concept_closes_at=_moment(concept, zone, "concept_closes_at") if concept else None,
        )
    except InvalidInput as exc:
        session.rollback()
        return _calls_view(request, user, session, form=form, error=exc.message)
    request.session["notice"] = f"Draft call {call.reference} created. Open it when it is ready."
    return RedirectResponse(f"/calls/{call.reference}", status_code=303)


# --- one call --------------------------------------------------------------------------------


def _call_view(
    request: Request, user: User, session: Session, reference: str, error: str | None = None
) -> Response:
    actor = actor_for(user)
    call = get_call(session, actor=actor, reference=reference)
    now = utcnow()
    track = call_rules(session, call).track
    mine = []
    if actor.role is Role.APPLICANT:
        mine = [p for p in my_proposals(session, actor=actor) if p.call_id == call.id]
    return render(
        request,
        "call_detail.html",
        user,
        status_code=422 if error else 200,
        title=call.title,
        call=call,
        track=track,
        areas=[priority_area(a) for a in call.areas],
        deadline=local_time(call.closes_at, zone_for(user.country)),
        opens=local_time(call.opens_at, zone_for(user.country)),
        concept=(
            local_time(call.concept_closes_at, zone_for(user.country))
            if call.concept_closes_at
            else None
        ),
        left=time_left(call.closes_at, now),
        closed_reason=accepting(call.status, call.opens_at, call.closes_at, now),
        rules=rules_for(track),
        can_apply=bool(check(actor, "proposals.create")),
        can_manage=bool(check(actor, "calls.manage")),
        actions=[
            t for t in CALL.transitions if t.action in CALL.actions_from(call.status, actor.role)
        ],
        mine=mine,
        error=error,
        notice=_take_notice(request),
    )


@router.get("/calls/{reference}")
def call_page(reference: str, request: Request, user: PageUser, session: SessionDep) -> Response:
    return _call_view(request, user, session, reference)


@router.post("/calls/{reference}/actions", dependencies=[Depends(require_csrf)])
def call_action(
    reference: str, request: Request, user: PageUser, session: SessionDep, posted: PostedForm
) -> Response:
    action = posted[0].get("action", "")
    try:
        call = transition_call(
            session, actor=actor_for(user), reference=reference, action=action, now=utcnow()
        )
    except RuleViolation as exc:
        session.rollback()
        return _call_view(request, user, session, reference, error=exc.message)
    request.session["notice"] = f"Call {reference} is now {call.status} (audit: call.{action})."
    return RedirectResponse(f"/calls/{reference}", status_code=303)


# --- submissions dashboard -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Submission:
    reference: str
    title: str
    lead: str
    countries: tuple[str, ...]
    sectors: tuple[str, ...]  # one per consortium member
    area: str
    track: str
    status: str
    submitted_at: datetime | None


def _submissions(session: Session, call: Call) -> list[Submission]:
    members: dict[int, list[ProposalMember]] = {}
    for m in session.scalars(
        select(ProposalMember)
        .join(Proposal, Proposal.id == ProposalMember.proposal_id)
        .where(Proposal.call_id == call.id)
        .order_by(ProposalMember.id)
    ):
        members.setdefault(m.proposal_id, []).append(m)
    out = []
    for p in session.scalars(
        select(Proposal).where(Proposal.call_id == call.id).order_by(Proposal.reference)
    ):
        team = members.get(p.id, [])
        lead = next((m for m in team if m.role == "lead_jp"), team[0] if team else None)
        out.append(
            Submission(
                reference=p.reference,
                title=p.title,
                lead=lead.name if lead else "",
                countries=tuple(sorted({m.country for m in team}, key=lambda c: (c != "JPN", c))),
                sectors=tuple(m.sector for m in team),
                area=p.area,
                track=p.track,
                status=p.status,
                submitted_at=p.submitted_at,
            )
        )
    return out


def _bar_chart(pairs: list[tuple[str, int]], *, title: str, xlabel: str) -> str:
    """Horizontal bars in the given order (first at the top), as inline SVG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2, 0.3 * max(len(pairs), 2) + 0.9))
    ax = fig.subplots()
    rows = list(reversed(pairs))
    ax.barh(range(len(rows)), [n for _, n in rows], color="#2b6cb0")
    for i, (_, n) in enumerate(rows):
        ax.text(n, i, f" {n}", va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [label for label, _ in rows])
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel(xlabel, fontsize=8)
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.15)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    return svg[svg.index("<svg") :]


@router.get("/calls/{reference}/submissions")
def submissions_page(
    reference: str,
    request: Request,
    user: PageUser,
    session: SessionDep,
    status: str = Query("", pattern="^[a-z_]*$"),
    country_code: str = Query("", alias="country", pattern="^([A-Z]{3})?$"),
) -> Response:
    actor = actor_for(user)
    _require(actor, "proposals.read_all", "see a call's submissions")
    call = get_call(session, actor=actor, reference=reference)
    everything = _submissions(session, call)
    rows = [
        s
        for s in everything
        if (not status or s.status == status) and (not country_code or country_code in s.countries)
    ]
    by_country = Counter(c for s in rows for c in s.countries)
    by_area = Counter(s.area for s in rows)
    by_sector = Counter(sector for s in rows for sector in s.sectors)
    by_track = Counter(s.track for s in rows)
    names = _track_names(session)
    charts = []
    if rows:
        charts = [
            _bar_chart(
                [(c.name, by_country[c.iso3]) for c in COUNTRIES],
                title="Proposals involving each country",
                xlabel="proposals",
            ),
            _bar_chart(
                [(a.name, by_area[a.code]) for a in PRIORITY_AREAS if a.code in by_area],
                title="Proposals by primary priority area",
                xlabel="proposals",
            ),
            _bar_chart(
                [(s, by_sector[s]) for s in SECTORS],
                title="Consortium members by sector",
                xlabel="members",
            ),
            _bar_chart(
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
        total=len(everything),
        by_status=Counter(s.status for s in everything),
        statuses=PROPOSAL.states,
        countries=ISO3_CODES,
        status=status,
        country_code=country_code,
        charts=charts,
        tables={"country": by_country, "area": by_area, "sector": by_sector},
        submitted={s.reference: local_time(s.submitted_at, zone) for s in rows if s.submitted_at},
        notice=_take_notice(request),
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
    user: User,
    session: Session,
    reference: str,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    actor = actor_for(user)
    rows = screening_list(session, actor=actor, call_reference=reference)
    call = get_call(session, actor=actor, reference=reference)
    return render(
        request,
        "call_screening.html",
        user,
        status_code=422 if error else 200,
        title=f"Screening: {reference}",
        call=call,
        rows=rows,
        rules=rules_for(call_rules(session, call).track),
        error=error,
        form=form or {},
        notice=_take_notice(request),
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


# --- proposals the user may see --------------------------------------------------------------


@router.get("/proposals")
def proposals_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    country: str = Query("", pattern="^([A-Z]{3})?$"),
    page: int = Query(1, ge=1),
) -> Response:
    result = list_proposals(session, actor=actor_for(user), country=country or None, page=page)
    return render(
        request, "proposals.html", user, result=result, country=country, title="Proposals"
    )


@router.get("/proposals.csv")
def proposals_csv(
    user: PageUser, session: SessionDep, country: str = Query("", pattern="^([A-Z]{3})?$")
) -> Response:
    """Every proposal the user may see, as UTF-8 CSV (with BOM, so spreadsheet programs show
    Thai, Khmer, Lao, Burmese and Japanese names correctly)."""
    actor = actor_for(user)
    first = list_proposals(session, actor=actor, country=country or None, per_page=500)
    rows = list(first.rows)
    for page in range(2, first.pages + 1):
        rows += list_proposals(
            session, actor=actor, country=country or None, page=page, per_page=500
        ).rows
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        [
            "reference",
            "title",
            "track",
            "area",
            "status",
            "lead",
            "lead_local_script",
            "countries",
            "requested",
            "synthetic",
        ]
    )
    for r in rows:
        writer.writerow(
            [
                r.reference,
                r.title,
                r.track,
                r.area,
                r.status,
                r.lead_name,
                r.lead_name_local,
                " ".join(r.countries),
                r.requested,
                "yes" if r.synthetic else "no",
            ]
        )
    return Response(
        "\ufeff" + buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="proposals.csv"'},
    )
