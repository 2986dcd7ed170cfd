"""Storage: the declarative base every context's tables use, engines and sessions, migrations."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, inspect, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from nexus_sti.core.errors import InvalidInput

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Stable constraint names, so migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def import_all_tables() -> MetaData:
    """Import every ``tables`` module of the package (and the audit log and the job queue) so
    ``Base.metadata`` is complete. The modules are found by name, not listed: the infrastructure
    knows no context, and a new context's tables are found as soon as its ``tables.py`` exists."""
    import nexus_sti

    importlib.import_module("nexus_sti.platform.auditlog")
    importlib.import_module("nexus_sti.platform.jobqueue")
    for module in pkgutil.walk_packages(nexus_sti.__path__, prefix="nexus_sti."):
        if module.name.endswith(".tables"):
            importlib.import_module(module.name)
    return Base.metadata


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """How many connections a process keeps and how long a request waits for one."""

    size: int = 4
    max_overflow: int = 4
    timeout_s: float = 5.0
    sqlite_busy_timeout_s: float = 15.0


def make_engine(url: str, *, echo: bool = False, pool: PoolSettings | None = None) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL, a busy timeout and its folder.

    The pool is bounded and a request that cannot get a connection within ``pool.timeout_s``
    fails fast (the web boundary answers 503 with Retry-After) instead of queueing for long.
    """
    pool = pool or PoolSettings()
    sizing: dict[str, Any] = {
        "pool_size": pool.size,
        "max_overflow": pool.max_overflow,
        "pool_timeout": pool.timeout_s,
    }
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        in_memory = not path or path == ":memory:"
        if not in_memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False},
            **({} if in_memory else sizing),
        )
        busy_ms = int(pool.sqlite_busy_timeout_s * 1000)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            cur.close()

        guard_parameters(engine)
        return engine
    engine = create_engine(url, echo=echo, pool_pre_ping=True, **sizing)
    guard_parameters(engine)
    return engine


INT32 = (-(2**31), 2**31 - 1)
_PARAM_SUFFIX = re.compile(r"_\d+$")


def _check_parameters(parameters: Any, key: object = "value") -> None:
    """Refuse values no column of ours can hold, the same way on every backend.

    SQLite stores a NUL character and compares huge integers, while PostgreSQL rejects both
    with a driver error (a 500); here both become ``InvalidInput`` naming the parameter.
    ``parameters`` is whatever the driver gets: a dict, a tuple, or a list of either."""
    if isinstance(parameters, dict):
        for name, value in parameters.items():
            _check_parameters(value, name)
        return
    if isinstance(parameters, list | tuple):
        for value in parameters:
            _check_parameters(value, key)
        return
    bad = None
    if isinstance(parameters, str) and "\x00" in parameters:
        bad = "must not contain NUL (\\x00) characters"
    elif (
        isinstance(parameters, int)
        and not isinstance(parameters, bool)
        and not INT32[0] <= parameters <= INT32[1]
    ):
        bad = f"a whole number from {INT32[0]} to {INT32[1]}"
    if bad:
        field = _PARAM_SUFFIX.sub("", key) if isinstance(key, str) else "value"
        raise InvalidInput(field, bad, f"{field}: {bad}")


def guard_parameters(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _guard(
        _conn: Any, _cursor: Any, _statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        names = getattr(getattr(context, "compiled", None), "positiontup", None)
        if names and isinstance(parameters, tuple) and len(parameters) % len(names) == 0:
            # Positional drivers (SQLite): name each value by its column for the message.
            parameters = {
                names[i % len(names)]: value for i, value in enumerate(parameters) if value
            }
        _check_parameters(parameters)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that rolls back whatever was not committed; services commit once themselves."""
    session = factory()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config  # alembic is imported only to migrate (0.5 s at start)

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None: not migrated), read from alembic's own
    table without importing alembic."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


_REVISION = re.compile(r'^revision: str = "([^"]+)"$', re.M)
_DOWN_REVISION = re.compile(r'^down_revision: str \| None = "([^"]+)"$', re.M)


def head_revision(engine: Engine | None = None) -> str | None:
    """The newest revision of the migrations shipped with this code: the one no other revision
    names as its predecessor (read from the files, as alembic would, without importing it;
    a test compares the two)."""
    revisions: set[str] = set()
    predecessors: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revisions |= set(_REVISION.findall(source))
        predecessors |= set(_DOWN_REVISION.findall(source))
    heads = sorted(revisions - predecessors)
    return heads[-1] if heads else None


def utcnow() -> datetime:
    """The shell's clock. Pure code never calls this; services receive ``now`` from here."""
    return datetime.now(UTC)
