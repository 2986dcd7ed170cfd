"""Score calibration: proposal quality separated from reviewer leniency, with uncertainty.

The model for review ``i`` of proposal ``p`` by reviewer ``r``::

    score_i = mu + a_r * q_p + b_r + e_i,      e_i ~ N(0, sigma² / w_i)

``mu`` is the weighted mean score, ``q_p`` the proposal's quality relative to it, ``b_r`` the
reviewer's leniency (positive: scores high), ``w_i`` an optional confidence weight and ``a_r``
the reviewer's scale (1 unless ``reviewer_scale=True``: a reviewer who spreads scores widely has
``a_r > 1``). Gaussian priors keep the fit well posed when reviewers share few proposals, for a
reviewer with one review and across groups of reviewers that share none::

    q_p ~ N(0, tau_q²)      b_r ~ N(0, tau_b²)      a_r ~ N(1, scale_sd²)

With ``a`` fixed the posterior of ``(q, b)`` is Gaussian; its precision matrix is sparse with
diagonal blocks, so it is solved exactly through the Schur complement on the reviewer block
(dense, reviewers × reviewers), which also gives each proposal's posterior variance.
``sigma``, ``tau_q`` and ``tau_b`` are estimated by expectation–maximisation unless given. With
``reviewer_scale=True`` the scales are refitted between EM steps by a per-reviewer ridge
regression on the current qualities (alternating least squares); the reported uncertainty then
treats the scales as known.

The calibrated score is ``mu + q_p``; its interval is the central normal posterior interval at
``level``. A proposal's disagreement is the standard deviation of its scores once each
reviewer's leniency (and scale) is removed; above ``disagreement_threshold`` (default twice the
estimated noise) the proposal is flagged for discussion.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse
from scipy.special import ndtri

from nexus_sti.core.errors import InvalidInput

__all__ = [
    "CalibrationResult",
    "ReviewScores",
    "SimulatedReviews",
    "calibrate_scores",
    "simulate_reviews",
]

# Variances never fall below this fraction of the score variance (keeps EM off the boundary).
_FLOOR = 1e-6


@dataclass(frozen=True, slots=True)
class ReviewScores:
    """One entry per review: proposal index, reviewer index, score and confidence weight."""

    proposal: np.ndarray
    reviewer: np.ndarray
    score: np.ndarray
    weight: np.ndarray

    @classmethod
    def from_records(cls, records: Iterable[Sequence[float]]) -> ReviewScores:
        """From ``(proposal, reviewer, score)`` or ``(proposal, reviewer, score, weight)``."""
        rows = [tuple(r) for r in records]
        weights = [float(r[3]) if len(r) > 3 else 1.0 for r in rows]
        return cls(
            proposal=np.array([int(r[0]) for r in rows], dtype=np.int64),
            reviewer=np.array([int(r[1]) for r in rows], dtype=np.int64),
            score=np.array([float(r[2]) for r in rows]),
            weight=np.array(weights),
        )


@dataclass(frozen=True, slots=True)
class CalibrationResult:
    """Per proposal: ``score`` (calibrated), ``score_sd``, the ``lower``–``upper`` interval at
    ``level``, ``raw_mean`` (NaN without reviews), ``reviews``, ``disagreement`` and ``flagged``.
    Per reviewer: ``leniency`` with ``leniency_sd``, ``scale`` (ones unless fitted) and
    ``reviewer_reviews``. Fitted spreads: ``noise_sd``, ``quality_sd``, ``leniency_spread``."""

    score: np.ndarray
    score_sd: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float
    raw_mean: np.ndarray
    reviews: np.ndarray
    disagreement: np.ndarray
    flagged: np.ndarray
    disagreement_threshold: float
    leniency: np.ndarray
    leniency_sd: np.ndarray
    scale: np.ndarray
    reviewer_reviews: np.ndarray
    mean: float
    noise_sd: float
    quality_sd: float
    leniency_spread: float
    iterations: int


@dataclass(frozen=True, slots=True)
class SimulatedReviews:
    quality: np.ndarray
    leniency: np.ndarray
    scale: np.ndarray
    reviews: ReviewScores


def simulate_reviews(
    rng: np.random.Generator,
    n_proposals: int,
    n_reviewers: int,
    k: int,
    leniency_sd: float,
    noise_sd: float,
    *,
    quality_mean: float = 5.0,
    quality_sd: float = 1.0,
    scale_sd: float = 0.0,
) -> SimulatedReviews:
    """Known qualities, leniencies and scales, and ``k`` reviews per proposal from distinct
    reviewers drawn uniformly at random, scored by the module's model."""
    if not 0 < k <= n_reviewers:
        raise InvalidInput("k", f"must be between 1 and n_reviewers ({n_reviewers})")
    quality = rng.normal(quality_mean, quality_sd, n_proposals)
    leniency = rng.normal(0.0, leniency_sd, n_reviewers)
    scale = (
        np.maximum(0.2, rng.normal(1.0, scale_sd, n_reviewers))
        if scale_sd
        else np.ones(n_reviewers)
    )
    keys = rng.random((n_proposals, n_reviewers))
    reviewer = np.argpartition(keys, k - 1, axis=1)[:, :k].ravel()
    proposal = np.repeat(np.arange(n_proposals), k)
    centred = quality[proposal] - quality_mean
    score = (
        quality_mean
        + scale[reviewer] * centred
        + leniency[reviewer]
        + rng.normal(0.0, noise_sd, proposal.size)
    )
    reviews = ReviewScores(proposal, reviewer.astype(np.int64), score, np.ones(proposal.size))
    return SimulatedReviews(quality, leniency, scale, reviews)


def _validate(reviews: ReviewScores, n_proposals: int, n_reviewers: int) -> None:
    n = reviews.score.shape[0]
    for name in ("proposal", "reviewer", "weight"):
        if getattr(reviews, name).shape != (n,):
            raise InvalidInput(name, "needs one entry per review")
    if n == 0:
        raise InvalidInput("reviews", "needs at least one review")
    if reviews.proposal.min() < 0 or reviews.proposal.max() >= n_proposals:
        raise InvalidInput("proposal", f"index must be in [0, {n_proposals})")
    if reviews.reviewer.min() < 0 or reviews.reviewer.max() >= n_reviewers:
        raise InvalidInput("reviewer", f"index must be in [0, {n_reviewers})")
    if not np.all(np.isfinite(reviews.score)):
        raise InvalidInput("score", "must be finite")
    if not np.all(np.isfinite(reviews.weight) & (reviews.weight > 0)):
        raise InvalidInput("weight", "must be finite and > 0")


@dataclass(frozen=True, slots=True)
class _Posterior:
    q: np.ndarray
    b: np.ndarray
    var_q: np.ndarray
    var_b: np.ndarray
    cov_qb: np.ndarray  # Cov(q_p, b_r) for each review's (p, r)


def _posterior(
    p: np.ndarray,
    r: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    c: np.ndarray,
    shape: tuple[int, int],
    noise: float,
    tau_q: float,
    tau_b: float,
) -> _Posterior:
    """Exact Gaussian posterior of (q, b) given the scales ``c`` (per review) and variances."""
    n_p, n_r = shape
    prec = w / noise
    d_q = np.bincount(p, weights=prec * c * c, minlength=n_p) + 1.0 / tau_q
    d_b = np.bincount(r, weights=prec, minlength=n_r) + 1.0 / tau_b
    cross = scipy.sparse.csr_matrix((prec * c, (p, r)), shape=shape)
    rhs_q = np.bincount(p, weights=prec * c * y, minlength=n_p)
    rhs_b = np.bincount(r, weights=prec * y, minlength=n_r)
    scaled = scipy.sparse.diags(1.0 / d_q) @ cross
    schur = np.diag(d_b) - (cross.T @ scaled).toarray()
    factor = scipy.linalg.cho_factor(schur)
    b = scipy.linalg.cho_solve(factor, rhs_b - cross.T @ (rhs_q / d_q))
    q = (rhs_q - cross @ b) / d_q
    schur_inv = scipy.linalg.cho_solve(factor, np.eye(n_r))
    cross_s = np.asarray(cross @ schur_inv)  # (B S^-1), dense proposals × reviewers
    var_q = 1.0 / d_q + np.asarray(cross.multiply(cross_s).sum(axis=1)).ravel() / d_q**2
    cov_qb = -cross_s[p, r] / d_q[p]
    return _Posterior(q, b, var_q, np.diag(schur_inv).copy(), cov_qb)


def _fit_scales(
    p: np.ndarray,
    r: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    q: np.ndarray,
    n_r: int,
    noise: float,
    tau_b: float,
    scale_sd: float,
) -> np.ndarray:
    """Per reviewer, the ridge estimate of (b_r, a_r) given the qualities; returns a_r."""
    x = q[p]
    prec = w / noise
    s11 = np.bincount(r, weights=prec, minlength=n_r) + 1.0 / tau_b
    s12 = np.bincount(r, weights=prec * x, minlength=n_r)
    s22 = np.bincount(r, weights=prec * x * x, minlength=n_r) + 1.0 / scale_sd**2
    t1 = np.bincount(r, weights=prec * y, minlength=n_r)
    t2 = np.bincount(r, weights=prec * x * y, minlength=n_r) + 1.0 / scale_sd**2
    det = s11 * s22 - s12 * s12
    return np.asarray((s11 * t2 - s12 * t1) / det)


def calibrate_scores(
    reviews: ReviewScores,
    *,
    n_proposals: int,
    n_reviewers: int,
    level: float = 0.9,
    reviewer_scale: bool = False,
    scale_sd: float = 0.3,
    noise_sd: float | None = None,
    quality_sd: float | None = None,
    leniency_sd: float | None = None,
    max_iterations: int = 200,
    tolerance: float = 1e-6,
    disagreement_threshold: float | None = None,
) -> CalibrationResult:
    """Fit the module's model. Spreads given as arguments are held fixed; the others are
    estimated by EM until their relative change is below ``tolerance``."""
    if not 0 < level < 1:
        raise InvalidInput("level", "must be between 0 and 1")
    if scale_sd <= 0:
        raise InvalidInput("scale_sd", "must be > 0")
    _validate(reviews, n_proposals, n_reviewers)
    p, r = reviews.proposal, reviews.reviewer
    w = reviews.weight.astype(np.float64)
    mean = float(np.average(reviews.score, weights=w))
    y = reviews.score - mean
    spread = max(float(np.average(y * y, weights=w)), 1e-12)
    floor = _FLOOR * spread
    noise = noise_sd**2 if noise_sd is not None else spread / 3
    tau_q = quality_sd**2 if quality_sd is not None else spread / 3
    tau_b = leniency_sd**2 if leniency_sd is not None else spread / 3
    for given in (noise, tau_q, tau_b):
        if given <= 0:
            raise InvalidInput("prior", "spreads must be > 0")
    shape = (n_proposals, n_reviewers)
    scale = np.ones(n_reviewers)
    iterations = 0
    while True:
        iterations += 1
        c = scale[r]
        post = _posterior(p, r, y, w, c, shape, noise, tau_q, tau_b)
        if reviewer_scale:
            scale = _fit_scales(p, r, y, w, post.q, n_reviewers, noise, tau_b, scale_sd)
        old = np.array([noise, tau_q, tau_b])
        if quality_sd is None:
            tau_q = max(floor, float(np.mean(post.q**2 + post.var_q)))
        if leniency_sd is None:
            tau_b = max(floor, float(np.mean(post.b**2 + post.var_b)))
        if noise_sd is None:
            resid = y - c * post.q[p] - post.b[r]
            expected = resid**2 + c * c * post.var_q[p] + post.var_b[r] + 2 * c * post.cov_qb
            noise = max(floor, float(np.sum(w * expected) / w.size))
        change = np.abs(np.array([noise, tau_q, tau_b]) - old) / old
        if change.max() < tolerance or iterations >= max_iterations:
            break
    c = scale[r]
    post = _posterior(p, r, y, w, c, shape, noise, tau_q, tau_b)
    sd = np.sqrt(post.var_q)
    z = float(ndtri(0.5 + level / 2))
    score = mean + post.q
    counts = np.bincount(p, minlength=n_proposals)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.bincount(p, weights=reviews.score, minlength=n_proposals) / counts
    raw = np.where(counts > 0, raw, np.nan)
    adjusted = (y - post.b[r]) / c
    total = np.bincount(p, weights=adjusted, minlength=n_proposals)
    total_sq = np.bincount(p, weights=adjusted**2, minlength=n_proposals)
    safe = np.maximum(counts, 1)
    variance = (total_sq - total**2 / safe) / np.maximum(counts - 1, 1)
    disagreement = np.where(counts > 1, np.sqrt(np.maximum(variance, 0.0)), 0.0)
    threshold = 2.0 * np.sqrt(noise) if disagreement_threshold is None else disagreement_threshold
    return CalibrationResult(
        score=score,
        score_sd=sd,
        lower=score - z * sd,
        upper=score + z * sd,
        level=level,
        raw_mean=raw,
        reviews=counts,
        disagreement=disagreement,
        flagged=disagreement > threshold,
        disagreement_threshold=float(threshold),
        leniency=post.b,
        leniency_sd=np.sqrt(post.var_b),
        scale=scale,
        reviewer_reviews=np.bincount(r, minlength=n_reviewers),
        mean=mean,
        noise_sd=float(np.sqrt(noise)),
        quality_sd=float(np.sqrt(tau_q)),
        leniency_spread=float(np.sqrt(tau_b)),
        iterations=iterations,
    )
