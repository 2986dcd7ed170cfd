"""Reviewer assignment: every result obeys the rules, tiny cases match brute force, infeasible
inputs name the proposals to fix, and pricing proves optimality from a tiny candidate set."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nexus_sti.algorithms.assignment import (
    AssignmentInfeasible,
    DiversityRule,
    check_assignment,
    greedy_assignment,
    solve_assignment,
    swap,
)

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def instances(draw: st.DrawFn, max_p: int = 4, max_r: int = 5) -> dict[str, object]:
    n_p = draw(st.integers(1, max_p))
    n_r = draw(st.integers(2, max_r))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return {
        "affinity": np.round(rng.random((n_p, n_r)), 3),
        "conflicts": rng.random((n_p, n_r)) < draw(st.sampled_from([0.0, 0.15, 0.3])),
        "k": draw(st.integers(1, min(2, n_r))),
        "loads": rng.integers(1, 4, n_r),
        "groups": [str(g) for g in rng.choice(["jp", "ms", "other"], n_r)],
        "diverse": draw(st.booleans()),
    }


def _rules(inst: dict[str, object]) -> dict[str, object]:
    diverse = bool(inst["diverse"])
    return {
        "conflicts": inst["conflicts"],
        "k": inst["k"],
        "loads": inst["loads"],
        "reviewer_groups": inst["groups"],
        "diversity": (DiversityRule("jp"),) if diverse else (),
    }


def brute_force(inst: dict[str, object]) -> float | None:
    a = np.asarray(inst["affinity"])
    rules = _rules(inst)
    n_p, n_r = a.shape
    choices = [itertools.combinations(range(n_r), int(inst["k"])) for _ in range(n_p)]  # type: ignore[call-overload]
    best: float | None = None
    for combo in itertools.product(*choices):
        pairs = [(p, r) for p, rs in enumerate(combo) for r in rs]
        if check_assignment(pairs, **rules):  # type: ignore[arg-type]
            continue
        value = float(sum(a[p, r] for p, r in pairs))
        best = value if best is None else max(best, value)
    return best


@FAST
@given(instances())
def test_optimum_obeys_rules_and_matches_brute_force(inst: dict[str, object]) -> None:
    rules = _rules(inst)
    best = brute_force(inst)
    if best is None:
        with pytest.raises(AssignmentInfeasible) as caught:
            solve_assignment(inst["affinity"], **rules)  # type: ignore[arg-type]
        assert caught.value.proposals or caught.value.reason == "capacity"
        return
    result = solve_assignment(inst["affinity"], candidates=1, **rules)  # type: ignore[arg-type]
    assert check_assignment([(x.proposal, x.reviewer) for x in result.pairs], **rules) == []  # type: ignore[arg-type]
    assert result.objective == pytest.approx(best, abs=1e-9)
    assert result.proven_optimal


@FAST
@given(instances(max_p=3, max_r=4))
def test_max_min_never_lowers_the_worst_proposal(inst: dict[str, object]) -> None:
    rules = _rules(inst)
    try:
        plain = solve_assignment(inst["affinity"], **rules)  # type: ignore[arg-type]
    except AssignmentInfeasible:
        return
    fair = solve_assignment(inst["affinity"], fairness="max_min", time_limit=10, **rules)  # type: ignore[arg-type]
    pairs = [(x.proposal, x.reviewer) for x in fair.pairs]
    assert check_assignment(pairs, **rules) == []  # type: ignore[arg-type]
    assert fair.min_per_proposal >= plain.min_per_proposal - 1e-6
    assert fair.objective <= plain.objective + 1e-9


def test_pricing_from_one_candidate_proves_the_full_optimum() -> None:
    rng = np.random.default_rng(7)
    a = rng.random((60, 40))
    conflicts = rng.random((60, 40)) < 0.05
    groups = [str(g) for g in rng.choice(["jp", "ms", "other"], 40)]
    rules = (DiversityRule("jp"), DiversityRule("ms", proposals=tuple(range(30))))
    args = {"k": 3, "loads": 8, "reviewer_groups": groups, "diversity": rules}
    narrow = solve_assignment(a, conflicts, candidates=1, **args)  # type: ignore[arg-type]
    wide = solve_assignment(a, conflicts, candidates=40, **args)  # type: ignore[arg-type]
    assert narrow.proven_optimal and narrow.pricing_rounds > 1
    assert narrow.objective == pytest.approx(wide.objective, abs=1e-9)
    assert narrow.columns < wide.columns
    assert check_assignment(np.column_stack(narrow.arrays()), conflicts=conflicts, **args) == []  # type: ignore[arg-type]
    greedy = greedy_assignment(a, conflicts, **args)  # type: ignore[arg-type]
    assert greedy.objective <= narrow.objective + 1e-9


def test_too_few_unconflicted_reviewers_names_the_proposal() -> None:
    conflicts = np.zeros((3, 4), dtype=bool)
    conflicts[1, :2] = True
    with pytest.raises(AssignmentInfeasible) as caught:
        solve_assignment(np.ones((3, 4)), conflicts, k=3, loads=3)
    assert caught.value.reason == "too_few_reviewers"
    assert caught.value.proposals == (1,)
    assert "proposal 1: 2 for k=3" in caught.value.message


def test_total_capacity_below_demand() -> None:
    with pytest.raises(AssignmentInfeasible) as caught:
        solve_assignment(np.ones((4, 3)), np.zeros((4, 3), dtype=bool), k=2, loads=2)
    assert caught.value.reason == "capacity"
    assert caught.value.shortfall == 2


def test_missing_group_reviewer_names_proposal_and_group() -> None:
    conflicts = np.zeros((2, 4), dtype=bool)
    conflicts[0, 0] = True  # the only Japan-based reviewer
    with pytest.raises(AssignmentInfeasible) as caught:
        solve_assignment(
            np.ones((2, 4)), conflicts, k=2, loads=2,
            reviewer_groups=["jp", "ms", "ms", "ms"], diversity=[DiversityRule("jp")],
        )  # fmt: skip
    assert caught.value.reason == "group_shortage"
    assert caught.value.proposals == (0,)
    assert caught.value.group == "jp"


def test_hall_shortage_names_the_competing_proposals() -> None:
    # Proposals 0-2 may only use reviewers 0 and 1 (one review each); proposal 3 is free.
    conflicts = np.zeros((4, 4), dtype=bool)
    conflicts[:3, 2:] = True
    with pytest.raises(AssignmentInfeasible) as caught:
        solve_assignment(np.ones((4, 4)), conflicts, k=1, loads=1)
    assert caught.value.reason == "shortage"
    assert caught.value.shortfall == 1
    assert set(caught.value.proposals) <= {0, 1, 2} and caught.value.proposals


def test_swap_reports_what_breaks() -> None:
    conflicts = np.zeros((2, 3), dtype=bool)
    conflicts[0, 2] = True
    rules = {"conflicts": conflicts, "k": 1, "loads": 1}
    pairs = np.array([[0, 0], [1, 1]])
    assert swap(pairs, 0, 0, 2, **rules).violations == (  # type: ignore[arg-type]
        "proposal 0: reviewer 2 has a conflict of interest",
    )
    assert "above the load limit" in swap(pairs, 0, 0, 1, **rules).violations[0]  # type: ignore[arg-type]
    assert swap(pairs, 1, 1, 2, **rules).accepted  # type: ignore[arg-type]
    assert not swap(pairs, 1, 0, 2, **rules).accepted  # type: ignore[arg-type]
