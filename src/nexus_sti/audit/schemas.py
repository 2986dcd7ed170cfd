"""API output shapes for the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    action: str
    actor_label: str
    subject_type: str
    subject_id: str
    inputs_digest: str
    summary: dict[str, Any]


class AuditPageRead(BaseModel):
    entries: list[AuditEntryRead]
    total: int
    page: int
    pages: int
