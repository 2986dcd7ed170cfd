"""Review stage at programme scale: optimal reviewer assignment against greedy, and calibrated
scores against the raw mean.

    .venv/bin/python benchmarks/bench_review.py [--proposals 5000] [--reviewers 4000] [--quick]
    .venv/bin/python benchmarks/bench_review.py --openreview [--baseline-src PATH]

``--openreview`` writes the OpenReview matcher files for the same seeded affinities (every pair
scored: 20 M rows at 5,000 × 4,000; the 2 % conflicts as -1 constraints) and times
``nexus review assign --scores ... --constraints ...`` as the CLI reads and solves them, each run
in its own process so its peak memory (ru_maxrss) is its own. ``--baseline-src`` also runs
another checkout's ``src/`` (a git worktree of an older commit, e.g. the row-by-row reader),
side by side with the ratio baseline / ours.

Assignment: seeded affinities are cosines between topic vectors (24 topics with Zipf-skewed
popularity among proposals, so popular topics compete for their experts) plus noise; 2 % of
pairs are conflicted; k = 3 reviews per proposal, at most 6 per reviewer; reviewers are 35 %
Japan-based, 45 % member-state-based, 20 % elsewhere, and every proposal needs one of each of
the first two. The max-min fairness mode runs on a 400 × 320 slice with a time limit.
Calibration: simulated reviews with known leniencies; top-20 % precision of the calibrated
score against the raw mean, and the correlation of estimated with true leniency.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from nexus_sti.algorithms.assignment import (
    AssignmentResult,
    DiversityRule,
    check_assignment,
    greedy_assignment,
    solve_assignment,
)
from nexus_sti.algorithms.calibration import calibrate_scores, simulate_reviews

TOPICS = 24
RULES = (DiversityRule("japan"), DiversityRule("member_state"))


def synthetic_affinity(n_p: int, n_r: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, TOPICS + 1) ** 0.8
    main = rng.choice(TOPICS, size=n_p, p=popularity / popularity.sum())
    proposals = rng.dirichlet(np.full(TOPICS, 0.15), size=n_p)
    proposals[np.arange(n_p), main] += 1.0
    reviewers = rng.dirichlet(np.full(TOPICS, 0.15), size=n_r)
    reviewers[np.arange(n_r), rng.choice(TOPICS, size=n_r)] += 1.0
    proposals /= np.linalg.norm(proposals, axis=1, keepdims=True)
    reviewers /= np.linalg.norm(reviewers, axis=1, keepdims=True)
    affinity = np.clip(proposals @ reviewers.T + rng.normal(0.0, 0.03, (n_p, n_r)), 0.0, 1.0)
    conflicts = rng.random((n_p, n_r)) < 0.02
    groups = rng.choice(["japan", "member_state", "other"], size=n_r, p=[0.35, 0.45, 0.2])
    return affinity, conflicts, [str(g) for g in groups]


def row(name: str, result: AssignmentResult, wall: float, broken: int) -> str:
    return (
        f"{name:<16}{wall:>9.2f}{result.objective:>14.2f}{result.min_per_proposal:>10.3f}"
        f"{broken:>10d}   {result.proven_optimal!s:<7}{result.solver}"
    )


def bench_assignment(n_p: int, n_r: int, seed: int, fairness: bool, fair_limit: float) -> None:
    affinity, conflicts, groups = synthetic_affinity(n_p, n_r, seed)
    rules = {"k": 3, "loads": 6, "reviewer_groups": groups, "diversity": RULES}
    print(
        f"assignment: {n_p} proposals × {n_r} reviewers, k=3, load ≤ 6, "
        f"{conflicts.mean():.1%} conflicted, ≥1 japan + ≥1 member_state"
    )
    print(f"{'':<16}{'wall s':>9}{'total aff':>14}{'min aff':>10}{'broken':>10}   proven")
    runs = {}
    for name, solve in (("greedy", greedy_assignment), ("optimal", solve_assignment)):
        started = time.perf_counter()
        result = solve(affinity, conflicts, **rules)  # type: ignore[operator]
        wall = time.perf_counter() - started
        broken = len(
            check_assignment(np.column_stack(result.arrays()), conflicts=conflicts, **rules)
        )  # type: ignore[arg-type]
        runs[name] = result
        print(row(name, result, wall, broken))
    opt, greedy = runs["optimal"], runs["greedy"]
    print(
        f"ratio optimal / greedy: total {opt.objective / greedy.objective:.4f}, "
        f"min {opt.min_per_proposal / greedy.min_per_proposal:.4f}; "
        f"{opt.columns} columns after {opt.pricing_rounds} solves ({opt.solver})"
    )
    if not fairness:
        return
    sub_p, sub_r = n_p // 12, n_r // 12
    small = (affinity[:sub_p, :sub_r], conflicts[:sub_p, :sub_r])
    small_rules = {**rules, "reviewer_groups": groups[:sub_r]}
    print(f"max-min fairness on {sub_p} × {sub_r} (time limit {fair_limit:.0f} s):")
    for name, options in (
        ("optimal", {}),
        ("max-min", {"fairness": "max_min", "time_limit": fair_limit}),
    ):
        started = time.perf_counter()
        result = solve_assignment(*small, **small_rules, **options)  # type: ignore[arg-type]
        wall = time.perf_counter() - started
        broken = len(
            check_assignment(np.column_stack(result.arrays()), conflicts=small[1], **small_rules)
        )  # type: ignore[arg-type]
        runs[name] = result
        print(row(name, result, wall, broken) + f" ({result.status})")
    fair, plain = runs["max-min"], runs["optimal"]
    print(
        f"ratio max-min / optimal: total {fair.objective / plain.objective:.4f}, "
        f"min {fair.min_per_proposal / plain.min_per_proposal:.4f}"
    )


def top_precision(estimate: np.ndarray, truth: np.ndarray, share: float = 0.2) -> float:
    n = int(len(truth) * share)
    return len(set(np.argsort(-estimate)[:n]) & set(np.argsort(-truth)[:n])) / n


def bench_calibration(n_p: int, n_r: int, seeds: int) -> None:
    print(
        f"calibration: {n_p} proposals × {n_r} reviewers, k=3, leniency sd 0.7, noise sd 0.7, "
        f"quality sd 1, {seeds} seeds"
    )
    print(
        f"{'seed':<6}{'top20 cal':>10}{'top20 raw':>10}{'ratio':>8}{'lenient r':>11}"
        f"{'cover 90%':>11}{'noise sd':>10}{'wall s':>8}"
    )
    for seed in range(seeds):
        sim = simulate_reviews(np.random.default_rng(seed), n_p, n_r, 3, 0.7, 0.7)
        started = time.perf_counter()
        result = calibrate_scores(sim.reviews, n_proposals=n_p, n_reviewers=n_r)
        wall = time.perf_counter() - started
        cal, raw = (
            top_precision(result.score, sim.quality),
            top_precision(result.raw_mean, sim.quality),
        )
        corr = float(np.corrcoef(result.leniency, sim.leniency)[0, 1])
        cover = float(np.mean((sim.quality >= result.lower) & (sim.quality <= result.upper)))
        print(
            f"{seed:<6}{cal:>10.3f}{raw:>10.3f}{cal / raw:>8.3f}{corr:>11.3f}{cover:>11.3f}"
            f"{result.noise_sd:>10.3f}{wall:>8.2f}"
        )


# Run in a fresh process with PYTHONPATH set to the tree under test; prints one JSON line.
_ASSIGN_RUN = """
import json, resource, sys, time
from pathlib import Path
from nexus_sti.review import batch, cli
started = time.perf_counter()
problem = cli._problem(None, Path(sys.argv[1]), Path(sys.argv[2]), 3, 6)
parsed = time.perf_counter()
result = batch.solve_problem(problem)
done = time.perf_counter()
print(json.dumps({"parse": parsed - started, "solve": done - parsed, "total": done - started,
    "objective": result.objective, "digest": problem.inputs_digest,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_openreview(folder: Path, n_p: int, n_r: int, seed: int) -> tuple[Path, Path]:
    """The scores (every pair, 6 decimals) and constraints (-1 per conflict) files."""
    affinity, conflicts, _ = synthetic_affinity(n_p, n_r, seed)
    p_ids = np.array([f"prop-{i:05d}" for i in range(n_p)])
    r_ids = np.array([f"~Reviewer_{i:04d}" for i in range(n_r)])
    scores, constraints = folder / "scores.csv", folder / "constraints.csv"
    with scores.open("w", encoding="utf-8") as out:
        out.write("proposal,reviewer,affinity\n")
        for p in range(n_p):
            cells = np.char.add(np.char.add(p_ids[p] + ",", r_ids), ",")
            values = np.char.mod("%.6f", affinity[p])
            out.write("\n".join(np.char.add(cells, values).tolist()) + "\n")
    with constraints.open("w", encoding="utf-8") as out:
        out.write("proposal,reviewer,constraint\n")
        for p, r in zip(*np.nonzero(conflicts), strict=True):
            out.write(f"{p_ids[p]},{r_ids[r]},-1\n")
    return scores, constraints


def bench_openreview(n_p: int, n_r: int, seed: int, baseline: Path | None) -> None:
    trees = {"ours": Path(__file__).resolve().parents[1] / "src"}
    if baseline is not None:
        trees["baseline"] = baseline.resolve()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        scores, constraints = write_openreview(Path(folder), n_p, n_r, seed)
        size = scores.stat().st_size / 1e6
        print(
            f"openreview files: {n_p} × {n_r} = {n_p * n_r} score rows ({size:.0f} MB), "
            f"written in {time.perf_counter() - started:.1f} s"
        )
        runs = {}
        for name, tree in trees.items():
            env = {**os.environ, "PYTHONPATH": str(tree)}
            done = subprocess.run(
                [sys.executable, "-c", _ASSIGN_RUN, str(scores), str(constraints)],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            runs[name] = json.loads(done.stdout.strip().splitlines()[-1])
    ours, base = runs["ours"], runs.get("baseline")
    print(f"{'':<14}{'ours':>10}" + (f"{'baseline':>10}{'ratio':>8}" if base else ""))
    for key, unit in (("parse", "s"), ("solve", "s"), ("total", "s"), ("peak_mb", "MB")):
        line = f"{key + ' ' + unit:<14}{ours[key]:>10.2f}"
        if base:
            line += f"{base[key]:>10.2f}{base[key] / ours[key]:>8.2f}"
        print(line)
    if base:
        same = ours["digest"] == base["digest"] and ours["objective"] == base["objective"]
        print(f"same problem and objective as the baseline: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--proposals", type=int, default=5000)
    parser.add_argument("--reviewers", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fair-limit", type=float, default=30.0)
    parser.add_argument("--quick", action="store_true", help="skip fairness; one calibration seed")
    parser.add_argument("--openreview", action="store_true", help="time the CSV reader only")
    parser.add_argument("--baseline-src", type=Path)
    args = parser.parse_args()
    if args.openreview:
        bench_openreview(args.proposals, args.reviewers, args.seed, args.baseline_src)
        return
    bench_assignment(args.proposals, args.reviewers, args.seed, not args.quick, args.fair_limit)
    bench_calibration(2000, 400, 1 if args.quick else 3)


if __name__ == "__main__":
    main()
