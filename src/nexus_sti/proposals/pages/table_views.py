"""The proposal pages' long tables as their addresses may sort and filter them: the proposals
list (``/proposals``, sorted and filtered in the database), a call's submissions and its
screening grid.

The submissions and the screening grid are built whole in Python by their queries (a call holds
a few thousand proposals at most), so they are filtered and sorted here as lists, then paged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nexus_sti.platform.table_view import TableSpec, TableView, text_matches
from nexus_sti.proposals.queries import PROPOSAL_SORTS, Submission
from nexus_sti.proposals.screening import ScreeningRow

PROPOSALS = TableSpec(sorts=tuple(PROPOSAL_SORTS), filters=("status", "area", "q"))

SUBMISSIONS = TableSpec(
    sorts=("reference", "title", "lead", "status", "submitted"),
    filters=("status", "country", "area", "q"),
    anchor="proposals",
)
SUBMISSION_SORTS: dict[str, Callable[[Submission], Any]] = {
    "reference": lambda s: s.reference,
    "title": lambda s: s.title.casefold(),
    "lead": lambda s: s.lead.casefold(),
    "status": lambda s: s.status,
    # ISO text compares as the moments do; a draft (never submitted) comes first.
    "submitted": lambda s: s.submitted_at.isoformat() if s.submitted_at else "",
}


def submissions_in_view(rows: list[Submission], view: TableView) -> list[Submission]:
    """The call's submissions the view's filters keep, in its order."""
    status, country, area, text = (view.filter(n) for n in ("status", "country", "area", "q"))
    kept = [
        s
        for s in rows
        if (not status or s.status == status)
        and (not country or country in s.countries)
        and (not area or s.area == area)
        and (not text or text_matches(text, s.reference, s.title, s.lead))
    ]
    return view.ordered(kept, SUBMISSION_SORTS)


SCREENING = TableSpec(sorts=("reference", "status", "eligible"), anchor="grid")
SCREENING_SORTS: dict[str, Callable[[ScreeningRow], Any]] = {
    "reference": lambda r: r.reference,
    "status": lambda r: r.status,
    "eligible": lambda r: r.eligible,  # ascending: failing a rule first
}
