"""``nexus program``: validate, load and show program configurations. The commands that store
or read the program import the service (and SQLAlchemy) when they run, so that ``--help`` and
``validate`` answer at once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from nexus_sti.core.money import Money
from nexus_sti.platform.clictx import cli_actor, console, migrated_platform
from nexus_sti.programs.loader import PRESETS, load_preset, load_program_file

if TYPE_CHECKING:
    from nexus_sti.programs.model import ProgramConfig

app = typer.Typer(help="Program configuration files.", no_args_is_help=True)


def _summary(config: ProgramConfig) -> Table:
    table = Table(title=f"{config.program.short_name}: {config.total_budget}")
    for column in ("track", "kind", "consortium", "planned budget", "max per project", "months"):
        table.add_column(column)
    for t in config.tracks:
        most = t.max_budget_per_project
        table.add_row(
            t.code,
            t.kind,
            config.consortium_rule(t),
            str(config.track_budget(t.code)),
            "each funder's own" if most is None else str(Money(most, t.budget_currency)),
            f"{t.min_duration_months}-{t.max_duration_months}",
        )
    return table


@app.command("validate")
def validate(path: Annotated[Path, typer.Argument(help="A program file (TOML).")]) -> None:
    """Check a program file; print what is wrong (file, field, rule) or a summary."""
    loaded = load_program_file(path)
    console.print(_summary(loaded.config))
    console.print(f"[green]valid[/green]: {path}")


@app.command("load")
def load(
    path: Annotated[Path | None, typer.Argument(help="A program file; omit for --preset.")] = None,
    preset: Annotated[str, typer.Option(help=f"Built-in preset: {', '.join(PRESETS)}.")] = "nexus",
) -> None:
    """Store a program file as the program's next version (no change if identical)."""
    from nexus_sti.platform.db import utcnow
    from nexus_sti.programs.service import load_program

    loaded = load_program_file(path) if path else load_preset(preset)
    platform = migrated_platform()
    with platform.session() as session:
        row = load_program(session, actor=cli_actor(), loaded=loaded, now=utcnow())
        console.print(f"program {row.code} version {row.version} ({row.config_digest[:12]})")


@app.command("show")
def show() -> None:
    """Show the current program's budget and tracks."""
    from nexus_sti.programs.service import current_program

    platform = migrated_platform()
    with platform.session() as session:
        current = current_program(session)
        console.print(_summary(current.config))
        console.print(f"version {current.row.version} from {current.row.source_name}")
