"""Commands on a call's proposals: screening, export and import (``nexus calls screening``,
``export``, ``import``). The composition root adds them to the ``calls`` group. Each command
imports its service (and SQLAlchemy) when it runs, so that ``--help`` answers at once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from nexus_sti.core.errors import InvalidInput
from nexus_sti.platform.clictx import cli_actor, console, err_console, migrated_platform

app = typer.Typer(no_args_is_help=True)

Format = Literal["json", "csv", "xlsx"]


def _format(path: Path, given: str | None) -> Format:
    fmt = (given or path.suffix.lstrip(".")).lower()
    if fmt not in ("json", "csv", "xlsx"):
        raise InvalidInput("--format", "json, csv or xlsx (or a file ending in one of them)")
    return fmt  # type: ignore[return-value]


@app.command("screening")
def screening(
    reference: Annotated[str, typer.Argument(help="Call reference.")],
    apply: Annotated[bool, typer.Option("--apply", help="Set eligible / ineligible.")] = False,
) -> None:
    """Every submitted proposal's failing rules; --apply records the outcome."""
    from nexus_sti.platform.db import utcnow
    from nexus_sti.proposals.screening import apply_screening, screening_list

    platform = migrated_platform()
    with platform.session() as session:
        rows = screening_list(session, actor=cli_actor(), call_reference=reference)
        table = Table("proposal", "eligible", "failing rules", title=f"{len(rows)} proposals")
        for r in rows:
            failing = "; ".join(v.message for v in r.verdicts if not v.passed)
            table.add_row(r.reference, "yes" if r.eligible else "no", failing)
        console.print(table)
        if apply:
            counts = apply_screening(
                session, actor=cli_actor(), call_reference=reference, now=utcnow()
            )
            console.print(f"eligible: {counts['eligible']}, ineligible: {counts['ineligible']}")


@app.command("export")
def export(
    reference: Annotated[str, typer.Argument(help="Call reference.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    format: Annotated[str | None, typer.Option(help="json, csv or xlsx (default: suffix).")] = None,
) -> None:
    """Write the call's proposals in the nexus-proposals/1 format."""
    from nexus_sti.proposals.exchange import export_call

    platform = migrated_platform()
    with platform.session() as session:
        data = export_call(
            session, actor=cli_actor(), call_reference=reference, format=_format(output, format)
        )
    output.write_bytes(data)
    console.print(f"wrote {output} ({len(data):,} bytes)")


@app.command("import")
def import_(
    reference: Annotated[str, typer.Argument(help="Call reference.")],
    file: Annotated[Path, typer.Argument(help="A nexus-proposals/1 file.")],
    format: Annotated[str | None, typer.Option(help="json, csv or xlsx (default: suffix).")] = None,
) -> None:
    """Create the file's proposals in the call: all of them, or none if anything is wrong."""
    from nexus_sti.platform.db import utcnow
    from nexus_sti.proposals.exchange import import_call

    platform = migrated_platform()
    with platform.session() as session:
        outcome = import_call(
            session,
            actor=cli_actor(),
            call_reference=reference,
            data=file.read_bytes(),
            format=_format(file, format),
            now=utcnow(),
        )
    if outcome.problems:
        for p in outcome.problems:
            err_console.print(f"- {p.describe()}", highlight=False)
        raise InvalidInput(
            outcome.problems[0].field, f"{len(outcome.problems)} problem(s); nothing was imported"
        )
    console.print(f"imported {len(outcome.created)} proposals into {reference}")
