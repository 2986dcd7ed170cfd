"""Storage of the review stage's output that later stages read: one calibrated score per
proposal, with its uncertainty interval and where it came from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String
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
