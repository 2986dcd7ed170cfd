"""The calibration record from submitted reviews (review/scoring.py), without a database."""

from __future__ import annotations

import numpy as np

from nexus_sti.review.scoring import CalibrationParams, SubmittedReview, calibration_record


def reviews(seed: int = 0) -> list[SubmittedReview]:
    """Six proposals, four reviewers each from six; reviewer 6 is 3 points more lenient."""
    rng = np.random.default_rng(seed)
    quality = {p: 10.0 + p for p in range(1, 7)}
    out = []
    for p in range(1, 7):
        for r in rng.choice(np.arange(1, 7), size=4, replace=False):
            total = quality[p] + (3.0 if r == 6 else 0.0) + rng.normal(0, 0.3)
            out.append(
                SubmittedReview(p, f"P-{p}", "climate", int(r), total, 3,
                                {"excellence": total / 4, "impact": total / 4})
            )  # fmt: skip
    return out


def test_the_record_ranks_by_quality_and_finds_the_lenient_reviewer() -> None:
    record = calibration_record(reviews(), {6: "Lenient Reviewer"}, CalibrationParams())
    scores = [p["score"] for p in record.result["proposals"]]
    assert [p["reference"] for p in record.result["proposals"]] == [f"P-{i}" for i in range(1, 7)]
    assert scores == sorted(scores)  # quality rises with the proposal number
    lenient = max(record.result["reviewers"], key=lambda r: r["leniency"])
    assert lenient["reviewer_id"] == 6 and lenient["name"] == "Lenient Reviewer"
    assert all(p["low"] <= p["score"] <= p["high"] for p in record.result["proposals"])
    assert set(record.result["proposals"][0]["criteria"]) == {"excellence", "impact"}
    assert len(record.inputs) == 24 and record.inputs[0][3] == 1.0


def test_confidence_weights_count_and_can_be_switched_off() -> None:
    sure = [
        SubmittedReview(r.proposal_id, r.reference, r.area, r.reviewer_id, r.total, 5, r.scores)
        for r in reviews()
    ]
    weighted = calibration_record(sure, {}, CalibrationParams())
    assert weighted.inputs[0][3] == 1.5
    flat = calibration_record(sure, {}, CalibrationParams(confidence_weights=False))
    assert flat.inputs[0][3] == 1.0
    assert flat.result["reviewers"][0]["name"].startswith("reviewer ")
