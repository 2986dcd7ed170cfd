"""The review pages' long tables as their addresses may sort and filter them: a call's pool
(reviewers; conflicts by proposal), its reviews by proposal, and its ranked list.

Each of them is built whole in Python by the review services (a call holds a few thousand
proposals and reviewers at most), so it is filtered and sorted here as a list, then paged.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from nexus_sti.platform.table_view import TableSpec, TableView, text_matches
from nexus_sti.proposals.queries import ProposalCard
from nexus_sti.review.conflicts import ConflictReason
from nexus_sti.review.ranking import RankedRow
from nexus_sti.review.service.pool import PoolEntry
from nexus_sti.review.service.reviews import ProposalReviews

# --- the pool page: two tables, each with its own parameters ---------------------------------

POOL_REVIEWERS = TableSpec(
    sorts=("id", "name", "country", "status", "load"),
    descending_first=frozenset({"load"}),
    prefix="reviewers_",
    page_param="reviewers",
    anchor="reviewers",
)
POOL_REVIEWER_SORTS: dict[str, Callable[[PoolEntry], Any]] = {
    "id": lambda e: e.profile.id,
    "name": lambda e: e.researcher.name_latin.casefold(),
    "country": lambda e: e.researcher.country,
    "status": lambda e: e.membership.status,
    "load": lambda e: e.membership.max_load,
}

POOL_PROPOSALS = TableSpec(
    sorts=("reference", "conflicts"),
    descending_first=frozenset({"conflicts"}),
    prefix="proposals_",
    page_param="proposals",
    anchor="conflicts",
)


def pool_proposals_in_view(
    proposals: Sequence[ProposalCard],
    by_proposal: Mapping[Hashable, list[ConflictReason]],
    view: TableView,
) -> list[ProposalCard]:
    """The call's proposals in the view's order (``conflicts``: reviewers in conflict)."""

    def in_conflict(p: ProposalCard) -> int:
        return len({r.reviewer for r in by_proposal.get(p.reference, [])})

    return view.ordered(proposals, {"reference": lambda p: p.reference, "conflicts": in_conflict})


# --- the reviews page ---------------------------------------------------------------------------

REVIEWS = TableSpec(
    sorts=("reference", "submitted"),
    descending_first=frozenset({"submitted"}),
    filters=("q", "complete", "conflict"),
    anchor="per-proposal",
)
REVIEW_SORTS: dict[str, Callable[[ProposalReviews], Any]] = {
    "reference": lambda p: p.proposal.reference,
    "submitted": lambda p: p.submitted,  # reviews submitted
}


def is_complete(p: ProposalReviews) -> bool:
    """Every active assignment of the proposal has its review submitted."""
    active = [a for a in p.assigned if a.assignment.status == "active"]
    return all(a.review is not None and a.review.status == "submitted" for a in active)


def reviews_in_view(rows: list[ProposalReviews], view: TableView) -> list[ProposalReviews]:
    """The proposals the view's filters keep (``complete=yes|no``, ``conflict=yes|no``, ``q``
    in the reference or title), in its order."""
    text, complete, conflict = (view.filter(n) for n in ("q", "complete", "conflict"))
    kept = [
        p
        for p in rows
        if (not text or text_matches(text, p.proposal.reference, p.proposal.title))
        and (not complete or complete == ("yes" if is_complete(p) else "no"))
        and (not conflict or conflict == ("yes" if p.conflicts else "no"))
    ]
    return view.ordered(kept, REVIEW_SORTS)


# --- the ranking page ---------------------------------------------------------------------------

RANKING = TableSpec(
    sorts=("rank", "score", "disagreement", "area", "reference"),
    descending_first=frozenset({"score", "disagreement"}),
    filters=("area", "flagged"),
    anchor="ranked",
)
RANKING_SORTS: dict[str, Callable[[RankedRow], Any]] = {
    "rank": lambda r: r.rank,
    "score": lambda r: r.candidate.score,
    "disagreement": lambda r: r.candidate.disagreement,
    "area": lambda r: r.candidate.area,
    "reference": lambda r: r.candidate.reference,
}


def ranking_in_view(rows: list[RankedRow], view: TableView) -> list[RankedRow]:
    """The ranked rows the view's filters keep (``area=<code>``, ``flagged=yes|no``), in its
    order; rows that tie on the sort key keep their rank order."""
    area, flagged = view.filter("area"), view.filter("flagged")
    kept = [
        r
        for r in rows
        if (not area or r.candidate.area == area)
        and (not flagged or flagged == ("yes" if r.candidate.flagged else "no"))
    ]
    return view.ordered(kept, RANKING_SORTS)
