"""JSON API for proposals (scoped to the caller) and aggregate statistics."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, UploadFile
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from nexus_sti.accounts.webdeps import ApiActor
from nexus_sti.calls.deadlines import accepting, local_time, time_left, zone_for
from nexus_sti.calls.schemas import (
    CallAction,
    CallCreate,
    CallRead,
    ProposalPageRead,
    ProposalRead,
    RuleRead,
    ScreeningApply,
    StatisticsRead,
)
from nexus_sti.calls.service import (
    call_statistics,
    create_call,
    get_call,
    list_calls,
    list_proposals,
    transition_call,
)
from nexus_sti.calls.tables import Call
from nexus_sti.core.access import Actor
from nexus_sti.core.errors import InvalidInput
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.errors import error_body
from nexus_sti.platform.openapi import answers_as
from nexus_sti.platform.webdeps import SessionDep
from nexus_sti.proposals.eligibility import rules_for
from nexus_sti.proposals.exchange import export_call, import_call
from nexus_sti.proposals.schemas import ScreeningRowRead, VerdictRead
from nexus_sti.proposals.screening import apply_screening, screening_list
from nexus_sti.proposals.service import call_rules

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


def _call_read(call: Call, actor: Actor, session: Session) -> CallRead:
    now = utcnow()
    zone = zone_for(actor.country)
    reason = accepting(call.status, call.opens_at, call.closes_at, now)
    track = call_rules(session, call).track
    return CallRead(
        reference=call.reference,
        title=call.title,
        status=call.status,
        track=call.track,
        areas=list(call.areas),
        description=call.description,
        two_stage=call.two_stage,
        opens_at=call.opens_at,
        closes_at=call.closes_at,
        closes_local=local_time(call.closes_at, zone),
        time_left=time_left(call.closes_at, now),
        accepting=reason is None,
        why_not_accepting=reason,
        rules=[RuleRead(rule_id=r.rule_id, description=r.description) for r in rules_for(track)],
    )


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput(field, "give a time zone, e.g. 2027-03-31T17:00:00+09:00 or ...Z")
    return value.astimezone(UTC)


@router.get("/calls", response_model=list[CallRead])
def read_calls(actor: ApiActor, session: SessionDep) -> list[CallRead]:
    """Calls visible to the caller (drafts: staff only), deadline in the caller's time zone."""
    return [_call_read(c, actor, session) for c in list_calls(session, actor=actor)]


@router.get("/calls/{reference}", response_model=CallRead)
def read_call(reference: str, actor: ApiActor, session: SessionDep) -> CallRead:
    return _call_read(get_call(session, actor=actor, reference=reference), actor, session)


@router.post("/calls", response_model=CallRead, status_code=201)
def create(body: CallCreate, actor: ApiActor, session: SessionDep) -> CallRead:
    """A draft call (officers); times must carry a time zone and are stored in UTC."""
    call = create_call(
        session,
        actor=actor,
        track=body.track,
        title=body.title,
        opens_at=_aware(body.opens_at, "opens_at"),
        closes_at=_aware(body.closes_at, "closes_at"),
        now=utcnow(),
        areas=tuple(body.areas) if body.areas else None,
        description=body.description,
        budget=body.budget,
        two_stage=body.two_stage,
        concept_closes_at=(
            _aware(body.concept_closes_at, "concept_closes_at") if body.concept_closes_at else None
        ),
        program=body.program,
    )
    return _call_read(call, actor, session)


@router.post("/calls/{reference}/actions", response_model=CallRead)
def act(reference: str, body: CallAction, actor: ApiActor, session: SessionDep) -> CallRead:
    """Open, close, screen, review, decide or archive (see the call workflow)."""
    call = transition_call(
        session, actor=actor, reference=reference, action=body.action, now=utcnow()
    )
    return _call_read(call, actor, session)


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
