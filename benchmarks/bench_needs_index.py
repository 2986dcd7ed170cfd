"""Needs-index Monte Carlo: vectorised draws against a straightforward per-draw loop.

    .venv/bin/python benchmarks/bench_needs_index.py [--draws 10000]

Both evaluate the same sampled choices on the real 12-country snapshot, and must agree before
their times are compared. Prints the ratio loop / vectorised (above 1: vectorised is faster).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nexus_sti.algorithms.composite_index import (
    apply_coverage,
    draw_choices,
    evaluate_draws,
    evaluate_draws_loop,
)
from nexus_sti.needs.indicators import build_problem
from nexus_sti.needs.model import load_index_config
from nexus_sti.reference.snapshot import load_snapshot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=10_000)
    args = parser.parse_args()

    config = load_index_config().config
    snapshot = load_snapshot()
    problem, _ = build_problem(
        snapshot,
        config.indicators,
        config.dimensions,
        config.window,
        snapshot.countries,
    )
    problem, _ = apply_coverage(problem, config.min_coverage)
    choices = draw_choices(problem, args.draws, np.random.default_rng(config.seed))

    start = time.perf_counter()
    fast = evaluate_draws(problem, choices)
    vectorised_s = time.perf_counter() - start

    start = time.perf_counter()
    slow = evaluate_draws_loop(problem, choices)
    loop_s = time.perf_counter() - start

    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)
    print(
        f"{args.draws} Monte Carlo draws, {len(problem.countries)} countries, "
        f"{len(problem.indicators)} indicators"
    )
    print(f"vectorised      {vectorised_s * 1000:10.1f} ms")
    print(f"per-draw loop   {loop_s * 1000:10.1f} ms")
    print(f"ratio (loop / vectorised): {loop_s / vectorised_s:.1f}x")


if __name__ == "__main__":
    main()
