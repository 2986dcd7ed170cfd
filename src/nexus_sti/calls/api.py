"""JSON API for proposals (scoped to the caller) and aggregate statistics."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Query

from nexus_sti.calls.schemas import ProposalPageRead, ProposalRead, StatisticsRead
from nexus_sti.calls.service import call_statistics, list_proposals
from nexus_sti.platform.webdeps import ApiActor, SessionDep

router = APIRouter(prefix="/api/v1", tags=["proposals"])


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
