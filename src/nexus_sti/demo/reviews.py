"""Simulated reviews for the synthetic data set, so selection has calibrated scores to work on
before real reviews exist. Pure: the same seed gives the same reviews.

Each proposal has a latent quality; each reviewer a leniency (some mark high, some low); every
review scores each criterion as quality + leniency + noise, rounded to the criterion's step and
clipped to its scale, as a real panel's half-point marks are. The demo calibrates these scores
with the platform's own calibration model, so the scores shown are labelled as simulated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The spread of the simulated panel, on the 0-5 scale.
QUALITY_MEAN = 3.4
QUALITY_SD = 0.6
LENIENCY_SD = 0.35
NOISE_SD = 0.45
REVIEWS_PER_PROPOSAL = 3


@dataclass(frozen=True, slots=True)
class SimulatedReview:
    proposal: int  # index into the proposals given
    reviewer: int  # index into the reviewer pool
    criteria: dict[str, float]
    total: float  # weighted sum of the criteria, the scale of the program's total threshold


@dataclass(frozen=True, slots=True)
class Criterion:
    code: str
    weight: float
    low: float = 0.0
    high: float = 5.0
    step: float = 0.5


def simulate_reviews(
    n_proposals: int,
    n_reviewers: int,
    criteria: tuple[Criterion, ...],
    rng: np.random.Generator,
    *,
    per_proposal: int = REVIEWS_PER_PROPOSAL,
) -> tuple[SimulatedReview, ...]:
    """``per_proposal`` reviews of each proposal by distinct reviewers, spread evenly over the
    pool (each reviewer gets about the same load)."""
    if n_reviewers < per_proposal:
        raise ValueError(f"need at least {per_proposal} reviewers, have {n_reviewers}")
    quality = rng.normal(QUALITY_MEAN, QUALITY_SD, n_proposals)
    leniency = rng.normal(0.0, LENIENCY_SD, n_reviewers)
    # Criterion-specific strengths around the proposal's quality.
    tilt = rng.normal(0.0, 0.25, (n_proposals, len(criteria)))
    order = rng.permutation(
        np.tile(np.arange(n_reviewers), -(-n_proposals * per_proposal // n_reviewers))
    )
    weights = np.array([c.weight for c in criteria], dtype=np.float64)
    reviews: list[SimulatedReview] = []
    cursor = 0
    for p in range(n_proposals):
        chosen: list[int] = []
        while len(chosen) < per_proposal:
            r = int(order[cursor % len(order)])
            cursor += 1
            if r not in chosen:
                chosen.append(r)
        for r in chosen:
            raw = quality[p] + tilt[p] + leniency[r] + rng.normal(0.0, NOISE_SD, len(criteria))
            marks = {
                c.code: float(np.clip(np.round(v / c.step) * c.step, c.low, c.high))
                for c, v in zip(criteria, raw, strict=True)
            }
            total = float(np.dot([marks[c.code] for c in criteria], weights))
            reviews.append(SimulatedReview(p, r, marks, round(total, 4)))
    return tuple(reviews)
