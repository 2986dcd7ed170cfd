"""The review stage's file formats: assignment problems (JSON and OpenReview CSV) and reviews."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nexus_sti.core.errors import Infeasible, InvalidInput
from nexus_sti.review import batch

PROPOSALS = ["P-001", "ข้อเสนอ-๒", "提案-3", "P-004"]
REVIEWERS = ["R-tanaka", "สมชาย", "Nguyễn", "山田", "R-lim"]


def problem(**changes: Any) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    doc: dict[str, Any] = {
        "format": "nexus-review-assignment/1",
        "proposals": [{"id": p} for p in PROPOSALS],
        "reviewers": [{"id": r} for r in REVIEWERS],
        "affinity": [
            {"proposal": p, "reviewer": r, "affinity": round(float(rng.random()), 3)}
            for p in PROPOSALS
            for r in REVIEWERS
        ],
        "conflicts": [{"proposal": "P-001", "reviewer": "R-tanaka", "reason": "same lab"}],
        "k": 2,
        "max_load": 2,
    }
    doc.update(changes)
    return doc


def refused(raw: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        batch.read_assignment_problem(raw, source="p.json")
    return caught.value


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"format": "nexus-review-assignment/9"}, "format", "nexus-review-assignment/1"),
        ({"reviewer_count": 3}, "reviewer_count", "unknown field"),
        ({"k": -1}, "k", "greater than or equal to 0"),
        ({"fairness": "min_max"}, "fairness", "max_min"),
        ({"reviewers": [{"id": "a"}, {"id": "a"}]}, "reviewers[1].id", "duplicate id 'a'"),
        (
            {"conflicts": [{"proposal": "P-001", "reviewer": "R-nobody"}]},
            "conflicts[0].reviewer",
            "unknown reviewer id 'R-nobody'",
        ),
        (
            {"affinity": [{"proposal": "P-9", "reviewer": "山田", "affinity": 1}]},
            "affinity[0].proposal",
            "unknown proposal id 'P-9'",
        ),
        (
            {"affinity": [{"proposal": "P-001", "reviewer": "山田", "affinity": 1}] * 2},
            "affinity[1]",
            "given twice",
        ),
        ({"k": None}, "proposals[0].k", "required"),
        ({"max_load": None}, "reviewers[0].max_load", "required"),
        (
            {"diversity": [{"group": "ASEAN", "proposals": ["P-001", "P-x"]}]},
            "diversity[0].proposals[1]",
            "unknown proposal id 'P-x'",
        ),
    ],
)
def test_problem_errors_name_the_field_and_rule(
    changes: dict[str, Any], field: str, rule: str
) -> None:
    error = refused(problem(**changes))
    assert error.field == field
    assert rule in error.rule
    assert error.message.startswith(f"p.json: {field}: ")


def test_texts_and_affinity_are_exclusive() -> None:
    with_text = problem()
    with_text["proposals"][1]["text"] = "rice"
    error = refused(with_text)
    assert error.field == "proposals[1].text" and "not both" in error.rule
    no_text = problem(affinity=None)
    assert refused(no_text).field == "proposals[0].text"
    texts = problem(affinity=None, backend="no-such-backend")
    for item in texts["proposals"] + texts["reviewers"]:
        item["text"] = "words"
    error = refused(texts)
    assert error.field == "backend" and "no-such-backend" in error.rule


def test_texts_give_affinities_with_the_named_backend() -> None:
    raw = problem(affinity=None, backend="tfidf", k=1, max_load=1, conflicts=[])
    topics = ["rice paddy methane", "tsunami warning coast", "dengue mosquito", "soil carbon"]
    for item, text in zip(raw["proposals"], topics, strict=True):
        item["text"] = text
    for item, text in zip(raw["reviewers"], [*reversed(topics), "volcano"], strict=True):
        item["text"] = text
    parsed = batch.read_assignment_problem(raw)
    out = batch.write_assignment(parsed, batch.solve_problem(parsed))
    matched = {a["proposal"]: a["reviewer"] for a in out["assignments"]}
    # Each proposal goes to the reviewer whose profile repeats its words.
    assert matched == {
        "P-001": "山田",
        "ข้อเสนอ-๒": "Nguyễn",
        "提案-3": "สมชาย",
        "P-004": "R-tanaka",
    }


def test_ids_map_to_positions_and_back() -> None:
    raw = problem()
    parsed = batch.read_assignment_problem(raw)
    assert parsed.proposal_ids == tuple(PROPOSALS)
    assert parsed.reviewer_ids == tuple(REVIEWERS)
    given = {(row["proposal"], row["reviewer"]): row["affinity"] for row in raw["affinity"]}
    for (p, r), value in given.items():
        assert parsed.affinity[PROPOSALS.index(p), REVIEWERS.index(r)] == value
    out = batch.write_assignment(parsed, batch.solve_problem(parsed))
    assert list(out)[:3] == ["status", "objective", "assignments"]
    for row in out["assignments"]:
        assert row["affinity"] == given[row["proposal"], row["reviewer"]]
    assert set(out["per_proposal"]) == set(PROPOSALS)
    assert set(out["loads"]) == set(REVIEWERS)
    assert sum(out["load_histogram"].values()) == len(REVIEWERS)
    assert out["objective"] == pytest.approx(sum(r["affinity"] for r in out["assignments"]))


def test_conflicts_k_and_loads_are_honoured() -> None:
    raw = problem(k=2, max_load=3)
    raw["proposals"][2]["k"] = 1
    raw["reviewers"][4]["max_load"] = 0
    raw["conflicts"] = [{"proposal": p, "reviewer": "山田"} for p in PROPOSALS]
    parsed = batch.read_assignment_problem(raw)
    out = batch.write_assignment(parsed, batch.solve_problem(parsed))
    pairs = [(a["proposal"], a["reviewer"]) for a in out["assignments"]]
    assert all(r != "山田" for _, r in pairs)
    counts = {p: sum(1 for q, _ in pairs if q == p) for p in PROPOSALS}
    assert counts == {"P-001": 2, "ข้อเสนอ-๒": 2, "提案-3": 1, "P-004": 2}
    assert max(out["loads"].values()) <= 3 and out["loads"]["R-lim"] == 0
    assert len(set(pairs)) == len(pairs)


def test_diversity_rule_by_group() -> None:
    raw = problem(diversity=[{"group": "ASEAN", "minimum": 1}], max_load=3)
    for item, group in zip(raw["reviewers"], ["JPN", "ASEAN", "ASEAN", "JPN", "JPN"], strict=True):
        item["group"] = group
    parsed = batch.read_assignment_problem(raw)
    out = batch.write_assignment(parsed, batch.solve_problem(parsed))
    for p in PROPOSALS:
        assert any(
            a["proposal"] == p and a["reviewer"] in ("สมชาย", "Nguyễn") for a in out["assignments"]
        )


def test_infeasible_names_proposals_by_id_and_what_to_relax() -> None:
    raw = problem(k=2)
    raw["conflicts"] = [
        {"proposal": "提案-3", "reviewer": r} for r in ["R-tanaka", "สมชาย", "Nguyễn", "山田"]
    ]
    with pytest.raises(Infeasible) as caught:
        batch.solve_problem(batch.read_assignment_problem(raw))
    error = caught.value
    assert "提案-3" in error.message and "to fix:" in error.message
    assert error.details["proposals"] == ["提案-3"]
    assert error.details["reason"] == "too_few_reviewers"
    with pytest.raises(Infeasible, match="lower k"):
        batch.solve_problem(batch.read_assignment_problem(problem(k=3, max_load=2)))


SCORES = "\n".join(
    f"{p},{r},{v}"
    for p, r, v in [
        ("P1", "อาจารย์สมชาย", 0.9),
        ("P1", "田中", 0.5),
        ("P2", "อาจารย์สมชาย", 0.2),
        ("P2", "田中", 0.8),
        ("P2", "Nguyễn", 0.7),
        ("P3", "Nguyễn", 0.6),
    ]
)


def openreview(scores: str, constraints: str | None = None, **kw: Any) -> batch.AssignmentProblem:
    kw.setdefault("k", 1)
    kw.setdefault("max_load", 1)
    return batch.read_openreview(
        scores, constraints, scores_source="s.csv", constraints_source="c.csv", **kw
    )


def test_openreview_csv_with_or_without_header_and_bom() -> None:
    plain = openreview(SCORES + "\n")
    with_header = openreview("\ufeffproposal_id , reviewer_id, score\n\n" + SCORES)
    assert plain.proposal_ids == with_header.proposal_ids == ("P1", "P2", "P3")
    assert plain.reviewer_ids == ("อาจารย์สมชาย", "田中", "Nguyễn")
    assert plain.inputs_digest == with_header.inputs_digest
    assert plain.affinity[2, 0] == 0.0  # no row: affinity 0
    out = batch.write_assignment(plain, batch.solve_problem(plain))
    assert {(a["proposal"], a["reviewer"]) for a in out["assignments"]} == {
        ("P1", "อาจารย์สมชาย"),
        ("P2", "田中"),
        ("P3", "Nguyễn"),
    }


def test_openreview_constraints_are_conflicts() -> None:
    parsed = openreview(SCORES, "proposal,reviewer,constraint\nP1,อาจารย์สมชาย,-1\nP2,田中,0\n")
    assert parsed.conflicts.sum() == 1 and parsed.conflicts[0, 0]
    out = batch.write_assignment(parsed, batch.solve_problem(parsed))
    assert ("P1", "อาจารย์สมชาย") not in {(a["proposal"], a["reviewer"]) for a in out["assignments"]}


def test_openreview_csv_matches_the_equivalent_json() -> None:
    rows = [line.split(",") for line in SCORES.splitlines()]
    from_json = batch.read_assignment_problem(
        {
            "format": "nexus-review-assignment/1",
            "proposals": [{"id": p} for p in ("P1", "P2", "P3")],
            "reviewers": [{"id": r} for r in ("อาจารย์สมชาย", "田中", "Nguyễn")],
            "affinity": [
                {"proposal": p, "reviewer": r, "affinity": float(v)} for p, r, v in reversed(rows)
            ],
            "k": 1,
            "max_load": 1,
        }
    )
    assert from_json.inputs_digest == openreview(SCORES).inputs_digest


@pytest.mark.parametrize(
    ("scores", "constraints", "source", "where", "rule"),
    [
        (
            "P1,R1,0.5\nP1,R2,x\n",
            None,
            "s.csv",
            "row 2, column 3 (affinity)",
            "'x' is not a number",
        ),
        ("P1,R1,nan\n", None, "s.csv", "row 1, column 3 (affinity)", "finite"),
        ("P1,R1\n", None, "s.csv", "row 1", "expected 3 columns"),
        ("a,b,c\nP1,,0.5\n", None, "s.csv", "row 2, column 2 (reviewer id)", "empty"),
        ("P1,R1,0.5\nP2,R1,1\nP1,R1,0.7\n", None, "s.csv", "row 3", "already has a score on row 1"),
        ("proposal,reviewer,score\n", None, "s.csv", "rows", "no score rows"),
        ("P1,R1,0.5\n", "P1,R1,1\n", "c.csv", "row 1, column 3 (constraint)", "not supported"),
        ("P1,R1,0.5\n", "h,h,h\nP1,R1,maybe\n", "c.csv", "row 2, column 3 (constraint)", "-1"),
        ("P1,R1,0.5\n", "P1,R9,-1\n", "c.csv", "row 1, column 2 (reviewer id)", "'R9' has no row"),
        ("P1,R1,0.5\n", 'P1,"R1\n', "c.csv", "row", "CSV"),
    ],
)
def test_openreview_errors_name_file_row_and_column(
    scores: str, constraints: str | None, source: str, where: str, rule: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        openreview(scores, constraints)
    error = caught.value
    assert error.message.startswith(f"{source}: {where}")
    assert rule in error.rule


REVIEWS = {
    "format": "nexus-review-reviews/1",
    "reviews": [
        {"proposal": p, "reviewer": r, "score": s + (1.5 if r == "甘い" else 0.0)}
        for p, s in [("P1", 6.0), ("P2", 4.0), ("P3", 5.0), ("P4", 3.0)]
        for r in ("甘い", "ปกติ", "Lim")
    ],
}


def test_reviews_calibrate_to_records_keyed_by_id() -> None:
    parsed = batch.read_reviews(REVIEWS, source="r.json")
    assert parsed.proposal_ids == ("P1", "P2", "P3", "P4")
    out = batch.write_calibration(parsed, batch.calibrate(parsed))
    assert out["format"] == "nexus-review-calibration/1"
    scores = {p["id"]: p["score"] for p in out["proposals"]}
    assert sorted(scores, key=scores.__getitem__) == ["P4", "P2", "P3", "P1"]
    lenient = max(out["reviewers"], key=lambda r: r["leniency"])
    assert lenient["id"] == "甘い" and lenient["reviews"] == 4
    assert all(p["lower"] < p["score"] < p["upper"] for p in out["proposals"])
    assert out["model"]["level"] == 0.9


def test_reviews_csv_matches_json_and_options_override() -> None:
    lines = ["\ufeffReviewer,proposal,score,confidence"] + [
        f"{r['reviewer']},{r['proposal']},{r['score']}," for r in REVIEWS["reviews"]
    ]
    from_csv = batch.read_reviews_csv("\n".join(lines), source="r.csv")
    from_json = batch.read_reviews(REVIEWS)
    assert from_csv.inputs_digest == from_json.inputs_digest
    changed = batch.with_options(from_csv, level=0.5, reviewer_scale=True)
    assert changed.options.level == 0.5 and changed.inputs_digest != from_csv.inputs_digest
    with pytest.raises(InvalidInput, match="level"):
        batch.with_options(from_csv, level=1.5)


@pytest.mark.parametrize(
    ("text", "where", "rule"),
    [
        ("proposal,reviewer\nP1,R1\n", "row 1", "no 'score' column"),
        ("proposal,reviewer,score,mood\n", "row 1, column 4 (mood)", "unknown"),
        ("proposal,reviewer,score\nP1,R1,high\n", "row 2, column 3 (score)", "number"),
        ("proposal,reviewer,score,confidence\nP1,R1,3,-2\n", "row 2, column 4", "greater than 0"),
        ("proposal,reviewer,score\nP1,R1,3\nP1,R1,4\n", "row 3", "already scored"),
        ("proposal,reviewer,score\nP1,R1\n", "row 2", "expected 3 columns"),
        ("", "row 1", "empty file"),
    ],
)
def test_reviews_csv_errors_name_row_and_column(text: str, where: str, rule: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        batch.read_reviews_csv(text, source="r.csv")
    assert caught.value.message.startswith(f"r.csv: {where}")
    assert rule in caught.value.rule


def test_reviews_json_errors_name_the_field() -> None:
    bad = {**REVIEWS, "reviews": [*REVIEWS["reviews"], {"proposal": "P1", "reviewer": "Lim"}]}
    with pytest.raises(InvalidInput) as caught:
        batch.read_reviews(bad, source="r.json")
    assert caught.value.field == "reviews[12].score"
    twice = {**REVIEWS, "reviews": [*REVIEWS["reviews"], REVIEWS["reviews"][0]]}
    with pytest.raises(InvalidInput, match=r"reviews\[12\].*already scored.*reviews\[0\]"):
        batch.read_reviews(twice, source="r.json")
