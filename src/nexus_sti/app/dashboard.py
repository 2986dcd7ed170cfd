"""The role dashboard, and the pages of areas that are not built yet (a built area's address
leads to its own pages)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import func, select
from starlette.responses import RedirectResponse, Response

from nexus_sti.accounts.service import actor_for
from nexus_sti.accounts.tables import User
from nexus_sti.accounts.webdeps import PageUser
from nexus_sti.app.areas import area
from nexus_sti.audit.service import list_audit_entries
from nexus_sti.calls.deadlines import accepting, local_time, time_left, zone_for
from nexus_sti.calls.service import list_calls
from nexus_sti.core.access import Role, check
from nexus_sti.core.countries import ISO3_CODES, country
from nexus_sti.core.errors import NotFound, PermissionDenied
from nexus_sti.people.tables import Researcher
from nexus_sti.platform.charts import bar_chart_svg
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.webdeps import SessionDep, render
from nexus_sti.programs.service import current_program
from nexus_sti.proposals.queries import call_statistics, list_proposals
from nexus_sti.review.service.reviews import my_assignments

router = APIRouter(include_in_schema=False)


@router.get("/")
def dashboard(request: Request, user: PageUser, session: SessionDep) -> Response:
    actor = actor_for(user)
    ctx: dict[str, Any] = {"title": "Dashboard"}
    try:
        ctx["program"] = current_program(session).config
    except NotFound:
        ctx["program"] = None
    if check(actor, "statistics.read"):
        stats = call_statistics(session, actor=actor)
        ctx["stats"] = stats
        program = ctx["program"]
        partners = program.partner_countries if program else ISO3_CODES
        noun = program.program.partners_name if program else "countries"
        members = [(country(c).name, stats.by_country.get(c, 0)) for c in partners]
        if stats.proposals:
            ctx["country_chart"] = bar_chart_svg(
                [m[0] for m in members],
                [m[1] for m in members],
                title=f"Proposals involving each of the {noun}",
                xlabel="proposals",
            )
    if check(actor, "audit.read"):
        ctx["recent_audit"] = list_audit_entries(session, actor=actor, per_page=8).entries
    if actor.role is Role.ADMIN:
        rows = session.execute(select(User.role, func.count()).group_by(User.role)).all()
        ctx["users_by_role"] = dict(rows)
    if actor.role in (Role.APPLICANT, Role.FUNDING_PARTNER):
        ctx["proposals"] = list_proposals(session, actor=actor, per_page=10)
    if actor.role is Role.APPLICANT:
        now, zone = utcnow(), zone_for(actor.country)
        ctx["open_calls"] = [
            {
                "call": c,
                "deadline": local_time(c.closes_at, zone),
                "left": time_left(c.closes_at, now),
            }
            for c in list_calls(session, actor=actor)
            if accepting(c.status, c.opens_at, c.closes_at, now) is None
        ]
    if actor.role is Role.REVIEWER:
        ctx["review_assignments"] = len(my_assignments(session, actor=actor))
    if user.researcher_id is not None:
        ctx["researcher"] = session.get(Researcher, user.researcher_id)
    return render(request, "dashboard.html", user, **ctx)


@router.get("/areas/{code}")
def area_page(code: str, request: Request, user: PageUser) -> Response:
    found = area(code)
    if found is None:
        raise NotFound("area", code)
    role = Role(user.role)
    if not found.visible_to(role):
        raise PermissionDenied(f"open {found.title}", f"{role.label} accounts do not use this area")
    if found.built:  # a built area has its own pages: go there
        return RedirectResponse(f"/{found.code}", status_code=303)
    return render(request, "area.html", user, area=found, title=found.title)
