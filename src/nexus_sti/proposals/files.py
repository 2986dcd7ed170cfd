"""A proposal's files: PDFs checked by their content, one per kind, replaced on re-upload."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nexus_sti.calls.service import call_by_id
from nexus_sti.core.access import Actor
from nexus_sti.core.errors import InvalidInput, NotFound
from nexus_sti.core.workflow import step
from nexus_sti.platform.auditlog import record
from nexus_sti.proposals.attachments import ATTACHMENT_KINDS, check_attachment
from nexus_sti.proposals.service import (
    content_of,
    open_call,
    owned_proposal,
    readable_proposal,
    submission_digest,
)
from nexus_sti.proposals.tables import Attachment
from nexus_sti.proposals.workflow import PROPOSAL


def save_attachment(
    session: Session,
    *,
    actor: Actor,
    reference: str,
    kind: str,
    filename: str,
    data: bytes,
    now: datetime,
) -> Attachment:
    """Store a PDF checked by its content (see proposals/attachments.py); a new upload of the
    same kind replaces the old one. Until the deadline only."""
    proposal = owned_proposal(session, actor, reference)
    if kind not in ATTACHMENT_KINDS:
        raise InvalidInput("kind", f"one of: {', '.join(ATTACHMENT_KINDS)}")
    call = call_by_id(session, proposal.call_id)
    open_call(session, call.reference, now, proposal.stage)
    checked = check_attachment(data, filename=filename)
    session.execute(
        delete(Attachment).where(Attachment.proposal_id == proposal.id, Attachment.kind == kind)
    )
    attachment = Attachment(
        proposal_id=proposal.id,
        kind=kind,
        filename=checked.filename,
        media_type=checked.media_type,
        size=checked.size,
        pages=checked.pages,
        sha256=checked.sha256,
        content=data,
        uploaded_at=now,
    )
    session.add(attachment)
    session.flush()
    if proposal.status == "submitted" and proposal.content_digest != submission_digest(
        session, proposal, content_of(session, proposal)
    ):
        # A changed file is a change: submit again before the deadline.
        proposal.status = step(PROPOSAL, proposal.status, "edit", actor.role)
    record(
        session,
        action="proposal.attachment_uploaded",
        actor=actor,
        subject_type="proposal",
        subject_id=reference,
        inputs={"kind": kind, "sha256": checked.sha256, "size": checked.size},
        now=now,
        summary={"kind": kind, "pages": checked.pages, "filename": checked.filename},
    )
    session.commit()
    return attachment


def list_attachments(session: Session, *, actor: Actor, reference: str) -> list[Attachment]:
    proposal = readable_proposal(session, actor=actor, reference=reference)
    return list(
        session.scalars(
            select(Attachment).where(Attachment.proposal_id == proposal.id).order_by(Attachment.id)
        )
    )


def get_attachment(
    session: Session, *, actor: Actor, reference: str, attachment_id: int
) -> Attachment:
    proposal = readable_proposal(session, actor=actor, reference=reference)
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.proposal_id != proposal.id:
        raise NotFound("attachment", attachment_id)
    return attachment
