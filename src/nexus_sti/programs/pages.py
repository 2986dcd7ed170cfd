"""Page: the program's configuration, readable by every role."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from starlette.responses import Response

from nexus_sti.accounts.webdeps import PageUser
from nexus_sti.core.money import Money
from nexus_sti.platform.webdeps import SessionDep, render
from nexus_sti.programs.model import CODE_PATTERN, describe_place
from nexus_sti.programs.service import current_program
from nexus_sti.programs.tables import ProgramVersion

router = APIRouter(include_in_schema=False)


@router.get("/program")
def program_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    code: str | None = Query(None, pattern=CODE_PATTERN),
) -> Response:
    current = current_program(session, code=code)
    config = current.config
    tracks = [
        {
            "track": t,
            "rule": config.consortium_rule(t),
            "budget": config.track_budget(t.code),
            "max_per_project": (
                Money(t.max_budget_per_project, t.budget_currency)
                if t.max_budget_per_project is not None
                else "each funder's own limits"
            ),
        }
        for t in config.tracks
    ]
    others = sorted(set(session.scalars(select(ProgramVersion.code))) - {current.row.code})
    return render(
        request,
        "program.html",
        user,
        row=current.row,
        config=config,
        tracks=tracks,
        others=others,
        place_name=describe_place,
        title="Program",
    )
