"""Reading the audit log (written by every context through ``platform/auditlog.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nexus_sti.core.access import Actor, require
from nexus_sti.platform.auditlog import AuditEntry


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_audit_entries(
    session: Session,
    *,
    actor: Actor,
    action_prefix: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> AuditPage:
    """Newest first, optionally only actions starting with ``action_prefix``."""
    require(actor, "audit.read", "browse the audit log")
    page = max(1, page)
    query = select(AuditEntry)
    count = select(func.count()).select_from(AuditEntry)
    if action_prefix:
        query = query.where(AuditEntry.action.startswith(action_prefix))
        count = count.where(AuditEntry.action.startswith(action_prefix))
    total = session.scalar(count) or 0
    rows = session.scalars(
        query.order_by(AuditEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return AuditPage(entries=list(rows), total=total, page=page, per_page=per_page)
