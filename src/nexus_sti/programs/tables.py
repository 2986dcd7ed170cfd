"""Storage of loaded program configurations, one row per program code and version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nexus_sti.platform.db import Base, UTCDateTime


class ProgramVersion(Base):
    __tablename__ = "program_versions"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_program_versions_code_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    source_name: Mapped[str] = mapped_column(String(255))
    # The file exactly as loaded, so any later decision can be re-run from it.
    config_text: Mapped[str] = mapped_column(Text)
    config_digest: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
