"""JSON API for proposals: create, edit, check, submit, withdraw, versions, attachments,
invitations, and the officers' overrides."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from nexus_sti.accounts.webdeps import ApiActor
from nexus_sti.calls.service import call_by_id
from nexus_sti.core.access import Actor
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.webdeps import SessionDep, submission_clock
from nexus_sti.proposals import files, screening, service
from nexus_sti.proposals.ports import DECIDED, OutcomePort, outcome_port
from nexus_sti.proposals.queries import funder_split
from nexus_sti.proposals.schemas import (
    AttachmentRead,
    FunderShareRead,
    InvitationAnswer,
    InvitationRead,
    OutcomeRead,
    OverrideCreate,
    ProposalCreate,
    ProposalDetail,
    ProposalUpdate,
    ReceiptRead,
    VerdictRead,
    VersionRead,
)
from nexus_sti.proposals.tables import Proposal, ProposalMember

router = APIRouter(prefix="/api/v1", tags=["proposals"])

MAX_UPLOAD = 10 * 1024 * 1024 + 1


def _outcome(session: Session, port: OutcomePort, proposal: Proposal) -> OutcomeRead | None:
    if proposal.status not in DECIDED:
        return None
    found = port.outcome(
        session, call_id=proposal.call_id, proposal_id=proposal.id, reference=proposal.reference
    )
    if found is None:
        return None
    return OutcomeRead(
        funded=found.funded,
        decided_at=found.decided_at,
        award=found.award_reference,
        amount=str(found.amount) if found.amount is not None else None,
        currency=found.currency,
        reason=found.reason,
        funders=[
            FunderShareRead(
                funder=f.funder,
                currency=f.currency,
                amount=str(f.amount),
                countries=list(f.countries),
            )
            for f in (funder_split(session, proposal.id) if found.funded else [])
        ],
    )


def _detail(
    session: Session,
    actor: Actor,
    proposal: Proposal,
    invitations: list[service.Invitation] | None = None,
    port: OutcomePort | None = None,
) -> ProposalDetail:
    call = call_by_id(session, proposal.call_id)
    confirmations = list(
        session.scalars(
            select(ProposalMember.confirmation)
            .where(ProposalMember.proposal_id == proposal.id)
            .order_by(ProposalMember.id)
        )
    )
    return ProposalDetail(
        reference=proposal.reference,
        call=call.reference,
        track=proposal.track,
        status=proposal.status,
        stage=proposal.stage,
        version=proposal.version,
        submitted_at=proposal.submitted_at,
        content_digest=proposal.content_digest,
        content=service.content_of(session, proposal).model_dump(mode="json"),
        confirmations=confirmations,
        checks=[
            VerdictRead(**asdict(v))
            for v in service.check_proposal(session, actor=actor, reference=proposal.reference)
        ],
        invitations=[
            InvitationRead(name=i.name, email=i.email, link=f"/invitations/{i.token}")
            for i in invitations or []
        ],
        outcome=_outcome(session, port, proposal) if port is not None else None,
    )


@router.post("/proposals", response_model=ProposalDetail, status_code=201)
def create(body: ProposalCreate, actor: ApiActor, session: SessionDep) -> ProposalDetail:
    """A new draft in an open call (applicants). Invited members' one-time links are returned."""
    saved = service.create_proposal(
        session, actor=actor, call_reference=body.call, content=body.content, now=utcnow()
    )
    return _detail(session, actor, saved.proposal, saved.invitations)


@router.get("/proposals/{reference}", response_model=ProposalDetail)
def read(reference: str, actor: ApiActor, session: SessionDep, request: Request) -> ProposalDetail:
    """The proposal, its checks and, once its call is decided, its outcome."""
    proposal = service.readable_proposal(session, actor=actor, reference=reference)
    return _detail(session, actor, proposal, port=outcome_port(request))


@router.put("/proposals/{reference}", response_model=ProposalDetail)
def update(
    reference: str, body: ProposalUpdate, actor: ApiActor, session: SessionDep
) -> ProposalDetail:
    """Save an edit as the next version (before the deadline, owner only)."""
    saved = service.update_proposal(
        session, actor=actor, reference=reference, content=body.content, now=utcnow()
    )
    return _detail(session, actor, saved.proposal, saved.invitations)


@router.get("/proposals/{reference}/checks", response_model=list[VerdictRead])
def checks(reference: str, actor: ApiActor, session: SessionDep) -> list[VerdictRead]:
    """Every eligibility rule's verdict, with the message saying what to change."""
    return [
        VerdictRead(**asdict(v))
        for v in service.check_proposal(session, actor=actor, reference=reference)
    ]


@router.post("/proposals/{reference}/submit", response_model=ReceiptRead)
def submit(reference: str, request: Request, actor: ApiActor, session: SessionDep) -> ReceiptRead:
    """Submit; retrying (even at once, concurrently) returns the same receipt. The deadline is
    judged at the moment the request reached the server (`submitted_at` on the receipt)."""
    receipt = service.submit_proposal(
        session, actor=actor, reference=reference, now=utcnow(), **submission_clock(request)
    )
    return ReceiptRead(**asdict(receipt))


@router.post("/proposals/{reference}/withdraw", response_model=ProposalDetail)
def withdraw(reference: str, actor: ApiActor, session: SessionDep) -> ProposalDetail:
    proposal = service.withdraw_proposal(session, actor=actor, reference=reference, now=utcnow())
    return _detail(session, actor, proposal)


@router.get("/proposals/{reference}/versions", response_model=list[VersionRead])
def versions(reference: str, actor: ApiActor, session: SessionDep) -> list[VersionRead]:
    return [
        VersionRead(version=v.version, saved_at=v.saved_at, digest=v.digest, content=v.content)
        for v in service.versions_of(session, actor=actor, reference=reference)
    ]


@router.post("/proposals/{reference}/attachments", response_model=AttachmentRead, status_code=201)
async def upload(
    reference: str,
    actor: ApiActor,
    session: SessionDep,
    kind: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
) -> AttachmentRead:
    """A PDF, checked by its content, size and page count."""
    data = await file.read(MAX_UPLOAD)
    attachment = files.save_attachment(
        session,
        actor=actor,
        reference=reference,
        kind=kind,
        filename=file.filename or "",
        data=data,
        now=utcnow(),
    )
    return AttachmentRead.model_validate(attachment, from_attributes=True)


@router.get("/proposals/{reference}/attachments", response_model=list[AttachmentRead])
def attachments(reference: str, actor: ApiActor, session: SessionDep) -> list[AttachmentRead]:
    return [
        AttachmentRead.model_validate(a, from_attributes=True)
        for a in files.list_attachments(session, actor=actor, reference=reference)
    ]


@router.get("/proposals/{reference}/attachments/{attachment_id}")
def download(reference: str, attachment_id: int, actor: ApiActor, session: SessionDep) -> Response:
    a = files.get_attachment(session, actor=actor, reference=reference, attachment_id=attachment_id)
    return Response(
        a.content,
        media_type=a.media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{a.sha256[:12]}.pdf"},
    )


@router.post("/invitations/{token}")
def answer_invitation(token: str, body: InvitationAnswer, session: SessionDep) -> dict[str, str]:
    """The invited member's answer; the token in the link is the credential."""
    member = service.respond_to_invitation(session, token=token, accept=body.accept, now=utcnow())
    return {"member": member.name, "confirmation": member.confirmation}


@router.post("/proposals/{reference}/overrides", status_code=201)
def override(
    reference: str, body: OverrideCreate, actor: ApiActor, session: SessionDep
) -> dict[str, object]:
    """Set one rule's verdict by hand with a written justification (officers)."""
    o = screening.override_verdict(
        session,
        actor=actor,
        reference=reference,
        rule_id=body.rule_id,
        passed=body.passed,
        justification=body.justification,
        now=utcnow(),
    )
    return {"id": o.id, "rule_id": o.rule_id, "passed": o.passed, "by": o.decided_by_label}


@router.post("/proposals/{reference}/invite-full", response_model=ProposalDetail)
def invite_full(reference: str, actor: ApiActor, session: SessionDep) -> ProposalDetail:
    """Two-stage calls: invite a concept's authors to write the full proposal (officers)."""
    proposal = screening.invite_to_full_proposal(
        session, actor=actor, reference=reference, now=utcnow()
    )
    return _detail(session, actor, proposal)
