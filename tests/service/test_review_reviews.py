"""Review use cases on the demo data set, on SQLite and PostgreSQL: what a reviewer may see,
conflicts, drafts and submission against the deadline, reminders, calibration into proposal
scores (recovering a planted lenient reviewer), panel notes, the ranked list and the audit log.

The helpers here set up a reviewer profile, a review form and assignments directly with the
tables; the e2e and browser tests reuse them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nexus_sti.accounts.tables import User
from nexus_sti.calls.tables import Call
from nexus_sti.core.access import Actor, Role
from nexus_sti.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from nexus_sti.people.tables import Researcher
from nexus_sti.platform.auditlog import AuditEntry
from nexus_sti.platform.context import Platform
from nexus_sti.programs.service import current_program
from nexus_sti.proposals.tables import Proposal
from nexus_sti.review.forms import default_form
from nexus_sti.review.service import reviews
from nexus_sti.review.tables import (
    ProposalScore,
    Review,
    ReviewAssignment,
    ReviewerProfile,
    ReviewForm,
)

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
CALL = "DEMO-NEXUS-2026-BIL"
OFFICER = Actor(user_id=None, username="olivia", role=Role.OFFICER)
COMMENTS = "Clear objectives and a credible consortium; the data plan needs more detail."
GOOD = {"excellence": 4.5, "impact": 4.0, "implementation": 3.5, "partnership": 4.0}


def profile_for(session: Session, researcher_id: int, now: datetime) -> ReviewerProfile:
    profile = session.scalar(
        select(ReviewerProfile).where(ReviewerProfile.researcher_id == researcher_id)
    )
    if profile is None:
        profile = ReviewerProfile(researcher_id=researcher_id, updated_at=now, areas=[])
        session.add(profile)
        session.flush()
    return profile


def set_form(
    session: Session, call: Call, *, due_at: datetime, reminder_days: list[int]
) -> ReviewForm:
    form = session.scalar(select(ReviewForm).where(ReviewForm.call_id == call.id))
    if form is None:
        form = ReviewForm(call_id=call.id)
        session.add(form)
    spec = default_form(current_program(session).config)
    form.criteria = spec.rows()
    form.total_threshold = 12.0
    form.reviews_per_proposal = 3
    form.due_at = due_at
    form.reminder_days = reminder_days
    session.flush()
    return form


def assign(session: Session, call: Call, proposal: Proposal, reviewer_id: int) -> int:
    row = ReviewAssignment(
        call_id=call.id,
        proposal_id=proposal.id,
        reviewer_id=reviewer_id,
        affinity=0.5,
        status="active",
        created_at=NOW - timedelta(days=30),
    )
    session.add(row)
    session.flush()
    return row.id


@dataclass(frozen=True)
class ReviewerSetup:
    actor: Actor
    profile_id: int
    assignment_ids: list[int]
    proposals: list[str]  # references, in assignment order
    titles: list[str]


def reviewer_setup(
    platform: Platform,
    *,
    n: int = 3,
    due_at: datetime,
    reminder_days: list[int] | None = None,
    call_reference: str = CALL,
) -> ReviewerSetup:
    """The demo ``reviewer`` account gets a profile, the call a form due at ``due_at``, and the
    reviewer ``n`` active assignments on proposals no one else reviews yet."""
    with platform.session() as s:
        user = s.scalar(select(User).where(User.username == "reviewer"))
        assert user is not None and user.researcher_id is not None
        call = s.scalar(select(Call).where(Call.reference == call_reference))
        assert call is not None
        profile = profile_for(s, user.researcher_id, NOW)
        set_form(s, call, due_at=due_at, reminder_days=reminder_days or [7, 2])
        taken = set(s.scalars(select(ReviewAssignment.proposal_id)))
        proposals = [
            p
            for p in s.scalars(
                select(Proposal).where(Proposal.call_id == call.id).order_by(Proposal.reference)
            )
            if p.id not in taken
        ][:n]
        ids = [assign(s, call, p, profile.id) for p in proposals]
        s.commit()
        return ReviewerSetup(
            actor=Actor(user_id=user.id, username="reviewer", role=Role.REVIEWER),
            profile_id=profile.id,
            assignment_ids=ids,
            proposals=[p.reference for p in proposals],
            titles=[p.title for p in proposals],
        )


def audit_actions(platform: Platform, prefix: str = "review.") -> list[str]:
    with platform.session() as s:
        return list(
            s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.startswith(prefix))
                .order_by(AuditEntry.id)
            )
        )


def test_a_reviewer_sees_only_own_active_assignments_without_conflicts(
    demo_platform: Platform,
) -> None:
    setup = reviewer_setup(demo_platform, due_at=NOW + timedelta(days=20))
    actor = setup.actor
    with demo_platform.session() as s:
        mine = reviews.my_assignments(s, actor=actor)
        assert [v.proposal.reference for v in mine] == setup.proposals
        assert all(v.status == "not started" for v in mine)
        # Someone else's assignment, a swapped one and an unknown id all look the same: 404.
        call = s.scalar(select(Call).where(Call.reference == CALL))
        other_researcher = s.scalar(
            select(Researcher.id).where(
                Researcher.is_reviewer, Researcher.id != s.get(User, actor.user_id).researcher_id
            )
        )
        other = profile_for(s, other_researcher, NOW)
        extra = s.scalar(
            select(Proposal).where(
                Proposal.call_id == call.id, Proposal.reference.not_in(setup.proposals)
            )
        )
        foreign = assign(s, call, extra, other.id)
        swapped = assign(s, call, extra, setup.profile_id)
        s.get(ReviewAssignment, swapped).status = "swapped"
        s.commit()
        for assignment_id in (foreign, swapped, 999_999):
            with pytest.raises(NotFound):
                reviews.my_assignment(s, actor=actor, assignment_id=assignment_id)
        with pytest.raises(PermissionDenied):
            reviews.my_assignments(s, actor=OFFICER)

        target = setup.assignment_ids[0]
        with pytest.raises(InvalidInput) as caught:
            reviews.declare_conflict(s, actor=actor, assignment_id=target, reason="", now=NOW)
        assert caught.value.field == "reason"
        reviews.declare_conflict(
            s, actor=actor, assignment_id=target, reason="I co-authored with the lead", now=NOW
        )
        with pytest.raises(NotFound):
            reviews.my_assignment(s, actor=actor, assignment_id=target)
        assert [v.proposal.reference for v in reviews.my_assignments(s, actor=actor)] == (
            setup.proposals[1:]
        )
        assert s.get(ReviewAssignment, target).status == "withdrawn"
        # The officer sees the conflict and the withdrawn assignment.
        listed = {p.proposal.reference: p for p in reviews.call_reviews(
            s, actor=OFFICER, call_reference=CALL
        )}  # fmt: skip
        first = listed[setup.proposals[0]]
        assert [c.reason for _, c in first.conflicts] == ["I co-authored with the lead"]
        assert [a.assignment.status for a in first.assigned] == ["withdrawn"]
    assert audit_actions(demo_platform) == ["review.conflict_declared"]


def test_a_draft_is_saved_then_submitted_once_with_errors_naming_the_field(
    demo_platform: Platform,
) -> None:
    setup = reviewer_setup(demo_platform, due_at=NOW + timedelta(days=20))
    actor, target = setup.actor, setup.assignment_ids[1]
    with demo_platform.session() as s:
        draft = reviews.save_draft(
            s, actor=actor, assignment_id=target, scores={"excellence": 4.0},
            comments="first thoughts", confidence=None, now=NOW,
        )  # fmt: skip
        assert (draft.status, draft.total, draft.scores) == ("draft", None, {"excellence": 4.0})
        with pytest.raises(InvalidInput) as caught:
            reviews.save_draft(
                s, actor=actor, assignment_id=target, scores={"impact": 3.7},
                comments="", confidence=None, now=NOW,
            )  # fmt: skip
        assert (caught.value.field, caught.value.rule) == ("scores.impact", "off_step")
        s.rollback()
        with pytest.raises(InvalidInput) as caught:
            reviews.submit_review(
                s, actor=actor, assignment_id=target, scores={"excellence": 4.0},
                comments="short", confidence=4, now=NOW,
            )  # fmt: skip
        assert caught.value.field == "scores.impact"
        problems = {p["field"] for p in caught.value.details["problems"]}
        assert problems == {"scores.impact", "scores.implementation", "scores.partnership",
                            "comments"}  # fmt: skip
        s.rollback()
        done = reviews.submit_review(
            s, actor=actor, assignment_id=target, scores=dict(GOOD), comments=COMMENTS,
            confidence=4, now=NOW + timedelta(hours=1),
        )  # fmt: skip
        assert done.status == "submitted" and done.total == pytest.approx(16.0)
        assert done.submitted_at == NOW + timedelta(hours=1)
        retried = reviews.submit_review(
            s, actor=actor, assignment_id=target, scores=dict(GOOD), comments=COMMENTS,
            confidence=4, now=NOW + timedelta(hours=2),
        )  # fmt: skip
        assert retried.id == done.id and retried.submitted_at == done.submitted_at
        for again, confidence in ((reviews.submit_review, 5), (reviews.save_draft, 4)):
            with pytest.raises(Conflict, match="cannot be changed or submitted again"):
                again(
                    s, actor=actor, assignment_id=target, scores=dict(GOOD),
                    comments=COMMENTS, confidence=confidence, now=NOW + timedelta(hours=2),
                )  # fmt: skip
        assert s.scalar(select(func.count()).select_from(Review)) == 1
    assert audit_actions(demo_platform) == ["review.draft_saved", "review.submitted"]


def test_the_deadline_is_enforced_with_the_servers_clock(demo_platform: Platform) -> None:
    due = NOW + timedelta(days=2)
    setup = reviewer_setup(demo_platform, due_at=due)
    target = setup.assignment_ids[0]
    with demo_platform.session() as s:
        reviews.save_draft(
            s, actor=setup.actor, assignment_id=target, scores={"impact": 3.0},
            comments="", confidence=3, now=due,
        )  # fmt: skip
        for save in (reviews.save_draft, reviews.submit_review):
            with pytest.raises(RuleViolation) as caught:
                save(
                    s, actor=setup.actor, assignment_id=target, scores=dict(GOOD),
                    comments=COMMENTS, confidence=3, now=due + timedelta(seconds=1),
                )  # fmt: skip
            assert caught.value.rule_id == "review.deadline"
            assert "deadline passed" in caught.value.message
            s.rollback()
        review = s.scalar(select(Review).where(Review.assignment_id == target))
        assert review is not None and review.status == "draft"


def test_reminders_list_unsubmitted_assignments_once_their_time_has_come(
    demo_platform: Platform,
) -> None:
    due = NOW + timedelta(days=5)
    setup = reviewer_setup(demo_platform, due_at=due, reminder_days=[7, 2])
    with demo_platform.session() as s:
        assert reviews.reminders_due(s, actor=OFFICER, now=due - timedelta(days=8)) == []
        due_now = reviews.reminders_due(s, actor=OFFICER, now=NOW, call_reference=CALL)
        assert [r.proposal for r in due_now] == setup.proposals
        assert all(r.reviewer and r.days_left == 5.0 and not r.overdue for r in due_now)
        reviews.submit_review(
            s, actor=setup.actor, assignment_id=setup.assignment_ids[0], scores=dict(GOOD),
            comments=COMMENTS, confidence=5, now=NOW,
        )  # fmt: skip
        reviews.save_draft(
            s, actor=setup.actor, assignment_id=setup.assignment_ids[1], scores={},
            comments="", confidence=None, now=NOW,
        )  # fmt: skip
        later = reviews.reminders_due(s, actor=OFFICER, now=due + timedelta(hours=1))
        assert [(r.proposal, r.status, r.overdue) for r in later] == [
            (setup.proposals[1], "draft", True),
            (setup.proposals[2], "not started", True),
        ]
        with pytest.raises(PermissionDenied):
            reviews.reminders_due(s, actor=setup.actor, now=NOW)


def simulate_panel(
    platform: Platform, *, lenient_by: float, seed: int = 11
) -> tuple[int, list[int]]:
    """Every proposal of the call reviewed by 3 of 16 reviewers, marks = quality + leniency +
    noise in half points; reviewer 0 marks ``lenient_by`` higher on every criterion. Returns
    the planted reviewer's profile id and the proposal ids."""
    rng = np.random.default_rng(seed)
    with platform.session() as s:
        call = s.scalar(select(Call).where(Call.reference == CALL))
        set_form(s, call, due_at=NOW + timedelta(days=10), reminder_days=[])
        researchers = s.scalars(
            select(Researcher.id).where(Researcher.is_reviewer).order_by(Researcher.id).limit(16)
        ).all()
        profiles = [profile_for(s, rid, NOW).id for rid in researchers]
        leniency = np.r_[lenient_by, rng.normal(0.0, 0.1, len(profiles) - 1)]
        proposals = s.scalars(
            select(Proposal).where(Proposal.call_id == call.id).order_by(Proposal.id)
        ).all()
        codes = list(GOOD)
        for p in proposals:
            quality = rng.normal(3.2, 0.6)
            for j in rng.choice(len(profiles), 3, replace=False):
                marks = quality + leniency[j] + rng.normal(0.0, 0.25, len(codes))
                marks = np.clip(np.round(marks * 2) / 2, 0.0, 5.0)
                scores = {c: float(m) for c, m in zip(codes, marks, strict=True)}
                aid = assign(s, call, p, profiles[j])
                s.add(
                    Review(
                        assignment_id=aid, proposal_id=p.id, reviewer_id=profiles[j],
                        scores=scores, total=sum(scores.values()), comments=COMMENTS,
                        confidence=int(rng.integers(2, 6)), status="submitted",
                        updated_at=NOW, submitted_at=NOW,
                    )
                )  # fmt: skip
        s.commit()
        return profiles[0], [p.id for p in proposals]


def test_calibration_recovers_a_lenient_reviewer_and_writes_proposal_scores(
    demo_platform: Platform,
) -> None:
    planted, proposal_ids = simulate_panel(demo_platform, lenient_by=1.0)
    with demo_platform.session() as s:
        with pytest.raises(PermissionDenied):
            reviews.run_calibration(
                s, actor=Actor(1, "reviewer", Role.REVIEWER), call_reference=CALL, now=NOW
            )
        with pytest.raises(RuleViolation, match="no submitted review"):
            reviews.run_calibration(s, actor=OFFICER, call_reference="DEMO-NEXUS-2026-REG",
                                    now=NOW)  # fmt: skip
        run = reviews.run_calibration(s, actor=OFFICER, call_reference=CALL, now=NOW)
        result = run.result
        lenient = {r["reviewer_id"]: r for r in result["reviewers"]}
        # Four criteria, each a point higher: about four points on the total.
        assert max(lenient.values(), key=lambda r: r["leniency"])["reviewer_id"] == planted
        assert 2.5 < lenient[planted]["leniency"] < 5.0
        assert all(abs(r["leniency"]) < 1.5 for k, r in lenient.items() if k != planted)
        assert lenient[planted]["reviews"] >= 3
        assert run.parameters["confidence_weights"] is True
        assert len(run.inputs_digest) == 64
        scores = {
            ps.proposal_id: ps
            for ps in s.scalars(
                select(ProposalScore).where(ProposalScore.proposal_id.in_(proposal_ids))
            )
        }
        assert set(scores) == set(proposal_ids)
        for ps in scores.values():
            assert ps.source == "calibration" and ps.reviews == 3
            assert ps.low < ps.score < ps.high
            assert set(ps.criteria) == set(GOOD)
        # Calibration removes the planted leniency: calibrated scores track the raw means
        # less the lenient reviewer's bias.
        by_ref = {p["proposal_id"]: p for p in result["proposals"]}
        lenient_reviewed = set(
            s.scalars(select(Review.proposal_id).where(Review.reviewer_id == planted))
        )
        shift = [by_ref[i]["raw_mean"] - by_ref[i]["score"] for i in lenient_reviewed]
        assert np.mean(shift) > 0.5
        ranking = reviews.ranked_list(s, actor=OFFICER, call_reference=CALL)
        assert ranking.run is not None and ranking.run.id == run.id
        assert len(ranking.rows) == len(proposal_ids)
        assert ranking.sources == {"calibration": len(proposal_ids)}
    assert audit_actions(demo_platform) == ["review.calibrated"]


def test_panel_notes_are_written_by_officers_and_audited(demo_platform: Platform) -> None:
    with demo_platform.session() as s:
        ref = s.scalar(
            select(Proposal.reference)
            .join(Call, Call.id == Proposal.call_id)
            .where(Call.reference == CALL)
        )
        with pytest.raises(InvalidInput):
            reviews.add_panel_note(
                s, actor=OFFICER, call_reference=CALL, proposal_reference=ref, note=" ", now=NOW
            )
        with pytest.raises(NotFound):
            reviews.add_panel_note(
                s, actor=OFFICER, call_reference=CALL, proposal_reference="NOPE", note="x",
                now=NOW,
            )  # fmt: skip
        with pytest.raises(PermissionDenied):
            reviews.add_panel_note(
                s, actor=Actor(None, "r", Role.REVIEWER), call_reference=CALL,
                proposal_reference=ref, note="x", now=NOW,
            )  # fmt: skip
        reviews.add_panel_note(
            s, actor=OFFICER, call_reference=CALL, proposal_reference=ref,
            note="Discuss the budget split", now=NOW,
        )  # fmt: skip
        notes = reviews.panel_notes(s, actor=OFFICER, call_reference=CALL)
        assert [n.note for n in notes[ref]] == ["Discuss the budget split"]
        assert notes[ref][0].written_by_label == "olivia"
    assert audit_actions(demo_platform) == ["review.panel_note_added"]
