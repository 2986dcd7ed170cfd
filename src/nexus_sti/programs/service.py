"""Program use cases: store a new version of a program file, read the current one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nexus_sti.core.access import Actor, require
from nexus_sti.core.errors import NotFound
from nexus_sti.platform.auditlog import record
from nexus_sti.programs.loader import LoadedProgram, stored_program
from nexus_sti.programs.model import ProgramConfig
from nexus_sti.programs.tables import ProgramVersion


@dataclass(frozen=True, slots=True)
class CurrentProgram:
    row: ProgramVersion
    config: ProgramConfig


def load_program(
    session: Session, *, actor: Actor, loaded: LoadedProgram, now: datetime
) -> ProgramVersion:
    """Store ``loaded`` as the program's next stored version, unless the same text is already the
    latest (loading is idempotent)."""
    require(actor, "program.load", "load a program configuration")
    code = loaded.config.program.code
    latest = session.scalar(
        select(ProgramVersion)
        .where(ProgramVersion.code == code)
        .order_by(ProgramVersion.version.desc())
        .limit(1)
    )
    if latest is not None and latest.config_digest == loaded.digest:
        return latest
    next_version = (
        session.scalar(select(func.max(ProgramVersion.version)).where(ProgramVersion.code == code))
        or 0
    ) + 1
    row = ProgramVersion(
        code=code,
        version=next_version,
        name=loaded.config.program.name,
        source_name=loaded.source,
        config_text=loaded.text,
        config_digest=loaded.digest,
        loaded_at=now,
    )
    session.add(row)
    session.flush()
    record(
        session,
        action="program.loaded",
        actor=actor,
        subject_type="program_version",
        subject_id=row.id,
        inputs={"code": code, "digest": loaded.digest, "source": loaded.source},
        now=now,
        summary={"code": code, "version": next_version, "source": loaded.source},
    )
    session.commit()
    return row


def current_program(session: Session, *, code: str | None = None) -> CurrentProgram:
    """The latest stored version of program ``code`` (or of the most recently loaded program)."""
    query = select(ProgramVersion)
    if code is not None:
        query = query.where(ProgramVersion.code == code)
    row = session.scalar(query.order_by(ProgramVersion.id.desc()).limit(1))
    if row is None:
        raise NotFound("program", code or "(any)")
    return CurrentProgram(row=row, config=stored_program(row.config_text, row.source_name))


def program_version(session: Session, version_id: int) -> CurrentProgram:
    """A stored program version by id: the rules a call was opened under, whichever program
    was loaded since."""
    row = session.get(ProgramVersion, version_id)
    if row is None:
        raise NotFound("program version", str(version_id))
    return CurrentProgram(row=row, config=stored_program(row.config_text, row.source_name))


def program_versions(session: Session, version_ids: Iterable[int]) -> dict[int, ProgramConfig]:
    """The configurations of several stored versions (calls of different programs listed
    together), by version id."""
    wanted = set(version_ids)
    if not wanted:
        return {}
    rows = session.scalars(select(ProgramVersion).where(ProgramVersion.id.in_(wanted)))
    return {r.id: stored_program(r.config_text, r.source_name) for r in rows}
