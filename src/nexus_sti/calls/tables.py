"""Storage of calls. Their proposals are stored by the proposals context
(``proposals/tables.py``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from nexus_sti.platform.db import Base, UTCDateTime


class Call(Base):
    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_version_id: Mapped[int] = mapped_column(ForeignKey("program_versions.id"))
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    # One of the states in calls/workflow.py: draft, open, closed, screening, in_review, ...
    status: Mapped[str] = mapped_column(String(20))
    track: Mapped[str] = mapped_column(String(40), default="")
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    budget: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    budget_currency: Mapped[str] = mapped_column(String(3), default="JPY")
    two_stage: Mapped[bool] = mapped_column(Boolean, default=False)
    concept_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
