"""The ``nexus`` command: the root, database commands, ``serve`` and ``run``.

The composition root: each context brings its command group (``accounts``, ``program``, ``audit``,
``demo``, ...), and the proposals context adds its commands to the ``calls`` group.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from nexus_sti.accounts.cli import app as accounts_app
from nexus_sti.audit.cli import app as audit_app
from nexus_sti.calls.cli import app as calls_app
from nexus_sti.core.errors import Conflict, NexusError
from nexus_sti.demo.cli import app as demo_app
from nexus_sti.needs.cli import app as needs_app
from nexus_sti.platform import db
from nexus_sti.platform.clictx import close_platforms, console, err_console, platform_from_env
from nexus_sti.programs.cli import app as program_app
from nexus_sti.proposals.cli import app as proposal_commands
from nexus_sti.review.cli import app as review_app
from nexus_sti.selection.cli import app as selection_app

app = typer.Typer(
    name="nexus",
    help="NEXUS platform: run an international science-cooperation funding program.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
db_app = typer.Typer(help="Database schema: upgrade, inspect, downgrade.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(program_app, name="program")
app.add_typer(accounts_app, name="accounts")
app.add_typer(audit_app, name="audit")
app.add_typer(demo_app, name="demo")
app.add_typer(needs_app, name="needs")
# A call's proposals are the proposals context's; their commands join the calls group.
calls_app.registered_commands += proposal_commands.registered_commands
app.add_typer(calls_app, name="calls")
app.add_typer(selection_app, name="selection")
app.add_typer(review_app, name="review")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    platform = platform_from_env()
    before = db.current_revision(platform.engine)
    db.upgrade(platform.engine, revision)
    after = db.current_revision(platform.engine)
    console.print(
        f"database {_safe_url(platform.settings.effective_database_url)}: {before} -> {after}"
    )


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and the newest one this version ships."""
    platform = platform_from_env()
    current = db.current_revision(platform.engine)
    head = db.head_revision(platform.engine)
    state = "(up to date)" if current == head else "(run nexus db upgrade)"
    console.print(f"current: {current}  newest: {head}  {state}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. base.")],
) -> None:
    """Revert migrations down to REVISION."""
    platform = platform_from_env()
    db.downgrade(platform.engine, revision)
    console.print(f"database now at {db.current_revision(platform.engine)}")


def _safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


WORKER_HEALTHCHECK_S = 60
LISTEN_BACKLOG = 4096


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default NEXUS_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default NEXUS_PORT).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default NEXUS_WORKERS).")
    ] = None,
) -> None:
    """Serve the platform for production. Run `nexus db upgrade` first; demo data is not loaded."""
    import uvicorn

    platform = platform_from_env()
    if not platform.is_migrated():
        raise Conflict("the database schema is not current: run `nexus db upgrade` first")
    settings = platform.settings
    platform.close()
    uvicorn.run(
        "nexus_sti.app.asgi:app_factory",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        proxy_headers=True,
        log_level="info",
        # A worker busy at its limit answers the supervisor's ping late; uvicorn's default of
        # 5 s would kill and restart healthy workers under load (docs/deployment.md).
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
        # Room for a deadline's burst of connections while workers take them in turn.
        backlog=LISTEN_BACKLOG,
    )


@app.command()
def run(
    port: Annotated[int | None, typer.Option(help="Port (default NEXUS_PORT, 8000).")] = None,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Prepare the database, do not serve.")
    ] = False,
) -> None:
    """Development start: migrate, load the program and the synthetic demo data (first time
    only), print the demo accounts and serve on http://127.0.0.1:8000."""
    import uvicorn

    from nexus_sti.app.web import create_app
    from nexus_sti.demo.service import DEMO_PASSWORD, demo_accounts, ensure_demo

    platform = platform_from_env()
    settings = platform.settings
    if settings.mode == "production":
        raise Conflict("`nexus run` is for development; in production use `nexus serve`")
    db.upgrade(platform.engine)
    ensure_demo(platform, console=console)
    table = Table(title="Demo accounts (synthetic)", caption=f"password for each: {DEMO_PASSWORD}")
    for column in ("username", "role", "country"):
        table.add_column(column)
    with platform.session() as session:
        for user in demo_accounts(session):
            table.add_row(user.username, user.role, user.country or "")
    console.print(table)
    console.print(f"data folder: {settings.data_dir}")
    url = f"http://{settings.host}:{port or settings.port}"
    if no_serve:
        console.print(f"ready; serve with: nexus run   ({url})")
        return
    console.print(f"[bold]NEXUS platform on {url}[/bold]  (Ctrl+C to stop)")
    uvicorn.run(
        create_app(platform), host=settings.host, port=port or settings.port, log_level="warning"
    )


def main() -> None:
    """Console entry point: platform errors become one line and a non-zero exit code."""
    try:
        app()
    except NexusError as exc:
        err_console.print(f"[red]error[/red] ({exc.code}): {exc.message}", highlight=False)
        sys.exit(exc.exit_code)
    finally:
        close_platforms()
