"""Alembic environment: runs against the engine the platform passes in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from nexus_sti.platform.db import import_all_tables

target_metadata = import_all_tables()
engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
