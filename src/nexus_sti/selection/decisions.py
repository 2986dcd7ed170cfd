"""Deciding on a proposed selection run: the second officer's approval (which creates the
awards, records each proposal's outcome and decides the call) or rejection. No solver is needed
to decide, and none is imported, so `nexus selection approve` starts quickly."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from nexus_sti.calls.service import call_by_id, claim_transition
from nexus_sti.core.access import Actor, require
from nexus_sti.core.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from nexus_sti.core.workflow import step
from nexus_sti.platform.auditlog import record
from nexus_sti.proposals.queries import proposals_by_reference
from nexus_sti.proposals.service import record_outcomes
from nexus_sti.selection.queries import get_run
from nexus_sti.selection.tables import Award, SelectionRun
from nexus_sti.selection.workflow import RUN

if TYPE_CHECKING:
    from nexus_sti.calls.tables import Call


def decide(
    session: Session,
    *,
    actor: Actor,
    run_id: int,
    approve: bool,
    note: str,
    now: datetime,
) -> SelectionRun:
    """Approve or reject a proposed run. Approval needs a second person (not the one who ran the
    selection), a call in review, and creates one award per selected proposal; the call is then
    decided and the call's other proposed runs are superseded."""
    require(actor, "selection.decide", "approve or reject a selection")
    run = get_run(session, actor=actor, run_id=run_id)
    verdict = "approved" if approve else "rejected"
    if run.status != "proposed":
        return _decided_already(run, actor, verdict)
    if (run.created_by is not None and run.created_by == actor.user_id) or (
        run.created_by_label == actor.username
    ):
        raise PermissionDenied(
            "decide on this selection",
            "the officer who ran a selection may not also approve or reject it (four eyes)",
        )
    if not note.strip():
        raise InvalidInput("note", "a decision needs a written reason")
    call = call_by_id(session, run.call_id)
    # Claim the decision first, with a conditional update: of two approvals sent at once (a
    # double click, two officers), one moves the run and the other finds it decided.
    claimed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(SelectionRun)
        .where(SelectionRun.id == run.id, SelectionRun.status == "proposed")
        .values(status=step(RUN, "proposed", "approve" if approve else "reject", actor.role))
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        session.rollback()
        session.refresh(run)
        return _decided_already(run, actor, verdict)
    awards: list[Award] = []
    if approve:
        if call.status != "in_review":
            raise RuleViolation(
                "selection.call_status",
                f"call {call.reference} is {call.status}: send it to review before approving "
                "a selection",
            )
        # The call too moves only from the status it was read in: two runs of one call approved
        # at once cannot both create awards.
        if not claim_transition(session, call=call, action="decide", actor=actor):
            session.rollback()
            raise Conflict(f"call {call.reference} was decided meanwhile by another selection")
        awards = _create_awards(session, run, call, now)
        record_outcomes(session, actor=actor, call_id=call.id, funded=set(run.result["selected"]))
        for other in session.scalars(
            select(SelectionRun).where(
                SelectionRun.call_id == call.id,
                SelectionRun.status == "proposed",
                SelectionRun.id != run.id,
            )
        ):
            other.status = step(RUN, other.status, "supersede", None)
    run.status = verdict
    run.decided_by = actor.user_id
    run.decided_by_label = actor.username
    run.decided_at = now
    run.decision_note = note.strip()
    record(
        session,
        action=f"selection.{verdict}",
        actor=actor,
        subject_type="selection_run",
        subject_id=run.id,
        inputs={"note": run.decision_note},
        now=now,
        summary={
            "call": call.reference,
            "version": run.version,
            "awards": len(awards),
            "result_digest": run.result_digest,
        },
    )
    session.commit()
    return run


def _decided_already(run: SelectionRun, actor: Actor, verdict: str) -> SelectionRun:
    """A repeated decision: the same person's same verdict is answered with the run as it was
    decided (a retry changes nothing); anything else is a conflict that says what happened."""
    if run.status == verdict and run.decided_by_label == actor.username:
        return run
    raise Conflict(f"selection run {run.id} is already {run.status}")


def _create_awards(session: Session, run: SelectionRun, call: Call, now: datetime) -> list[Award]:
    selected = run.result["selected"]
    by_ref = proposals_by_reference(session, selected)
    merits = {c["id"]: c["merit"] for c in run.problem["candidates"]}
    awards = []
    for n, reference in enumerate(sorted(selected), start=1):
        proposal = by_ref.get(reference)
        if proposal is None or proposal.status != "eligible":
            raise Conflict(
                f"proposal {reference} changed since the selection ran "
                f"({'gone' if proposal is None else proposal.status}): run the selection again"
            )
        awards.append(
            Award(
                reference=f"{call.reference}-A{n:03d}",
                call_id=call.id,
                proposal_id=proposal.id,
                selection_run_id=run.id,
                amount=proposal.requested_amount,
                currency=proposal.currency,
                merit=float(merits[reference]),
                awarded_at=now,
            )
        )
    session.add_all(awards)
    return awards
