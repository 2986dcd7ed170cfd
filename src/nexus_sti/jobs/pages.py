"""A background job's progress page and its status for the page's script.

The page refreshes itself without JavaScript; with it, ``nexus.js`` polls the status and moves
the bar. Once the job is done, both lead to the result's own page (with the job's message, if it
left one); a failed job says why and where to go back.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from nexus_sti.accounts.service import actor_for
from nexus_sti.accounts.webdeps import PageUser
from nexus_sti.jobs.service import job_for, status_of
from nexus_sti.platform.jobqueue import Job
from nexus_sti.platform.webdeps import SessionDep, render

router = APIRouter(include_in_schema=False)


def follow(request: Request, job: Job) -> RedirectResponse:
    """Where to send someone after they started ``job``: to its result (with its message) once
    it is done, to its progress page until then."""
    if job.status == "done" and job.result_url:
        notice = (job.result or {}).get("notice")
        if isinstance(notice, str) and notice:
            request.session["notice"] = notice
        return RedirectResponse(job.result_url, status_code=303)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}")
def job_page(job_id: int, request: Request, user: PageUser, session: SessionDep) -> Response:
    job = job_for(session, actor=actor_for(user), job_id=job_id)
    if job.status == "done" and job.result_url:
        return follow(request, job)
    return render(
        request,
        "job.html",
        user,
        status_code=422 if job.status == "failed" else 200,
        title=f"Working: {job.step}" if not job.finished else f"Job {job.id}",
        job=job,
        status=status_of(job),
        back=(job.params.get("back") if isinstance(job.params.get("back"), str) else None),
    )


@router.get("/jobs/{job_id}/status")
def job_status(job_id: int, user: PageUser, session: SessionDep) -> Response:
    job = job_for(session, actor=actor_for(user), job_id=job_id)
    return JSONResponse(status_of(job), headers={"Cache-Control": "no-store"})
