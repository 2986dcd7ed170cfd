"""Storage of proposals: the stored proposal and its consortium, budget, versions, attachments,
screening overrides and submission receipts. A proposal belongs to a call (``calls.tables.Call``,
by foreign key)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from nexus_sti.platform.db import Base, UTCDateTime


class Proposal(Base):
    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    track: Mapped[str] = mapped_column(String(40))
    # The primary priority area; secondary ones in ``secondary_areas``.
    area: Mapped[str] = mapped_column(String(40))
    secondary_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    title: Mapped[str] = mapped_column(String(400))
    abstract: Mapped[str] = mapped_column(Text)
    lead_researcher_id: Mapped[int | None] = mapped_column(ForeignKey("researchers.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Total requested, in the call's budget currency, kept in step with the budget lines.
    requested_amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3))
    duration_months: Mapped[int] = mapped_column(Integer)
    # draft | submitted | withdrawn | eligible | ineligible (see proposals/workflow.py)
    status: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(10), default="full")  # concept | full
    version: Mapped[int] = mapped_column(Integer, default=1)
    content_digest: Mapped[str] = mapped_column(String(64), default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class ProposalMember(Base):
    __tablename__ = "proposal_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    researcher_id: Mapped[int | None] = mapped_column(ForeignKey("researchers.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    orcid: Mapped[str | None] = mapped_column(String(19))
    organisation_name: Mapped[str] = mapped_column(String(300), default="")
    ror_id: Mapped[str | None] = mapped_column(String(40))
    country: Mapped[str] = mapped_column(String(3), index=True)
    # university | institute | industry | government | nonprofit
    sector: Mapped[str] = mapped_column(String(20), default="university")
    # a code of the program's [[roles]] (programs/model.py ConsortiumRole)
    role: Mapped[str] = mapped_column(String(20))
    # invited | confirmed | declined; the lead who creates the proposal is confirmed at once.
    confirmation: Mapped[str] = mapped_column(String(10), default="confirmed")
    invite_token_hash: Mapped[str | None] = mapped_column(String(64))


class BudgetLine(Base):
    __tablename__ = "budget_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("proposal_members.id"))
    year: Mapped[int] = mapped_column(Integer)
    funder: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3))


class ProposalVersion(Base):
    """Every saved state of a proposal, kept: edits never overwrite history."""

    __tablename__ = "proposal_versions"
    __table_args__ = (UniqueConstraint("proposal_id", "version", name="uq_proposal_versions_pv"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    saved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EligibilityOverride(Base):
    """An officer's written decision to set aside (or impose) one rule's verdict."""

    __tablename__ = "eligibility_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    rule_id: Mapped[str] = mapped_column(String(80))
    passed: Mapped[bool] = mapped_column(Boolean)
    justification: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_label: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Submission(Base):
    """One accepted submission of a proposal: what its receipt certifies.

    ``sequence`` counts a proposal's submissions (1, 2, ...: a proposal edited after submitting
    is submitted again). The unique key is the database's guard against a double submit:
    racing requests that read the same count write the same sequence, and only one succeeds."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("proposal_id", "sequence", name="uq_submissions_ps"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    # When the request reached the server (the deadline is judged on this) and when it was stored.
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
