"""``nexus audit``: read the audit log. The command imports the service (and SQLAlchemy) when it
runs, so that ``--help`` answers at once."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from nexus_sti.platform.clictx import cli_actor, console, migrated_platform

app = typer.Typer(help="The append-only audit log.", no_args_is_help=True)


@app.command("list")
def list_entries(
    action: Annotated[str | None, typer.Option(help="Only actions starting with this.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 30,
) -> None:
    """Show the newest audit entries."""
    from nexus_sti.audit.service import list_audit_entries

    platform = migrated_platform()
    with platform.session() as session:
        page = list_audit_entries(session, actor=cli_actor(), action_prefix=action, per_page=limit)
        table = Table(
            "at (UTC)", "action", "actor", "subject", "inputs digest", title=f"{page.total} entries"
        )
        for e in page.entries:
            table.add_row(
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.action,
                e.actor_label,
                f"{e.subject_type} {e.subject_id}",
                e.inputs_digest[:12],
            )
        console.print(table)
