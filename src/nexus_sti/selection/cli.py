"""``nexus selection``: solve a selection problem file, run a call's selection, decide, verify.

Each command imports the selection service and the solvers (NumPy, SciPy, HiGHS, SQLAlchemy)
when it runs, so that ``--help`` answers at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from nexus_sti.core.errors import InvalidInput
from nexus_sti.platform.clictx import cli_actor, console, err_console, migrated_platform

if TYPE_CHECKING:
    from nexus_sti.selection.inputs import SelectionParams

app = typer.Typer(help="Portfolio selection: optimise, explain, decide.", no_args_is_help=True)


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(what, f"no such file: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(what, f"{path} is not UTF-8 JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidInput(what, f"{path} must hold a JSON object")
    return raw


def _write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@app.command("solve")
def solve(
    problem: Annotated[Path, typer.Option("--problem", help="Selection problem (JSON).")],
    output: Annotated[Path, typer.Option("--output", help="Where to write the result (JSON).")],
    time_limit: Annotated[
        float | None, typer.Option(help="Seconds per solve (default: the file's options).")
    ] = None,
) -> None:
    """Solve a problem file in the documented format (docs/selection.md) without a database."""
    import numpy as np

    from nexus_sti.algorithms.portfolio import rule_costs, solve_portfolio
    from nexus_sti.algorithms.portfolio_explain import (
        explain_unfunded,
        explanations_to_dicts,
        funding_line,
    )
    from nexus_sti.selection.problem_io import digest_of, read_problem, write_result

    raw = _read_json(problem, "--problem")
    parsed, options = read_problem(raw, source=str(problem))
    limit = time_limit or options.time_limit
    rng = np.random.default_rng(options.seed) if options.lottery else None
    with console.status(f"solving {len(parsed.candidates)} candidates"):
        result = solve_portfolio(
            parsed, time_limit=limit, gap=options.gap, lottery_rng=rng, method=options.method
        )
        extra: dict[str, Any] = {"funding_line": funding_line(parsed, result.selected)}
        if options.explain:
            extra["explanations"] = explanations_to_dicts(explain_unfunded(parsed, result.selected))
        if options.rule_costs:
            extra["rule_costs"] = rule_costs(parsed, time_limit=limit, method=options.method)
    document = write_result(result, inputs_digest=digest_of(raw), seed=options.seed, extra=extra)
    _write_json(output, document)
    console.print(
        f"{result.status}: {len(result.selected)} of {len(parsed.candidates)} funded, "
        f"merit {result.objective:.3f}, gap {result.gap:.2e}, {result.seconds:.2f} s "
        f"({result.solver}) -> {output}"
    )


def _params(**given: Any) -> SelectionParams:
    from nexus_sti.selection.inputs import SelectionParams

    return SelectionParams(**{k: v for k, v in given.items() if v is not None})


@app.command("run")
def run(
    call: Annotated[str, typer.Option("--call", help="Call reference.")],
    budget: Annotated[float | None, typer.Option(help="Call commitment, program currency.")] = None,
    tolerance: Annotated[
        float | None, typer.Option(help="Country band width (0.5 = ±50 %).")
    ] = None,
    threshold: Annotated[float | None, typer.Option(help="Lowest fundable score.")] = None,
    organisation_cap: Annotated[int | None, typer.Option(help="Awards per organisation.")] = None,
    lottery: Annotated[bool, typer.Option(help="Draw lots at the funding line.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the lottery draw.")] = 0,
    time_limit: Annotated[float, typer.Option(help="Seconds per solve.")] = 10.0,
    save: Annotated[bool, typer.Option(help="Store as a proposed decision record.")] = False,
    note: Annotated[str, typer.Option(help="Note stored with the record.")] = "",
    output: Annotated[Path | None, typer.Option(help="Write the result JSON here.")] = None,
    problem_out: Annotated[
        Path | None, typer.Option("--problem-out", help="Write the problem JSON here.")
    ] = None,
) -> None:
    """Select a call's portfolio from its eligible, scored proposals."""
    from nexus_sti.platform.db import utcnow
    from nexus_sti.selection import service

    params = _params(
        budget=budget, band_tolerance=tolerance, threshold=threshold,
        organisation_cap=organisation_cap, lottery=lottery, seed=seed, time_limit=time_limit,
    )  # fmt: skip
    platform = migrated_platform()
    with platform.session() as session, console.status("solving the selection"):
        outcome = service.preview(session, actor=cli_actor(), call_reference=call, params=params)
        saved = None
        if save:
            saved = service.propose(
                session, actor=cli_actor(), call_reference=call, params=params, note=note,
                now=utcnow(),
            )  # fmt: skip
    result = outcome.result
    console.print(
        f"{call}: {result.status}, {len(result.selected)} of "
        f"{len(outcome.inputs.problem.candidates)} funded, merit {result.objective:.3f} "
        f"(budgets alone: {outcome.baseline.objective:.3f}), gap {result.gap:.2e}"
    )
    for line in outcome.inputs.notes:
        console.print(f"  {line}")
    table = Table("rule family", "merit given up")
    for family, cost in (outcome.rule_costs or {}).items():
        table.add_row(family, f"{cost:.3f}")
    console.print(table)
    if saved is not None:
        console.print(f"saved as selection run {saved.id} (version {saved.version}, proposed)")
    if output is not None:
        _write_json(output, outcome.result_json())
    if problem_out is not None:
        _write_json(problem_out, outcome.problem_json)


@app.command("runs")
def runs(call: Annotated[str | None, typer.Option(help="Only this call.")] = None) -> None:
    """Selection runs, newest first."""
    from nexus_sti.selection.queries import list_runs

    platform = migrated_platform()
    with platform.session() as session:
        table = Table("id", "call", "version", "status", "funded", "merit", "by", "decided by")
        for r in list_runs(session, actor=cli_actor(), call_reference=call):
            table.add_row(
                str(r.id), str(r.call_id), str(r.version), r.status,
                str(len(r.result["selected"])), f"{r.objective:.3f}", r.created_by_label,
                r.decided_by_label,
            )  # fmt: skip
        console.print(table)


def _decide(run_id: int, approve: bool, note: str) -> None:
    from nexus_sti.platform.db import utcnow
    from nexus_sti.selection import decisions

    platform = migrated_platform()
    with platform.session() as session:
        run = decisions.decide(
            session, actor=cli_actor(), run_id=run_id, approve=approve, note=note, now=utcnow()
        )
        console.print(f"selection run {run.id} {run.status}")


@app.command("approve")
def approve(
    run_id: Annotated[int, typer.Argument(help="Selection run id.")],
    note: Annotated[str, typer.Option(help="The reason, kept in the record.")],
) -> None:
    """Approve a proposed run: creates the awards and decides the call (audited)."""
    _decide(run_id, True, note)


@app.command("reject")
def reject(
    run_id: Annotated[int, typer.Argument(help="Selection run id.")],
    note: Annotated[str, typer.Option(help="The reason, kept in the record.")],
) -> None:
    """Reject a proposed run (audited); nothing is awarded."""
    _decide(run_id, False, note)


@app.command("verify")
def verify(run_id: Annotated[int, typer.Argument(help="Selection run id.")]) -> None:
    """Re-solve a run from its record and say whether it reproduces."""
    from nexus_sti.selection import service

    platform = migrated_platform()
    with platform.session() as session, console.status("re-solving from the record"):
        check = service.verify_run(session, actor=cli_actor(), run_id=run_id)
    console.print(
        f"run {check.run_id}: inputs digest "
        f"{'matches' if check.inputs_digest_matches else 'DIFFERS'}, "
        f"selection {'same' if check.same_selection else 'DIFFERENT'}, "
        f"lottery {'same' if check.same_lottery else 'DIFFERENT'}; objective "
        f"{check.objective_recorded:.4f} recorded, {check.objective_now:.4f} now "
        f"({check.seconds:.2f} s)"
    )
    if check.earlier_lottery_rule:
        err_console.print(
            "the run was drawn under an earlier lottery rule (a re-solve with the draw as a "
            "tie-break); this version funds the group in draw order, so its lottery cannot be "
            "reproduced"
        )
    if not check.reproduced:
        err_console.print("the run did NOT reproduce")
        raise typer.Exit(1)


def fmt(e: Any, digits: int = 1) -> str:
    """An estimate as "mean (low–high)"."""
    if e is None:
        return "—"
    return f"{e.mean:.{digits}f} ({e.low:.{digits}f}–{e.high:.{digits}f})"


@app.command("scenario")
def scenario(
    scenarios: Annotated[int, typer.Option(min=1, max=100_000, help="Synthetic calls.")] = 50,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic calls.")] = 0,
    bilateral: Annotated[int, typer.Option(min=0, help="Bilateral proposals per call.")] = 240,
    regional: Annotated[int, typer.Option(min=0, help="Regional proposals per call.")] = 160,
    merit_mean: Annotated[float, typer.Option(help="Mean calibrated score (0-5).")] = 3.6,
    merit_sd: Annotated[float, typer.Option(help="Spread of calibrated scores.")] = 0.6,
    time_limit: Annotated[float, typer.Option(help="Seconds per solve.")] = 1.0,
    track: Annotated[
        str, typer.Option(help="Bands around this track's saved targets, if any.")
    ] = "bilateral",
    dask: Annotated[
        str | None, typer.Option("--dask", help="Run on this Dask scheduler (tcp://host:port).")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Write the study as JSON here.")] = None,
    program: Annotated[
        str | None, typer.Option(help="Program code; default: the most recently loaded.")
    ] = None,
) -> None:
    """Design study before a call opens: simulate many synthetic calls and compare rule sets."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from nexus_sti.algorithms.scenario import (
        run_on_dask,
        run_study,
        study_result_to_dict,
    )
    from nexus_sti.selection import studies

    platform = migrated_platform()
    with platform.session() as session:
        study, source = studies.scenario_study(
            session, actor=cli_actor(), scenarios=scenarios, seed=seed, bilateral=bilateral,
            regional=regional, merit_mean=merit_mean, merit_sd=merit_sd, time_limit=time_limit,
            track=track, program=program,
        )  # fmt: skip
    console.print(f"{scenarios} synthetic calls of {bilateral} + {regional} proposals; {source}")
    columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeRemainingColumn(), console=err_console) as bar:
        task = bar.add_task("scenarios", total=scenarios)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        if dask:
            result = run_on_dask(study, dask, progress=advance)
        else:
            result = run_study(study, progress=advance)
    table = Table(
        "rule set", "feasible", "partner countries covered", "funded", "cost of inclusiveness",
        title=f"Rule sets over {result.scenarios} synthetic calls (seed {result.seed}; "
        "mean and 5-95 % interval)",
    )  # fmt: skip
    for s in result.summaries:

        def fmt(e: Any, digits: int = 1) -> str:
            return (
                "—"
                if e is None
                else f"{e.mean:.{digits}f} ({e.low:.{digits}f}–{e.high:.{digits}f})"
            )

        table.add_row(
            s.name, f"{1 - s.infeasible_rate:.0%}", fmt(s.partners_covered), fmt(s.funded, 0),
            fmt(s.cost_of_inclusiveness, 2),
        )  # fmt: skip
    console.print(table)
    if output is not None:
        _write_json(output, study_result_to_dict(result))
        console.print(f"wrote {output}")
