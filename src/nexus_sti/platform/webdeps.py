"""What every route needs: the platform, a database session, the actor, CSRF, templates.

API routes authenticate with ``Authorization: Bearer <token>``; pages with the signed session
cookie, and every page form that changes state carries a CSRF token bound to that session.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse

from nexus_sti.accounts import throttle
from nexus_sti.accounts.model import Actor
from nexus_sti.accounts.service import actor_for, authenticate, user_for_token
from nexus_sti.accounts.tables import User
from nexus_sti.areas.registry import areas_for
from nexus_sti.core.countries import country
from nexus_sti.core.errors import NexusError, PermissionDenied, Unauthenticated
from nexus_sti.platform import arrival
from nexus_sti.platform.admission import arrived_at
from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow

TEMPLATES_DIR = Path(__file__).parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
# Jinja's own ``capitalize`` lower-cases the rest, which would turn "THA" into "tha".
templates.env.filters["first_upper"] = lambda text: text[:1].upper() + text[1:]
templates.env.filters["country_name"] = lambda iso3: country(iso3).name


class LoginRequired(NexusError):
    """A page needs a logged-in user; the boundary turns this into a redirect to /login."""

    code = "login_required"
    http_status = 303


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def get_session(request: Request) -> Iterator[Session]:
    with get_platform(request).session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def api_actor(request: Request, session: SessionDep) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("send 'Authorization: Bearer <token>'; create a token first")
    user = user_for_token(session, token=token.strip(), now=utcnow())
    # End the read at once: the connection goes back to the pool while the request waits for
    # its handler's thread, so waiting requests never hold connections (no convoy).
    session.commit()
    return actor_for(user)


ApiActor = Annotated[Actor, Depends(api_actor)]


def page_user(request: Request, session: SessionDep) -> User:
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    # A cookie signed before the account's last logout or password change is no longer valid.
    ended = user is not None and request.session.get("sv") != user.session_version
    if user is None or not user.active or ended:
        request.session.clear()
        raise LoginRequired("log in to continue", next=str(request.url.path))
    session.commit()  # as for tokens: release the connection until the handler runs
    return user


PageUser = Annotated[User, Depends(page_user)]


def client_address(request: Request) -> str:
    """The client's address (behind a proxy, as forwarded by it: see docs/deployment.md)."""
    return request.client.host if request.client else "unknown"


def authenticate_login(request: Request, session: Session, username: str, password: str) -> User:
    """Check a username and password, refusing further tries after repeated failures (counted
    in the database, so the limits hold across workers and hosts)."""
    address = client_address(request)
    now = utcnow()
    throttle.check(session, username=username, address=address, now=now)
    try:
        user = authenticate(
            session, hasher=get_platform(request).hasher, username=username, password=password
        )
    except Unauthenticated:
        session.rollback()
        throttle.failed(session, username=username, address=address, now=now)
        raise
    throttle.succeeded(session, username=username, address=address)
    return user


def submission_clock(request: Request, proof: str | None = None) -> dict[str, Any]:
    """What a deadline is judged on: the request's arrival at the server (or the earlier one a
    proof of arrival states, sent as a header or, from a page, as the form field
    ``arrival_proof``) and the grace rule."""
    settings = get_platform(request).settings
    stamp = arrived_at(request.scope)
    if stamp is not None:  # a retry after a busy answer counts from its first arrival
        secret: str = request.app.state.secret
        proof = request.headers.get(arrival.HEADER) or proof
        stamp = arrival.earliest(stamp, secret, request.method, request.url.path, proof)
    return {"arrived_at": stamp, "grace": timedelta(seconds=settings.deadline_grace_s)}


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def require_csrf(request: Request) -> None:
    """Refuse a state-changing form post whose CSRF token does not match the session's."""
    form = await request.form()
    sent = form.get("csrf_token")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str):
        raise PermissionDenied("submit this form", "the form's security token is missing")
    if not secrets.compare_digest(sent, expected):
        raise PermissionDenied("submit this form", "the form's security token does not match")


def render(
    request: Request, template: str, user: User | None = None, status_code: int = 200, **ctx: Any
) -> HTMLResponse:
    """Render a page with what the layout needs: the user, their areas and a CSRF token."""
    actor = actor_for(user) if user else None
    context = {
        "user": user,
        "actor": actor,
        "nav": areas_for(actor.role) if actor and actor.role else [],
        "csrf_token": csrf_token(request),
        "synthetic_data": getattr(request.app.state, "synthetic_data", False),
        **ctx,
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)
