"""API output shapes for proposals and statistics."""

from __future__ import annotations

from pydantic import BaseModel


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
