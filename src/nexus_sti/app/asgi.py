"""ASGI entry for servers: ``uvicorn --factory nexus_sti.app.asgi:app_factory``.

Each worker process reads the settings once, at start-up.
"""

from __future__ import annotations

from fastapi import FastAPI

from nexus_sti.app.web import create_app
from nexus_sti.core.errors import Conflict
from nexus_sti.platform.context import Platform
from nexus_sti.platform.settings import load_settings


def app_factory() -> FastAPI:
    platform = Platform.start(load_settings())
    if not platform.is_migrated():
        raise Conflict("the database schema is not current: run `nexus db upgrade` first")
    return create_app(platform)
