"""``nexus needs``: the needs index and country targets, as a table, JSON or CSV. Each command
imports the needs model (NumPy, SQLAlchemy) when it runs, so that ``--help`` answers at once."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from nexus_sti.core.errors import InvalidInput
from nexus_sti.platform.clictx import cli_actor, console, err_console, migrated_platform

app = typer.Typer(help="Needs assessment and need-based country targets.", no_args_is_help=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _emit(text: str) -> None:
    # Plain print for machine formats: no Rich wrapping or markup in JSON or CSV.
    typer.echo(text, nl=not text.endswith("\n"))


@app.command("index")
def index(
    format: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
    draws: Annotated[int | None, typer.Option(min=100, help="Monte Carlo draws.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the configuration's).")] = None,
    config: Annotated[Path | None, typer.Option(help="Index configuration (TOML).")] = None,
) -> None:
    """Capacity, need and rank of every country, with the 5-95 % rank interval."""
    from rich.progress import Progress

    from nexus_sti.needs import service
    from nexus_sti.needs.export import assessment_csv, assessment_json
    from nexus_sti.platform.settings import load_settings

    with Progress(console=err_console, transient=True) as bar:
        bar.add_task("computing the index and its Monte Carlo", total=None)
        assessment = service.current_assessment(
            actor=cli_actor(),
            index_file=config or load_settings().needs_index_file,
            draws=draws,
            seed=seed,
        )
    if format is Format.json:
        _emit(json.dumps(assessment_json(assessment), ensure_ascii=False, indent=2))
        return
    if format is Format.csv:
        _emit(assessment_csv(assessment))
        return
    table = Table(title=f"Capacity and need, {assessment.window[0]}-{assessment.window[1]} "
                  f"({assessment.draws} draws, seed {assessment.seed})")  # fmt: skip
    for column in ("country", "capacity", "need", "rank", "5-95 % rank", "imputed"):
        table.add_column(column, justify="left" if column in ("country", "imputed") else "right")
    for c in sorted(assessment.countries, key=lambda c: c.rank):
        table.add_row(
            c.iso3,
            f"{c.capacity:.3f}",
            f"{c.need:.3f}",
            str(c.rank),
            f"{c.rank_interval[0]:.0f}-{c.rank_interval[1]:.0f}",
            ", ".join(i.code for i in c.gaps),
        )
    console.print(table)
    top = assessment.sensitivity[0]
    console.print(
        f"choice that moves ranks most: {top.factor} (mean shift {top.mean_rank_shift:.2f} places)"
    )
    for d in assessment.dropped:
        console.print(f"left out: {d.code}: {d.reason}")


@app.command("targets")
def targets(
    track: Annotated[str, typer.Option(help="Track code, e.g. bilateral.")],
    preset: Annotated[str, typer.Option(help="formula, widening or balkans.")] = "formula",
    a: Annotated[float, typer.Option(help="Equal part.")] = 0.3,
    b: Annotated[float, typer.Option(help="Need part.")] = 0.5,
    c: Annotated[float, typer.Option(help="Scale part.")] = 0.2,
    floor: Annotated[float, typer.Option(help="Lowest share per partner country.")] = 0.03,
    cap: Annotated[float, typer.Option(help="Highest share per partner country.")] = 0.25,
    slots: Annotated[int | None, typer.Option(help="Slots (default: from the budget).")] = None,
    method: Annotated[
        str, typer.Option(help="huntington_hill, webster or largest_remainder.")
    ] = "huntington_hill",
    max_change: Annotated[
        float | None, typer.Option(help="Most a share may move from the last saved targets.")
    ] = None,
    format: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
    save: Annotated[
        bool, typer.Option("--save", help="Save as the track's next decision.")
    ] = False,
    note: Annotated[str, typer.Option(help="Why (stored with a saved decision).")] = "",
) -> None:
    """Country shares and slots for a track; --save records them as a versioned decision."""
    from pydantic import ValidationError

    from nexus_sti.needs import service
    from nexus_sti.needs.export import targets_csv, targets_json
    from nexus_sti.needs.targets import TargetParams
    from nexus_sti.platform.db import utcnow

    try:
        params = TargetParams(
            track=track, preset=preset, a=a, b=b, c=c, floor=floor, cap=cap, slots=slots,
            method=method, max_change=max_change,
        )  # fmt: skip
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "parameters"
        raise InvalidInput(field, str(first["msg"]).removeprefix("Value error, ")) from None
    platform = migrated_platform()
    with platform.session() as session:
        index_file = platform.settings.needs_index_file
        result = service.targets_for(
            session, actor=cli_actor(), params=params, index_file=index_file
        )
        body = targets_json(result)
        if save:
            decision = service.save_targets(
                session,
                actor=cli_actor(),
                params=params,
                note=note,
                now=utcnow(),
                index_file=index_file,
            )
            err_console.print(
                f"saved {track} targets as version {decision.version} (id {decision.id})"
            )
    if format is Format.json:
        _emit(json.dumps(body, ensure_ascii=False, indent=2))
        return
    if format is Format.csv:
        _emit(targets_csv(body))
        return
    table = Table(title=f"{track}: {result.slots} slots")
    for column in ("country", "need", "formula share", "share", "bound", "slots"):
        table.add_column(column, justify="left" if column == "country" else "right")
    for row in body["countries"]:
        table.add_row(
            row["iso3"],
            f"{row['need']:.3f}",
            f"{row['formula_share']:.1%}",
            f"{row['share']:.1%}",
            row["bound"],
            str(row["slots"]),
        )
    console.print(table)
    for line in result.explanation:
        console.print(f"- {line}", highlight=False)


@app.command("decisions")
def decisions(
    track: Annotated[str | None, typer.Option(help="Only this track.")] = None,
) -> None:
    """The saved target decisions, newest first."""
    from nexus_sti.needs import service

    platform = migrated_platform()
    with platform.session() as session:
        table = Table("id", "track", "version", "saved (UTC)", "by", "digest", "note")
        for d in service.list_target_decisions(session, actor=cli_actor(), track=track):
            table.add_row(
                str(d.id), d.track, str(d.version), f"{d.created_at:%Y-%m-%d %H:%M}",
                d.created_by_label, d.digest[:12], d.note,
            )  # fmt: skip
        console.print(table)
