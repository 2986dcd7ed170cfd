"""Apportionment of many slots: each method against a naive one-slot-at-a-time loop.

    .venv/bin/python benchmarks/bench_apportionment.py [--slots 6600] [--repeat 5]

The naive loop gives every country its minimum, then hands out the remaining slots one by one to
the country with the highest Huntington-Hill priority, scanning all countries each time. It must
agree with ``apportion(..., method="huntington_hill")`` before times are compared. Prints medians
and the ratio naive / ours (above 1: ours is faster). Replaces a timing assertion that used to
sit in the unit tests (timings are not test assertions on shared machines).
"""

from __future__ import annotations

import argparse
import math
from typing import get_args

from timing import median_ms

from nexus_sti.algorithms.apportionment import Method, apportion
from nexus_sti.core.countries import ASEAN_MEMBERS


def naive_huntington_hill(shares: dict[str, float], slots: int) -> dict[str, int]:
    given = dict.fromkeys(shares, 1)
    for _ in range(slots - len(shares)):
        best = max(
            sorted(shares),
            key=lambda c: shares[c] / math.sqrt(given[c] * (given[c] + 1)),
        )
        given[best] += 1
    return given


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slots", type=int, default=6600)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    shares = {code: float(i + 1) for i, code in enumerate(ASEAN_MEMBERS)}
    ours = apportion(shares, args.slots, method="huntington_hill").slots
    assert ours == naive_huntington_hill(shares, args.slots), "the two disagree"
    naive = median_ms(lambda: naive_huntington_hill(shares, args.slots), args.repeat)
    print(f"{args.slots} slots over {len(shares)} countries (median of {args.repeat})")
    print(f"{'naive Huntington-Hill loop':<34}{naive:10.2f} ms")
    for method in get_args(Method):
        took = median_ms(lambda m=method: apportion(shares, args.slots, method=m), args.repeat)
        print(f"{method:<34}{took:10.2f} ms   naive / ours: {naive / took:6.1f}x")


if __name__ == "__main__":
    main()
