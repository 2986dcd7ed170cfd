"""Page: browse the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from nexus_sti.accounts.service import actor_for
from nexus_sti.accounts.webdeps import PageUser
from nexus_sti.audit.service import list_audit_entries
from nexus_sti.platform.webdeps import SessionDep, render

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    action: str = Query(""),
    page: int = Query(1, ge=1),
) -> Response:
    result = list_audit_entries(
        session, actor=actor_for(user), action_prefix=action or None, page=page
    )
    return render(request, "audit.html", user, result=result, action=action, title="Audit log")
