"""JSON API for the audit log (officers and administrators)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from nexus_sti.accounts.webdeps import ApiActor
from nexus_sti.audit.schemas import AuditEntryRead, AuditPageRead
from nexus_sti.audit.service import list_audit_entries
from nexus_sti.platform.webdeps import SessionDep

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit", response_model=AuditPageRead)
def read_audit(
    actor: ApiActor,
    session: SessionDep,
    action: str | None = Query(None, description="Only actions starting with this prefix."),
    page: int = Query(1, ge=1),
    per_page: int = Query(50, ge=1, le=500),
) -> AuditPageRead:
    result = list_audit_entries(
        session, actor=actor, action_prefix=action, page=page, per_page=per_page
    )
    return AuditPageRead(
        entries=[AuditEntryRead.model_validate(e) for e in result.entries],
        total=result.total,
        page=result.page,
        pages=result.pages,
    )
