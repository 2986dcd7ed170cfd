"""Inclusiveness measures of a funded portfolio: how far country shares are from their targets
(Hoover index), how evenly funding is spread over researchers (Gini coefficient), and which
countries are covered at all."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from nexus_sti.core.errors import InvalidInput


def _normalised(values: Mapping[str, float], field: str) -> dict[str, float]:
    if any(v < 0 for v in values.values()):
        raise InvalidInput(field, "must not be negative")
    total = sum(values.values())
    if total <= 0:
        raise InvalidInput(field, "must not all be zero")
    return {k: v / total for k, v in values.items()}


def hoover_index(shares: Mapping[str, float], targets: Mapping[str, float]) -> float:
    """Half the sum of absolute gaps between actual and target shares: the fraction of funding
    that would have to move between countries to meet the targets exactly (0 = on target).

    Both mappings are normalised first; a country missing from one side counts as 0 there."""
    s = _normalised(shares, "shares")
    t = _normalised(targets, "targets")
    keys = set(s) | set(t)
    return 0.5 * sum(abs(s.get(k, 0.0) - t.get(k, 0.0)) for k in keys)


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of non-negative amounts (0 = equal; towards 1 = concentrated).

    Uses the sorted-values formula G = sum((2i - n - 1) x_i) / (n sum x), i = 1..n."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    if x.size == 0:
        raise InvalidInput("values", "need at least one amount")
    if (x < 0).any():
        raise InvalidInput("values", "must not be negative")
    total = float(x.sum())
    if total == 0:
        return 0.0
    n = x.size
    ranks = np.arange(1, n + 1)
    # Equal amounts give 0 exactly in theory; in floating point the sum can round to -3e-17.
    return max(0.0, float(((2 * ranks - n - 1) * x).sum() / (n * total)))


def countries_covered(
    funded_countries: Iterable[Iterable[str]], required: Sequence[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(covered, missing) among ``required``, given each funded project's countries."""
    seen = {c for project in funded_countries for c in project}
    covered = tuple(c for c in required if c in seen)
    missing = tuple(c for c in required if c not in seen)
    return covered, missing
