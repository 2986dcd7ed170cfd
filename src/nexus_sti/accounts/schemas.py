"""API input and output shapes for accounts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class TokenCreate(BaseModel):
    username: str
    password: str
    name: str = Field("api", description="What the token is for, e.g. 'reporting script'.")


class TokenRead(BaseModel):
    token: str = Field(description="Shown once; send as 'Authorization: Bearer <token>'.")
    expires_at: datetime


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    username: str
    display_name: str
    email: str
    role: str
    country: str | None
    active: bool
    synthetic: bool


class UserCreate(BaseModel):
    username: str
    password: str
    role: str
    display_name: str
    email: str
    country: str | None = None


class PermissionRead(BaseModel):
    action: str
    allowed: bool
    reason: str


class MeRead(UserRead):
    permissions: list[PermissionRead]
