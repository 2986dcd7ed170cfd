"""The ``nexus`` command: the root, database commands, ``serve`` and ``run``.

The composition root: each context brings its command group (``accounts``, ``program``, ``audit``,
``demo``, ...), and the proposals context adds its commands to the ``calls`` group. The groups
are imported when they are used, not when ``nexus`` starts: ``nexus --help`` lists them from the
table below, and ``nexus program ...`` imports the programs context only (the whole platform,
with SQLAlchemy, NumPy and the solvers, took about 4 s to import).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Annotated, Any

import typer

# Typer 0.29 carries its own copy of click; its group class is built on these.
from typer._click.core import Command, Context
from typer._click.formatting import HelpFormatter
from typer.core import TyperGroup

from nexus_sti.core.errors import Conflict, NexusError

# name -> (the modules whose Typer apps make the group, the group's one-line help)
CONTEXT_GROUPS: dict[str, tuple[tuple[str, ...], str]] = {
    "program": (("nexus_sti.programs.cli",), "Program configuration files."),
    "accounts": (("nexus_sti.accounts.cli",), "Accounts and API tokens."),
    "audit": (("nexus_sti.audit.cli",), "The append-only audit log."),
    "demo": (("nexus_sti.demo.cli",), "The synthetic demo data set."),
    "needs": (("nexus_sti.needs.cli",), "Needs assessment and need-based country targets."),
    # A call's proposals are the proposals context's; their commands join the calls group.
    "calls": (
        ("nexus_sti.calls.cli", "nexus_sti.proposals.cli"),
        "Calls: lifecycle, screening, import and export.",
    ),
    "selection": (("nexus_sti.selection.cli",), "Portfolio selection: optimise, explain, decide."),
    "review": (("nexus_sti.review.cli",), "Review: reviewer assignment and score calibration."),
    "jobs": (("nexus_sti.jobs.cli",), "Background jobs: workers and the queue."),
}


def context_group(name: str) -> Command:
    """The click group of context ``name``, built from its modules' Typer apps (imported now)."""
    modules, _help = CONTEXT_GROUPS[name]
    first, *more = (importlib.import_module(m).app for m in modules)
    for other in more:
        first.registered_commands += [
            c for c in other.registered_commands if c not in first.registered_commands
        ]
    group = typer.main.get_group(first)
    group.name = name
    return group


class LazyGroup(TyperGroup):
    """The root group: the context groups are listed from :data:`CONTEXT_GROUPS` and imported
    only when one is called."""

    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *CONTEXT_GROUPS]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name in CONTEXT_GROUPS:
            return context_group(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        rows = [(n, c.get_short_help_str(60)) for n, c in self.commands.items() if not c.hidden]
        rows += [(name, help_) for name, (_m, help_) in CONTEXT_GROUPS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="nexus",
    cls=LazyGroup,
    help="NEXUS platform: run an international science-cooperation funding program.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Database schema: upgrade, inspect, downgrade.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _platform() -> Any:
    from nexus_sti.platform.clictx import platform_from_env

    return platform_from_env()


def _print(text: str) -> None:
    from nexus_sti.platform.clictx import console

    console.print(text)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from nexus_sti.platform import db

    platform = _platform()
    before = db.current_revision(platform.engine)
    db.upgrade(platform.engine, revision)
    after = db.current_revision(platform.engine)
    _print(f"database {_safe_url(platform.settings.effective_database_url)}: {before} -> {after}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and the newest one this version ships."""
    from nexus_sti.platform import db

    platform = _platform()
    current = db.current_revision(platform.engine)
    head = db.head_revision(platform.engine)
    state = "(up to date)" if current == head else "(run nexus db upgrade)"
    _print(f"current: {current}  newest: {head}  {state}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. base.")],
) -> None:
    """Revert migrations down to REVISION."""
    from nexus_sti.platform import db

    platform = _platform()
    db.downgrade(platform.engine, revision)
    _print(f"database now at {db.current_revision(platform.engine)}")


def _safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


WORKER_HEALTHCHECK_S = 60
LISTEN_BACKLOG = 4096


@contextmanager
def job_workers(count: int) -> Iterator[None]:
    """``count`` ``nexus jobs work`` processes beside the web server, stopped with it. Solving
    in processes of their own keeps the pages' processes free (a solver thread in a web process
    shares its interpreter lock with the pages)."""
    import subprocess

    command = [sys.executable, "-c", "from nexus_sti.app.cli import main; main()", "jobs", "work"]
    processes = [subprocess.Popen(command) for _ in range(count)]
    try:
        yield
    finally:
        for process in processes:
            process.terminate()  # SIGTERM: each finishes the job under way, then stops
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


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

    platform = _platform()
    if not platform.is_migrated():
        raise Conflict("the database schema is not current: run `nexus db upgrade` first")
    settings = platform.settings
    platform.close()
    if settings.job_processes:
        # The web processes read their settings anew: they leave the jobs to the workers.
        os.environ["NEXUS_JOB_THREADS"] = "0"
    with job_workers(settings.job_processes):
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
    from rich.table import Table

    from nexus_sti.app.web import create_app
    from nexus_sti.demo.service import DEMO_PASSWORD, demo_accounts, ensure_demo
    from nexus_sti.platform import db
    from nexus_sti.platform.clictx import console

    platform = _platform()
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
    if settings.job_processes:
        platform = replace(platform, settings=settings.model_copy(update={"job_threads": 0}))
    with job_workers(settings.job_processes):
        uvicorn.run(
            create_app(platform),
            host=settings.host,
            port=port or settings.port,
            log_level="warning",
        )


def main() -> None:
    """Console entry point: platform errors become one line and a non-zero exit code."""
    try:
        app()
    except NexusError as exc:
        from nexus_sti.platform.clictx import err_console

        err_console.print(f"[red]error[/red] ({exc.code}): {exc.message}", highlight=False)
        sys.exit(exc.exit_code)
    finally:
        clictx = sys.modules.get("nexus_sti.platform.clictx")
        if clictx is not None:  # only a command that opened the platform has one to close
            clictx.close_platforms()
