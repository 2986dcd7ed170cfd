"""Pages of calls: the list with deadlines in each user's time zone, a new call (staff), one
call with its rules and lifecycle buttons. What they show of proposals (the rules a call
applies, the applicant's own proposals) comes through the proposals port (``calls/ports.py``).

Times people type (``datetime-local`` fields) are read in the user's own time zone and stored
in UTC; times shown carry their zone, so a deadline never silently means two instants.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from nexus_sti.accounts.service import actor_for
from nexus_sti.accounts.webdeps import PageUser, Viewer
from nexus_sti.calls.deadlines import accepting, local_time, time_left, zone_for
from nexus_sti.calls.ports import proposals_port
from nexus_sti.calls.service import (
    create_call,
    get_call,
    list_calls,
    transition_call,
)
from nexus_sti.calls.tables import Call
from nexus_sti.calls.workflow import CALL
from nexus_sti.core.access import Role, check, require
from nexus_sti.core.areas import priority_area
from nexus_sti.core.errors import InvalidInput, RuleViolation
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.webdeps import PostedForm, SessionDep, render, require_csrf, take_notice
from nexus_sti.programs.service import current_program, program_version, program_versions

router = APIRouter(include_in_schema=False)

CALL_FIELDS = ("track", "title", "opens_at", "closes_at", "description", "concept_closes_at")


# --- the list of calls and a new call --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallRow:
    call: Call
    track: str
    deadline: str
    left: str
    closed_reason: str | None


def track_names(session: Session, calls: Iterable[Call]) -> dict[str, str]:
    """Track code -> name, from the programs the ``calls`` were opened under."""
    configs = program_versions(session, {c.program_version_id for c in calls})
    return {t.code: t.name for config in configs.values() for t in config.tracks}


def _calls_view(
    request: Request,
    user: Viewer,
    session: Session,
    *,
    form: dict[str, Any] | None = None,
    error: str | None = None,
) -> Response:
    actor = actor_for(user)
    now, zone = utcnow(), zone_for(user.country)
    listed = list_calls(session, actor=actor)
    names = track_names(session, listed)
    rows = [
        CallRow(
            call=c,
            track=names.get(c.track, c.track),
            deadline=local_time(c.closes_at, zone),
            left=time_left(c.closes_at, now),
            closed_reason=accepting(c.status, c.opens_at, c.closes_at, now),
        )
        for c in listed
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
        mine=(
            proposals_port(request).mine(session, actor) if actor.role is Role.APPLICANT else None
        ),
        tracks=config.tracks,
        areas=[(a, priority_area(a).name) for a in config.program.priority_areas],
        form=form or {"areas": list(config.program.priority_areas)},
        error=error,
        notice=take_notice(request),
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
    require(actor, "calls.manage", "create calls")
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
    request: Request, user: Viewer, session: Session, reference: str, error: str | None = None
) -> Response:
    actor = actor_for(user)
    call = get_call(session, actor=actor, reference=reference)
    now = utcnow()
    config = program_version(session, call.program_version_id).config
    track = config.track(call.track)
    port = proposals_port(request)
    mine = []
    if actor.role is Role.APPLICANT:
        mine = [p for p in port.mine(session, actor) if p.call_id == call.id]
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
        rules=port.rules(session, call),
        consortium_rule=config.consortium_rule(track),
        budget_rule=config.budget_rule(track),
        can_apply=bool(check(actor, "proposals.create")),
        can_manage=bool(check(actor, "calls.manage")),
        actions=[
            t for t in CALL.transitions if t.action in CALL.actions_from(call.status, actor.role)
        ],
        mine=mine,
        error=error,
        notice=take_notice(request),
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
