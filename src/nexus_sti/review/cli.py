"""``nexus review``: reviewer assignment and score calibration on files, without a database.

The file formats and solvers (``review.batch``: NumPy, SciPy, HiGHS, OR-Tools) are imported when
a command runs, so that ``--help`` answers at once.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from nexus_sti.core.errors import InvalidInput
from nexus_sti.platform.clictx import console

if TYPE_CHECKING:
    from nexus_sti.review import batch

app = typer.Typer(help="Review: reviewer assignment and score calibration.", no_args_is_help=True)


def _write_json(path: Path, document: dict[str, Any]) -> None:
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput("--output", f"cannot write {path}: {exc.strerror}") from None


def _problem(
    problem: Path | None,
    scores: Path | None,
    constraints: Path | None,
    k: int | None,
    max_load: int | None,
) -> batch.AssignmentProblem:
    """The problem from ``--problem`` or from the OpenReview CSV files, exactly one of them."""
    from nexus_sti.review import batch

    if (problem is None) == (scores is None):
        raise InvalidInput(
            "--problem",
            "give either --problem FILE or --scores FILE (with --reviews-per-proposal and "
            "--max-load), not both and not neither",
        )
    if problem is not None:
        for flag, value in (
            ("--constraints", constraints),
            ("--reviews-per-proposal", k),
            ("--max-load", max_load),
        ):
            if value is not None:
                raise InvalidInput(flag, "only with --scores; a problem file sets it inside")
        raw = batch.read_json(problem, "--problem")
        with console.status("reading the problem (computing affinities from texts, if any)"):
            return batch.read_assignment_problem(raw, source=str(problem))
    assert scores is not None
    if k is None:
        raise InvalidInput("--reviews-per-proposal", "required with --scores")
    if max_load is None:
        raise InvalidInput("--max-load", "required with --scores")
    from nexus_sti.review import openreview

    with console.status("reading the scores"):
        return openreview.read_openreview_files(scores, constraints, k=k, max_load=max_load)


@app.command("assign")
def assign(
    output: Annotated[Path, typer.Option("--output", help="Where to write the result (JSON).")],
    problem: Annotated[
        Path | None, typer.Option("--problem", help="Problem file, nexus-review-assignment/1.")
    ] = None,
    scores: Annotated[
        Path | None,
        typer.Option("--scores", help="OpenReview scores CSV: proposal, reviewer, affinity."),
    ] = None,
    constraints: Annotated[
        Path | None,
        typer.Option("--constraints", help="OpenReview constraints CSV: proposal, reviewer, -1."),
    ] = None,
    k: Annotated[
        int | None,
        typer.Option("--reviews-per-proposal", min=0, help="Reviews per proposal (with --scores)."),
    ] = None,
    max_load: Annotated[
        int | None,
        typer.Option("--max-load", min=0, help="Reviews per reviewer at most (with --scores)."),
    ] = None,
    fairness: Annotated[
        bool | None,
        typer.Option(
            "--fairness/--no-fairness",
            help="Maximise the worst-served proposal first (default: the problem file's).",
        ),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(min=0.1, help="Seconds for the solver (default: the file's, or 60)."),
    ] = None,
) -> None:
    """Assign reviewers to proposals: maximum total affinity, k reviews per proposal, loads,
    conflicts and diversity rules respected. Nothing is written when the input is refused or
    no assignment exists."""
    from nexus_sti.review import batch

    parsed = _problem(problem, scores, constraints, k, max_load)
    changes: dict[str, Any] = {}
    if fairness is not None:
        changes["fairness"] = "max_min" if fairness else None
    if time_limit is not None:
        changes["time_limit"] = time_limit
    if changes:
        parsed = dataclasses.replace(parsed, **changes)
    for note in parsed.notes:
        console.print(note)
    n_p, n_r = len(parsed.proposal_ids), len(parsed.reviewer_ids)
    with console.status(f"assigning {n_r} reviewers to {n_p} proposals"):
        result = batch.solve_problem(parsed)
    document = batch.write_assignment(parsed, result)
    _write_json(output, document)
    console.print(
        f"{result.status}: {len(result.pairs)} reviews, total affinity {result.objective:.4f}, "
        f"lowest per proposal {result.min_per_proposal:.4f}, "
        f"{'proven optimal' if result.proven_optimal else 'not proven optimal'} "
        f"({result.solver}, {result.seconds:.2f} s) -> {output}"
    )
    table = Table("reviews", "reviewers", title="Reviewer loads")
    for load, count in document["load_histogram"].items():
        table.add_row(load, str(count))
    console.print(table)


@app.command("calibrate")
def calibrate(
    reviews: Annotated[
        Path,
        typer.Option(
            "--reviews", help="Reviews: nexus-review-reviews/1 JSON, or CSV (.csv) with a header."
        ),
    ],
    output: Annotated[Path, typer.Option("--output", help="Where to write the result (JSON).")],
    level: Annotated[
        float | None, typer.Option(help="Interval level, e.g. 0.9 (default: the file's).")
    ] = None,
    reviewer_scale: Annotated[
        bool | None,
        typer.Option(
            "--reviewer-scale/--no-reviewer-scale",
            help="Also fit how widely each reviewer spreads scores (default: the file's).",
        ),
    ] = None,
) -> None:
    """Calibrated scores: proposal quality separated from reviewer leniency, with intervals and
    the proposals whose reviewers disagree."""
    from nexus_sti.review import batch

    if reviews.suffix.lower() == ".csv":
        parsed = batch.read_reviews_csv(batch.read_text(reviews, "--reviews"), source=str(reviews))
    else:
        parsed = batch.read_reviews(batch.read_json(reviews, "--reviews"), source=str(reviews))
    parsed = batch.with_options(parsed, level=level, reviewer_scale=reviewer_scale)
    with console.status(f"calibrating {parsed.reviews.score.size} reviews"):
        result = batch.calibrate(parsed)
    document = batch.write_calibration(parsed, result)
    _write_json(output, document)
    console.print(
        f"{len(parsed.proposal_ids)} proposals, {len(parsed.reviewer_ids)} reviewers: mean "
        f"{result.mean:.3f}, noise sd {result.noise_sd:.3f}, leniency spread "
        f"{result.leniency_spread:.3f}, {int(result.flagged.sum())} flagged -> {output}"
    )
    # Most lenient first; with many reviewers only both ends.
    ranked = sorted(document["reviewers"], key=lambda r: -r["leniency"])
    shown = 5
    ends = [ranked] if len(ranked) <= 2 * shown else [ranked[:shown], ranked[-shown:]]
    table = Table("reviewer", "leniency", "±sd", "scale", "reviews", title="Most lenient / harsh")
    for part in ends:
        for r in part:
            table.add_row(
                r["id"], f"{r['leniency']:+.3f}", f"{r['leniency_sd']:.3f}", f"{r['scale']:.2f}",
                str(r["reviews"]),
            )  # fmt: skip
        table.add_section()
    console.print(table)
    flagged = [p for p in document["proposals"] if p["flagged"]]
    if flagged:
        table = Table(
            "proposal", "score", "interval", "raw mean", "disagreement",
            title=f"Flagged for discussion (disagreement > {result.disagreement_threshold:.3f})",
        )  # fmt: skip
        for p in sorted(flagged, key=lambda p: -p["disagreement"]):
            raw = "" if p["raw_mean"] is None else f"{p['raw_mean']:.2f}"
            table.add_row(
                p["id"], f"{p['score']:.2f}", f"{p['lower']:.2f}–{p['upper']:.2f}", raw,
                f"{p['disagreement']:.2f}",
            )  # fmt: skip
        console.print(table)
