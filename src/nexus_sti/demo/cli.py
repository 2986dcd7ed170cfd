"""``nexus demo``: load the synthetic demo data set. The generator (NumPy, the solvers) is
imported when the command runs, so that ``--help`` answers at once."""

from __future__ import annotations

from typing import Annotated

import typer

from nexus_sti.platform.clictx import console, migrated_platform

app = typer.Typer(help="The synthetic demo data set.", no_args_is_help=True)


@app.command("seed")
def seed(
    replace: Annotated[
        bool, typer.Option("--replace", help="Delete the synthetic records and generate again.")
    ] = False,
    program: Annotated[
        str | None,
        typer.Option(
            "--program",
            help="A preset (nexus, easia) or a program file; default: NEXUS_PROGRAM_FILE, "
            "else nexus.",
        ),
    ] = None,
) -> None:
    """Load the program and the synthetic demo data (seed NEXUS_DEMO_SEED, NEXUS_DEMO_PROPOSALS
    proposals). One demo data set at a time: pass --replace to switch programs. Refused in
    production mode."""
    from nexus_sti.demo.service import ensure_demo

    ensure_demo(migrated_platform(), console=console, replace=replace, program=program)
