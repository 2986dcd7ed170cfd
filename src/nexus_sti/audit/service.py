"""Writing and reading the audit log.

``record`` adds an entry to the caller's session, so it commits (or rolls back) together with the
state change it describes. Entries are never updated or deleted: the ORM refuses it here, and the
database refuses it with triggers created by the first migration.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from nexus_sti.accounts.model import Actor, check
from nexus_sti.audit.tables import AuditEntry
from nexus_sti.core.errors import Conflict, PermissionDenied


def inputs_digest(inputs: Any) -> str:
    """SHA-256 of the canonical JSON of a decision's inputs."""
    canonical = json.dumps(inputs, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(
    session: Session,
    *,
    action: str,
    actor: Actor,
    subject_type: str,
    subject_id: object,
    inputs: Any,
    now: datetime,
    summary: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry for a state change (dotted ``action`` such as ``program.loaded``)."""
    entry = AuditEntry(
        at=now,
        action=action,
        actor_id=actor.user_id,
        actor_label=actor.username,
        subject_type=subject_type,
        subject_id=str(subject_id),
        inputs_digest=inputs_digest(inputs),
        summary=summary or {},
    )
    session.add(entry)
    return entry


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise Conflict("the audit log is append-only: entries cannot be changed or deleted")


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
    decision = check(actor, "audit.read")
    if not decision:
        raise PermissionDenied("browse the audit log", decision.reason)
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
