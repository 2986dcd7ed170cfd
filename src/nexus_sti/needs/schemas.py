"""The shapes of the needs API's request bodies: a target decision to save."""

from __future__ import annotations

from pydantic import BaseModel, Field

from nexus_sti.needs.targets import TargetParams


class TargetDecisionCreate(BaseModel):
    parameters: TargetParams
    note: str = Field("", max_length=500)
