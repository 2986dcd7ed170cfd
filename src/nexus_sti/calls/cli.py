"""``nexus calls``: list calls and move them through their lifecycle. The proposals context adds
its commands on a call's proposals (screening, export, import) to this group (app/cli.py).
Each command imports its service (and SQLAlchemy) when it runs, so that ``--help`` answers at
once."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from nexus_sti.platform.clictx import cli_actor, console, migrated_platform

app = typer.Typer(help="Calls: lifecycle, screening, import and export.", no_args_is_help=True)


@app.command("list")
def list_(
    status: Annotated[
        str | None, typer.Option(help="Only calls in this status (open, closed, in_review, …).")
    ] = None,
    track: Annotated[str | None, typer.Option(help="Only calls of this track.")] = None,
    references_only: Annotated[
        bool,
        typer.Option(
            "--references-only", help="Print only the references, one per line (for scripts)."
        ),
    ] = False,
) -> None:
    """Every call with its track, status and time left (references never cut short)."""
    from nexus_sti.calls.deadlines import time_left
    from nexus_sti.calls.service import list_calls
    from nexus_sti.platform.db import utcnow

    platform = migrated_platform()
    now = utcnow()
    with platform.session() as session:
        calls = [
            c
            for c in list_calls(session, actor=cli_actor())
            if (status is None or c.status == status) and (track is None or c.track == track)
        ]
    refs = [c.reference for c in calls]
    if references_only:
        for c in calls:
            typer.echo(c.reference)
        return
    table = Table()
    table.add_column("reference", no_wrap=True, min_width=max(map(len, refs), default=9))
    for name in ("track", "status", "closes (UTC)", "left"):
        table.add_column(name, no_wrap=True)
    table.add_column("title")
    for c in calls:
        table.add_row(
            c.reference, c.track, c.status, f"{c.closes_at:%Y-%m-%d %H:%M}",
            time_left(c.closes_at, now), c.title,
        )  # fmt: skip
    console.print(table)


@app.command("action")
def action(
    reference: Annotated[str, typer.Argument(help="Call reference.")],
    name: Annotated[str, typer.Argument(help="open, close, screen, review, decide or archive.")],
) -> None:
    """Move a call to its next state (audited)."""
    from nexus_sti.calls.service import transition_call
    from nexus_sti.platform.db import utcnow

    platform = migrated_platform()
    with platform.session() as session:
        call = transition_call(
            session, actor=cli_actor(), reference=reference, action=name, now=utcnow()
        )
        console.print(f"{call.reference} is now {call.status}")
