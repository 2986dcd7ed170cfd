"""Reviewer pool use cases: reviewer profiles, invitations to a call's pool and the answers to
them, declared conflicts, and the pool's conflicts with the call's proposals (with reasons).

Officers and administrators (``review.manage``) keep profiles, invite and declare; a reviewer
(``review.submit``) answers their own invitations, keeps their own profile and declares their
own conflicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nexus_sti.accounts.queries import researcher_of
from nexus_sti.calls.service import call_by_reference, calls_by_id, published_calls
from nexus_sti.core.access import Actor, check, require
from nexus_sti.core.areas import AREA_CODES
from nexus_sti.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from nexus_sti.core.workflow import step
from nexus_sti.people.queries import (
    ResearcherCard,
    names_in_order,
    researcher_card,
    researcher_cards,
)
from nexus_sti.platform.auditlog import record
from nexus_sti.proposals.queries import (
    MemberFacts as ConsortiumMember,
)
from nexus_sti.proposals.queries import (
    ProposalCard,
    consortia,
    proposal_card,
    proposal_cards,
    references_of,
)
from nexus_sti.review.conflicts import (
    DEFAULT_COAUTHORSHIP_YEARS,
    Coauthor,
    ConflictMatrix,
    DeclaredRelation,
    MemberFacts,
    ProposalFacts,
    Publication,
    ReviewerFacts,
    detect_conflicts,
    name_key,
)
from nexus_sti.review.tables import CallReviewer, DeclaredConflict, ReviewerProfile
from nexus_sti.review.workflow import POOL_MEMBER

if TYPE_CHECKING:
    from nexus_sti.calls.tables import Call

# Proposals that go to review; the call's other proposals still make their members competitors.
ASSIGNABLE = frozenset({"submitted", "eligible"})
POOL_STATUSES = ("invited", "accepted", "declined")
MAX_LOAD_LIMIT = 100


def _own_profile(session: Session, actor: Actor) -> ReviewerProfile:
    researcher_id = researcher_of(session, actor.user_id)
    if researcher_id is None:
        raise PermissionDenied("act as a reviewer", "this account is not linked to a researcher")
    profile = session.scalar(
        select(ReviewerProfile).where(ReviewerProfile.researcher_id == researcher_id)
    )
    if profile is None:
        raise NotFound("reviewer profile of researcher", researcher_id)
    return profile


def _check_load(max_load: int) -> None:
    if not 0 <= max_load <= MAX_LOAD_LIMIT:
        raise InvalidInput("max_load", f"must lie between 0 and {MAX_LOAD_LIMIT}")


def _check_publications(publications: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i, pub in enumerate(publications):
        title = str(pub.get("title", "")).strip()
        year = pub.get("year")
        if not title:
            raise InvalidInput(f"publications[{i}].title", "must not be empty")
        if not isinstance(year, int) or not 1900 <= year <= 2200:
            raise InvalidInput(f"publications[{i}].year", "must be a year such as 2024")
        coauthors = [
            {"name": str(c.get("name", "")).strip(), "orcid": c.get("orcid") or None}
            for c in pub.get("coauthors", [])
        ]
        out.append({"title": title, "year": year, "coauthors": coauthors})
    return out


def save_profile(
    session: Session,
    *,
    actor: Actor,
    researcher_id: int,
    expertise: str,
    publications: Sequence[dict[str, Any]],
    areas: Sequence[str],
    max_load: int,
    available: bool,
    now: datetime,
) -> ReviewerProfile:
    """Create or update a researcher's reviewer profile (officers, or the reviewer themselves)."""
    if not check(actor, "review.manage"):
        require(actor, "review.submit", "edit a reviewer profile")
        if researcher_of(session, actor.user_id) != researcher_id:
            raise PermissionDenied("edit this reviewer profile", "reviewers edit only their own")
    if researcher_card(session, researcher_id) is None:
        raise NotFound("researcher", researcher_id)
    _check_load(max_load)
    profile = session.scalar(
        select(ReviewerProfile).where(ReviewerProfile.researcher_id == researcher_id)
    )
    created = profile is None
    if profile is None:
        profile = ReviewerProfile(researcher_id=researcher_id)
        session.add(profile)
    profile.expertise = expertise.strip()
    profile.publications = _check_publications(publications)
    profile.areas = [str(a) for a in areas]
    profile.max_load = max_load
    profile.available = available
    profile.updated_at = now
    session.flush()
    record(
        session,
        action="review.profile_saved",
        actor=actor,
        subject_type="reviewer_profile",
        subject_id=profile.id,
        inputs={
            "researcher": researcher_id,
            "expertise": profile.expertise,
            "publications": profile.publications,
            "areas": profile.areas,
            "max_load": max_load,
            "available": available,
        },
        now=now,
        summary={"researcher": researcher_id, "created": created, "max_load": max_load},
    )
    session.commit()
    return profile


DEFAULT_MAX_LOAD = 6


def create_profile(
    session: Session, *, actor: Actor, researcher_id: int, now: datetime
) -> ReviewerProfile:
    """An officer creates a reviewer profile for a researcher who has none: available, the
    default load, the researcher's own priority areas, no expertise yet. ``Conflict`` when the
    researcher already has one."""
    require(actor, "review.manage", "create a reviewer profile")
    researcher = researcher_card(session, researcher_id)
    if researcher is None:
        raise NotFound("researcher", researcher_id)
    existing = session.scalar(
        select(ReviewerProfile.id).where(ReviewerProfile.researcher_id == researcher_id)
    )
    if existing is not None:
        raise Conflict(
            f"{researcher.name_latin} already has reviewer profile {existing}",
            profile_id=existing,
        )
    return save_profile(
        session,
        actor=actor,
        researcher_id=researcher_id,
        expertise="",
        publications=[],
        areas=[a for a in researcher.areas if a in AREA_CODES],
        max_load=DEFAULT_MAX_LOAD,
        available=True,
        now=now,
    )


def invite_reviewers(
    session: Session,
    *,
    actor: Actor,
    call_reference: str,
    reviewer_ids: Sequence[int] | None,
    max_load: int | None,
    now: datetime,
) -> list[CallReviewer]:
    """Invite reviewers (profile ids; ``None``: every available profile) to the call's pool.
    Those already in the pool are left as they are. ``max_load`` defaults to each profile's."""
    require(actor, "review.manage", "invite reviewers")
    call = call_by_reference(session, call_reference)
    if max_load is not None:
        _check_load(max_load)
    query = select(ReviewerProfile).order_by(ReviewerProfile.id)
    if reviewer_ids is None:
        query = query.where(ReviewerProfile.available.is_(True))
    else:
        query = query.where(ReviewerProfile.id.in_(list(reviewer_ids)))
    profiles = list(session.scalars(query))
    if reviewer_ids is not None:
        missing = sorted(set(reviewer_ids) - {p.id for p in profiles})
        if missing:
            raise NotFound("reviewer profile", ", ".join(map(str, missing)))
    present = set(
        session.scalars(select(CallReviewer.reviewer_id).where(CallReviewer.call_id == call.id))
    )
    added = [
        CallReviewer(
            call_id=call.id,
            reviewer_id=p.id,
            status="invited",
            max_load=p.max_load if max_load is None else max_load,
            invited_at=now,
            responded_at=None,
        )
        for p in profiles
        if p.id not in present
    ]
    session.add_all(added)
    session.flush()
    record(
        session,
        action="review.reviewers_invited",
        actor=actor,
        subject_type="call",
        subject_id=call.id,
        inputs={"call": call.reference, "reviewers": [a.reviewer_id for a in added]},
        now=now,
        summary={"call": call.reference, "invited": len(added)},
    )
    session.commit()
    return added


def my_invitations(session: Session, *, actor: Actor) -> list[tuple[CallReviewer, Call]]:
    """The reviewer's own pool memberships, newest call first (empty without a profile)."""
    require(actor, "review.submit", "see review invitations")
    try:
        profile = _own_profile(session, actor)
    except (NotFound, PermissionDenied):
        return []
    return _memberships(session, profile.id)


def _memberships(session: Session, profile_id: int) -> list[tuple[CallReviewer, Call]]:
    """A reviewer's pool memberships with their calls, newest deadline first."""
    rows = list(session.scalars(select(CallReviewer).where(CallReviewer.reviewer_id == profile_id)))
    calls = calls_by_id(session, {cr.call_id for cr in rows})
    pairs = [(cr, calls[cr.call_id]) for cr in rows]
    return sorted(pairs, key=lambda pair: (pair[1].closes_at, pair[0].id), reverse=True)


def respond_to_invitation(
    session: Session,
    *,
    actor: Actor,
    call_reference: str,
    accept: bool,
    max_load: int | None,
    now: datetime,
) -> CallReviewer:
    """A reviewer accepts (optionally with a lower or higher load) or declines their invitation."""
    require(actor, "review.submit", "answer a review invitation")
    profile = _own_profile(session, actor)
    call = call_by_reference(session, call_reference)
    membership = session.scalar(
        select(CallReviewer).where(
            CallReviewer.call_id == call.id, CallReviewer.reviewer_id == profile.id
        )
    )
    if membership is None:
        raise NotFound("invitation to call", call_reference)
    if membership.status != "invited":
        raise Conflict(f"the invitation to {call_reference} was already {membership.status}")
    if max_load is not None:
        _check_load(max_load)
        membership.max_load = max_load
    membership.status = step(
        POOL_MEMBER, membership.status, "accept" if accept else "decline", actor.role
    )
    membership.responded_at = now
    record(
        session,
        action="review.invitation_answered",
        actor=actor,
        subject_type="call_reviewer",
        subject_id=membership.id,
        inputs={"call": call_reference, "accept": accept, "max_load": membership.max_load},
        now=now,
        summary={"call": call_reference, "status": membership.status},
    )
    session.commit()
    return membership


def declare_conflict(
    session: Session,
    *,
    actor: Actor,
    reviewer_id: int | None,
    reason: str,
    proposal_reference: str | None = None,
    person_name: str = "",
    person_orcid: str | None = None,
    organisation_name: str = "",
    now: datetime,
) -> DeclaredConflict:
    """Declare a conflict with a proposal, a person or an organisation. Officers name the
    reviewer (profile id); a reviewer declares for themselves (``reviewer_id`` ignored)."""
    if check(actor, "review.manage"):
        if reviewer_id is None or session.get(ReviewerProfile, reviewer_id) is None:
            raise NotFound("reviewer profile", reviewer_id)
        profile_id = reviewer_id
    else:
        require(actor, "review.submit", "declare a conflict")
        profile_id = _own_profile(session, actor).id
    if not reason.strip():
        raise InvalidInput("reason", "say why (a declared conflict needs a reason)")
    proposal_id = None
    if proposal_reference:
        named = proposal_card(session, reference=proposal_reference)
        if named is None:
            raise NotFound("proposal", proposal_reference)
        proposal_id = named.id
    if not (proposal_id or person_name.strip() or person_orcid or organisation_name.strip()):
        raise InvalidInput("proposal_reference", "name a proposal, a person or an organisation")
    row = DeclaredConflict(
        reviewer_id=profile_id,
        proposal_id=proposal_id,
        person_name=person_name.strip(),
        person_orcid=person_orcid or None,
        organisation_name=organisation_name.strip(),
        reason=reason.strip(),
        declared_by=actor.user_id,
        declared_at=now,
    )
    session.add(row)
    session.flush()
    record(
        session,
        action="review.conflict_declared",
        actor=actor,
        subject_type="declared_conflict",
        subject_id=row.id,
        inputs={
            "reviewer": profile_id,
            "proposal": proposal_reference,
            "person": [row.person_name, row.person_orcid],
            "organisation": row.organisation_name,
            "reason": row.reason,
        },
        now=now,
        summary={"reviewer": profile_id, "proposal": proposal_reference},
    )
    session.commit()
    return row


@dataclass(frozen=True)
class PoolEntry:
    membership: CallReviewer
    profile: ReviewerProfile
    researcher: ResearcherCard

    @property
    def organisation_name(self) -> str:
        return self.researcher.organisation_name

    @property
    def label(self) -> str:
        return f"{self.researcher.name_latin} ({self.researcher.country})"


def list_pool(
    session: Session, *, actor: Actor, call_reference: str, statuses: Sequence[str] = ()
) -> list[PoolEntry]:
    """The call's pool (optionally only some statuses), by reviewer name."""
    require(actor, "review.manage", "see a call's reviewer pool")
    call = call_by_reference(session, call_reference)
    query = (
        select(CallReviewer, ReviewerProfile)
        .join(ReviewerProfile, ReviewerProfile.id == CallReviewer.reviewer_id)
        .where(CallReviewer.call_id == call.id)
    )
    if statuses:
        query = query.where(CallReviewer.status.in_(list(statuses)))
    rows = session.execute(query).all()
    cards = researcher_cards(session, [profile.researcher_id for _, profile in rows])
    entries = [
        PoolEntry(membership, profile, cards[profile.researcher_id])
        for membership, profile in rows
        if profile.researcher_id in cards
    ]
    return sorted(entries, key=lambda e: (e.researcher.sort_name, e.membership.id))


def pool_sizes(session: Session) -> dict[int, dict[str, int]]:
    """Per call id, how many pool members are in each status."""
    out: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(CallReviewer.call_id, CallReviewer.status, func.count()).group_by(
            CallReviewer.call_id, CallReviewer.status
        )
    )
    for call_id, status, n in rows:
        out.setdefault(call_id, dict.fromkeys(POOL_STATUSES, 0))[status] = n
    return out


@dataclass(frozen=True)
class CallConflicts:
    """The call's assignable proposals, the pool entries considered and their conflicts; the
    matrix is keyed by proposal reference and reviewer profile id."""

    call: Call
    proposals: list[ProposalCard]
    entries: list[PoolEntry]
    conflicts: ConflictMatrix
    members: dict[int, list[ConsortiumMember]]


def _member_facts(m: ConsortiumMember) -> MemberFacts:
    return MemberFacts(
        name=m.name,
        country=m.country,
        person=m.researcher_id,
        orcid=m.orcid,
        organisation=m.organisation_id,
        organisation_name=m.organisation_name,
    )


def reviewer_facts(
    entry: PoolEntry, declared: Sequence[DeclaredConflict], reference_of: dict[int, str]
) -> ReviewerFacts:
    """The reviewer as conflict detection sees it; declared proposals by reference."""
    r = entry.researcher
    return ReviewerFacts(
        key=entry.profile.id,
        name=r.name_latin,
        country=r.country,
        person=r.id,
        orcid=r.orcid,
        organisation=r.organisation_id,
        organisation_name=entry.organisation_name,
        publications=tuple(
            Publication(
                title=str(p.get("title", "")),
                year=int(p.get("year", 0)),
                coauthors=tuple(
                    Coauthor(str(c.get("name", "")), c.get("orcid")) for c in p.get("coauthors", [])
                ),
            )
            for p in entry.profile.publications
        ),
        relations=tuple(
            DeclaredRelation(
                reason=d.reason,
                proposal=reference_of.get(d.proposal_id) if d.proposal_id else None,
                person_name=d.person_name,
                person_orcid=d.person_orcid,
                organisation_name=d.organisation_name,
            )
            for d in declared
        ),
    )


def call_conflicts(
    session: Session,
    *,
    actor: Actor,
    call_reference: str,
    as_of_year: int,
    coauthorship_years: int = DEFAULT_COAUTHORSHIP_YEARS,
    statuses: Sequence[str] = ("invited", "accepted"),
) -> CallConflicts:
    """Every conflict between the pool (in ``statuses``) and the call's assignable proposals."""
    require(actor, "review.manage", "see conflicts of interest")
    if not 0 <= coauthorship_years <= 50:
        raise InvalidInput("coauthorship_years", "must lie between 0 and 50")
    call = call_by_reference(session, call_reference)
    every = proposal_cards(session, call_id=call.id)
    proposals = [p for p in every if p.status in ASSIGNABLE]
    others = [p for p in every if p.status not in ASSIGNABLE]
    consortium = consortia(session, call_id=call.id)
    members = {
        p.id: [m for m in consortium.get(p.id, []) if m.confirmation != "declined"] for p in every
    }
    entries = list_pool(session, actor=actor, call_reference=call_reference, statuses=statuses)
    declared: dict[int, list[DeclaredConflict]] = {}
    ids = [e.profile.id for e in entries]
    for d in session.scalars(select(DeclaredConflict).where(DeclaredConflict.reviewer_id.in_(ids))):
        declared.setdefault(d.reviewer_id, []).append(d)
    reference_of = {p.id: p.reference for p in every}

    def facts(p: ProposalCard) -> ProposalFacts:
        return ProposalFacts(p.reference, tuple(_member_facts(m) for m in members[p.id]))

    reviewers = [reviewer_facts(e, declared.get(e.profile.id, []), reference_of) for e in entries]
    matrix = detect_conflicts(
        reviewers,
        [facts(p) for p in proposals],
        as_of_year=as_of_year,
        coauthorship_years=coauthorship_years,
        other_call_proposals=[facts(p) for p in others],
    )
    return CallConflicts(call, proposals, entries, matrix, members)


# --- reads for the officer's pages ---------------------------------------------------------------


def review_calls(session: Session, *, actor: Actor) -> list[Call]:
    """The calls that have left draft, latest deadline first (the review home's list)."""
    require(actor, "review.manage", "see the calls under review")
    return published_calls(session)


def call_proposals(
    session: Session, *, actor: Actor, call_reference: str
) -> dict[int, ProposalCard]:
    """Every proposal of the call, by id."""
    require(actor, "review.manage", "see a call's proposals")
    call = call_by_reference(session, call_reference)
    return {p.id: p for p in proposal_cards(session, call_id=call.id)}


def declared_conflicts_by_reviewer(
    session: Session, reviewer_ids: Sequence[int]
) -> dict[int, list[tuple[DeclaredConflict, str | None]]]:
    """Per reviewer profile, their declared conflicts (newest first) with the named proposal's
    reference. No permission check: the caller has checked the actor may see these profiles
    (use :func:`list_declared_conflicts` otherwise)."""
    out: dict[int, list[tuple[DeclaredConflict, str | None]]] = {}
    if not reviewer_ids:
        return out
    rows = list(
        session.scalars(
            select(DeclaredConflict)
            .where(DeclaredConflict.reviewer_id.in_(list(reviewer_ids)))
            .order_by(DeclaredConflict.declared_at.desc(), DeclaredConflict.id.desc())
        )
    )
    named = references_of(session, ids={c.proposal_id for c in rows if c.proposal_id})
    for conflict in rows:
        reference = named.get(conflict.proposal_id) if conflict.proposal_id else None
        out.setdefault(conflict.reviewer_id, []).append((conflict, reference))
    return out


def list_declared_conflicts(
    session: Session, *, actor: Actor, reviewer_ids: Sequence[int]
) -> dict[int, list[tuple[DeclaredConflict, str | None]]]:
    """Declared conflicts of the given reviewer profiles (officers: any; a reviewer: their own
    profile only)."""
    if not check(actor, "review.manage"):
        require(actor, "review.submit", "see declared conflicts")
        if reviewer_ids and set(reviewer_ids) - {_own_profile(session, actor).id}:
            raise PermissionDenied("see these declared conflicts", "reviewers see only their own")
    return declared_conflicts_by_reviewer(session, reviewer_ids)


@dataclass(frozen=True)
class ReviewerDetail:
    """A reviewer profile with its researcher, organisation and call pools (newest call first)."""

    profile: ReviewerProfile
    researcher: ResearcherCard
    memberships: list[tuple[CallReviewer, Call]]

    @property
    def organisation_name(self) -> str:
        return self.researcher.organisation_name


def get_reviewer(session: Session, *, actor: Actor, profile_id: int) -> ReviewerDetail:
    require(actor, "review.manage", "see reviewer profiles")
    profile = session.get(ReviewerProfile, profile_id)
    if profile is None:
        raise NotFound("reviewer profile", profile_id)
    researcher = researcher_card(session, profile.researcher_id)
    if researcher is None:
        raise NotFound("researcher", profile.researcher_id)
    memberships = _memberships(session, profile.id)
    return ReviewerDetail(
        profile=profile,
        researcher=researcher,
        memberships=[(cr, call) for cr, call in memberships],
    )


@dataclass(frozen=True)
class ResearcherMatch:
    """A researcher found by name, with their reviewer profile's id when they have one."""

    researcher: ResearcherCard
    profile_id: int | None

    @property
    def organisation_name(self) -> str:
        return self.researcher.organisation_name


SEARCH_LIMIT = 25


def search_researchers(
    session: Session, *, actor: Actor, query: str, limit: int = SEARCH_LIMIT
) -> list[ResearcherMatch]:
    """Researchers whose Latin or local-script name contains every word of ``query``, in any
    order, ignoring case and accents ("nguyen van" finds "Nguyễn Văn An"; "渡辺浩二" finds
    "渡辺 浩二"). Matching is done here rather than in SQL, which cannot fold accents on every
    backend."""
    require(actor, "review.manage", "search researchers for a reviewer profile")
    wanted = name_key(query)
    if not wanted:
        raise InvalidInput("researcher", "required", "researcher: type part of a name")
    words = wanted.split()
    found: list[int] = []
    for rid, latin, local in names_in_order(session):
        keys = (name_key(latin), name_key(local))
        if any(all(w in key for w in words) for key in keys):
            found.append(rid)
            if len(found) == limit:
                break
    if not found:
        return []
    profiles = dict(
        session.execute(
            select(ReviewerProfile.researcher_id, ReviewerProfile.id).where(
                ReviewerProfile.researcher_id.in_(found)
            )
        ).all()
    )
    cards = researcher_cards(session, found)
    return [ResearcherMatch(cards[rid], profiles.get(rid)) for rid in found if rid in cards]
