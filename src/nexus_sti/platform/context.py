"""The running platform: settings plus the storage and hashing they configure.

Entry points build one :class:`Platform` at start-up and hand it down; nothing is global.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from nexus_sti.platform import db
from nexus_sti.platform.security import password_hasher
from nexus_sti.platform.settings import Settings


@dataclass(frozen=True)
class Platform:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    hasher: PasswordHasher

    @classmethod
    def start(cls, settings: Settings) -> Platform:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = db.make_engine(
            settings.effective_database_url,
            pool=db.PoolSettings(
                size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                timeout_s=settings.db_pool_timeout_s,
                sqlite_busy_timeout_s=settings.sqlite_busy_timeout_s,
            ),
        )
        db.import_all_tables()
        return cls(
            settings=settings,
            engine=engine,
            sessions=db.make_sessionmaker(engine),
            hasher=password_hasher(settings.password_hash_profile),
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        with db.session_scope(self.sessions) as session:
            yield session

    def is_migrated(self) -> bool:
        return db.current_revision(self.engine) == db.head_revision(self.engine)

    def close(self) -> None:
        self.engine.dispose()
