"""Review forms: marks on the scale and its half points, thresholds per criterion and in total
(Horizon Europe style), what a submission needs, and the program's default form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexus_sti.core.errors import InvalidInput
from nexus_sti.programs.loader import load_preset
from nexus_sti.review.forms import (
    CriterionSpec,
    FormSpec,
    assess,
    check_review,
    default_form,
    parse_mark,
    validate_review,
)

FORM = FormSpec(
    criteria=(
        CriterionSpec("excellence", "Excellence", weight=1.0, threshold=3.0),
        CriterionSpec("impact", "Impact", weight=1.5, threshold=3.0),
        CriterionSpec("implementation", "Implementation", weight=1.0),
    ),
    total_threshold=10.0,
    min_comment_length=20,
)
GOOD = {"excellence": 4.5, "impact": 4.0, "implementation": 3.5}
COMMENTS = "Ambitious, well argued; the work plan is thin in year two."


def fields(problems: list) -> set[tuple[str, str]]:
    return {(p.field, p.rule) for p in problems}


def test_a_complete_review_validates_with_its_weighted_total() -> None:
    marks = validate_review(FORM, GOOD, COMMENTS, 4, final=True)
    assert marks.assessment is not None
    assert marks.assessment.total == pytest.approx(4.5 + 1.5 * 4.0 + 3.5)
    assert marks.assessment.passed and marks.assessment.failed == ()


@pytest.mark.parametrize(
    ("value", "rule"), [(5.5, "out_of_scale"), (-0.5, "out_of_scale"), (3.25, "off_step")]
)
def test_marks_off_the_scale_or_its_half_points_are_refused_naming_the_field(
    value: float, rule: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_review(FORM, {**GOOD, "impact": value}, COMMENTS, 3, final=True)
    assert caught.value.field == "scores.impact"
    assert caught.value.rule == rule
    assert "Impact" in caught.value.message


def test_a_submission_needs_every_criterion_comments_and_confidence() -> None:
    problems = check_review(FORM, {"excellence": 4.0}, "too short", None, final=True)
    assert fields(problems) == {
        ("scores.impact", "required"),
        ("scores.implementation", "required"),
        ("comments", "too_short"),
        ("confidence", "required"),
    }
    with pytest.raises(InvalidInput) as caught:
        validate_review(FORM, {"excellence": 4.0}, "too short", None, final=True)
    assert len(caught.value.details["problems"]) == 4
    assert "at least 20 characters" in caught.value.message


def test_a_draft_may_be_incomplete_but_its_marks_must_be_valid() -> None:
    marks = validate_review(FORM, {"excellence": 4.0, "impact": None}, "", None, final=False)
    assert marks.scores == {"excellence": 4.0}
    assert marks.assessment is None
    with pytest.raises(InvalidInput) as caught:
        validate_review(FORM, {"excellence": 4.2}, "", None, final=False)
    assert (caught.value.field, caught.value.rule) == ("scores.excellence", "off_step")


def test_confidence_outside_one_to_five_and_unknown_criteria_are_refused() -> None:
    problems = check_review(FORM, {**GOOD, "novelty": 3.0}, COMMENTS, 6, final=True)
    assert fields(problems) == {
        ("scores.novelty", "unknown_criterion"),
        ("confidence", "out_of_range"),
    }


def test_a_proposal_passes_only_if_every_criterion_and_the_total_reach_their_thresholds() -> None:
    low_criterion = assess(FORM, {"excellence": 2.5, "impact": 5.0, "implementation": 5.0})
    assert not low_criterion.passed and low_criterion.failed == ("excellence",)
    low_total = assess(FORM, {"excellence": 3.0, "impact": 3.0, "implementation": 2.0})
    assert low_total.total == pytest.approx(9.5)
    assert not low_total.passed and low_total.failed == ("total",)
    exactly = assess(FORM, {"excellence": 3.0, "impact": 3.0, "implementation": 2.5})
    assert exactly.passed, "reaching a threshold exactly passes"


def test_the_default_form_is_the_programs_criteria_in_half_points() -> None:
    form = default_form(load_preset().config)
    assert [c.code for c in form.criteria] == [
        "excellence", "impact", "implementation", "partnership"
    ]  # fmt: skip
    excellence = form.criteria[0]
    assert (excellence.scale_min, excellence.scale_max, excellence.step) == (0.0, 5.0, 0.5)
    assert excellence.threshold == 3.0
    assert excellence.marks[:3] == [0.0, 0.5, 1.0] and len(excellence.marks) == 11
    assert FormSpec.from_rows(form.rows(), form.total_threshold) == form


def test_stored_rows_that_make_no_sense_are_refused() -> None:
    with pytest.raises(InvalidInput, match="criterion codes must be unique"):
        FormSpec.from_rows([{"code": "a"}, {"code": "a"}])
    with pytest.raises(InvalidInput) as caught:
        FormSpec.from_rows([{"code": "a", "scale_min": 5, "scale_max": 0}])
    assert caught.value.field == "criteria[0]"


def test_typed_marks_accept_a_decimal_comma_and_refuse_words() -> None:
    assert parse_mark("3,5") == 3.5
    assert parse_mark("  ") is None
    with pytest.raises(InvalidInput):
        parse_mark("four")


@given(st.lists(st.integers(0, 10), min_size=3, max_size=3))
def test_every_half_point_mark_is_valid_and_its_total_is_the_weighted_sum(
    halves: list[int],
) -> None:
    codes = ("excellence", "impact", "implementation")
    scores = dict(zip(codes, (h / 2 for h in halves), strict=True))
    marks = validate_review(FORM, scores, COMMENTS, 3, final=True)
    assert marks.assessment is not None
    expected = scores["excellence"] + 1.5 * scores["impact"] + scores["implementation"]
    assert marks.assessment.total == pytest.approx(expected)
