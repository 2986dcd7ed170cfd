"""Who is calling, for routes: the actor behind an API token, the user behind a page's session
cookie, and the login check with its throttle.

API routes authenticate with ``Authorization: Bearer <token>``; pages with the signed session
cookie, which ends when the account logs out or changes its password.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from nexus_sti.accounts import throttle
from nexus_sti.accounts.service import actor_for, authenticate, user_for_token
from nexus_sti.accounts.tables import User
from nexus_sti.core.access import Actor
from nexus_sti.core.errors import Unauthenticated
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.webdeps import LoginRequired, SessionDep, get_platform


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
# The logged-in user as routes and their helpers read it (display name, country, id): the
# accounts context's interface to its users for other contexts' pages, which do not query
# the accounts tables themselves.
Viewer = User


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
