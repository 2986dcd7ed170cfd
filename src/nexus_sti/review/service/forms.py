"""Review form use cases: read a call's review form (the call's own, else the program's
criteria) and save it, validated by ``review/forms.py`` and audited (``review.form_saved``).

Once any review of the call has been submitted its criteria and scales are fixed: a submitted
total was computed with them. Names and descriptions, the number of reviews per proposal, the
deadline and the reminder days may still change.

The program file has no per-track criteria, so a call whose track asks for industry partners
(applied research) is offered an *industry engagement* criterion to add; nothing is added
unless the officer saves it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nexus_sti.calls.service import call_by_reference
from nexus_sti.core.access import Actor, require
from nexus_sti.core.errors import Conflict
from nexus_sti.platform.auditlog import record
from nexus_sti.programs.model import ProgramConfig
from nexus_sti.programs.service import program_version
from nexus_sti.review.forms import CriterionSpec, FormSpec, validate_form_settings
from nexus_sti.review.service.reviews import form_of
from nexus_sti.review.tables import Review, ReviewAssignment, ReviewForm

if TYPE_CHECKING:
    from nexus_sti.calls.tables import Call

DEFAULT_REVIEWS_PER_PROPOSAL = 3  # as the assignment's default k
DEFAULT_REMINDER_DAYS = (7, 1)
INDUSTRY_ENGAGEMENT = CriterionSpec(
    code="industry_engagement",
    name="Industry engagement",
    weight=1.0,
    description="The industry partners' role, commitment and route to applying the results.",
)
# What may change once reviews are submitted: the texts. Everything else fixes the marks.
_TEXT_FIELDS = frozenset({"name", "description"})


@dataclass(frozen=True)
class CallReviewForm:
    """A call's review form as the officer sees it: the rules, the stored row (``None`` when
    the program's criteria apply), how many reviews were submitted with it, and criteria the
    officer may want to add."""

    call: Call
    spec: FormSpec
    row: ReviewForm | None
    submitted_reviews: int
    suggested: tuple[CriterionSpec, ...]

    @property
    def source(self) -> str:
        """``call`` (the call's own form) or ``program`` (the program's criteria)."""
        return "call" if self.row is not None else "program"

    @property
    def locked(self) -> bool:
        """Criteria and scales are fixed once a review is submitted."""
        return self.submitted_reviews > 0

    @property
    def reviews_per_proposal(self) -> int:
        return self.row.reviews_per_proposal if self.row else DEFAULT_REVIEWS_PER_PROPOSAL

    @property
    def due_at(self) -> datetime | None:
        return self.row.due_at if self.row else None

    @property
    def reminder_days(self) -> list[int]:
        return list(self.row.reminder_days) if self.row else list(DEFAULT_REMINDER_DAYS)


def suggested_criteria(
    config: ProgramConfig, track_code: str, present: Sequence[str]
) -> tuple[CriterionSpec, ...]:
    """Criteria to offer for a call of ``track_code``: industry engagement where the track asks
    for industry partners and the form lacks it."""
    track = next((t for t in config.tracks if t.code == track_code), None)
    if track is None or track.min_industry_partners < 1 or INDUSTRY_ENGAGEMENT.code in present:
        return ()
    return (INDUSTRY_ENGAGEMENT,)


def _submitted(session: Session, call_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Review)
            .join(ReviewAssignment, ReviewAssignment.id == Review.assignment_id)
            .where(ReviewAssignment.call_id == call_id, Review.status == "submitted")
        )
        or 0
    )


def get_review_form(session: Session, *, actor: Actor, call_reference: str) -> CallReviewForm:
    """The call's review form, with what the officer may add and whether it is locked."""
    require(actor, "review.manage", "see a call's review form")
    call = call_by_reference(session, call_reference)
    current = form_of(session, call.id)
    codes = [c.code for c in current.spec.criteria]
    return CallReviewForm(
        call=call,
        spec=current.spec,
        row=current.row,
        submitted_reviews=_submitted(session, call.id),
        suggested=suggested_criteria(
            program_version(session, call.program_version_id).config, call.track, codes
        ),
    )


def _marking(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """What of each criterion decides the marks: everything but its texts."""
    return [{k: v for k, v in row.items() if k not in _TEXT_FIELDS} for row in rows]


def save_review_form(
    session: Session,
    *,
    actor: Actor,
    call_reference: str,
    criteria: Sequence[Mapping[str, Any]],
    total_threshold: float | None,
    reviews_per_proposal: int,
    due_at: datetime | None,
    reminder_days: Sequence[int],
    now: datetime,
) -> ReviewForm:
    """Create or replace the call's review form. Refused with ``InvalidInput`` (naming the
    field and the rule; every problem in ``details["problems"]``) or, when a submitted review
    would be judged by changed criteria or scales, with ``Conflict``; nothing is saved then."""
    require(actor, "review.manage", "configure a call's review form")
    call = call_by_reference(session, call_reference)
    current = form_of(session, call.id)
    row = current.row
    old_rows = current.spec.rows()
    text_only = (
        row is not None
        and due_at == row.due_at
        and list(reminder_days) == list(row.reminder_days)
        and reviews_per_proposal == row.reviews_per_proposal
        and total_threshold == row.total_threshold
        and len(criteria) == len(old_rows)
    )
    settings = validate_form_settings(
        criteria,
        total_threshold=total_threshold,
        reviews_per_proposal=reviews_per_proposal,
        due_at=due_at,
        reminder_days=reminder_days,
        now=now,
        deadline_may_be_past=text_only,
    )
    new_rows = settings.spec.rows()
    if text_only and _marking(new_rows) != _marking(old_rows):
        # Not a text edit after all: the deadline rule applies.
        settings = validate_form_settings(
            criteria,
            total_threshold=total_threshold,
            reviews_per_proposal=reviews_per_proposal,
            due_at=due_at,
            reminder_days=reminder_days,
            now=now,
        )
    submitted = _submitted(session, call.id)
    if submitted and (
        _marking(new_rows) != _marking(old_rows)
        or settings.spec.total_threshold != current.spec.total_threshold
    ):
        raise Conflict(
            f"{submitted} review(s) of call {call.reference} were submitted with the current "
            "criteria and scales, so they can no longer change (codes, weights, scales, steps "
            "and thresholds, the total threshold included); names, descriptions, the deadline "
            "and the reminders may",
            submitted_reviews=submitted,
        )
    created = row is None
    if row is None:
        row = ReviewForm(call_id=call.id)
        session.add(row)
    row.criteria = new_rows
    row.total_threshold = settings.spec.total_threshold
    row.reviews_per_proposal = settings.reviews_per_proposal
    row.due_at = settings.due_at.astimezone(UTC)
    row.reminder_days = list(settings.reminder_days)
    session.flush()
    record(
        session,
        action="review.form_saved",
        actor=actor,
        subject_type="review_form",
        subject_id=row.id,
        inputs={
            "call": call.reference,
            "criteria": new_rows,
            "total_threshold": row.total_threshold,
            "reviews_per_proposal": row.reviews_per_proposal,
            "due_at": row.due_at.isoformat(),
            "reminder_days": row.reminder_days,
        },
        now=now,
        summary={
            "call": call.reference,
            "created": created,
            "criteria": [c["code"] for c in new_rows],
            "due_at": row.due_at.isoformat(),
        },
    )
    session.commit()
    return row
