"""What other contexts read of an account: the researcher it is linked to and its e-mail."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexus_sti.accounts.tables import User


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
