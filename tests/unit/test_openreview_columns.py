"""The OpenReview matcher files read in columns give the row-by-row reader's problem and its
refusals, word for word."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nexus_sti.core.errors import InvalidInput
from nexus_sti.review import batch, openreview

SCORES = (
    "P1,อาจารย์สมชาย,0.9\nP1,田中,0.1\nP2,田中,0.8\nP2,Nguyễn,0.3\n"
    "ព្រឹក្សា-៣,อาจารย์สมชาย,0.25\nព្រឹក្សា-៣,Nguyễn,1e-3\n"
)


def both(tmp_path: Path, scores: str, constraints: str | None = None) -> tuple[object, object]:
    """What each reader makes of the same files: a problem or the refusal."""
    s = tmp_path / "s.csv"
    s.write_bytes(scores.encode())
    c = None
    if constraints is not None:
        c = tmp_path / "c.csv"
        c.write_bytes(constraints.encode())
    results: list[object] = []
    for read in (
        lambda: openreview.read_openreview_files(s, c, k=1, max_load=2),
        lambda: batch.read_openreview(
            batch.read_text(s, "--scores"),
            None if c is None else batch.read_text(c, "--constraints"),
            k=1,
            max_load=2,
            scores_source=str(s),
            constraints_source=str(c),
        ),
    ):
        try:
            results.append(read())
        except InvalidInput as exc:
            results.append(exc)
    return results[0], results[1]


def same_problem(new: object, old: object) -> None:
    assert isinstance(new, batch.AssignmentProblem) and isinstance(old, batch.AssignmentProblem)
    assert new.proposal_ids == old.proposal_ids
    assert new.reviewer_ids == old.reviewer_ids
    assert np.array_equal(new.affinity, old.affinity) and new.affinity.dtype == old.affinity.dtype
    assert np.array_equal(new.conflicts, old.conflicts)
    assert new.notes == old.notes
    assert new.inputs_digest == old.inputs_digest


@pytest.mark.parametrize(
    ("scores", "constraints"),
    [
        (SCORES, None),
        ("\ufeffproposal,reviewer,affinity\r\n" + SCORES.replace("\n", "\r\n"), None),
        ("proposal , reviewer, score\n" + SCORES.replace(",", " , "), None),
        (SCORES, "h,h,h\nP1,อาจารย์สมชาย,-1\nP2,田中,0\nP2,Nguyễn,-1.0\n"),
        (SCORES.replace("0.9", "0.1000000000000000055511151231257827"), None),
        ("P1,R1,0\nP1,R2,1\n", None),
    ],
)
def test_the_columnar_reader_gives_the_same_problem(
    tmp_path: Path, scores: str, constraints: str | None
) -> None:
    same_problem(*both(tmp_path, scores, constraints))
    for name in ("s.csv", "c.csv"):
        if (tmp_path / name).exists():  # read in columns, not handed back to the reference
            assert openreview.read_triples(tmp_path / name) is not None


@pytest.mark.parametrize(
    ("scores", "constraints", "where", "rule"),
    [
        ("P1,R1,0.5\nP1,R2,x\n", None, "row 2, column 3 (affinity)", "'x' is not a number"),
        ("P1,R1,0.5\nP1,R2,true\n", None, "row 2, column 3 (affinity)", "not a number"),
        ("h,h,h\nP1,R1,TRUE\nP1,R2,False\n", None, "row 2, column 3 (affinity)", "not a number"),
        ("P1,R1,nan\n", None, "row 1, column 3 (affinity)", "finite"),
        ("P1,R1\n", None, "row 1", "expected 3 columns"),
        ("P1,R1,0.5\nP2,R1\n", None, "row 2", "expected 3 columns"),
        ("P1,R1,0.5\nP2,R1,0.5,1\n", None, "row 2", "expected 3 columns"),
        ("P1,R1,0.5,1\nP2,R1,0.5\n", None, "row 1", "expected 3 columns"),
        ("a,b,c\nP1,,0.5\n", None, "row 2, column 2 (reviewer id)", "empty"),
        ("P1,R1,0.5\nP2,R1,1\n P1 ,R1,0.7\n", None, "row 3", "already has a score on row 1"),
        ("h,h,h\nก,ស,0.5\nข,ស,1\nก,ស,0.7\n", None, "row 4", "('ก', 'ស') already"),
        ("proposal,reviewer,score\n", None, "rows", "no score rows"),
        ("P1,R1,0.5\n", "P1,R1,1\n", "row 1, column 3 (constraint)", "not supported"),
        ("P1,R1,0.5\n", "h,h,h\nP1,R1,maybe\n", "row 2, column 3 (constraint)", "-1"),
        ("P1,R1,0.5\n", "P1,R1,0\nP1,R9,-1\n", "row 2, column 2 (reviewer id)", "'R9' has no row"),
        ("ក,R1,0.5\n", "ក,R1,-1\nខ,R1,-1\n", "row 2, column 1 (proposal id)", "'ខ' has no row"),
        ("P1,R1,0.5\n", 'P1,"R1\n', "row", "CSV"),
    ],
)
def test_refusals_are_the_row_by_row_readers(
    tmp_path: Path, scores: str, constraints: str | None, where: str, rule: str
) -> None:
    new, old = both(tmp_path, scores, constraints)
    assert isinstance(new, InvalidInput) and isinstance(old, InvalidInput)
    assert new.message == old.message
    source = "c.csv" if constraints is not None and "c.csv" in old.message else "s.csv"
    assert new.message.startswith(f"{tmp_path / source}: {where}")
    assert rule in new.rule


def test_array_refusals_do_not_need_the_row_by_row_reader(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("P1,R1,0.5\nP2,R1,1\nP1,R1,0.7\n", encoding="utf-8")
    rows = openreview.read_triples(path)
    assert rows is not None and rows.first_line == 1
    with pytest.raises(InvalidInput, match=r"row 3: the pair .* already has a score on row 1"):
        openreview.openreview_problem(rows, None, k=1, max_load=1, scores_source="s.csv")


def test_a_missing_constraints_file_is_refused_before_reading_the_scores(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(SCORES, encoding="utf-8")
    with pytest.raises(InvalidInput, match="no such file"):
        openreview.read_openreview_files(path, tmp_path / "none.csv", k=1, max_load=1)
