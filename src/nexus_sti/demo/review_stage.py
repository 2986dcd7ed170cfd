"""The demo's open review, so every demo role has work on a fresh ``./dev run``: the last closed
call is screened, sent to review and assigned by the real services (the solver with the TF-IDF
backend), and the demo reviewer account gets proposals to review. Where the solver gave her
none, the officer's manual swap gives her some, checked against every rule like any swap. Each
step is an audited action of the system actor ``demo``; the other closed call stays closed, for
the officer's screening journey.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexus_sti.accounts.tables import User
from nexus_sti.calls.service import transition_call
from nexus_sti.calls.tables import Call
from nexus_sti.core.access import Actor
from nexus_sti.core.errors import Conflict, NotFound, RuleViolation
from nexus_sti.proposals.screening import apply_screening
from nexus_sti.review.service.assignments import (
    AssignmentParams,
    active_assignment,
    run_assignment,
    swap_reviewer,
)
from nexus_sti.review.service.pool import call_conflicts
from nexus_sti.review.tables import ReviewerProfile

DEMO_REVIEWER = "reviewer"
DEMO_REVIEWER_WORK = 3  # proposals the demo reviewer gets at least, where the rules allow
ASSIGNMENT = AssignmentParams(backend="tfidf", time_limit=60)


@dataclass(frozen=True, slots=True)
class StagedReview:
    call: str | None  # None: the program's demo has no closed call to stage
    eligible: int = 0
    pairs: int = 0
    reviewer_assignments: int = 0


def _demo_reviewer_profile(session: Session) -> int | None:
    researcher = session.scalar(
        select(User.researcher_id).where(User.username == DEMO_REVIEWER, User.synthetic)
    )
    if researcher is None:
        return None
    return session.scalar(
        select(ReviewerProfile.id).where(ReviewerProfile.researcher_id == researcher)
    )


def stage_demo_review(
    session: Session,
    *,
    now: datetime,
    progress: Callable[[str], None] = lambda _step: None,
) -> StagedReview:
    """Open the review of the last closed synthetic call (see the module's text)."""
    actor = Actor.system("demo")
    call = session.scalar(
        select(Call)
        .where(Call.synthetic.is_(True), Call.status == "closed")
        .order_by(Call.reference.desc())
        .limit(1)
    )
    if call is None:
        return StagedReview(None)
    reference = call.reference
    progress("screening")
    transition_call(session, actor=actor, reference=reference, action="screen", now=now)
    screened = apply_screening(session, actor=actor, call_reference=reference, now=now)
    transition_call(session, actor=actor, reference=reference, action="review", now=now)
    progress("reviewer assignment")
    run = run_assignment(session, actor=actor, call_reference=reference, params=ASSIGNMENT, now=now)
    mine = _give_demo_reviewer_work(session, actor, reference, now)
    return StagedReview(reference, screened["eligible"], len(run.result["pairs"]), mine)


def _give_demo_reviewer_work(session: Session, actor: Actor, reference: str, now: datetime) -> int:
    """The demo reviewer's active assignments after swapping her in where she has none:
    onto proposals she has no conflict with, replacing a reviewer of her own label so the
    diversity rules still hold."""
    profile = _demo_reviewer_profile(session)
    if profile is None:
        return 0
    current = active_assignment(session, actor=actor, call_reference=reference)
    have = {r.proposal_id for r in current.rows if r.reviewer_id == profile}
    if len(have) >= DEMO_REVIEWER_WORK or current.run is None:
        return len(have)
    found = call_conflicts(
        session, actor=actor, call_reference=reference, as_of_year=now.year,
        statuses=("accepted",),
    )  # fmt: skip
    column = next((j for j, e in enumerate(found.entries) if e.profile.id == profile), None)
    if column is None:
        return len(have)
    labels = current.run.result.get("labels", {})
    mine = labels.get(str(profile))
    for i, proposal in enumerate(found.proposals):
        if len(have) >= DEMO_REVIEWER_WORK:
            break
        if proposal.id in have or found.conflicts.matrix[i, column]:
            continue
        for row in [r for r in current.rows if r.proposal_id == proposal.id]:
            if labels.get(str(row.reviewer_id)) != mine:
                continue
            try:
                swap_reviewer(
                    session, actor=actor, call_reference=reference,
                    proposal_reference=proposal.reference, old_reviewer_id=row.reviewer_id,
                    new_reviewer_id=profile, now=now,
                )  # fmt: skip
            except (RuleViolation, Conflict, NotFound):
                continue
            have.add(proposal.id)
            break
    return len(have)
