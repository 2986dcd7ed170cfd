"""The shapes of review's JSON API: what the pool, swap, form, review, conflict and
calibration endpoints accept and what the review form endpoint returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from nexus_sti.review.forms import MAX_REVIEWS_PER_PROPOSAL
from nexus_sti.review.service.pool import MAX_LOAD_LIMIT


class Invitation(BaseModel):
    reviewer_ids: list[int] | None = Field(
        None, description="reviewer profile ids; leave out to invite every available reviewer"
    )
    max_load: int | None = Field(None, ge=0, le=MAX_LOAD_LIMIT)


class Answer(BaseModel):
    accept: bool
    max_load: int | None = Field(None, ge=0, le=MAX_LOAD_LIMIT)


class SwapCreate(BaseModel):
    proposal: str = Field(description="proposal reference")
    old_reviewer_id: int
    new_reviewer_id: int


class CriterionRow(BaseModel):
    """One criterion of a review form; numbers are checked by the form rules (the error names
    ``criteria[i].field`` and the rule)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="unique, lower-case: a letter, then letters, digits, _ or -")
    name: str
    description: str = ""
    weight: float = Field(1.0, description="> 0; the total is the weighted sum of the marks")
    scale_min: float = 0.0
    scale_max: float = 5.0
    step: float = Field(0.5, description="> 0, dividing the scale into whole steps")
    threshold: float | None = Field(None, description="a mark on the scale, or null for none")


class ReviewFormRead(BaseModel):
    call: str
    source: str = Field(description="call (its own form) or program (the program's criteria)")
    criteria: list[CriterionRow]
    total_threshold: float | None
    reviews_per_proposal: int
    due_at: datetime | None
    reminder_days: list[int]
    submitted_reviews: int
    locked: bool = Field(description="criteria and scales are fixed once a review is submitted")
    suggested: list[CriterionRow] = Field(description="criteria the officer may want to add")


class ReviewFormUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    criteria: list[CriterionRow]
    total_threshold: float | None = None
    reviews_per_proposal: int = Field(3, ge=1, le=MAX_REVIEWS_PER_PROPOSAL)
    due_at: datetime = Field(description="ISO 8601 with a time zone, in the future")
    reminder_days: list[int] = Field(default_factory=list, description="days before due_at")


class ReviewIn(BaseModel):
    scores: dict[str, float | None] = Field(default_factory=dict)
    comments: str = Field("", max_length=20000)
    confidence: int | None = None


class ConflictIn(BaseModel):
    reason: str = Field(min_length=1, max_length=4000)


class CalibrationIn(BaseModel):
    level: float = Field(0.9, gt=0, lt=1)
    reviewer_scale: bool = False
    disagreement_threshold: float | None = Field(None, ge=0)
    confidence_weights: bool = True
