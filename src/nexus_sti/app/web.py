"""The web application factory: pages, the JSON API and the error boundary on one app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, select
from starlette.middleware.sessions import SessionMiddleware

import nexus_sti
from nexus_sti.accounts import api as accounts_api
from nexus_sti.accounts import pages as accounts_pages
from nexus_sti.accounts.service import actor_for
from nexus_sti.accounts.tables import User
from nexus_sti.app import dashboard as areas_pages
from nexus_sti.app.areas import areas_for
from nexus_sti.audit import api as audit_api
from nexus_sti.audit import pages as audit_pages
from nexus_sti.calls import api as calls_api
from nexus_sti.calls import pages as calls_pages
from nexus_sti.jobs import pages as jobs_pages
from nexus_sti.needs import api as needs_api
from nexus_sti.needs import pages as needs_pages
from nexus_sti.platform import db
from nexus_sti.platform.admission import Admission
from nexus_sti.platform.context import Platform
from nexus_sti.platform.errors import install_error_handlers
from nexus_sti.platform.headers import SecurityHeaders
from nexus_sti.platform.jobqueue import Worker, import_all_kinds
from nexus_sti.platform.openapi import install_openapi
from nexus_sti.platform.settings import session_secret
from nexus_sti.platform.webdeps import TEMPLATES_DIR
from nexus_sti.programs import api as programs_api
from nexus_sti.programs import pages as programs_pages
from nexus_sti.proposals import port as proposals_port
from nexus_sti.proposals.api import calls as proposals_call_api
from nexus_sti.proposals.api import proposals as proposals_api
from nexus_sti.proposals.pages import proposals as proposals_pages
from nexus_sti.proposals.pages import screening as proposals_screening_pages
from nexus_sti.proposals.tables import Proposal
from nexus_sti.review.api import officer as review_officer_api
from nexus_sti.review.api import reviewer as review_reviewer_api
from nexus_sti.review.pages import officer as review_officer_pages
from nexus_sti.review.pages import results as review_results_pages
from nexus_sti.review.pages import reviewer as review_reviewer_pages
from nexus_sti.selection import api as selection_api
from nexus_sti.selection import pages as selection_pages
from nexus_sti.selection import port as selection_port

STATIC_DIR = TEMPLATES_DIR.parent / "static"


def page_layout(user: User) -> dict[str, Any]:
    """What the page layout shows of the user: their actor (role and label) and the areas of the
    platform their role may open."""
    actor = actor_for(user)
    return {"actor": actor, "nav": areas_for(actor.role) if actor.role else []}


def _jobs_engine(platform: Platform) -> Engine | None:
    """Connections of the app's own job threads, apart from the requests' pool: a worker's poll
    or solve never takes a connection a page is waiting for. (None for an in-memory database,
    which only the platform's own engine can see.)"""
    settings = platform.settings
    url = settings.effective_database_url
    if url.startswith("sqlite") and url.split("///", 1)[-1] in ("", ":memory:"):
        return None
    return db.make_engine(
        url,
        pool=db.PoolSettings(
            # Per thread: the job's session, its progress and its heartbeat.
            size=3 * settings.job_threads,
            max_overflow=settings.job_threads,
            timeout_s=60.0,
            sqlite_busy_timeout_s=settings.sqlite_busy_timeout_s,
        ),
    )


def create_app(platform: Platform) -> FastAPI:
    """Build the ASGI app for a started platform (settings are read by the caller, not here)."""
    settings = platform.settings

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # One worker thread per database connection: a thread never waits for a connection
        # held by another waiting thread, and the admission queue in front bounds the wait.
        to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        import_all_kinds()
        jobs_engine = _jobs_engine(platform) if settings.job_threads else None
        sessions = db.make_sessionmaker(jobs_engine) if jobs_engine else platform.sessions
        workers = [Worker(sessions) for _ in range(settings.job_threads)]
        threads = [worker.start_thread() for worker in workers]
        try:
            yield
        finally:
            # Jobs under way finish (and record how) before the database is let go.
            for worker in workers:
                worker.stop()
            for thread in threads:
                await to_thread.run_sync(thread.join)
            if jobs_engine is not None:
                jobs_engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="NEXUS platform API",
        version=nexus_sti.__version__,
        description="JSON API of the NEXUS research-cooperation funding platform. "
        "Authenticate with `Authorization: Bearer <token>` (POST /api/v1/auth/token).",
        docs_url="/docs" if settings.serve_api_docs else None,
        redoc_url=None,
    )
    app.state.platform = platform
    app.state.secret = session_secret(settings)
    app.state.layout = page_layout
    app.state.proposals_port = proposals_port.PORT
    app.state.outcome_port = selection_port.PORT
    with platform.session() as session:
        app.state.synthetic_data = (
            session.scalar(select(Proposal.id).where(Proposal.synthetic.is_(True)).limit(1))
            is not None
        )
    app.add_middleware(
        SessionMiddleware,
        secret_key=app.state.secret,
        session_cookie="nexus_session",
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.https_only,
    )
    # Added last, so these two are the outermost: arrival is stamped before anything else runs,
    # and every answer (the door's own 503 and 413 included) carries the security headers.
    app.add_middleware(
        Admission,
        capacity=settings.request_threads,
        queue_timeout_s=settings.queue_timeout_s,
        secret=app.state.secret,
    )
    app.add_middleware(SecurityHeaders, https=settings.https_only)
    install_error_handlers(app)
    install_openapi(app)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for router in (
        accounts_api.router,
        programs_api.router,
        audit_api.router,
        calls_api.router,
        proposals_call_api.router,
        needs_api.router,
        proposals_api.router,
        selection_api.router,
        review_reviewer_api.router,
        review_officer_api.router,
        accounts_pages.router,
        areas_pages.router,
        programs_pages.router,
        audit_pages.router,
        jobs_pages.router,
        calls_pages.router,
        proposals_screening_pages.router,
        needs_pages.router,
        proposals_pages.router,
        selection_pages.router,
        review_reviewer_pages.router,
        review_results_pages.router,
        review_officer_pages.router,
    ):
        app.include_router(router)

    @app.get("/api/v1/health", tags=["platform"])
    async def health() -> dict[str, str]:
        """Answers from the event loop, with no database or worker thread, even when busy."""
        return {"status": "ok", "version": nexus_sti.__version__}

    return app
