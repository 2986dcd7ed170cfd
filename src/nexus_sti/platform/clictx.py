"""What every CLI command shares: consoles, the platform built from the environment, the actor.

Light to import: every command group imports this module, and ``--help`` or a command that
reads only files must not wait for SQLAlchemy and the settings (over 1 s on a cold start);
they are imported when a command opens the platform.
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

from rich.console import Console

from nexus_sti.core.access import Actor

if TYPE_CHECKING:
    from nexus_sti.platform.context import Platform

console = Console()
err_console = Console(stderr=True)


_started: list[Platform] = []


def platform_from_env() -> Platform:
    """Start the platform from the environment; ``close_platforms`` releases it when the
    command ends."""
    from nexus_sti.platform.context import Platform
    from nexus_sti.platform.settings import load_settings

    platform = Platform.start(load_settings())
    _started.append(platform)
    return platform


def migrated_platform() -> Platform:
    """The platform, refusing with a clear message when the database schema is not current
    (a fresh database, or one an older version left behind) instead of failing on a missing
    table."""
    from nexus_sti.core.errors import Conflict

    platform = platform_from_env()
    if not platform.is_migrated():
        raise Conflict(
            "the database schema is not current: run `nexus db upgrade` "
            "(or `nexus run`, which also loads the demo program)"
        )
    return platform


def close_platforms() -> None:
    while _started:
        _started.pop().close()


def cli_actor() -> Actor:
    """The CLI acts with the operator's shell identity: whoever can run it owns the server."""
    try:
        who = getpass.getuser()
    except Exception:  # no user name in some containers
        who = "unknown"
    return Actor.system(f"cli:{who}")
