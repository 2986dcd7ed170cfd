"""Platform settings, read from ``NEXUS_*`` environment variables when the app or CLI starts.

Nothing reads settings at import time: entry points call :func:`load_settings` once and pass the
value down. Every field is documented in ``docs/configuration.md``; a test keeps the two in step.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from nexus_sti.core.errors import InvalidInput

DEVELOPMENT_SECRET = "nexus-development-secret-do-not-use-in-production"

Mode = Literal["development", "test", "production"]


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/nexus-sti`` (``~/.local/share/nexus-sti``): outside the source tree."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "nexus-sti"


class Settings(BaseSettings):
    """Everything an operator can set. Environment names are the field names upper-cased with the
    ``NEXUS_`` prefix, e.g. ``NEXUS_DATABASE_URL``."""

    model_config = SettingsConfigDict(env_prefix="NEXUS_", extra="ignore", frozen=True)

    mode: Mode = Field(
        "development",
        description="development (demo defaults allowed), test, or production (secrets required).",
    )
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder for the embedded SQLite database and generated files.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; empty means SQLite at DATA_DIR/nexus.db. "
        "PostgreSQL: postgresql+psycopg://user:password@host:5432/nexus",
    )
    secret_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_SECRET),
        description="Signs session cookies and CSRF tokens. Must be set outside development.",
    )
    host: str = Field("127.0.0.1", description="Address `nexus serve` and `nexus run` bind to.")
    port: int = Field(8000, ge=1, le=65535, description="Port to serve on.")
    workers: int = Field(1, ge=1, le=64, description="Worker processes for `nexus serve`.")
    program_file: Path | None = Field(
        None,
        description="Program configuration (TOML) loaded by `nexus run`; empty means the "
        "built-in NEXUS preset.",
    )
    needs_index_file: Path | None = Field(
        None,
        description="Needs-index configuration (TOML); empty means the built-in default "
        "(docs/needs.md).",
    )
    password_hash_profile: Literal["standard", "fast"] = Field(
        "standard",
        description="argon2 cost: standard (RFC 9106 low-memory profile) or fast (tests only).",
    )
    session_max_age_s: int = Field(
        8 * 3600, ge=60, description="Seconds a login session stays valid."
    )
    token_ttl_days: int = Field(90, ge=1, description="Days an API token stays valid.")
    secure_cookies: bool = Field(
        False, description="Send cookies only over HTTPS (set true behind TLS)."
    )
    demo_seed: int = Field(20240422, description="Seed of the synthetic demo data set.")
    demo_proposals: int = Field(
        400, ge=10, le=20000, description="Proposals in the synthetic demo call."
    )

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.mode == "production":
            if self.secret_key.get_secret_value() == DEVELOPMENT_SECRET:
                raise ValueError(
                    "NEXUS_SECRET_KEY must be set to a private random value in production mode"
                )
            if len(self.secret_key.get_secret_value()) < 32:
                raise ValueError("NEXUS_SECRET_KEY must be at least 32 characters in production")
            if self.password_hash_profile != "standard":
                raise ValueError("NEXUS_PASSWORD_HASH_PROFILE=fast is for tests only")
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'nexus.db'}"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment (and explicit overrides), or raise InvalidInput that
    names the variable and the rule."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["loc"]:
            name = "NEXUS_" + ".".join(str(p) for p in first["loc"]).upper()
        else:  # a rule across fields names its variable first
            name = message.split(" ", 1)[0] if message.startswith("NEXUS_") else "NEXUS settings"
        raise InvalidInput(name, message, f"{name}: {message}") from None
