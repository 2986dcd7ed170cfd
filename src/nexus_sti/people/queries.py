"""What other contexts read of people: researchers' names, in Latin and in their own script."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexus_sti.people.tables import Researcher


def researcher_names(session: Session, ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
    """Researcher id -> (name in Latin script, name in the researcher's own script)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Researcher.id, Researcher.name_latin, Researcher.name_local).where(
            Researcher.id.in_(wanted)
        )
    )
    return {int(i): (latin, local) for i, latin, local in rows}
