"""The ranked list: by calibrated score, ties broken by the configured rules in order, each
row saying which rule placed it; consensus flags from disagreement."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexus_sti.core.errors import InvalidInput
from nexus_sti.review.ranking import (
    RankCandidate,
    consensus_flags,
    parse_tie_breaks,
    rank_proposals,
)


def c(ref: str, score: float, area: str = "health", **criteria: float) -> RankCandidate:
    return RankCandidate(reference=ref, score=score, area=area, criteria=criteria)


def test_distinct_scores_rank_by_score_without_tie_breaks() -> None:
    rows = rank_proposals([c("B", 12.0), c("A", 14.5), c("C", 9.0)])
    assert [r.candidate.reference for r in rows] == ["A", "B", "C"]
    assert [r.rank for r in rows] == [1, 2, 3]
    assert all(r.broken_by is None and r.tied_with == () for r in rows)


def test_an_area_not_yet_covered_higher_in_the_list_goes_first() -> None:
    rows = rank_proposals(
        [
            c("TOP", 15.0, "health"),
            c("X", 12.0, "health", excellence=5.0),
            c("Y", 12.0, "energy", excellence=3.0),
        ]
    )
    assert [r.candidate.reference for r in rows] == ["TOP", "Y", "X"]
    assert rows[1].broken_by == "new_area"
    assert "not yet covered" in rows[1].explanation
    assert rows[1].tied_with == ("X",)
    assert rows[2].explanation.startswith("placed below Y")


def test_rules_apply_in_order_excellence_then_impact() -> None:
    rows = rank_proposals(
        [
            c("P1", 12.0, "energy", excellence=4.0, impact=5.0),
            c("P2", 12.0, "energy", excellence=4.5, impact=3.0),
            c("P3", 12.0, "energy", excellence=4.0, impact=4.0),
        ]
    )
    assert [r.candidate.reference for r in rows] == ["P2", "P1", "P3"]
    # All share an area, so new_area decides nothing; excellence picks P2, then impact P1.
    assert [r.broken_by for r in rows] == [
        "criterion:excellence", "criterion:impact", "criterion:impact"
    ]  # fmt: skip
    assert "higher mean excellence mark" in rows[0].explanation


def test_the_order_of_the_rules_is_configurable() -> None:
    items = [c("P1", 12.0, excellence=4.0, impact=5.0), c("P2", 12.0, excellence=4.5, impact=3.0)]
    impact_first = rank_proposals(items, ["criterion:impact", "criterion:excellence"])
    assert [r.candidate.reference for r in impact_first] == ["P1", "P2"]


def test_still_equal_after_every_rule_falls_back_to_the_reference_and_says_so() -> None:
    rows = rank_proposals([c("Q2", 10.0, excellence=4.0), c("Q1", 10.0, excellence=4.0)])
    assert [r.candidate.reference for r in rows] == ["Q1", "Q2"]
    assert rows[0].broken_by == "reference"
    assert "reference order" in rows[0].explanation


def test_scores_within_the_tolerance_count_as_tied() -> None:
    items = [c("A", 12.04, excellence=3.0), c("B", 12.0, excellence=4.0)]
    assert rank_proposals(items)[0].candidate.reference == "A"
    tolerant = rank_proposals(items, tie_tolerance=0.05)
    assert tolerant[0].candidate.reference == "B"
    assert tolerant[0].broken_by == "criterion:excellence"


def test_unknown_or_repeated_rules_are_refused_naming_the_position() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_tie_breaks(["new_area", "budget"])
    assert caught.value.field == "tie_breaks[1]"
    with pytest.raises(InvalidInput, match="twice"):
        parse_tie_breaks(["new_area", "new_area"])


def test_consensus_flags_mark_disagreement_above_the_threshold() -> None:
    assert consensus_flags([0.2, 1.5, 0.9], 0.9) == [False, True, False]
    with pytest.raises(InvalidInput):
        consensus_flags([0.1], -1.0)


@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.sampled_from(["a", "b", "c"]), st.integers(0, 10)),
        min_size=1,
        max_size=25,
    )
)
def test_the_list_keeps_every_proposal_once_in_score_order(
    items: list[tuple[int, str, int]],
) -> None:
    candidates = [
        c(f"P{i:02d}", s / 2, area, excellence=e / 2) for i, (s, area, e) in enumerate(items)
    ]
    rows = rank_proposals(candidates)
    assert sorted(r.candidate.reference for r in rows) == sorted(x.reference for x in candidates)
    scores = [r.candidate.score for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert all((r.broken_by is None) == (not r.tied_with) for r in rows)
