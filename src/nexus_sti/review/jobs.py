"""Review work that runs in the background: solving and saving a call's reviewer assignment
(a large pool and many proposals take longer than a page should)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nexus_sti.accounts.queries import active_actor
from nexus_sti.core.errors import NotFound
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.jobqueue import Finished, Progress, Work, job_kind
from nexus_sti.review.service import assignments
from nexus_sti.review.service.assignments import AssignmentParams

ASSIGN = "review.assign"


@job_kind(ASSIGN)
def assign_job(session: Session, work: Work, progress: Progress) -> Finished:
    actor = active_actor(session, work.owner_id)
    if actor is None:
        raise NotFound("active account", work.owner_id)
    reference = work.params["call"]
    run = assignments.run_assignment(
        session,
        actor=actor,
        call_reference=reference,
        params=AssignmentParams.model_validate(work.params["params"]),
        now=utcnow(),
        progress=progress,
    )
    return Finished(
        {
            "run": run.id,
            "notice": f"Assignment saved (version {run.version}): it replaces the call's "
            "active one.",
        },
        url=f"/review/calls/{reference}/assignment",
    )
