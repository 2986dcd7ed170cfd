"""The selection context's answer to the proposal pages and API (``proposals/ports.py``): a
funded proposal's award, or the approved run's explanation of why it was not funded."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexus_sti.proposals.ports import Outcome
from nexus_sti.selection.tables import Award, SelectionRun

NOT_SELECTED = "the approved selection did not select it"


class SelectionOutcomes:
    def outcome(
        self, session: Session, *, call_id: int, proposal_id: int, reference: str
    ) -> Outcome | None:
        award = session.scalar(select(Award).where(Award.proposal_id == proposal_id))
        if award is not None:
            run = session.get(SelectionRun, award.selection_run_id)
            return Outcome(
                funded=True,
                decided_at=run.decided_at if run is not None else award.awarded_at,
                award_reference=award.reference,
                amount=award.amount,
                currency=award.currency,
            )
        run = session.scalar(
            select(SelectionRun)
            .where(SelectionRun.call_id == call_id, SelectionRun.status == "approved")
            .order_by(SelectionRun.id.desc())
            .limit(1)
        )
        if run is None:
            return None
        explained = next(
            (e for e in run.result.get("explanations", []) if e.get("proposal_id") == reference),
            None,
        )
        reason = str(explained["reason"]) if explained and explained.get("reason") else None
        return Outcome(funded=False, decided_at=run.decided_at, reason=reason or NOT_SELECTED)


PORT = SelectionOutcomes()
