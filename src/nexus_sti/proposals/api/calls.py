"""JSON API of the proposals of calls: the proposals the caller may see, aggregate statistics,
a call's screening, and its proposals exported or imported in the nexus-proposals/1 format."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, UploadFile
from starlette.responses import JSONResponse, Response

from nexus_sti.accounts.webdeps import ApiActor
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.errors import error_body
from nexus_sti.platform.openapi import answers_as
from nexus_sti.platform.webdeps import SessionDep
from nexus_sti.proposals.exchange import export_call, import_call
from nexus_sti.proposals.queries import call_statistics, list_proposals
from nexus_sti.proposals.schemas import (
    ProposalPageRead,
    ProposalRead,
    ScreeningApply,
    ScreeningRowRead,
    StatisticsRead,
    VerdictRead,
)
from nexus_sti.proposals.screening import apply_screening, screening_list

router = APIRouter(prefix="/api/v1", tags=["calls"])


@router.get("/proposals", response_model=ProposalPageRead)
def read_proposals(
    actor: ApiActor,
    session: SessionDep,
    country: str | None = Query(None, pattern="^[A-Z]{3}$", description="ISO 3166 alpha-3"),
    page: int = Query(1, ge=1),
    per_page: int = Query(50, ge=1, le=500),
) -> ProposalPageRead:
    result = list_proposals(session, actor=actor, country=country, page=page, per_page=per_page)
    return ProposalPageRead(
        scope=result.scope,
        proposals=[ProposalRead(**asdict(r)) for r in result.rows],
        total=result.total,
        page=result.page,
        pages=result.pages,
    )


@router.get("/statistics", response_model=StatisticsRead)
def read_statistics(actor: ApiActor, session: SessionDep) -> StatisticsRead:
    return StatisticsRead(**asdict(call_statistics(session, actor=actor)))


@router.get("/calls/{reference}/screening", response_model=list[ScreeningRowRead])
def read_screening(reference: str, actor: ApiActor, session: SessionDep) -> list[ScreeningRowRead]:
    """Every submitted proposal with every rule's verdict, overrides applied (officers)."""
    return [
        ScreeningRowRead(
            reference=r.reference,
            title=r.title,
            status=r.status,
            eligible=r.eligible,
            checks=[VerdictRead(**asdict(v)) for v in r.verdicts],
        )
        for r in screening_list(session, actor=actor, call_reference=reference)
    ]


@router.post("/calls/{reference}/screening/apply")
def apply(
    reference: str, body: ScreeningApply, actor: ApiActor, session: SessionDep
) -> dict[str, int]:
    """Set eligible / ineligible from the verdicts, for all or the listed proposals."""
    return apply_screening(
        session, actor=actor, call_reference=reference, now=utcnow(), references=body.references
    )


MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get(
    "/calls/{reference}/proposals/export",
    responses=answers_as(
        "application/json",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
)
def export(
    reference: str,
    actor: ApiActor,
    session: SessionDep,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    """Every proposal of the call as nexus-proposals/1 (docs/proposals-import.md)."""
    data = export_call(session, actor=actor, call_reference=reference, format=format)
    return Response(
        data,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{reference}.{format}"'},
    )


@router.post("/calls/{reference}/proposals/import")
async def import_(
    reference: str,
    actor: ApiActor,
    session: SessionDep,
    file: Annotated[UploadFile, File()],
    format: Literal["json", "csv", "xlsx"] = "json",
) -> JSONResponse:
    """Create the file's proposals in the call, all or nothing; 422 lists every problem."""
    outcome = import_call(
        session,
        actor=actor,
        call_reference=reference,
        data=await file.read(50 * 1024 * 1024),
        format=format,
        now=utcnow(),
    )
    if outcome.problems:
        problems = [asdict(p) | {"message": p.describe()} for p in outcome.problems]
        body = error_body(
            "invalid_input",
            f"{len(problems)} problem(s); nothing was imported",
            {"field": problems[0]["field"], "rule": problems[0]["rule"], "problems": problems},
        )
        return JSONResponse(body, status_code=422)
    return JSONResponse({"created": list(outcome.created)}, status_code=201)
