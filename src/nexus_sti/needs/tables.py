"""Storage of saved country targets: each a versioned decision with its inputs, parameters,
seed and result, so it can be explained and re-run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nexus_sti.platform.db import Base, UTCDateTime


class TargetDecision(Base):
    __tablename__ = "target_decisions"
    __table_args__ = (
        UniqueConstraint(
            "program_version_id",
            "track",
            "version",
            name="uq_target_decisions_program_track_version",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_version_id: Mapped[int] = mapped_column(ForeignKey("program_versions.id"), index=True)
    track: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    seed: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
