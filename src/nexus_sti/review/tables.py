"""Storage of the review stage: reviewer profiles and call pools, declared conflicts, review
forms, assignments (runs and rows), reviews, panel notes, calibration runs, cached text vectors,
and the output later stages read: one calibrated score per proposal with its interval."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from nexus_sti.platform.db import Base, UTCDateTime


class ProposalScore(Base):
    """The current calibrated score of a proposal. ``source`` says how it was made (for example
    ``calibration`` of real reviews, or ``demo-simulated`` for the synthetic data set);
    ``criteria`` holds per-criterion means (excellence, impact, ...) used by tie-break rules."""

    __tablename__ = "proposal_scores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), unique=True)
    score: Mapped[float] = mapped_column(Float)
    low: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReviewerProfile(Base):
    """A researcher's reviewer profile: what they know (free text, recent publication titles with
    co-authors, priority areas), how much they will take on, and whether they are available."""

    __tablename__ = "reviewer_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    researcher_id: Mapped[int] = mapped_column(ForeignKey("researchers.id"), unique=True)
    expertise: Mapped[str] = mapped_column(Text, default="")
    # [{"title": str, "year": int, "coauthors": [{"name": str, "orcid": str | None}]}]
    publications: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_load: Mapped[int] = mapped_column(Integer, default=6)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class CallReviewer(Base):
    """A reviewer invited to a call's pool: invited, accepted or declined, with a call load."""

    __tablename__ = "call_reviewers"
    __table_args__ = (UniqueConstraint("call_id", "reviewer_id", name="uq_call_reviewers"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewer_profiles.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # invited | accepted | declined
    max_load: Mapped[int] = mapped_column(Integer)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeclaredConflict(Base):
    """A conflict a reviewer (or an officer for them) declared: with one proposal, or a relation
    with a named person or organisation that conflict detection then matches."""

    __tablename__ = "declared_conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewer_profiles.id"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), index=True)
    person_name: Mapped[str] = mapped_column(String(200), default="")
    person_orcid: Mapped[str | None] = mapped_column(String(19))
    organisation_name: Mapped[str] = mapped_column(String(300), default="")
    reason: Mapped[str] = mapped_column(Text)
    declared_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReviewForm(Base):
    """A call's review form: criteria with scales, steps, weights and thresholds, the total
    threshold, the review deadline and when reminders go out."""

    __tablename__ = "review_forms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), unique=True)
    # [{"code", "name", "description", "weight", "scale_min", "scale_max", "step", "threshold"}]
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    total_threshold: Mapped[float | None] = mapped_column(Float)
    reviews_per_proposal: Mapped[int] = mapped_column(Integer, default=3)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reminder_days: Mapped[list[int]] = mapped_column(JSON, default=list)


class AssignmentRun(Base):
    """A saved, audited reviewer assignment: parameters, inputs digest, solver and result."""

    __tablename__ = "assignment_runs"
    __table_args__ = (UniqueConstraint("call_id", "version", name="uq_assignment_runs_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    inputs_digest: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReviewAssignment(Base):
    """One reviewer on one proposal. A manual swap ends the old row (``status = swapped``)
    and adds a new one, so the history stays."""

    __tablename__ = "review_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewer_profiles.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("assignment_runs.id"))
    affinity: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10))  # active | swapped | withdrawn
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Review(Base):
    """A reviewer's scores and comments on one assignment; drafts until submitted."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("review_assignments.id"), unique=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewer_profiles.id"), index=True)
    scores: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    total: Mapped[float | None] = mapped_column(Float)
    comments: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[int | None] = mapped_column(Integer)  # 1 (low) .. 5 (expert)
    status: Mapped[str] = mapped_column(String(10))  # draft | submitted
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PanelNote(Base):
    __tablename__ = "panel_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    note: Mapped[str] = mapped_column(Text)
    written_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    written_by_label: Mapped[str] = mapped_column(String(100))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalibrationRun(Base):
    """A saved calibration of a call's submitted reviews: the model's options, the reviews it
    read (digest), each reviewer's estimated leniency and each proposal's calibrated score."""

    __tablename__ = "calibration_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    inputs_digest: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EmbeddingVector(Base):
    """Cached text vectors, keyed by backend, backend version and the text's sha256, so a
    profile or proposal is embedded again only when its text (or the model) changes."""

    __tablename__ = "embedding_vectors"
    __table_args__ = (
        UniqueConstraint("backend", "version", "text_sha256", name="uq_embedding_vectors_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    backend: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(200))
    text_sha256: Mapped[str] = mapped_column(String(64))
    dimensions: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian
