"""Reading the selection runs, with the permission to see them: light to import (no solver),
so `nexus selection runs` and the run pages do not load NumPy and HiGHS to list a table."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexus_sti.calls.service import call_by_reference
from nexus_sti.core.access import Actor, require
from nexus_sti.core.errors import NotFound
from nexus_sti.selection.tables import SelectionRun


def get_run(session: Session, *, actor: Actor, run_id: int) -> SelectionRun:
    require(actor, "selection.read", "see selection runs")
    run = session.get(SelectionRun, run_id)
    if run is None:
        raise NotFound("selection run", run_id)
    return run


def list_runs(
    session: Session, *, actor: Actor, call_reference: str | None = None
) -> list[SelectionRun]:
    require(actor, "selection.read", "see selection runs")
    query = select(SelectionRun).order_by(SelectionRun.id.desc())
    if call_reference is not None:
        query = query.where(SelectionRun.call_id == call_by_reference(session, call_reference).id)
    return list(session.scalars(query))
