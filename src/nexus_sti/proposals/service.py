"""Proposal use cases: drafts, edits with every version kept, consortium invitations,
eligibility checks, idempotent submission with a receipt, withdrawal.

Access: an applicant reaches only the proposals they own; any other reference, guessed or not,
is "not found", so existence does not leak. Staff read everything; funding partners read the
proposals involving their country.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from nexus_sti.accounts.queries import email_of
from nexus_sti.calls.deadlines import accepting
from nexus_sti.calls.service import call_by_id, call_by_reference
from nexus_sti.core.access import Actor, Role, check, require
from nexus_sti.core.errors import Conflict, NotFound, RuleViolation
from nexus_sti.core.money import Money
from nexus_sti.core.workflow import step
from nexus_sti.platform.auditlog import record
from nexus_sti.programs.model import ProgramConfig
from nexus_sti.programs.service import program_version
from nexus_sti.proposals.eligibility import (
    CallRules,
    Context,
    Verdict,
    check_eligibility,
    rules_for_call,
)
from nexus_sti.proposals.model import BudgetContent, MemberContent, ProposalContent
from nexus_sti.proposals.tables import (
    Attachment,
    BudgetLine,
    Proposal,
    ProposalMember,
    ProposalVersion,
    Submission,
)
from nexus_sti.proposals.workflow import PROPOSAL

if TYPE_CHECKING:
    from nexus_sti.calls.tables import Call


def content_digest(content: ProposalContent) -> str:
    canonical = json.dumps(content.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def submission_digest(session: Session, proposal: Proposal, content: ProposalContent) -> str:
    """What a receipt certifies: the content and the exact attachments (kind and SHA-256)."""
    files = sorted(
        session.execute(
            select(Attachment.kind, Attachment.sha256).where(Attachment.proposal_id == proposal.id)
        ).all()
    )
    body = {"content": content_digest(content), "attachments": [list(f) for f in files]}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _by_reference(session: Session, reference: str) -> Proposal | None:
    return session.scalar(select(Proposal).where(Proposal.reference == reference))


def readable_proposal(session: Session, *, actor: Actor, reference: str) -> Proposal:
    """The proposal if ``actor`` may read it; otherwise NotFound, whether it exists or not."""
    proposal = _by_reference(session, reference)
    if proposal is None:
        raise NotFound("proposal", reference)
    if check(actor, "proposals.read_all"):
        return proposal
    if actor.role is Role.APPLICANT and proposal.owner_id == actor.user_id:
        return proposal
    if (
        actor.role is Role.FUNDING_PARTNER
        and actor.country
        and session.scalar(
            select(ProposalMember.id).where(
                ProposalMember.proposal_id == proposal.id, ProposalMember.country == actor.country
            )
        )
    ):
        return proposal
    raise NotFound("proposal", reference)


def owned_proposal(
    session: Session, actor: Actor, reference: str, *, lock: bool = False
) -> Proposal:
    """The actor's own proposal (NotFound otherwise). ``lock`` takes the row for the rest of the
    transaction (PostgreSQL; SQLite serialises writes anyway), so a concurrent request for the
    same proposal waits and then sees what this one did."""
    require(actor, "proposals.create", "change proposals")
    query = select(Proposal).where(Proposal.reference == reference)
    proposal = session.scalar(query.with_for_update() if lock else query)
    if proposal is None or proposal.owner_id != actor.user_id:
        raise NotFound("proposal", reference)
    return proposal


def content_of(session: Session, proposal: Proposal) -> ProposalContent:
    """The proposal's current content, rebuilt from its rows."""
    members = list(
        session.scalars(
            select(ProposalMember)
            .where(ProposalMember.proposal_id == proposal.id)
            .order_by(ProposalMember.id)
        )
    )
    lines = session.scalars(
        select(BudgetLine).where(BudgetLine.proposal_id == proposal.id).order_by(BudgetLine.id)
    )
    return content_from(proposal, members, lines)


def content_from(
    proposal: Proposal, members: Sequence[ProposalMember], lines: Iterable[BudgetLine]
) -> ProposalContent:
    """The content a proposal's rows make (members and budget lines in the order they were
    added)."""
    index = {m.id: i for i, m in enumerate(members)}
    return ProposalContent(
        title=proposal.title,
        abstract=proposal.abstract,
        keywords=tuple(proposal.keywords),
        area=proposal.area,
        secondary_areas=tuple(proposal.secondary_areas),
        duration_months=proposal.duration_months,
        members=tuple(
            MemberContent(
                name=m.name,
                email=m.email or f"member{m.id}@unknown.invalid",
                country=m.country,
                organisation_name=m.organisation_name or "(not given)",
                sector=m.sector,
                role=m.role,
                orcid=m.orcid,
                ror_id=m.ror_id,
            )
            for m in members
        ),
        budget=tuple(
            BudgetContent(
                member=index[b.member_id],
                year=b.year,
                funder=b.funder,
                amount=b.amount,
                currency=b.currency,
            )
            for b in lines
        ),
    )


def call_rules(session: Session, call: Call) -> CallRules:
    return rules_of(program_version(session, call.program_version_id).config, call)


def rules_of(config: ProgramConfig, call: Call) -> CallRules:
    """The call's eligibility inputs from its program's configuration."""
    return rules_for_call(
        config,
        call.track,
        call_reference=call.reference,
        call_areas=tuple(call.areas),
        rate_date=call.opens_at.date(),
    )


@dataclass(frozen=True, slots=True)
class Invitation:
    """A member asked to confirm; the link is shown once to the proposal's owner."""

    name: str
    email: str
    token: str


def store_content(
    session: Session, proposal: Proposal, content: ProposalContent, owner_email: str
) -> list[Invitation]:
    """Replace the proposal's members and budget with ``content``. Members already confirmed
    (same e-mail) stay confirmed; new ones other than the owner are invited."""
    previous = {
        m.email.lower(): m
        for m in session.scalars(
            select(ProposalMember).where(ProposalMember.proposal_id == proposal.id)
        )
    }
    session.execute(delete(BudgetLine).where(BudgetLine.proposal_id == proposal.id))
    session.execute(delete(ProposalMember).where(ProposalMember.proposal_id == proposal.id))
    invitations: list[Invitation] = []
    rows: list[ProposalMember] = []
    for m in content.members:
        before = previous.get(m.email.lower())
        row = ProposalMember(
            proposal_id=proposal.id,
            name=m.name,
            email=m.email,
            orcid=m.orcid,
            organisation_name=m.organisation_name,
            ror_id=m.ror_id,
            country=m.country,
            sector=m.sector,
            role=m.role,
        )
        if m.email.lower() == owner_email.lower():
            row.confirmation = "confirmed"
        elif before is not None and before.confirmation != "invited":
            row.confirmation = before.confirmation
        elif before is not None:
            row.confirmation, row.invite_token_hash = "invited", before.invite_token_hash
        else:
            token = secrets.token_urlsafe(24)
            row.confirmation = "invited"
            row.invite_token_hash = hashlib.sha256(token.encode()).hexdigest()
            invitations.append(Invitation(m.name, m.email, token))
        rows.append(row)
    session.add_all(rows)
    session.flush()
    session.add_all(
        BudgetLine(
            proposal_id=proposal.id,
            member_id=rows[b.member].id,
            year=b.year,
            funder=b.funder,
            amount=b.amount,
            currency=b.currency,
        )
        for b in content.budget
    )
    proposal.title = content.title
    proposal.abstract = content.abstract
    proposal.keywords = list(content.keywords)
    proposal.area = content.area
    proposal.secondary_areas = list(content.secondary_areas)
    proposal.duration_months = content.duration_months
    return invitations


def agency_request(session: Session, call: Call, content: ProposalContent) -> Decimal:
    """What the implementing agency is asked for, in the call's budget currency."""
    rules = call_rules(session, call)
    total = Money.zero(call.budget_currency)
    for line in content.budget:
        if line.funder == rules.implementing_agency:
            try:
                total = total + rules.rates.convert(
                    Money(line.amount, line.currency), call.budget_currency, rules.rate_date
                )
            except ValueError:
                continue  # the eligibility check reports the missing rate
    return total.amount


def snapshot_version(
    session: Session, proposal: Proposal, content: ProposalContent, actor: Actor, now: datetime
) -> None:
    session.add(
        ProposalVersion(
            proposal_id=proposal.id,
            version=proposal.version,
            content=content.model_dump(mode="json"),
            digest=content_digest(content),
            saved_at=now,
            saved_by=actor.user_id,
        )
    )


def _owner_email(session: Session, actor: Actor) -> str:
    return email_of(session, actor.user_id)


def open_call(
    session: Session,
    reference: str,
    now: datetime,
    stage: str = "full",
    grace: timedelta = timedelta(0),
) -> Call:
    """The call, if it takes work at ``stage`` now. A two-stage call takes concepts until its
    concept deadline and full proposals, by invitation, until its final deadline."""
    call = call_by_reference(session, reference)
    if call.status == "draft":
        raise NotFound("call", reference)
    check_accepting(call, now, stage, grace)
    return call


def check_accepting(
    call: Call, now: datetime, stage: str = "full", grace: timedelta = timedelta(0)
) -> None:
    """Raise ``call.deadline`` unless the call takes work at ``stage`` at ``now``."""
    closes = call.closes_at
    if call.two_stage and stage == "concept" and call.concept_closes_at is not None:
        closes = call.concept_closes_at
    reason = accepting(call.status, call.opens_at, closes, now, grace)
    if reason:
        what = "concepts" if stage == "concept" else "submissions"
        raise RuleViolation("call.deadline", f"call {call.reference} takes no {what}: {reason}")


@dataclass(frozen=True, slots=True)
class Saved:
    proposal: Proposal
    invitations: list[Invitation]


def create_proposal(
    session: Session, *, actor: Actor, call_reference: str, content: ProposalContent, now: datetime
) -> Saved:
    """A new draft in an open call, owned by the applicant who creates it."""
    require(actor, "proposals.create", "create proposals")
    call = open_call(session, call_reference, now, stage="concept")
    count = session.scalar(select(func.count()).where(Proposal.call_id == call.id)) or 0
    proposal = Proposal(
        call_id=call.id,
        reference=f"{call.reference}-{count + 1:04d}-{secrets.token_hex(2).upper()}",
        track=call.track,
        area=content.area,
        title=content.title,
        abstract=content.abstract,
        owner_id=actor.user_id,
        requested_amount=agency_request(session, call, content),
        currency=call.budget_currency,
        duration_months=content.duration_months,
        status="draft",
        stage="concept" if call.two_stage else "full",
        version=1,
        content_digest="",
        synthetic=False,
    )
    session.add(proposal)
    session.flush()
    invitations = store_content(session, proposal, content, _owner_email(session, actor))
    snapshot_version(session, proposal, content, actor, now)
    record(
        session,
        action="proposal.created",
        actor=actor,
        subject_type="proposal",
        subject_id=proposal.reference,
        inputs=content.model_dump(mode="json"),
        now=now,
        summary={"call": call.reference, "version": 1},
    )
    session.commit()
    return Saved(proposal, invitations)


def update_proposal(
    session: Session, *, actor: Actor, reference: str, content: ProposalContent, now: datetime
) -> Saved:
    """Save an edit as the next version. Until the deadline only; a submitted proposal goes back
    to draft and must be submitted again (its earlier submission stays on record)."""
    proposal = owned_proposal(session, actor, reference)
    if proposal.status == "withdrawn":
        raise RuleViolation("proposal.withdrawn", "a withdrawn proposal cannot be edited")
    call = call_by_id(session, proposal.call_id)
    open_call(session, call.reference, now, proposal.stage)
    invitations = store_content(session, proposal, content, _owner_email(session, actor))
    proposal.requested_amount = agency_request(session, call, content)
    proposal.version += 1
    if (
        proposal.status == "submitted"
        and submission_digest(session, proposal, content) != proposal.content_digest
    ):
        proposal.status = step(PROPOSAL, proposal.status, "edit", actor.role)
    snapshot_version(session, proposal, content, actor, now)
    record(
        session,
        action="proposal.edited",
        actor=actor,
        subject_type="proposal",
        subject_id=reference,
        inputs=content.model_dump(mode="json"),
        now=now,
        summary={"version": proposal.version},
    )
    session.commit()
    return Saved(proposal, invitations)


def check_proposal(session: Session, *, actor: Actor, reference: str) -> tuple[Verdict, ...]:
    """Every eligibility rule's verdict for the proposal as it stands."""
    proposal = readable_proposal(session, actor=actor, reference=reference)
    return current_verdicts(session, proposal)


def current_verdicts(
    session: Session, proposal: Proposal, content: ProposalContent | None = None
) -> tuple[Verdict, ...]:
    """Every eligibility rule's verdict on the proposal as stored (``content``: its content,
    when the caller has already read it)."""
    call = call_by_id(session, proposal.call_id)
    content = content or content_of(session, proposal)
    rules = call_rules(session, call)
    members = list(
        session.scalars(
            select(ProposalMember)
            .where(ProposalMember.proposal_id == proposal.id)
            .order_by(ProposalMember.id)
        )
    )
    context = Context(
        attachments=attachment_kinds(session, proposal.id),
        leads_elsewhere=leads_elsewhere(
            session,
            call,
            rules,
            emails={m.email.lower() for m in members if m.email},
            orcids={m.orcid for m in members if m.orcid},
            other_than=proposal.id,
        ),
        unconfirmed=[i for i, m in enumerate(members) if m.confirmation != "confirmed"],
    )
    if proposal.stage == "concept":
        rules = replace(rules, required_attachments=())  # a concept is the short form alone
    return check_eligibility(content, rules, context)


def attachment_kinds(session: Session, proposal_id: int) -> set[str]:
    return set(
        session.scalars(select(Attachment.kind).where(Attachment.proposal_id == proposal_id))
    )


def leads_elsewhere(
    session: Session,
    call: Call,
    rules: CallRules,
    *,
    emails: set[str],
    orcids: set[str],
    other_than: int | None,
) -> dict[str, str]:
    """E-mail or ORCID iD -> reference, for each of these people who leads a submitted proposal
    of ``call`` other than ``other_than``. Only these people's keys are looked up, so the check
    costs the same for the first submission of a call and the thousandth."""
    leading_roles = [c for c, r in rules.roles.items() if r.kind in ("lead", "country_lead")]
    query = (
        select(ProposalMember.email, ProposalMember.orcid, Proposal.reference)
        .join(Proposal, Proposal.id == ProposalMember.proposal_id)
        .where(
            Proposal.call_id == call.id,
            Proposal.status.in_(("submitted", "eligible", "ineligible")),
            ProposalMember.role.in_(leading_roles),
            or_(func.lower(ProposalMember.email).in_(emails), ProposalMember.orcid.in_(orcids)),
        )
    )
    if other_than is not None:
        query = query.where(Proposal.id != other_than)
    others: dict[str, str] = {}
    for email, orcid, ref in session.execute(query).all():
        for key in filter(None, (orcid, (email or "").lower())):
            others[key] = ref
    return others


def call_verdicts(
    session: Session, call: Call, proposals: Sequence[Proposal]
) -> dict[int, tuple[Verdict, ...]]:
    """Every rule's verdict on each of the call's ``proposals``, as :func:`current_verdicts`
    gives them one by one, in six queries whatever their number (the screening page)."""
    ids = [p.id for p in proposals]
    rules = call_rules(session, call)
    leading_roles = [c for c, r in rules.roles.items() if r.kind in ("lead", "country_lead")]
    members: dict[int, list[ProposalMember]] = {i: [] for i in ids}
    for m in session.scalars(
        select(ProposalMember)
        .where(ProposalMember.proposal_id.in_(ids))
        .order_by(ProposalMember.id)
    ):
        members[m.proposal_id].append(m)
    lines: dict[int, list[BudgetLine]] = {i: [] for i in ids}
    for b in session.scalars(
        select(BudgetLine).where(BudgetLine.proposal_id.in_(ids)).order_by(BudgetLine.id)
    ):
        lines[b.proposal_id].append(b)
    kinds: dict[int, set[str]] = {i: set() for i in ids}
    for proposal_id, kind in session.execute(
        select(Attachment.proposal_id, Attachment.kind).where(Attachment.proposal_id.in_(ids))
    ):
        kinds[proposal_id].add(kind)
    # The leads of the call's other proposals, by e-mail and by ORCID.
    leads = session.execute(
        select(ProposalMember.email, ProposalMember.orcid, Proposal.id, Proposal.reference)
        .join(Proposal, Proposal.id == ProposalMember.proposal_id)
        .where(
            Proposal.call_id == call.id,
            Proposal.status.in_(("submitted", "eligible", "ineligible")),
            ProposalMember.role.in_(leading_roles),
        )
        .order_by(ProposalMember.id)
    ).all()
    by_key: dict[str, list[tuple[int, int, str | None, str | None, str]]] = {}
    for position, (email, orcid, pid, ref) in enumerate(leads):
        row = (position, pid, email, orcid, ref)  # in query order, as current_verdicts reads
        for lead_key in (orcid, (email or "").lower()):
            if lead_key:
                by_key.setdefault(lead_key, []).append(row)
    out: dict[int, tuple[Verdict, ...]] = {}
    for p in proposals:
        team = members[p.id]
        mine: set[str] = {m.email.lower() for m in team if m.email}
        mine |= {m.orcid for m in team if m.orcid}
        others: dict[str, str] = {}
        matched = sorted({row for k in mine for row in by_key.get(k, ()) if row[1] != p.id})
        for _, _, their_email, their_orcid, their_ref in matched:
            for found in (their_orcid, (their_email or "").lower()):
                if found:
                    others[found] = their_ref
        context = Context(
            attachments=kinds[p.id],
            leads_elsewhere=others,
            unconfirmed=[i for i, m in enumerate(team) if m.confirmation != "confirmed"],
        )
        checked = replace(rules, required_attachments=()) if p.stage == "concept" else rules
        out[p.id] = check_eligibility(content_from(p, team, lines[p.id]), checked, context)
    return out


@dataclass(frozen=True, slots=True)
class Receipt:
    reference: str
    call: str
    version: int
    # When the request reached the server: the deadline is judged on this instant.
    submitted_at: datetime
    digest: str
    # When the submission was stored (later than ``submitted_at`` by the time it queued).
    recorded_at: datetime


def _latest_submission(session: Session, proposal: Proposal) -> Submission | None:
    return session.scalar(
        select(Submission)
        .where(Submission.proposal_id == proposal.id)
        .order_by(Submission.sequence.desc())
        .limit(1)
    )


def _stored_receipt(session: Session, proposal: Proposal, call: Call) -> Receipt | None:
    """The receipt of the submission the proposal stands on now, if it has one."""
    row = _latest_submission(session, proposal)
    if row is None or row.digest != proposal.content_digest or row.version != proposal.version:
        return None
    return Receipt(
        proposal.reference, call.reference, row.version, row.arrived_at, row.digest, row.recorded_at
    )


def submit_proposal(
    session: Session,
    *,
    actor: Actor,
    reference: str,
    now: datetime,
    arrived_at: datetime | None = None,
    grace: timedelta = timedelta(0),
) -> Receipt:
    """Submit by the deadline, judged at ``arrived_at`` (when the request reached the server;
    ``now`` where there is no request) plus ``grace``.

    Idempotent under any concurrency: the status moves from draft to submitted with a
    conditional update, so of two racing submits one changes the row and the other finds the
    first one's receipt; the unique (proposal, sequence) key on ``submissions`` guards the same
    in the database. One
    audit entry is written per real submission."""
    arrived = arrived_at or now
    proposal = owned_proposal(session, actor, reference, lock=True)
    call = call_by_id(session, proposal.call_id)
    # Every edit or upload turns a submitted proposal back into a draft, so a submitted one is
    # unchanged since its receipt: hand the same receipt back.
    if proposal.status == "submitted" and (stored := _stored_receipt(session, proposal, call)):
        return stored
    content = content_of(session, proposal)
    digest = submission_digest(session, proposal, content)
    if proposal.status == "submitted" and proposal.content_digest == digest:
        # Submitted before receipts were stored (imports, older data): the proposal is the record.
        assert proposal.submitted_at is not None
        at = proposal.submitted_at
        return Receipt(reference, call.reference, proposal.version, at, digest, at)
    if call.status == "draft":
        raise NotFound("call", call.reference)
    check_accepting(call, arrived, proposal.stage, grace)
    failing = [v for v in current_verdicts(session, proposal, content) if not v.passed]
    if failing:
        raise RuleViolation(
            failing[0].rule_id,
            f"fix {len(failing)} eligibility problem(s) before submitting: "
            + "; ".join(v.message for v in failing),
            failing=[v.rule_id for v in failing],
        )
    new_status = step(PROPOSAL, proposal.status, "submit", actor.role)
    latest = _latest_submission(session, proposal)
    sequence = (latest.sequence if latest else 0) + 1
    changed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Proposal)
        .where(
            Proposal.id == proposal.id,
            Proposal.status == proposal.status,
            Proposal.stage == proposal.stage,
            Proposal.version == proposal.version,
        )
        .values(status=new_status, submitted_at=arrived, content_digest=digest)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        return _raced(session, actor, reference)
    session.add(
        Submission(
            proposal_id=proposal.id,
            sequence=sequence,
            stage=proposal.stage,
            version=proposal.version,
            digest=digest,
            arrived_at=arrived,
            recorded_at=now,
            submitted_by=actor.user_id,
        )
    )
    record(
        session,
        action="proposal.submitted",
        actor=actor,
        subject_type="proposal",
        subject_id=reference,
        inputs={"digest": digest, "version": proposal.version, "arrived_at": arrived.isoformat()},
        now=now,
        summary={"version": proposal.version, "digest": digest[:12]},
    )
    try:
        session.commit()
    except IntegrityError:
        return _raced(session, actor, reference)
    for name, value in (
        ("status", new_status),
        ("submitted_at", arrived),
        ("content_digest", digest),
    ):
        set_committed_value(proposal, name, value)
    return Receipt(reference, call.reference, proposal.version, arrived, digest, now)


def _raced(session: Session, actor: Actor, reference: str) -> Receipt:
    """Another request changed the proposal first: its receipt if it submitted this very
    version, else a conflict to reload and look again."""
    session.rollback()
    proposal = owned_proposal(session, actor, reference)
    call = call_by_id(session, proposal.call_id)
    if proposal.status == "submitted" and (stored := _stored_receipt(session, proposal, call)):
        return stored
    raise Conflict(
        "the proposal changed while it was being submitted; reload it and submit again",
        field="status",
    )


def withdraw_proposal(session: Session, *, actor: Actor, reference: str, now: datetime) -> Proposal:
    proposal = owned_proposal(session, actor, reference)
    proposal.status = step(PROPOSAL, proposal.status, "withdraw", actor.role)
    record(
        session,
        action="proposal.withdrawn",
        actor=actor,
        subject_type="proposal",
        subject_id=reference,
        inputs={"version": proposal.version},
        now=now,
    )
    session.commit()
    return proposal


def _invited_member(session: Session, token: str) -> ProposalMember:
    digest = hashlib.sha256(token.encode()).hexdigest()
    member = session.scalar(
        select(ProposalMember).where(ProposalMember.invite_token_hash == digest)
    )
    if member is None or member.confirmation != "invited":
        raise NotFound("invitation", "(this link)")
    return member


def role_names(session: Session, call_id: int) -> dict[str, str]:
    """Role code -> the name the call's program gives it (what pages show, not the code)."""
    call = call_by_id(session, call_id)
    return {code: role.name for code, role in call_rules(session, call).roles.items()}


def read_invitation(session: Session, *, token: str) -> tuple[ProposalMember, Proposal]:
    """The invited member and the proposal, for the page where they answer."""
    member = _invited_member(session, token)
    proposal = session.get(Proposal, member.proposal_id)
    assert proposal is not None
    return member, proposal


def respond_to_invitation(
    session: Session, *, token: str, accept: bool, now: datetime
) -> ProposalMember:
    """An invited member confirms (or declines) with the link they were sent."""
    member = _invited_member(session, token)
    member.confirmation = "confirmed" if accept else "declined"
    member.invite_token_hash = None
    proposal = session.get(Proposal, member.proposal_id)
    assert proposal is not None
    record(
        session,
        action=f"proposal.member_{member.confirmation}",
        actor=Actor.system(f"invitee:{member.email}"),
        subject_type="proposal",
        subject_id=proposal.reference,
        inputs={"member": member.email, "accept": accept},
        now=now,
    )
    session.commit()
    return member


def my_proposals(session: Session, *, actor: Actor) -> list[Proposal]:
    require(actor, "proposals.create", "list your proposals")
    return list(
        session.scalars(
            select(Proposal).where(Proposal.owner_id == actor.user_id).order_by(Proposal.id.desc())
        )
    )


def versions_of(session: Session, *, actor: Actor, reference: str) -> list[ProposalVersion]:
    proposal = readable_proposal(session, actor=actor, reference=reference)
    return list(
        session.scalars(
            select(ProposalVersion)
            .where(ProposalVersion.proposal_id == proposal.id)
            .order_by(ProposalVersion.version)
        )
    )


def record_outcomes(
    session: Session, *, actor: Actor, call_id: int, funded: set[str]
) -> tuple[int, int]:
    """An approved selection's outcome for the call's eligible proposals: those in ``funded``
    become ``funded``, the others ``not_funded`` (through the proposal workflow). Adds to the
    session; the caller records the decision and commits. Returns (funded, not funded)."""
    fund = step(PROPOSAL, "eligible", "fund", actor.role)
    not_fund = step(PROPOSAL, "eligible", "not_fund", actor.role)
    counts = [0, 0]
    for proposal in session.scalars(
        select(Proposal).where(Proposal.call_id == call_id, Proposal.status == "eligible")
    ):
        chosen = proposal.reference in funded
        proposal.status = fund if chosen else not_fund
        counts[0 if chosen else 1] += 1
    return counts[0], counts[1]
