"""API shapes for proposals, their checks, receipts and screening."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from nexus_sti.proposals.model import ProposalContent


class ProposalCreate(BaseModel):
    call: str = Field(description="Reference of an open call")
    content: ProposalContent


class ProposalUpdate(BaseModel):
    content: ProposalContent


class VerdictRead(BaseModel):
    rule_id: str
    passed: bool
    message: str
    field: str


class InvitationRead(BaseModel):
    name: str
    email: str
    link: str = Field(description="Send this to the member; it works once")


class FunderShareRead(BaseModel):
    funder: str
    currency: str
    amount: str = Field(description="decimal, in the funder's currency")
    countries: list[str] = Field(description="the teams this funder pays for")


class OutcomeRead(BaseModel):
    """A decided proposal's outcome (present once an approved selection decided its call)."""

    funded: bool
    decided_at: datetime | None
    award: str | None = Field(None, description="the award's reference (funded only)")
    amount: str | None = None
    currency: str | None = None
    reason: str | None = Field(None, description="why the selection did not fund it")
    funders: list[FunderShareRead] = []


class ProposalDetail(BaseModel):
    reference: str
    call: str
    track: str
    status: str
    stage: str
    version: int
    submitted_at: datetime | None
    content_digest: str
    content: dict[str, Any]
    confirmations: list[str]
    checks: list[VerdictRead]
    invitations: list[InvitationRead] = []
    outcome: OutcomeRead | None = None


class ReceiptRead(BaseModel):
    reference: str
    call: str
    version: int
    submitted_at: datetime = Field(
        description="When the request reached the server; the deadline is judged on it."
    )
    digest: str
    recorded_at: datetime = Field(description="When the submission was stored.")


class VersionRead(BaseModel):
    version: int
    saved_at: datetime
    digest: str
    content: dict[str, Any]


class AttachmentRead(BaseModel):
    id: int
    kind: str
    filename: str
    media_type: str
    size: int
    pages: int | None
    sha256: str
    uploaded_at: datetime


class InvitationAnswer(BaseModel):
    accept: bool


class OverrideCreate(BaseModel):
    rule_id: str
    passed: bool
    justification: str


class ScreeningRowRead(BaseModel):
    reference: str
    title: str
    status: str
    eligible: bool
    checks: list[VerdictRead]


class ProposalRead(BaseModel):
    reference: str
    title: str
    track: str
    area: str
    status: str
    lead_name: str
    lead_name_local: str
    countries: list[str]
    requested: str
    synthetic: bool


class ProposalPageRead(BaseModel):
    scope: str
    proposals: list[ProposalRead]
    total: int
    page: int
    pages: int


class StatisticsRead(BaseModel):
    calls: int
    proposals: int
    synthetic: bool
    by_track: dict[str, int]
    by_area: dict[str, int]
    by_country: dict[str, int]


class ScreeningApply(BaseModel):
    references: list[str] | None = None
