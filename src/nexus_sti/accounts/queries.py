"""What other contexts read of an account: the researcher it is linked to, its e-mail, and the
actor it acts as (for work done later on its behalf, such as a background job)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexus_sti.accounts.tables import User
from nexus_sti.core.access import Actor, Role


def researcher_of(session: Session, user_id: int | None) -> int | None:
    """The researcher record an account is linked to (None: no account, or not linked)."""
    if user_id is None:
        return None
    return session.scalar(select(User.researcher_id).where(User.id == user_id))


def email_of(session: Session, user_id: int | None) -> str:
    """An account's e-mail address ("" when there is none)."""
    if user_id is None:
        return ""
    return session.scalar(select(User.email).where(User.id == user_id)) or ""


def active_actor(session: Session, user_id: int | None) -> Actor | None:
    """The actor of an active account (None: no such account, or deactivated since)."""
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    return actor_of_user(user)


def actor_of_user(user: User) -> Actor:
    return Actor(
        user_id=user.id, username=user.username, role=Role(user.role), country=user.country
    )
