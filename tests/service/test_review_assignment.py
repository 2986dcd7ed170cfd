"""Reviewer pool and assignment use cases on the seeded demo, on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nexus_sti.accounts.service import actor_for
from nexus_sti.accounts.tables import User
from nexus_sti.algorithms.assignment import AssignmentInfeasible, check_assignment
from nexus_sti.calls.tables import Call
from nexus_sti.core.access import Actor
from nexus_sti.core.errors import PermissionDenied, RuleViolation
from nexus_sti.people.tables import Researcher
from nexus_sti.platform.auditlog import AuditEntry
from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from nexus_sti.review.service import assignments, pool
from nexus_sti.review.service.assignments import AssignmentParams
from nexus_sti.review.tables import (
    CallReviewer,
    EmbeddingVector,
    ReviewAssignment,
    ReviewerProfile,
    ReviewForm,
)

# The static model is the fast cached backend; the default (hybrid) is exercised by the demo.
FAST = AssignmentParams(backend="static")


@pytest.fixture
def session(demo_platform: Platform) -> Iterator[Session]:
    with demo_platform.session() as s:
        yield s


def officer(session: Session) -> Actor:
    return actor_for(session.scalars(select(User).where(User.username == "officer")).one())


def bilateral(session: Session) -> str:
    return session.scalars(
        select(Call.reference).where(Call.status == "closed", Call.track == "bilateral")
    ).one()


def test_demo_has_profiles_pools_forms_and_coauthorship_conflicts(session: Session) -> None:
    reviewers = session.scalar(select(func.count()).where(Researcher.is_reviewer.is_(True)))
    assert session.scalar(select(func.count()).select_from(ReviewerProfile)) == reviewers
    profile = session.scalars(select(ReviewerProfile)).first()
    assert profile is not None and 3 <= len(profile.publications) <= 6
    assert profile.expertise
    ref = bilateral(session)
    entries = pool.list_pool(session, actor=officer(session), call_reference=ref)
    assert len(entries) == reviewers
    assert {e.membership.status for e in entries} == {"accepted"}
    assert min(e.membership.max_load for e in entries) >= 6
    form = session.scalars(select(ReviewForm)).first()
    assert form is not None and form.criteria and form.reviews_per_proposal == 3
    found = pool.call_conflicts(
        session, actor=officer(session), call_reference=ref, as_of_year=utcnow().year
    )
    kinds = found.conflicts.count_by_kind()
    assert kinds["coauthorship"] > 0
    assert kinds["same_organisation"] > 0 and kinds["competing_proposal"] > 0
    some = next(r for r in found.conflicts.reasons if r.kind == "coauthorship")
    assert "co-authored" in some.detail


def test_assignment_respects_every_rule_is_saved_audited_and_cached(session: Session) -> None:
    actor, ref = officer(session), bilateral(session)
    run = assignments.run_assignment(
        session, actor=actor, call_reference=ref, params=FAST, now=utcnow()
    )
    problem = assignments.build_problem(
        session, actor=actor, call_reference=ref, params=FAST, year=utcnow().year
    )
    p_index = {p.id: i for i, p in enumerate(problem.proposals)}
    r_index = {e.profile.id: j for j, e in enumerate(problem.found.entries)}
    rows = assignments.active_assignment(session, actor=actor, call_reference=ref).rows
    pairs = np.array([(p_index[r.proposal_id], r_index[r.reviewer_id]) for r in rows])
    assert len(rows) == 3 * len(problem.proposals)
    assert not check_assignment(
        pairs,
        conflicts=problem.found.conflicts.matrix,
        k=problem.k,
        loads=problem.loads,
        reviewer_groups=problem.labels,
        diversity=problem.rules,
    )
    assert run.result["status"] == "optimal" and run.result["proven_optimal"]
    assert run.result["min_per_proposal"] == min(run.result["per_proposal"].values())
    assert sum(run.result["load_histogram"].values()) == len(problem.found.entries)
    assert {r["group"] for r in run.result["rules"]} == {"home", "member_state"}
    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "review.assignment_saved")
    ).one()
    assert audit.subject_id == str(run.id) and audit.summary["pairs"] == len(rows)
    # Vectors: the first run embedded every text; the second embeds nothing new.
    assert run.result["embedding"]["computed"] > 0
    stored = session.scalar(select(func.count()).select_from(EmbeddingVector))
    again = assignments.run_assignment(
        session, actor=actor, call_reference=ref, params=FAST, now=utcnow()
    )
    assert again.result["embedding"]["computed"] == 0
    assert session.scalar(select(func.count()).select_from(EmbeddingVector)) == stored
    assert again.version == run.version + 1 and again.inputs_digest == run.inputs_digest
    withdrawn = session.scalar(select(func.count()).where(ReviewAssignment.status == "withdrawn"))
    assert withdrawn == len(rows)


def test_infeasible_assignment_names_the_proposals(session: Session) -> None:
    actor, ref = officer(session), bilateral(session)
    found = pool.call_conflicts(session, actor=actor, call_reference=ref, as_of_year=2026)
    matrix = found.conflicts.matrix
    # Keep three clean reviewers and one in conflict with some (not all) proposals.
    clean = [j for j in range(matrix.shape[1]) if not matrix[:, j].any()][:3]
    partial = next(j for j in range(matrix.shape[1]) if 0 < matrix[:, j].sum() < matrix.shape[0])
    keep = [found.entries[j].profile.id for j in [*clean, partial]]
    call_id = found.call.id
    session.execute(
        update(CallReviewer)
        .where(CallReviewer.call_id == call_id, CallReviewer.reviewer_id.not_in(keep))
        .values(status="declined")
    )
    session.execute(update(CallReviewer).values(max_load=100))
    session.commit()
    params = AssignmentParams(backend="static", k=4, group_minimums={"home": 0, "member_state": 0})
    with pytest.raises(AssignmentInfeasible) as caught:
        assignments.run_assignment(
            session, actor=actor, call_reference=ref, params=params, now=utcnow()
        )
    error = caught.value
    assert error.reason == "too_few_reviewers"
    assert "fewer unconflicted reviewers than k" in error.message
    assert error.details["hint"]
    conflicted = {found.proposals[i].reference for i in np.flatnonzero(matrix[:, partial])}
    assert set(error.details["proposal_references"]) == conflicted


def test_swaps_are_checked_against_every_rule(session: Session) -> None:
    actor, ref = officer(session), bilateral(session)
    assignments.run_assignment(session, actor=actor, call_reference=ref, params=FAST, now=utcnow())
    problem = assignments.build_problem(
        session, actor=actor, call_reference=ref, params=FAST, year=utcnow().year
    )
    entries, matrix = problem.found.entries, problem.found.conflicts.matrix
    rows = assignments.active_assignment(session, actor=actor, call_reference=ref).rows
    load = {e.profile.id: 0 for e in entries}
    for r in rows:
        load[r.reviewer_id] += 1
    label = {e.profile.id: lab for e, lab in zip(entries, problem.labels, strict=True)}
    column = {e.profile.id: j for j, e in enumerate(entries)}
    proposal = problem.proposals[0]
    on_p = [r.reviewer_id for r in rows if r.proposal_id == proposal.id]
    japanese = next(rid for rid in on_p if label[rid] == "home")

    conflicted = next(e.profile.id for e in entries if matrix[0, column[e.profile.id]])
    with pytest.raises(RuleViolation) as refused:
        assignments.swap_reviewer(
            session, actor=actor, call_reference=ref, proposal_reference=proposal.reference,
            old_reviewer_id=on_p[0], new_reviewer_id=conflicted, now=utcnow(),
        )  # fmt: skip
    assert any("conflict" in v for v in refused.value.details["violations"])
    assert proposal.reference in refused.value.message

    member_state = next(
        e.profile.id
        for e in entries
        if label[e.profile.id] == "member_state"
        and not matrix[0, column[e.profile.id]]
        and e.profile.id not in on_p
        and load[e.profile.id] < e.membership.max_load
    )
    if sum(label[rid] == "home" for rid in on_p) == 1:
        with pytest.raises(RuleViolation) as diversity:
            assignments.swap_reviewer(
                session, actor=actor, call_reference=ref, proposal_reference=proposal.reference,
                old_reviewer_id=japanese, new_reviewer_id=member_state, now=utcnow(),
            )  # fmt: skip
        assert any("'home'" in v for v in diversity.value.details["violations"])

    replacement = next(
        e.profile.id
        for e in entries
        if label[e.profile.id] == "home"
        and not matrix[0, column[e.profile.id]]
        and e.profile.id not in on_p
        and load[e.profile.id] < e.membership.max_load
    )
    row = assignments.swap_reviewer(
        session, actor=actor, call_reference=ref, proposal_reference=proposal.reference,
        old_reviewer_id=japanese, new_reviewer_id=replacement, now=utcnow(),
    )  # fmt: skip
    assert row.status == "active" and row.reviewer_id == replacement
    old = session.scalars(
        select(ReviewAssignment).where(
            ReviewAssignment.proposal_id == proposal.id, ReviewAssignment.reviewer_id == japanese
        )
    ).one()
    assert old.status == "swapped"
    assert (
        session.scalar(select(func.count()).where(AuditEntry.action == "review.reviewer_swapped"))
        == 1
    )
    assert not assignments.check_active(
        session, actor=actor, call_reference=ref, year=utcnow().year
    )


def test_invitations_and_answers(session: Session) -> None:
    actor, ref = officer(session), bilateral(session)
    reviewer_user = session.scalars(select(User).where(User.username == "reviewer")).one()
    reviewer = actor_for(reviewer_user)
    with pytest.raises(PermissionDenied):
        pool.invite_reviewers(
            session, actor=reviewer, call_reference=ref, reviewer_ids=None, max_load=None,
            now=utcnow(),
        )  # fmt: skip
    mine = session.scalars(
        select(ReviewerProfile).where(ReviewerProfile.researcher_id == reviewer_user.researcher_id)
    ).one()
    session.execute(update(CallReviewer).where(CallReviewer.reviewer_id == mine.id).values(
        status="invited"
    ))  # fmt: skip
    session.commit()
    answered = pool.respond_to_invitation(
        session, actor=reviewer, call_reference=ref, accept=False, max_load=None, now=utcnow()
    )
    assert answered.status == "declined"
    assert (
        pool.invite_reviewers(
            session,
            actor=actor,
            call_reference=ref,
            reviewer_ids=[mine.id],
            max_load=4,
            now=utcnow(),
        )
        == []
    )  # already in the pool: left as it is
