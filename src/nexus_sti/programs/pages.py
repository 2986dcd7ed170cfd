"""Page: the program's configuration, readable by every role."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from nexus_sti.core.money import Money
from nexus_sti.platform.webdeps import PageUser, SessionDep, render
from nexus_sti.programs.service import current_program

router = APIRouter(include_in_schema=False)


@router.get("/program")
def program_page(request: Request, user: PageUser, session: SessionDep) -> Response:
    current = current_program(session)
    config = current.config
    tracks = [
        {
            "track": t,
            "budget": config.track_budget(t.code),
            "max_per_project": Money(t.max_budget_per_project, t.budget_currency),
        }
        for t in config.tracks
    ]
    return render(
        request,
        "program.html",
        user,
        row=current.row,
        config=config,
        tracks=tracks,
        title="Program",
    )
