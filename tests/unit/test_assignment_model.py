"""The assignment's rules without a database: group minimums, reviewer labels with and without
the outside rule, and the record a solved run stores."""

from __future__ import annotations

import numpy as np
import pytest

from nexus_sti.algorithms.assignment import AssignedPair, AssignmentResult, DiversityRule
from nexus_sti.core.errors import InvalidInput
from nexus_sti.review.assignment_model import (
    OUTSIDE,
    group_minimums,
    labels_and_rules,
    run_record,
)
from nexus_sti.review.conflicts import ConflictMatrix, ConflictReason

HOME = ("home", frozenset({"AAA"}))
PARTNERS = ("partners", frozenset({"BBB", "CCC", "DDD"}))


def test_officer_minimums_override_the_programs_and_unknown_groups_are_named() -> None:
    assert group_minimums({"home": 1, "partners": 1}, {"partners": 2}) == {
        "home": 1,
        "partners": 2,
    }
    with pytest.raises(InvalidInput) as err:
        group_minimums({"home": 1}, {"moon": 1})
    assert err.value.field == "group_minimums"
    assert "moon" in str(err.value) and "home" in str(err.value)


def test_reviewers_take_the_first_group_with_their_country_and_rules_skip_zero_minimums() -> None:
    labels, rules = labels_and_rules(
        ["AAA", "CCC", "ZZZ"],
        [frozenset({"AAA", "BBB"})],
        [HOME, PARTNERS],
        {"home": 1, "partners": 0},
        0,
    )
    assert labels == ["home", "partners", None]
    assert rules == [DiversityRule("home", 1)]


def test_the_outside_rule_labels_reviewers_outside_the_proposals_countries() -> None:
    labels, rules = labels_and_rules(
        ["AAA", "BBB", "CCC", "ZZZ"],
        [frozenset({"AAA", "BBB"}), frozenset({"AAA", "BBB"})],
        [HOME, PARTNERS],
        {"home": 1, "partners": 0},
        1,
    )
    # AAA keeps its group (minimum 1); BBB is inside the proposals' countries; CCC and ZZZ are
    # outside them.
    assert labels == ["home", None, OUTSIDE, OUTSIDE]
    assert rules == [DiversityRule("home", 1), DiversityRule(OUTSIDE, 1)]


def test_the_outside_rule_is_refused_where_it_would_not_be_exact() -> None:
    with pytest.raises(InvalidInput) as err:
        labels_and_rules(
            ["AAA"],
            [frozenset({"AAA", "BBB"}), frozenset({"AAA", "CCC"})],
            [HOME, PARTNERS],
            {"home": 1, "partners": 0},
            1,
        )
    assert err.value.field == "outside_minimum"
    with pytest.raises(InvalidInput) as err:
        labels_and_rules(
            ["AAA"],
            [frozenset({"AAA", "BBB"})],
            [HOME, PARTNERS],
            {"home": 1, "partners": 1},
            1,
        )
    assert err.value.field == "group_minimums.partners"


def test_a_runs_record_names_proposals_and_reviewers_and_keeps_the_solvers_figures() -> None:
    result = AssignmentResult(
        pairs=(AssignedPair(0, 1, 0.5), AssignedPair(1, 0, 0.25), AssignedPair(1, 1, 0.125)),
        status="optimal",
        objective=0.875,
        per_proposal=np.array([0.5, 0.375]),
        min_per_proposal=0.375,
        loads=np.array([1, 2]),
        solver="test",
        seconds=0.01234,
        proven_optimal=True,
    )
    conflicts = ConflictMatrix(
        ("P-1", "P-2"),
        (7, 9),
        np.array([[True, False], [False, False]]),
        (ConflictReason("P-1", 7, "member", "is a member"),),
    )
    body = run_record(
        result,
        references=["P-1", "P-2"],
        reviewer_ids=[7, 9],
        labels=["home", None],
        rules=[DiversityRule("home", 1)],
        k=2,
        conflicts=conflicts,
        embedding={"backend": "tfidf"},
    )
    assert body["pairs"][0] == {"proposal": "P-1", "reviewer": 9, "affinity": 0.5}
    assert body["per_proposal"] == {"P-1": 0.5, "P-2": 0.375}
    assert body["loads"] == {"7": 1, "9": 2}
    assert body["load_histogram"] == {"1": 1, "2": 1}
    assert body["min_pair_affinity"] == 0.125
    assert body["labels"] == {"7": "home", "9": None}
    assert body["conflicts"] == 1 and body["conflict_kinds"]["member"] == 1
    assert (body["proposals"], body["reviewers"], body["k"]) == (2, 2, 2)
    assert body["seconds"] == 0.012
