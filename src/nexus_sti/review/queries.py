"""What other contexts read of review: the proposals' calibrated scores and a call's review form
thresholds, as plain values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexus_sti.proposals.queries import eligible_by_call
from nexus_sti.review.tables import ProposalScore, ReviewForm


@dataclass(frozen=True, slots=True)
class ScoreFacts:
    """A proposal's calibrated score, its interval and the per-criterion means."""

    score: float
    low: float
    high: float
    criteria: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class FormThresholds:
    """A call's review form's thresholds: on the total (None: none) and per criterion."""

    total: float | None
    criteria: Mapping[str, float]


def scores_of(session: Session, proposal_ids: Iterable[int]) -> dict[int, ScoreFacts]:
    """Proposal id -> its calibrated score, for those that have one."""
    ids = list(proposal_ids)
    return {
        s.proposal_id: ScoreFacts(s.score, s.low, s.high, dict(s.criteria or {}))
        for s in session.scalars(select(ProposalScore).where(ProposalScore.proposal_id.in_(ids)))
    }


def form_thresholds(session: Session, call_id: int) -> FormThresholds | None:
    """The thresholds of the call's review form, or None when the call has no form yet."""
    form = session.scalar(select(ReviewForm).where(ReviewForm.call_id == call_id))
    if form is None:
        return None
    return FormThresholds(
        form.total_threshold,
        {c["code"]: float(c["threshold"]) for c in form.criteria if c.get("threshold") is not None},
    )


def scored_eligible_by_call(session: Session) -> dict[int, int]:
    """Call id -> its number of eligible proposals with a calibrated score."""
    return eligible_by_call(session, among=select(ProposalScore.proposal_id))
