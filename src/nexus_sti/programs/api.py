"""JSON API for the program configuration."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from nexus_sti.accounts.webdeps import ApiActor
from nexus_sti.core.access import require
from nexus_sti.platform.webdeps import SessionDep
from nexus_sti.programs.service import current_program

router = APIRouter(prefix="/api/v1", tags=["program"])


@router.get("/program")
def read_program(actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """The current program configuration, its stored version and the digest of its file."""
    require(actor, "program.read", "see the program")
    current = current_program(session)
    return {
        "code": current.row.code,
        "version": current.row.version,
        "source": current.row.source_name,
        "digest": current.row.config_digest,
        "loaded_at": current.row.loaded_at.isoformat(),
        "config": current.config.model_dump(mode="json"),
    }
