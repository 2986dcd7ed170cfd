"""The review stage of the synthetic demo: reviewer profiles, the closed calls' pools and their
review forms, so an officer can run conflict detection and the assignment at once.

Every demo researcher marked as a reviewer gets a profile: an expertise text and 3-6 publication
titles written from the demo vocabulary of their areas (``demo/texts.py``), each publication
with one to three co-authors drawn from the demo's researchers. About one reviewer in four has a
recent paper with a member of a closed call's proposal, so the demo shows co-authorship
conflicts. Every profile is invited to each closed call and has accepted.

The call load is 6, raised where the call would otherwise be short: a reviewer who is in one of
the call's consortia cannot review it (competing proposal), and with 120 demo reviewers for
several hundred proposals the remaining loads must still cover k reviews per proposal, one
Japan-based and one member-state reviewer per proposal, each with half again to spare.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from nexus_sti.calls.tables import Call
from nexus_sti.demo.texts import proposal_text
from nexus_sti.people.tables import Researcher
from nexus_sti.programs.model import ProgramConfig
from nexus_sti.proposals.tables import Proposal, ProposalMember
from nexus_sti.review.tables import (
    AssignmentRun,
    CalibrationRun,
    CallReviewer,
    DeclaredConflict,
    PanelNote,
    Review,
    ReviewAssignment,
    ReviewerProfile,
    ReviewForm,
)

DEMO_LOAD = 6
DEMO_K = 3
LOAD_MARGIN = 1.5
CONFLICT_SHARE = 0.25
REVIEW_DAYS = 30


def seed_review_demo(
    session: Session,
    *,
    calls: Sequence[Call],
    config: ProgramConfig,
    now: datetime,
    rng: np.random.Generator,
) -> None:
    """Profiles for the synthetic reviewers, and a pool and review form for each of ``calls``
    (the closed demo calls). Adds to the session; the caller commits."""
    researchers = list(
        session.scalars(
            select(Researcher).where(Researcher.synthetic.is_(True)).order_by(Researcher.id)
        )
    )
    reviewers = [r for r in researchers if r.is_reviewer]
    call_ids = [c.id for c in calls]
    members = session.execute(
        select(ProposalMember.researcher_id, ProposalMember.name, ProposalMember.orcid, Call.id)
        .join(Proposal, Proposal.id == ProposalMember.proposal_id)
        .join(Call, Call.id == Proposal.call_id)
        .where(Call.id.in_(call_ids))
    ).all()
    member_pool = [(name, orcid) for _, name, orcid, _ in members]
    profiles = [_profile(r, researchers, member_pool, now, rng) for r in reviewers]
    session.add_all(profiles)
    session.flush()
    for call in calls:
        in_call = {rid for rid, _, _, cid in members if cid == call.id}
        n_proposals = session.scalar(select(func.count()).where(Proposal.call_id == call.id)) or 0
        free = [r for r in reviewers if r.id not in in_call]
        needs = [(DEMO_K * n_proposals, len(free))]
        for group in config.reviewer_groups:  # each group's minimum on every proposal
            where = set(config.place_countries(group.countries))
            needs.append((group.minimum * n_proposals, sum(r.country in where for r in free)))
        load = max(DEMO_LOAD, *(math.ceil(LOAD_MARGIN * n / max(m, 1)) for n, m in needs))
        session.add_all(
            CallReviewer(
                call_id=call.id,
                reviewer_id=p.id,
                status="accepted",
                max_load=load,
                invited_at=call.closes_at,
                responded_at=call.closes_at + timedelta(days=2),
            )
            for p in profiles
        )
        session.add(_form(call, config))
    session.flush()


def _profile(
    researcher: Researcher,
    everyone: Sequence[Researcher],
    members: Sequence[tuple[str, str | None]],
    now: datetime,
    rng: np.random.Generator,
) -> ReviewerProfile:
    areas = list(researcher.areas) or ["health"]
    titles = [
        proposal_text(
            area=areas[i % len(areas)],
            track="regional",
            partner_names=["ASEAN"],
            duration_months=36,
            rng=rng,
        )[0]
        for i in range(int(rng.integers(3, 7)) + 2)
    ]
    expertise_titles, pub_titles = titles[:2], titles[2:]
    conflicted = members and rng.random() < CONFLICT_SHARE
    publications = []
    for i, title in enumerate(pub_titles):
        coauthors = []
        for _ in range(int(rng.integers(1, 4))):
            other = everyone[int(rng.integers(len(everyone)))]
            if other.id != researcher.id:
                coauthors.append({"name": other.name_latin, "orcid": other.orcid})
        if conflicted and i == 0:
            name, orcid = members[int(rng.integers(len(members)))]
            coauthors.append({"name": name, "orcid": orcid})
        year = now.year - (1 if conflicted and i == 0 else int(rng.integers(0, 8)))
        publications.append({"title": title, "year": year, "coauthors": coauthors})
    expertise = (
        f"Research in {', '.join(areas)}. "
        + " ".join(f"{t}." for t in expertise_titles)
        + " (synthetic profile)"
    )
    return ReviewerProfile(
        researcher_id=researcher.id,
        expertise=expertise,
        publications=publications,
        areas=areas,
        max_load=DEMO_LOAD,
        available=True,
        updated_at=now,
        synthetic=True,
    )


def _form(call: Call, config: ProgramConfig) -> ReviewForm:
    threshold = config.program.total_threshold
    return ReviewForm(
        call_id=call.id,
        criteria=[
            {
                "code": c.code,
                "name": c.name,
                "description": c.description,
                "weight": float(c.weight),
                "scale_min": float(c.scale_min),
                "scale_max": float(c.scale_max),
                "step": float(c.step),
                "threshold": float(c.threshold) if c.threshold is not None else None,
            }
            for c in config.review_criteria
        ],
        total_threshold=float(threshold) if threshold is not None else None,
        reviews_per_proposal=DEMO_K,
        due_at=call.closes_at + timedelta(days=REVIEW_DAYS),
        reminder_days=[7, 1],
    )


def remove_review_demo(
    session: Session,
    *,
    synthetic_calls: Select[int],
    synthetic_proposals: Select[int],
) -> None:
    """Delete the review rows of the synthetic calls and proposals and the synthetic profiles,
    children first (reviews, assignments, runs, pools, conflicts, forms, notes, profiles)."""
    synthetic_profiles = select(ReviewerProfile.id).where(ReviewerProfile.synthetic.is_(True))
    session.execute(delete(Review).where(Review.proposal_id.in_(synthetic_proposals)))
    session.execute(delete(Review).where(Review.reviewer_id.in_(synthetic_profiles)))
    session.execute(
        delete(ReviewAssignment).where(
            ReviewAssignment.call_id.in_(synthetic_calls)
            | ReviewAssignment.reviewer_id.in_(synthetic_profiles)
        )
    )
    session.execute(delete(AssignmentRun).where(AssignmentRun.call_id.in_(synthetic_calls)))
    session.execute(
        delete(CallReviewer).where(
            CallReviewer.call_id.in_(synthetic_calls)
            | CallReviewer.reviewer_id.in_(synthetic_profiles)
        )
    )
    session.execute(
        delete(DeclaredConflict).where(
            DeclaredConflict.reviewer_id.in_(synthetic_profiles)
            | DeclaredConflict.proposal_id.in_(synthetic_proposals)
        )
    )
    session.execute(delete(ReviewForm).where(ReviewForm.call_id.in_(synthetic_calls)))
    session.execute(delete(PanelNote).where(PanelNote.proposal_id.in_(synthetic_proposals)))
    session.execute(delete(CalibrationRun).where(CalibrationRun.call_id.in_(synthetic_calls)))
    session.execute(delete(ReviewerProfile).where(ReviewerProfile.synthetic.is_(True)))
