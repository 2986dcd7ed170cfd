"""Storage of mobility applicants and host offers."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nexus_sti.platform.db import Base


class MobilityApplicant(Base):
    __tablename__ = "mobility_applicants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    researcher_id: Mapped[int] = mapped_column(ForeignKey("researchers.id"), index=True)
    # The direction the demo generator writes (demo/generator.py); mobility is still to come.
    direction: Mapped[str] = mapped_column(String(20))
    scheme: Mapped[str] = mapped_column(String(20))  # short | long
    areas: Mapped[list[str]] = mapped_column(JSON)
    preferred_countries: Mapped[list[str]] = mapped_column(JSON)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class HostOffer(Base):
    __tablename__ = "host_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    host_researcher_id: Mapped[int] = mapped_column(ForeignKey("researchers.id"))
    country: Mapped[str] = mapped_column(String(3), index=True)
    area: Mapped[str] = mapped_column(String(40))
    scheme: Mapped[str] = mapped_column(String(20))
    capacity: Mapped[int] = mapped_column(Integer)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
