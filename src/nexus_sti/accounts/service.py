"""Account use cases: create users, log in, mint and resolve API tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from nexus_sti.accounts.queries import actor_of_user
from nexus_sti.accounts.tables import ApiToken, User
from nexus_sti.core.access import Actor, Role, require
from nexus_sti.core.countries import ISO3_CODES, is_country
from nexus_sti.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from nexus_sti.people.queries import researcher_card
from nexus_sti.platform.auditlog import record
from nexus_sti.platform.security import (
    check_password_rules,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)

USERNAME_RULE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


def actor_for(user: User) -> Actor:
    return actor_of_user(user)


def create_user(
    session: Session,
    *,
    actor: Actor,
    hasher: PasswordHasher,
    username: str,
    password: str,
    role: str,
    display_name: str,
    email: str,
    now: datetime,
    country: str | None = None,
    researcher_id: int | None = None,
    synthetic: bool = False,
) -> User:
    """Create an account. Funding partners must name their funder's country."""
    require(actor, "accounts.manage", "create accounts")
    if not USERNAME_RULE.match(username):
        raise InvalidInput(
            "username", "2-63 characters: lower-case letters, digits, '.', '_' or '-'"
        )
    try:
        parsed_role = Role(role)
    except ValueError:
        raise InvalidInput("role", f"one of: {', '.join(r.value for r in Role)}") from None
    if broken := check_password_rules(password):
        raise InvalidInput("password", broken)
    if not display_name.strip():
        raise InvalidInput("display_name", "must not be empty")
    if "@" not in email:
        raise InvalidInput("email", "must be an e-mail address")
    if parsed_role is Role.FUNDING_PARTNER:
        if country is None or not is_country(country):
            raise InvalidInput(
                "country",
                "a funding partner needs the country of the funder they represent: "
                f"{', '.join(ISO3_CODES)}",
            )
        country = country.upper()
    elif country is not None:
        if not is_country(country):
            raise InvalidInput("country", "an ISO 3166 alpha-3 code of a program country")
        country = country.upper()
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"username {username!r} is taken", field="username")
    user = User(
        username=username,
        display_name=display_name.strip(),
        email=email,
        role=parsed_role.value,
        country=country,
        password_hash=hash_password(hasher, password),
        active=True,
        researcher_id=researcher_id,
        synthetic=synthetic,
        created_at=now,
    )
    session.add(user)
    session.flush()
    record(
        session,
        action="account.created",
        actor=actor,
        subject_type="user",
        subject_id=user.id,
        inputs={"username": username, "role": parsed_role.value, "country": country},
        now=now,
        summary={"username": username, "role": parsed_role.value},
    )
    session.commit()
    return user


def authenticate(session: Session, *, hasher: PasswordHasher, username: str, password: str) -> User:
    """The active user with these credentials, or Unauthenticated (same message either way)."""
    user = session.scalar(select(User).where(User.username == username))
    # Hash even for an unknown username, so the response time does not reveal which exist.
    stored = user.password_hash if user is not None else _decoy_hash(hasher)
    verified = verify_password(hasher, stored, password)
    if user is None or not user.active or not verified:
        raise Unauthenticated("unknown username or wrong password")
    return user


_DECOYS: dict[int, str] = {}


def _decoy_hash(hasher: PasswordHasher) -> str:
    """A hash with ``hasher``'s parameters that no password matches (made once per hasher)."""
    key = id(hasher)
    if key not in _DECOYS:
        _DECOYS[key] = hash_password(hasher, new_token())
    return _DECOYS[key]


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    token_id: int
    expires_at: datetime


def create_api_token(
    session: Session,
    *,
    user: User,
    name: str,
    ttl: timedelta,
    now: datetime,
    actor: Actor | None = None,
) -> IssuedToken:
    """Mint a bearer token for ``user`` (on their own behalf unless ``actor`` says who asked);
    only its digest is stored."""
    if not name.strip() or len(name) > 100:
        raise InvalidInput("name", "1-100 characters naming what the token is for")
    token = new_token()
    row = ApiToken(
        user_id=user.id,
        name=name.strip(),
        token_hash=token_digest(token),
        prefix=token[:12],
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    session.flush()
    record(
        session,
        action="token.created",
        actor=actor or actor_for(user),
        subject_type="api_token",
        subject_id=row.id,
        inputs={"user": user.username, "name": name, "ttl_s": ttl.total_seconds()},
        now=now,
        summary={"user": user.username, "name": row.name, "prefix": row.prefix},
    )
    session.commit()
    return IssuedToken(token=token, token_id=row.id, expires_at=row.expires_at)


def user_for_token(session: Session, *, token: str, now: datetime) -> User:
    found = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_digest(token))
    ).first()
    if found is None or found[0].revoked_at is not None:
        raise Unauthenticated("unknown or revoked API token")
    row, user = found
    if row.expires_at <= now:
        raise Unauthenticated("API token expired; create a new one")
    if not user.active:
        raise Unauthenticated("the token's account is deactivated")
    return user


def end_sessions(session: Session, *, user_id: int, now: datetime) -> None:
    """Invalidate every login session of the account (logout, password change)."""
    user = session.get(User, user_id)
    if user is None:
        return
    user.session_version += 1
    record(
        session,
        action="account.sessions_ended",
        actor=actor_for(user),
        subject_type="user",
        subject_id=user.id,
        inputs={"session_version": user.session_version},
        now=now,
    )
    session.commit()


def set_password(
    session: Session,
    *,
    actor: Actor,
    hasher: PasswordHasher,
    username: str,
    password: str,
    now: datetime,
) -> User:
    """Set an account's password (administrators, or the account itself); every session the
    account had ends with it."""
    user = _user_named(session, username)
    if user.id != actor.user_id:
        require(actor, "accounts.manage", "set another account's password")
    if broken := check_password_rules(password):
        raise InvalidInput("password", broken)
    user.password_hash = hash_password(hasher, password)
    user.session_version += 1
    record(
        session,
        action="account.password_set",
        actor=actor,
        subject_type="user",
        subject_id=user.id,
        inputs={"username": username},
        now=now,
    )
    session.commit()
    return user


def _user_named(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("user", username)
    return user


def list_users(session: Session, *, actor: Actor) -> list[User]:
    require(actor, "accounts.manage", "list accounts")
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def deactivate_user(session: Session, *, actor: Actor, username: str, now: datetime) -> User:
    require(actor, "accounts.manage", "deactivate accounts")
    user = _user_named(session, username)
    if user.id == actor.user_id:
        raise Conflict("you cannot deactivate your own account", field="username")
    user.active = False
    record(
        session,
        action="account.deactivated",
        actor=actor,
        subject_type="user",
        subject_id=user.id,
        inputs={"username": username},
        now=now,
    )
    session.commit()
    return user


def link_researcher(
    session: Session, *, actor: Actor, username: str, researcher_id: int | None, now: datetime
) -> User:
    """Link an account to a researcher profile (``None``: unlink), so the person reviews, or
    applies, as that researcher. One account per researcher; audited."""
    require(actor, "accounts.manage", "link accounts to researcher profiles")
    user = _user_named(session, username)
    name = None
    if researcher_id is not None:
        card = researcher_card(session, researcher_id)
        if card is None:
            raise NotFound("researcher", researcher_id)
        taken = session.scalar(
            select(User.username).where(User.researcher_id == researcher_id, User.id != user.id)
        )
        if taken is not None:
            raise Conflict(
                f"researcher {researcher_id} ({card.name_latin}) is already linked to account "
                f"{taken}",
                field="researcher_id",
            )
        name = card.name_latin
    before = user.researcher_id
    user.researcher_id = researcher_id
    record(
        session,
        action="account.researcher_linked",
        actor=actor,
        subject_type="user",
        subject_id=user.id,
        inputs={"username": username, "researcher": researcher_id, "before": before},
        now=now,
        summary={"researcher": researcher_id, "name": name},
    )
    session.commit()
    return user
