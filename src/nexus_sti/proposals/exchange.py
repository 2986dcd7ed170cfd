"""Exporting a call's proposals and importing proposals from other systems into a call, in the
``nexus-proposals/1`` formats (JSON, CSV, XLSX). Imports are all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nexus_sti.calls.service import call_by_reference
from nexus_sti.core.access import Actor, require
from nexus_sti.core.errors import InvalidInput
from nexus_sti.platform.auditlog import record
from nexus_sti.proposals.service import (
    agency_request,
    content_of,
    snapshot_version,
    store_content,
    submission_digest,
)
from nexus_sti.proposals.tables import Proposal, ProposalMember
from nexus_sti.proposals.transfer import (
    ExportItem,
    ImportProblem,
    export_csv,
    export_json,
    export_xlsx,
    import_proposals,
)

if TYPE_CHECKING:
    from nexus_sti.calls.tables import Call

Format = Literal["json", "csv", "xlsx"]
IMPORTABLE_STATUS = ("draft", "submitted")


def _call(session: Session, actor: Actor, reference: str, action: str) -> Call:
    require(actor, "proposals.read_all", action)
    return call_by_reference(session, reference)


def export_call(session: Session, *, actor: Actor, call_reference: str, format: Format) -> bytes:
    """Every proposal of the call in ``format`` (officers and administrators)."""
    call = _call(session, actor, call_reference, "export proposals")
    items = [
        ExportItem(p.reference, call.reference, p.status, content_of(session, p))
        for p in session.scalars(
            select(Proposal).where(Proposal.call_id == call.id).order_by(Proposal.reference)
        )
    ]
    if format == "xlsx":
        return export_xlsx(items)
    return (export_csv(items) if format == "csv" else export_json(items)).encode("utf-8")


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    created: tuple[str, ...]
    problems: tuple[ImportProblem, ...]


def import_call(
    session: Session,
    *,
    actor: Actor,
    call_reference: str,
    data: bytes,
    format: Format,
    now: datetime,
) -> ImportOutcome:
    """Create the file's proposals in the call, or nothing at all if any problem is found."""
    call = _call(session, actor, call_reference, "import proposals")
    result = import_proposals(data, format=format)
    problems = list(result.errors)
    for item in result.items:
        if item.status and item.status not in IMPORTABLE_STATUS:
            problems.append(
                ImportProblem(None, None, item.reference, "status", "import as draft or submitted")
            )
        if item.reference and session.scalar(
            select(Proposal.id).where(Proposal.reference == item.reference)
        ):
            problems.append(
                ImportProblem(None, None, item.reference, "reference", "already in the platform")
            )
    if problems:
        return ImportOutcome((), tuple(problems))
    if not result.items:
        raise InvalidInput("file", "holds no proposals")
    created: list[str] = []
    count = session.scalar(select(func.count()).where(Proposal.call_id == call.id)) or 0
    for n, item in enumerate(result.items, start=1):
        status = item.status or "draft"
        proposal = Proposal(
            call_id=call.id,
            reference=item.reference or f"{call.reference}-I{count + n:04d}",
            track=call.track,
            area=item.content.area,
            title=item.content.title,
            abstract=item.content.abstract,
            owner_id=None,
            requested_amount=agency_request(session, call, item.content),
            currency=call.budget_currency,
            duration_months=item.content.duration_months,
            status=status,
            stage="full",
            version=1,
            content_digest="",
            submitted_at=now if status == "submitted" else None,
            synthetic=False,
        )
        session.add(proposal)
        session.flush()
        store_content(session, proposal, item.content, owner_email="")
        # Imported consortia were confirmed in the system they come from.
        for member in session.scalars(
            select(ProposalMember).where(ProposalMember.proposal_id == proposal.id)
        ):
            member.confirmation, member.invite_token_hash = "confirmed", None
        snapshot_version(session, proposal, item.content, actor, now)
        if status == "submitted":
            proposal.content_digest = submission_digest(session, proposal, item.content)
        created.append(proposal.reference)
    record(
        session,
        action="proposals.imported",
        actor=actor,
        subject_type="call",
        subject_id=call.reference,
        inputs={"format": format, "references": created},
        now=now,
        summary={"created": len(created), "format": format},
    )
    session.commit()
    return ImportOutcome(tuple(created), ())
