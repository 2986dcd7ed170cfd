"""The audit log: every state change of every context leaves an entry here.

The log is infrastructure, like the database: each context writes to it with :func:`record`,
which adds the entry to the caller's session, so it commits (or rolls back) together with the
state change it describes. Entries are never updated or deleted: the ORM refuses it here, and the
database refuses it with triggers created by the first migration. Reading the log (pages, API,
CLI) is the ``audit`` context's job.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from nexus_sti.core.access import Actor
from nexus_sti.core.errors import Conflict
from nexus_sti.platform.db import Base, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(100))
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(100))
    inputs_digest: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


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
