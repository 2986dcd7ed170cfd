"""API shapes of calls."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field


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
