"""API output shapes for proposals and statistics."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field


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


class RuleRead(BaseModel):
    rule_id: str
    description: str


class CallRead(BaseModel):
    reference: str
    title: str
    status: str
    track: str
    areas: list[str]
    description: str
    two_stage: bool
    opens_at: datetime
    closes_at: datetime
    closes_local: str
    time_left: str
    accepting: bool
    why_not_accepting: str | None
    rules: list[RuleRead]


class CallCreate(BaseModel):
    track: str
    title: str
    opens_at: datetime
    closes_at: datetime
    areas: list[str] | None = None
    description: str = ""
    budget: Decimal | None = None
    two_stage: bool = False
    concept_closes_at: datetime | None = None
    program: str | None = Field(
        None, description="Program code; by default the most recently loaded program"
    )


class CallAction(BaseModel):
    action: str


class ScreeningApply(BaseModel):
    references: list[str] | None = None
