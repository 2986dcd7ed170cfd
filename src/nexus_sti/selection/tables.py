"""Storage of selection runs (each a decision record: inputs, parameters, seed, solver, result
and the officer's verdict) and of the awards an approved run creates."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nexus_sti.platform.db import Base, UTCDateTime


class SelectionRun(Base):
    __tablename__ = "selection_runs"
    __table_args__ = (
        UniqueConstraint("call_id", "version", name="uq_selection_runs_call_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # proposed | approved | rejected | superseded
    status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(String(500), default="")
    # The officer's rule settings as entered (bands, floors, budgets, lottery, time limit, ...).
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The whole problem as solved, in the documented selection-problem JSON format.
    problem: Mapped[dict[str, Any]] = mapped_column(JSON)
    inputs_digest: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(Integer)
    solver: Mapped[str] = mapped_column(String(60))
    solver_status: Mapped[str] = mapped_column(String(40))
    objective: Mapped[float] = mapped_column(Float)
    gap: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float)
    # Selected ids, lottery, binding rules, explanations, rule costs and the rule comparison.
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    result_digest: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_label: Mapped[str] = mapped_column(String(100), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(Text, default="")


class Award(Base):
    """A funded proposal, created only by approving a selection run."""

    __tablename__ = "awards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(50), unique=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), unique=True)
    selection_run_id: Mapped[int] = mapped_column(ForeignKey("selection_runs.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3))
    merit: Mapped[float] = mapped_column(Float)
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime())
