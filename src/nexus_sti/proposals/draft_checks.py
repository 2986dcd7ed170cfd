"""Eligibility of a draft the applicant has not saved: the editor's live checks.

The verdicts are the ones the proposal would get if the editor's content were saved now: the
same rules, attachments and other proposals' leads as for the stored proposal, and each member
confirmed as saving would leave them (the owner always; a member already on the proposal as
they answered; anyone new not yet). Nothing is written, so a check leaves no version, audit
entry or invitation behind, and only someone who may save the proposal may check it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexus_sti.accounts.queries import email_of
from nexus_sti.calls.service import call_by_id
from nexus_sti.core.access import Actor, require
from nexus_sti.core.errors import RuleViolation
from nexus_sti.proposals import service
from nexus_sti.proposals.eligibility import Context, Verdict, check_eligibility
from nexus_sti.proposals.model import ProposalContent
from nexus_sti.proposals.tables import ProposalMember

if TYPE_CHECKING:
    from nexus_sti.calls.tables import Call


def check_draft(
    session: Session, *, actor: Actor, reference: str, content: ProposalContent, now: datetime
) -> tuple[Verdict, ...]:
    """Every rule's verdict on ``content`` as the next version of the actor's own proposal
    ``reference``; refused as saving it would be (not the owner, withdrawn, deadline passed)."""
    proposal = service.owned_proposal(session, actor, reference)
    if proposal.status == "withdrawn":
        raise RuleViolation("proposal.withdrawn", "a withdrawn proposal cannot be edited")
    call = call_by_id(session, proposal.call_id)
    service.open_call(session, call.reference, now, proposal.stage)
    confirmed = {
        m.email.lower()
        for m in session.scalars(
            select(ProposalMember).where(
                ProposalMember.proposal_id == proposal.id,
                ProposalMember.confirmation == "confirmed",
            )
        )
    }
    return _verdicts(
        session,
        actor,
        call,
        content,
        confirmed=confirmed,
        attachments=service.attachment_kinds(session, proposal.id),
        proposal_id=proposal.id,
        concept=proposal.stage == "concept",
    )


def check_new_draft(
    session: Session, *, actor: Actor, call_reference: str, content: ProposalContent, now: datetime
) -> tuple[Verdict, ...]:
    """Every rule's verdict on ``content`` as a new proposal of the actor's in the call."""
    require(actor, "proposals.create", "check proposals")
    call = service.open_call(session, call_reference, now, stage="concept")
    return _verdicts(
        session,
        actor,
        call,
        content,
        confirmed=set(),
        attachments=set(),
        proposal_id=None,
        concept=call.two_stage,
    )


def _verdicts(
    session: Session,
    actor: Actor,
    call: Call,
    content: ProposalContent,
    *,
    confirmed: set[str],
    attachments: set[str],
    proposal_id: int | None,
    concept: bool,
) -> tuple[Verdict, ...]:
    rules = service.call_rules(session, call)
    owner = email_of(session, actor.user_id).lower()
    context = Context(
        attachments=attachments,
        leads_elsewhere=service.leads_elsewhere(
            session,
            call,
            rules,
            emails={m.email.lower() for m in content.members},
            orcids={m.orcid for m in content.members if m.orcid},
            other_than=proposal_id,
        ),
        unconfirmed=[
            i
            for i, m in enumerate(content.members)
            if m.email.lower() != owner and m.email.lower() not in confirmed
        ],
    )
    if concept:
        rules = replace(rules, required_attachments=())  # a concept is the short form alone
    return check_eligibility(content, rules, context)
