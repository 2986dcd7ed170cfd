"""JSON API for tokens and accounts."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request

from nexus_sti.accounts import service
from nexus_sti.accounts.schemas import (
    MeRead,
    PermissionRead,
    TokenCreate,
    TokenRead,
    UserCreate,
    UserRead,
)
from nexus_sti.accounts.tables import User
from nexus_sti.accounts.webdeps import ApiActor, authenticate_login
from nexus_sti.core.access import PERMISSIONS, check
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.webdeps import SessionDep, get_platform

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post("/auth/token", response_model=TokenRead, status_code=201)
def create_token(body: TokenCreate, session: SessionDep, request: Request) -> TokenRead:
    platform = get_platform(request)
    user = authenticate_login(request, session, body.username, body.password)
    issued = service.create_api_token(
        session,
        user=user,
        name=body.name,
        ttl=timedelta(days=platform.settings.token_ttl_days),
        now=utcnow(),
    )
    return TokenRead(token=issued.token, expires_at=issued.expires_at)


@router.get("/me", response_model=MeRead)
def me(actor: ApiActor, session: SessionDep) -> MeRead:
    user = session.get(User, actor.user_id)
    assert user is not None
    perms = []
    for action in PERMISSIONS:
        decision = check(actor, action, country=actor.country)
        perms.append(
            PermissionRead(action=action, allowed=decision.allowed, reason=decision.reason)
        )
    return MeRead(**UserRead.model_validate(user).model_dump(), permissions=perms)


@router.get("/users", response_model=list[UserRead])
def list_users(actor: ApiActor, session: SessionDep) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in service.list_users(session, actor=actor)]


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(
    body: UserCreate, actor: ApiActor, session: SessionDep, request: Request
) -> UserRead:
    user = service.create_user(
        session,
        actor=actor,
        hasher=get_platform(request).hasher,
        now=utcnow(),
        **body.model_dump(),
    )
    return UserRead.model_validate(user)
