"""Platform settings, read from ``NEXUS_*`` environment variables when the app or CLI starts.

Nothing reads settings at import time: entry points call :func:`load_settings` once and pass the
value down. Every field is documented in ``docs/configuration.md``; a test keeps the two in step.
"""

from __future__ import annotations

import os
import secrets
import time
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
        description="Signs session cookies and CSRF tokens. Required in production; in "
        "development an unset key is made at random and kept in DATA_DIR/secret_key.",
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
    secure_cookies: bool | None = Field(
        None,
        description="Send cookies only over HTTPS (and HSTS); empty means on in production, "
        "off otherwise.",
    )
    api_docs: bool | None = Field(
        None,
        description="Serve the interactive API documentation at /docs; empty means off in "
        "production, on otherwise (/openapi.json is always served).",
    )
    db_pool_size: int = Field(
        4, ge=1, le=200, description="Database connections each worker process keeps open."
    )
    db_max_overflow: int = Field(
        4, ge=0, le=200, description="Extra connections a worker may open under load."
    )
    db_pool_timeout_s: float = Field(
        5.0, gt=0, description="Seconds a request waits for a free connection before a 503."
    )
    sqlite_busy_timeout_s: float = Field(
        15.0, gt=0, description="Seconds an SQLite write waits for another writer to finish."
    )
    queue_timeout_s: float = Field(
        10.0,
        gt=0,
        description="Seconds a request may wait for a worker thread; past it the answer is 503 "
        "with Retry-After, never a hang.",
    )
    deadline_grace_s: float = Field(
        0.0,
        ge=0,
        le=3600,
        description="Seconds after a call's deadline that a submission arriving at the server "
        "is still taken (judged at arrival, before any queueing; 0 = none).",
    )
    job_threads: int = Field(
        1,
        ge=0,
        le=16,
        description="Background-job workers each web process runs as threads (0: leave the queue "
        "to `nexus jobs work` processes).",
    )
    job_processes: int = Field(
        1,
        ge=0,
        le=16,
        description="Job-worker processes `nexus serve` and `nexus run` start beside the web "
        "server, whose processes then run no job threads (0: jobs run in the web processes).",
    )
    job_wait_s: float = Field(
        0.5,
        ge=0,
        le=120,
        description="Seconds a page waits for its background job before it shows a progress bar "
        "instead.",
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
    def https_only(self) -> bool:
        return self.secure_cookies if self.secure_cookies is not None else self.is_production

    @property
    def serve_api_docs(self) -> bool:
        return self.api_docs if self.api_docs is not None else not self.is_production

    @property
    def is_production(self) -> bool:
        return self.mode == "production"

    @property
    def request_threads(self) -> int:
        """Threads serving requests in a worker: one per database connection it may open, so a
        thread never waits for a connection that a waiting thread holds."""
        return self.db_pool_size + self.db_max_overflow

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'nexus.db'}"


SECRET_FILE = "secret_key"


def session_secret(settings: Settings) -> str:
    """The key that signs session cookies and CSRF tokens.

    ``NEXUS_SECRET_KEY`` when it is set. Otherwise, in development, a random key made on first
    start and kept in ``DATA_DIR/secret_key`` (readable by its owner only), so no two
    installations share a key and nobody can forge a cookie from the public source; in test
    mode, the fixed development value. Production refuses to start without the setting (several
    hosts must share one key)."""
    given = settings.secret_key.get_secret_value()
    if given != DEVELOPMENT_SECRET or settings.mode != "development":
        return given
    path = settings.data_dir / SECRET_FILE
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made by an earlier start, or by another worker starting at the same moment
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    for _ in range(50):  # a worker that lost the race waits for the winner's write
        key = path.read_text().strip()
        if len(key) >= 32:
            return key
        time.sleep(0.02)
    raise InvalidInput("NEXUS_SECRET_KEY", f"{path} holds no usable key; delete it to make one")


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
