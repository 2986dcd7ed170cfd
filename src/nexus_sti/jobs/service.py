"""Who may see a background job, and the job as a page or a script shows it."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nexus_sti.core.access import Actor, Role
from nexus_sti.core.errors import NotFound
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.jobqueue import Job, get_job, latest, submit


def job_for(session: Session, *, actor: Actor, job_id: int) -> Job:
    """The job, if ``actor`` started it (administrators and the command line see every job).
    Someone else's job is "not found": its number says nothing about what others are doing."""
    job = get_job(session, job_id)
    if job.owner_id != actor.user_id and not (actor.is_system or actor.role == Role.ADMIN):
        raise NotFound("job", job_id)
    return job


def status_of(job: Job) -> dict[str, Any]:
    """What the progress bar shows; ``url`` is where the result is once the job is done."""
    share = job.done / job.total if job.total else None
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "share": round(share, 4) if share is not None else None,
        "step": job.step,
        "error": job.error,
        "url": job.result_url if job.status == "done" else None,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def queue_counts(session: Session) -> dict[str, int]:
    """How many jobs are in each state."""
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    return {status: int(n) for status, n in rows}


def recent_jobs(session: Session, *, limit: int = 30) -> list[Job]:
    return list(session.scalars(select(Job).order_by(Job.id.desc()).limit(limit)))


def start(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    params: dict[str, Any],
    key: str,
    wait_s: float,
) -> Job:
    """Queue a job for ``actor`` (or join the same one already under way) and wait up to
    ``wait_s`` seconds for a worker to finish it: quick work comes back finished, and the page
    shows its result at once; longer work comes back queued or running, and the page shows its
    progress."""
    job = submit(
        session,
        kind=kind,
        params=params,
        owner_id=actor.user_id,
        owner_label=actor.username,
        now=utcnow(),
        key=key,
    )
    deadline = time.monotonic() + wait_s
    while not job.finished and time.monotonic() < deadline:
        time.sleep(0.05)
        session.commit()  # a new transaction sees what the worker wrote (SQLite keeps a snapshot)
        session.refresh(job)
    return job


INTERNAL = "internal error"


def answer(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    params: dict[str, Any],
    key: str,
    wait_s: float,
) -> Job:
    """The answer to a question asked before (the last job with ``key``: done, or failed for a
    reason the user can act on), or a new job for it (see :func:`start`). A job that failed on
    an internal error is not an answer: the question is asked again."""
    known = latest(session, key)
    if known is not None and (
        known.status == "done"
        or (known.status == "failed" and not (known.error or "").startswith(INTERNAL))
    ):
        return known
    return start(session, actor=actor, kind=kind, params=params, key=key, wait_s=wait_s)
