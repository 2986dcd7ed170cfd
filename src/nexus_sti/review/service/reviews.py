"""Review use cases: the reviewer's assignments, conflicts, drafts and submissions; the
officer's view of a call's reviews and the reminders due; calibration of the submitted reviews
into each proposal's score; panel notes; the ranked list.

A reviewer sees a proposal only through an active assignment of their own on which they have not
declared a conflict: anything else is ``NotFound``, whether it exists or not. Deadlines are
enforced with the ``now`` the caller passes (the server clock at the entry points).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from nexus_sti.accounts.queries import researcher_of
from nexus_sti.calls.service import call_by_id, call_by_reference, calls_by_id
from nexus_sti.core.access import Actor, require
from nexus_sti.core.errors import Conflict, InvalidInput, NotFound, RuleViolation
from nexus_sti.core.workflow import step
from nexus_sti.people.queries import researcher_cards
from nexus_sti.platform.auditlog import inputs_digest, record
from nexus_sti.programs.service import program_version
from nexus_sti.proposals.queries import (
    DocumentFacts,
    MemberFacts,
    ProposalCard,
    consortia,
    document_content,
    documents_of,
    proposal_card,
    proposal_cards,
    references_of,
)
from nexus_sti.review.forms import FormSpec, default_form, validate_review
from nexus_sti.review.ranking import (
    DEFAULT_TIE_BREAKS,
    RankCandidate,
    RankedRow,
    consensus_flags,
    rank_proposals,
)
from nexus_sti.review.scoring import CalibrationParams, SubmittedReview, calibration_record
from nexus_sti.review.tables import (
    CalibrationRun,
    DeclaredConflict,
    PanelNote,
    ProposalScore,
    Review,
    ReviewAssignment,
    ReviewerProfile,
    ReviewForm,
)
from nexus_sti.review.workflow import ASSIGNMENT, REVIEW

if TYPE_CHECKING:
    from nexus_sti.calls.tables import Call

# A review's weight in calibration by the reviewer's confidence (1 low .. 5 expert).
CALIBRATION_SOURCE = "calibration"


@dataclass(frozen=True)
class CallForm:
    """A call's review form as rules, its deadline and reminder days (``row`` is ``None`` when
    the officer has not set one: the program's criteria apply and there is no deadline)."""

    spec: FormSpec
    row: ReviewForm | None

    @property
    def due_at(self) -> datetime | None:
        return self.row.due_at if self.row else None

    @property
    def reminder_days(self) -> list[int]:
        return list(self.row.reminder_days) if self.row else []


def form_of(session: Session, call_id: int) -> CallForm:
    row = session.scalar(select(ReviewForm).where(ReviewForm.call_id == call_id))
    if row is None:
        version = call_by_id(session, call_id).program_version_id
        return CallForm(default_form(program_version(session, version).config), None)
    return CallForm(FormSpec.from_rows(row.criteria, row.total_threshold), row)


def reviewer_profile(session: Session, actor: Actor) -> ReviewerProfile | None:
    """The reviewer profile of the actor's researcher, if they have one."""
    researcher_id = researcher_of(session, actor.user_id)
    if researcher_id is None:
        return None
    return session.scalar(
        select(ReviewerProfile).where(ReviewerProfile.researcher_id == researcher_id)
    )


# --- the reviewer's side -------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentView:
    """One of a reviewer's assignments with what they need to review it."""

    assignment: ReviewAssignment
    proposal: ProposalCard
    call: Call
    form: CallForm
    review: Review | None

    @property
    def status(self) -> str:
        """``not started``, ``draft`` or ``submitted``."""
        return self.review.status if self.review else "not started"


def _conflicted(session: Session, reviewer_id: int) -> set[int]:
    return set(
        session.scalars(
            select(DeclaredConflict.proposal_id).where(
                DeclaredConflict.reviewer_id == reviewer_id,
                DeclaredConflict.proposal_id.is_not(None),
            )
        )
    )


def _view(session: Session, assignment: ReviewAssignment) -> AssignmentView:
    proposal = proposal_card(session, proposal_id=assignment.proposal_id)
    call = call_by_id(session, assignment.call_id)
    assert proposal is not None
    review = session.scalar(select(Review).where(Review.assignment_id == assignment.id))
    return AssignmentView(assignment, proposal, call, form_of(session, call.id), review)


def my_assignments(session: Session, *, actor: Actor) -> list[AssignmentView]:
    """The actor's active assignments without a declared conflict, soonest deadline first."""
    require(actor, "review.submit", "see review assignments")
    profile = reviewer_profile(session, actor)
    if profile is None:
        return []
    conflicted = _conflicted(session, profile.id)
    rows = session.scalars(
        select(ReviewAssignment)
        .where(ReviewAssignment.reviewer_id == profile.id, ReviewAssignment.status == "active")
        .order_by(ReviewAssignment.id)
    )
    views = [_view(session, a) for a in rows if a.proposal_id not in conflicted]

    def soonest(v: AssignmentView) -> tuple[bool, float, str]:
        due = v.form.due_at
        return (due is None, due.timestamp() if due else 0.0, v.proposal.reference)

    return sorted(views, key=soonest)


def my_assignment(session: Session, *, actor: Actor, assignment_id: int) -> AssignmentView:
    """One of the actor's own active, unconflicted assignments; ``NotFound`` otherwise."""
    require(actor, "review.submit", "review proposals")
    profile = reviewer_profile(session, actor)
    assignment = session.get(ReviewAssignment, assignment_id)
    if (
        profile is None
        or assignment is None
        or assignment.reviewer_id != profile.id
        or assignment.status != "active"
        or assignment.proposal_id in _conflicted(session, profile.id)
    ):
        raise NotFound("review assignment", assignment_id)
    return _view(session, assignment)


def assignment_documents(
    session: Session, *, actor: Actor, assignment_id: int
) -> list[DocumentFacts]:
    """The documents of the proposal under one of the actor's own active, unconflicted
    assignments (``NotFound`` otherwise, as :func:`my_assignment`)."""
    view = my_assignment(session, actor=actor, assignment_id=assignment_id)
    return documents_of(session, view.proposal.id)


def assignment_document(
    session: Session, *, actor: Actor, assignment_id: int, attachment_id: int
) -> tuple[DocumentFacts, bytes]:
    """One document of the proposal under one of the actor's own active, unconflicted
    assignments, with its bytes; ``NotFound`` for anyone else and for another proposal's
    document."""
    view = my_assignment(session, actor=actor, assignment_id=assignment_id)
    found = document_content(session, view.proposal.id, attachment_id)
    if found is None:
        raise NotFound("document", attachment_id)
    return found


def consortium_of(session: Session, proposal_id: int) -> list[MemberFacts]:
    return consortia(session, [proposal_id]).get(proposal_id, [])


def declare_conflict(
    session: Session, *, actor: Actor, assignment_id: int, reason: str, now: datetime
) -> DeclaredConflict:
    """The reviewer declares a conflict with an assigned proposal: the conflict is stored for
    the officer, the assignment is withdrawn and the proposal leaves the reviewer's view."""
    view = my_assignment(session, actor=actor, assignment_id=assignment_id)
    reason = reason.strip()
    if len(reason) < 5:
        raise InvalidInput("reason", "required", "reason: say briefly why (at least 5 characters)")
    if view.review is not None and view.review.status == "submitted":
        raise Conflict("this review is already submitted; ask the program officer to withdraw it")
    conflict = DeclaredConflict(
        reviewer_id=view.assignment.reviewer_id,
        proposal_id=view.proposal.id,
        reason=reason,
        declared_by=actor.user_id,
        declared_at=now,
    )
    session.add(conflict)
    view.assignment.status = step(
        ASSIGNMENT, view.assignment.status, "declare_conflict", actor.role
    )
    session.flush()
    record(
        session,
        action="review.conflict_declared",
        actor=actor,
        subject_type="review_assignment",
        subject_id=view.assignment.id,
        inputs={"assignment": view.assignment.id, "reason": reason},
        now=now,
        summary={"proposal": view.proposal.reference, "reason": reason},
    )
    session.commit()
    return conflict


def _writable(view: AssignmentView, now: datetime) -> Review | None:
    due = view.form.due_at
    if due is not None and now > due:
        raise RuleViolation(
            "review.deadline",
            f"the review deadline passed at {due:%Y-%m-%d %H:%M:%S} UTC; "
            "reviews can no longer be saved or submitted",
            due_at=due.isoformat(),
        )
    return view.review


def _submitted_already(review: Review, marks: Any, final: bool) -> Review:
    """A submitted review is final. Sending the same marks again (a double click, a retry)
    answers with it; anything else is refused."""
    same = (
        final
        and review.scores == marks.scores
        and review.comments == marks.comments
        and review.confidence == marks.confidence
    )
    if same:
        return review
    raise Conflict(
        f"this review was submitted at {review.submitted_at:%Y-%m-%d %H:%M} UTC "
        "and cannot be changed or submitted again"
    )


def _save(session: Session, **attempt: Any) -> Review:
    """Save or submit, safe against itself running twice at once: the row is written with a
    conditional update from its draft state (or inserted under the one-review-per-assignment
    key), and the loser of a race looks again, finding the winner's review."""
    try:
        return _save_once(session, **attempt)
    except _Raced:
        session.rollback()
        session.expire_all()
        return _save_once(session, **attempt)


def _save_once(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int,
    scores: dict[str, float | None],
    comments: str,
    confidence: int | None,
    now: datetime,
    final: bool,
) -> Review:
    """One attempt at saving or submitting; ``_Raced`` if another request wrote the review
    between this one's read and its write."""
    view = my_assignment(session, actor=actor, assignment_id=assignment_id)
    review = _writable(view, now)
    marks = validate_review(view.form.spec, scores, comments, confidence, final=final)
    if review is not None and review.status == "submitted":
        return _submitted_already(review, marks, final)
    values: dict[str, Any] = {
        "scores": marks.scores,
        "total": marks.assessment.total if marks.assessment else None,
        "comments": marks.comments,
        "confidence": marks.confidence,
        # A review is a draft until submitted (core/workflow.py interprets review/workflow.py).
        "status": step(REVIEW, "draft", "submit" if final else "save", actor.role),
        "updated_at": now,
    }
    if final:
        values["submitted_at"] = now
    try:
        if review is None:
            review = Review(
                assignment_id=view.assignment.id,
                proposal_id=view.proposal.id,
                reviewer_id=view.assignment.reviewer_id,
                **values,
            )
            session.add(review)
            session.flush()
        else:
            written: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(Review)
                .where(Review.id == review.id, Review.status == "draft")
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if written.rowcount != 1:
                raise _Raced
            for name, value in values.items():
                set_committed_value(review, name, value)
    except IntegrityError:
        raise _Raced from None
    summary: dict[str, Any] = {"proposal": view.proposal.reference}
    if final and marks.assessment is not None:
        summary |= {"total": marks.assessment.total, "passed": marks.assessment.passed}
    record(
        session,
        action="review.submitted" if final else "review.draft_saved",
        actor=actor,
        subject_type="review",
        subject_id=review.id,
        inputs={"scores": marks.scores, "comments": marks.comments, "confidence": confidence},
        now=now,
        summary=summary,
    )
    session.commit()
    return review


class _Raced(Exception):
    """Another request wrote the review between our read and our write."""


def save_draft(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int,
    scores: dict[str, float | None],
    comments: str,
    confidence: int | None,
    now: datetime,
) -> Review:
    """Save an incomplete review (every mark given must already be valid) before the deadline."""
    return _save(
        session,
        actor=actor,
        assignment_id=assignment_id,
        scores=scores,
        comments=comments,
        confidence=confidence,
        now=now,
        final=False,
    )


def submit_review(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int,
    scores: dict[str, float | None],
    comments: str,
    confidence: int | None,
    now: datetime,
) -> Review:
    """Submit a complete review before the deadline; once submitted it is final."""
    return _save(
        session,
        actor=actor,
        assignment_id=assignment_id,
        scores=scores,
        comments=comments,
        confidence=confidence,
        now=now,
        final=True,
    )


# --- the officer's side: reviews, reminders, notes -----------------------------------------


def reviewer_names(session: Session, reviewer_ids: set[int]) -> dict[int, str]:
    if not reviewer_ids:
        return {}
    rows = session.execute(
        select(ReviewerProfile.id, ReviewerProfile.researcher_id).where(
            ReviewerProfile.id.in_(reviewer_ids)
        )
    ).all()
    cards = researcher_cards(session, [researcher for _, researcher in rows])
    return {int(rid): cards[r].name_latin for rid, r in rows if r in cards}


@dataclass
class AssignedReview:
    assignment: ReviewAssignment
    reviewer: str
    review: Review | None


@dataclass
class ProposalReviews:
    proposal: ProposalCard
    assigned: list[AssignedReview] = field(default_factory=list)
    conflicts: list[tuple[str, DeclaredConflict]] = field(default_factory=list)
    notes: list[PanelNote] = field(default_factory=list)

    @property
    def submitted(self) -> int:
        return sum(1 for a in self.assigned if a.review and a.review.status == "submitted")


def call_for_officer(session: Session, *, actor: Actor, reference: str) -> Call:
    require(actor, "review.manage", "see a call's reviews")
    return call_by_reference(session, reference)


def call_reviews(session: Session, *, actor: Actor, call_reference: str) -> list[ProposalReviews]:
    """Per proposal of the call with assignments: every assignment (active, swapped or
    withdrawn), its reviewer and review, declared conflicts and panel notes."""
    call = call_for_officer(session, actor=actor, reference=call_reference)
    assignments = list(
        session.scalars(
            select(ReviewAssignment)
            .where(ReviewAssignment.call_id == call.id)
            .order_by(ReviewAssignment.id)
        )
    )
    proposal_ids = {a.proposal_id for a in assignments}
    reviews = {
        r.assignment_id: r
        for r in session.scalars(
            select(Review).where(Review.assignment_id.in_([a.id for a in assignments]))
        )
    }
    conflicts = list(
        session.scalars(
            select(DeclaredConflict).where(DeclaredConflict.proposal_id.in_(proposal_ids))
        )
    )
    names = reviewer_names(
        session, {a.reviewer_id for a in assignments} | {c.reviewer_id for c in conflicts}
    )
    by_id: dict[int, ProposalReviews] = {}
    for p in sorted(proposal_cards(session, ids=proposal_ids), key=lambda p: p.reference):
        by_id[p.id] = ProposalReviews(p)
    for a in assignments:
        by_id[a.proposal_id].assigned.append(
            AssignedReview(
                a, names.get(a.reviewer_id, f"reviewer {a.reviewer_id}"), reviews.get(a.id)
            )
        )
    for c in conflicts:
        assert c.proposal_id is not None
        by_id[c.proposal_id].conflicts.append((names.get(c.reviewer_id, "?"), c))
    for note in session.scalars(
        select(PanelNote).where(PanelNote.proposal_id.in_(proposal_ids)).order_by(PanelNote.id)
    ):
        by_id[note.proposal_id].notes.append(note)
    return list(by_id.values())


@dataclass(frozen=True)
class Reminder:
    """An assignment whose review is not submitted and whose reminder time has come."""

    assignment_id: int
    reviewer: str
    proposal: str
    call: str
    due_at: datetime
    days_left: float
    overdue: bool
    status: str  # not started | draft


def reminders_due(
    session: Session, *, actor: Actor, now: datetime, call_reference: str | None = None
) -> list[Reminder]:
    """Active assignments without a submitted review whose form's reminder days before the
    deadline have come (or whose deadline has passed), soonest deadline first."""
    require(actor, "review.manage", "see review reminders")
    query = (
        select(ReviewAssignment, ReviewForm)
        .join(ReviewForm, ReviewForm.call_id == ReviewAssignment.call_id)
        .where(ReviewAssignment.status == "active")
    )
    if call_reference is not None:
        query = query.where(
            ReviewAssignment.call_id == call_by_reference(session, call_reference).id
        )
    rows = session.execute(query).all()
    calls = calls_by_id(session, {a.call_id for a, *_ in rows})
    references = references_of(session, ids={a.proposal_id for a, *_ in rows})
    submitted = set(
        session.scalars(
            select(Review.assignment_id).where(
                Review.assignment_id.in_([a.id for a, *_ in rows]), Review.status == "submitted"
            )
        )
    )
    drafts = set(
        session.scalars(
            select(Review.assignment_id).where(
                Review.assignment_id.in_([a.id for a, *_ in rows]), Review.status == "draft"
            )
        )
    )
    names = reviewer_names(session, {a.reviewer_id for a, *_ in rows})
    out: list[Reminder] = []
    for assignment, form in rows:
        call = calls[assignment.call_id]
        if assignment.id in submitted:
            continue
        first = max(form.reminder_days, default=0)
        if now < form.due_at - timedelta(days=first):
            continue
        out.append(
            Reminder(
                assignment_id=assignment.id,
                reviewer=names.get(assignment.reviewer_id, f"reviewer {assignment.reviewer_id}"),
                proposal=references.get(assignment.proposal_id, "?"),
                call=call.reference,
                due_at=form.due_at,
                days_left=round((form.due_at - now).total_seconds() / 86400, 2),
                overdue=now > form.due_at,
                status="draft" if assignment.id in drafts else "not started",
            )
        )
    return sorted(out, key=lambda r: (r.due_at, r.reviewer, r.proposal))


def add_panel_note(
    session: Session,
    *,
    actor: Actor,
    call_reference: str,
    proposal_reference: str,
    note: str,
    now: datetime,
) -> PanelNote:
    """An officer's note on a proposal for the panel discussion."""
    call = call_for_officer(session, actor=actor, reference=call_reference)
    proposal = proposal_card(session, reference=proposal_reference)
    if proposal is None or proposal.call_id != call.id:
        raise NotFound("proposal", proposal_reference)
    note = note.strip()
    if not note:
        raise InvalidInput("note", "required", "note: write something")
    row = PanelNote(
        proposal_id=proposal.id,
        note=note,
        written_by=actor.user_id,
        written_by_label=actor.username,
        written_at=now,
    )
    session.add(row)
    session.flush()
    record(
        session,
        action="review.panel_note_added",
        actor=actor,
        subject_type="proposal",
        subject_id=proposal.reference,
        inputs={"note": note},
        now=now,
        summary={"call": call.reference},
    )
    session.commit()
    return row


def panel_notes(
    session: Session, *, actor: Actor, call_reference: str
) -> dict[str, list[PanelNote]]:
    """Panel notes per proposal reference, oldest first."""
    call = call_for_officer(session, actor=actor, reference=call_reference)
    references = references_of(session, call_id=call.id)
    out: dict[str, list[PanelNote]] = defaultdict(list)
    for note in session.scalars(
        select(PanelNote).where(PanelNote.proposal_id.in_(list(references))).order_by(PanelNote.id)
    ):
        out[references[note.proposal_id]].append(note)
    return dict(out)


# --- calibration and the ranked list -------------------------------------------------------


def _submitted_reviews(session: Session, call: Call) -> list[tuple[Review, ProposalCard]]:
    """Submitted reviews of the call's active assignments, by proposal reference and reviewer."""
    reviews = list(
        session.scalars(
            select(Review)
            .join(ReviewAssignment, ReviewAssignment.id == Review.assignment_id)
            .where(
                ReviewAssignment.call_id == call.id,
                ReviewAssignment.status == "active",
                Review.status == "submitted",
                Review.total.is_not(None),
            )
        )
    )
    cards = {p.id: p for p in proposal_cards(session, call_id=call.id)}
    pairs = [(r, cards[r.proposal_id]) for r in reviews]
    return sorted(pairs, key=lambda pair: (pair[1].reference, pair[0].reviewer_id))


def run_calibration(
    session: Session,
    *,
    actor: Actor,
    call_reference: str,
    now: datetime,
    level: float = 0.9,
    reviewer_scale: bool = False,
    disagreement_threshold: float | None = None,
    confidence_weights: bool = True,
) -> CalibrationRun:
    """Calibrate the call's submitted review totals (reviews weighted by confidence), store the
    run and write each reviewed proposal's score, interval and per-criterion means."""
    require(actor, "review.manage", "run a calibration")
    call = call_by_reference(session, call_reference)
    rows = _submitted_reviews(session, call)
    if not rows:
        raise RuleViolation(
            "review.no_reviews", f"call {call.reference} has no submitted review to calibrate"
        )
    submitted = [
        SubmittedReview(
            proposal_id=p.id,
            reference=p.reference,
            area=p.area,
            reviewer_id=r.reviewer_id,
            total=r.total,
            confidence=r.confidence,
            scores={code: float(mark) for code, mark in r.scores.items()},
        )
        for r, p in rows
    ]
    params = CalibrationParams(level, reviewer_scale, disagreement_threshold, confidence_weights)
    names = reviewer_names(session, {r.reviewer_id for r in submitted})
    calibrated = calibration_record(submitted, names, params)
    parameters = params.as_dict()
    digest = inputs_digest(calibrated.inputs)
    result = calibrated.result
    per_proposal: list[dict[str, Any]] = result["proposals"]
    run = CalibrationRun(
        call_id=call.id,
        parameters=parameters,
        inputs_digest=digest,
        result=result,
        created_by_label=actor.username,
        created_at=now,
    )
    session.add(run)
    existing = {
        s.proposal_id: s
        for s in session.scalars(
            select(ProposalScore).where(
                ProposalScore.proposal_id.in_([row["proposal_id"] for row in per_proposal])
            )
        )
    }
    for row in per_proposal:
        score = existing.get(row["proposal_id"])
        if score is None:
            score = ProposalScore(proposal_id=row["proposal_id"])
            session.add(score)
        score.score, score.low, score.high = row["score"], row["low"], row["high"]
        score.criteria = row["criteria"]
        score.reviews = row["reviews"]
        score.source = CALIBRATION_SOURCE
        score.computed_at = now
    session.flush()
    record(
        session,
        action="review.calibrated",
        actor=actor,
        subject_type="calibration_run",
        subject_id=run.id,
        inputs={"parameters": parameters, "reviews": digest},
        now=now,
        summary={
            "call": call.reference,
            "proposals": len(per_proposal),
            "reviews": len(submitted),
            "flagged": sum(1 for r in per_proposal if r["flagged"]),
        },
    )
    session.commit()
    return run


def latest_calibration(
    session: Session, *, actor: Actor, call_reference: str
) -> CalibrationRun | None:
    call = call_for_officer(session, actor=actor, reference=call_reference)
    return session.scalar(
        select(CalibrationRun)
        .where(CalibrationRun.call_id == call.id)
        .order_by(CalibrationRun.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class Ranking:
    """The call's ranked list and where its scores came from."""

    call: Call
    run: CalibrationRun | None
    rows: list[RankedRow]
    sources: dict[str, int]  # ProposalScore.source -> proposals
    tie_breaks: tuple[str, ...]


def ranked_list(
    session: Session,
    *,
    actor: Actor,
    call_reference: str,
    tie_breaks: tuple[str, ...] = DEFAULT_TIE_BREAKS,
    tie_tolerance: float = 0.0,
) -> Ranking:
    """The call's proposals with a score, ranked (see ``review.ranking``); disagreement flags
    come from the latest calibration run."""
    run = latest_calibration(session, actor=actor, call_reference=call_reference)
    call = call_by_reference(session, call_reference)
    from_run = {p["proposal_id"]: p for p in (run.result["proposals"] if run else [])}
    threshold = float(run.result["disagreement_threshold"]) if run else 0.0
    cards = {p.id: p for p in proposal_cards(session, call_id=call.id)}
    scored = [
        (cards[score.proposal_id], score)
        for score in session.scalars(
            select(ProposalScore).where(ProposalScore.proposal_id.in_(list(cards)))
        )
    ]
    candidates: list[RankCandidate] = []
    sources: dict[str, int] = defaultdict(int)
    for proposal, score in scored:
        sources[score.source] += 1
        disagreement = float(from_run.get(proposal.id, {}).get("disagreement", 0.0))
        candidates.append(
            RankCandidate(
                reference=proposal.reference,
                score=score.score,
                area=proposal.area,
                criteria={k: float(v) for k, v in score.criteria.items()},
                low=score.low,
                high=score.high,
                disagreement=disagreement,
                flagged=bool(run) and consensus_flags([disagreement], threshold)[0],
            )
        )
    rows = rank_proposals(candidates, tie_breaks, tie_tolerance=tie_tolerance)
    return Ranking(call, run, rows, dict(sources), tuple(tie_breaks))
