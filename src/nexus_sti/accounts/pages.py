"""Pages: log in, log out, and the administrator's account list."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from nexus_sti.accounts import service
from nexus_sti.accounts.webdeps import PageUser, Viewer, authenticate_login
from nexus_sti.core.access import Role
from nexus_sti.core.errors import InvalidInput, NexusError, Unauthenticated
from nexus_sti.people.queries import researcher_names
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.webdeps import SessionDep, get_platform, render, require_csrf, take_notice

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only same-site paths; an absolute URL would make the login form an open redirect."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", next=_safe_next(next), error=None, title="Log in")


@router.post("/login", dependencies=[Depends(require_csrf)])
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        user = authenticate_login(request, session, username, password)
    except Unauthenticated as exc:
        return render(
            request,
            "login.html",
            status_code=401,
            next=_safe_next(next),
            error=exc.message,
            username=username,
            title="Log in",
        )
    # A fresh session on login, so a session id planted before login is worthless.
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["sv"] = user.session_version
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request, session: SessionDep) -> Response:
    """End the session on the server too: every cookie of this account stops working, so a
    copied cookie is worthless after logout (this logs the account out on every device)."""
    user_id = request.session.get("user_id")
    if isinstance(user_id, int):
        service.end_sessions(session, user_id=user_id, now=utcnow())
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _accounts(
    request: Request,
    user: Viewer,
    session: Session,
    *,
    status_code: int = 200,
    error: str | None = None,
    link_error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    users = service.list_users(session, actor=service.actor_for(user))
    return render(
        request,
        "accounts.html",
        user,
        status_code=status_code,
        users=users,
        researchers=researcher_names(session, [u.researcher_id for u in users]),
        roles=list(Role),
        title="Accounts",
        error=error,
        link_error=link_error,
        form=form,
        notice=take_notice(request),
    )


@router.get("/accounts")
def accounts_page(request: Request, user: PageUser, session: SessionDep) -> Response:
    return _accounts(request, user, session)


@router.post("/accounts/link", dependencies=[Depends(require_csrf)])
def link_account(
    request: Request,
    user: PageUser,
    session: SessionDep,
    username: Annotated[str, Form()],
    researcher_id: Annotated[str, Form()] = "",
) -> Response:
    """Link an account to a researcher profile (an empty id removes the link)."""
    actor = service.actor_for(user)
    try:
        wanted = int(researcher_id) if researcher_id.strip() else None
    except ValueError:
        return _accounts(
            request, user, session, status_code=422,
            link_error="Researcher profile id: a whole number (or empty to remove the link).",
            form={"link_username": username, "researcher_id": researcher_id},
        )  # fmt: skip
    try:
        service.link_researcher(
            session, actor=actor, username=username, researcher_id=wanted, now=utcnow()
        )
    except NexusError as exc:
        if exc.http_status == 403:
            raise
        session.rollback()
        return _accounts(
            request, user, session, status_code=exc.http_status, link_error=exc.message,
            form={"link_username": username, "researcher_id": researcher_id},
        )  # fmt: skip
    request.session["notice"] = (
        f"{username} is now linked to researcher {wanted}."
        if wanted is not None
        else f"{username} is no longer linked to a researcher."
    )
    return RedirectResponse("/accounts", status_code=303)


@router.post("/accounts", dependencies=[Depends(require_csrf)])
def create_account(
    request: Request,
    user: PageUser,
    session: SessionDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    display_name: Annotated[str, Form()],
    email: Annotated[str, Form()],
    country: Annotated[str, Form()] = "",
) -> Response:
    actor = service.actor_for(user)
    try:
        service.create_user(
            session,
            actor=actor,
            hasher=get_platform(request).hasher,
            username=username.strip(),
            password=password,
            role=role,
            display_name=display_name,
            email=email.strip(),
            country=country.strip() or None,
            now=utcnow(),
        )
    except (InvalidInput, NexusError) as exc:
        if exc.http_status == 403:
            raise
        session.rollback()
        return _accounts(
            request,
            user,
            session,
            status_code=exc.http_status,
            error=exc.message,
            form={
                "username": username,
                "role": role,
                "display_name": display_name,
                "email": email,
                "country": country,
            },
        )
    request.session["notice"] = f"Account {username.strip()} created."
    return RedirectResponse("/accounts", status_code=303)
