"""From a call's submitted reviews to its calibration record: pure. The reviews' totals are
calibrated (``algorithms/calibration.py``) with each review weighted by its reviewer's stated
confidence, and the record says, per proposal, the calibrated score, its interval, the raw mean,
the disagreement and the per-criterion means, and, per reviewer, the estimated leniency.

``review/service/reviews.py`` reads the reviews, calls :func:`calibration_record` and stores
the run and the proposals' scores; tests call it with reviews made by hand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nexus_sti.algorithms.calibration import ReviewScores, calibrate_scores

# How much a review counts in the calibration, by the reviewer's stated confidence (1-5).
CONFIDENCE_WEIGHTS = {1: 0.5, 2: 0.75, 3: 1.0, 4: 1.25, 5: 1.5}


@dataclass(frozen=True, slots=True)
class SubmittedReview:
    proposal_id: int
    reference: str
    area: str
    reviewer_id: int
    total: float | None
    confidence: int | None
    scores: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class CalibrationParams:
    level: float = 0.9
    reviewer_scale: bool = False
    disagreement_threshold: float | None = None
    confidence_weights: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "reviewer_scale": self.reviewer_scale,
            "disagreement_threshold": self.disagreement_threshold,
            "confidence_weights": self.confidence_weights,
        }


@dataclass(frozen=True, slots=True)
class CalibrationRecord:
    """What a calibration run stores: the inputs it was fitted on (``inputs``, digested into the
    record) and its ``result`` (``result["proposals"]`` are the scores to write)."""

    inputs: list[list[Any]]
    result: dict[str, Any]


def calibration_record(
    reviews: Sequence[SubmittedReview], names: Mapping[int, str], params: CalibrationParams
) -> CalibrationRecord:
    """Calibrate ``reviews`` (at least one); ``names``: reviewer id -> display name."""
    proposals = sorted({r.proposal_id: r for r in reviews}.values(), key=lambda r: r.reference)
    p_index = {p.proposal_id: i for i, p in enumerate(proposals)}
    reviewers = sorted({r.reviewer_id for r in reviews})
    r_index = {rid: i for i, rid in enumerate(reviewers)}

    def weight(r: SubmittedReview) -> float:
        if not params.confidence_weights:
            return 1.0
        return CONFIDENCE_WEIGHTS.get(r.confidence or 3, 1.0)

    records = [
        (p_index[r.proposal_id], r_index[r.reviewer_id], float(r.total or 0.0), weight(r))
        for r in reviews
    ]
    fit = calibrate_scores(
        ReviewScores.from_records(records),
        n_proposals=len(proposals),
        n_reviewers=len(reviewers),
        level=params.level,
        reviewer_scale=params.reviewer_scale,
        disagreement_threshold=params.disagreement_threshold,
    )
    marks: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in reviews:
        for code, mark in r.scores.items():
            marks[r.proposal_id][code].append(float(mark))
    per_proposal: list[dict[str, Any]] = []
    for i, p in enumerate(proposals):
        criteria = {c: round(sum(v) / len(v), 4) for c, v in sorted(marks[p.proposal_id].items())}
        per_proposal.append(
            {
                "proposal_id": p.proposal_id,
                "reference": p.reference,
                "area": p.area,
                "score": round(float(fit.score[i]), 4),
                "low": round(float(fit.lower[i]), 4),
                "high": round(float(fit.upper[i]), 4),
                "raw_mean": round(float(fit.raw_mean[i]), 4),
                "reviews": int(fit.reviews[i]),
                "disagreement": round(float(fit.disagreement[i]), 4),
                "flagged": bool(fit.flagged[i]),
                "criteria": criteria,
            }
        )
    result = {
        "level": params.level,
        "mean": round(fit.mean, 4),
        "noise_sd": round(fit.noise_sd, 4),
        "quality_sd": round(fit.quality_sd, 4),
        "leniency_spread": round(fit.leniency_spread, 4),
        "disagreement_threshold": round(fit.disagreement_threshold, 4),
        "iterations": fit.iterations,
        "proposals": per_proposal,
        "reviewers": [
            {
                "reviewer_id": rid,
                "name": names.get(rid, f"reviewer {rid}"),
                "leniency": round(float(fit.leniency[j]), 4),
                "leniency_sd": round(float(fit.leniency_sd[j]), 4),
                "scale": round(float(fit.scale[j]), 4),
                "reviews": int(fit.reviewer_reviews[j]),
            }
            for j, rid in enumerate(reviewers)
        ],
    }
    inputs = [[proposals[p].reference, reviewers[r], y, w] for p, r, y, w in records]
    return CalibrationRecord(inputs=inputs, result=result)
