"""The shapes of the selection API's request bodies: a run to propose and a decision on it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from nexus_sti.selection.inputs import SelectionParams


class RunCreate(BaseModel):
    parameters: SelectionParams = SelectionParams()
    note: str = Field("", max_length=500)


class DecisionCreate(BaseModel):
    approve: bool
    note: str = Field(min_length=1, max_length=4000)
