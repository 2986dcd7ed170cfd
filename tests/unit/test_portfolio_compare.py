"""Selection rules side by side: the optimum is never beaten by a rule that keeps every rule,
the baseline's broken rules are the checker's, tie-breaks order ties only, and the lottery is
reproducible from its seed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nexus_sti.algorithms.portfolio import (
    Band,
    CandidateProposal,
    PortfolioProblem,
    PortfolioRules,
)
from nexus_sti.algorithms.portfolio_checks import check_portfolio, rank_and_fund
from nexus_sti.algorithms.portfolio_compare import (
    ALL_RULES,
    RuleComparison,
    area_count_rows,
    compare_rules,
    comparison_rows,
    comparison_to_dict,
    country_share_rows,
    rank_with_tie_breaks,
)
from nexus_sti.core.areas import AREA_CODES
from nexus_sti.core.countries import ASEAN_MEMBERS

BUDGET = ("jst", 2028)


def seeded_problem(seed: int = 3, n: int = 30) -> PortfolioProblem:
    rng = np.random.default_rng(seed)
    cands = []
    for i in range(n):
        partner = str(rng.choice(ASEAN_MEMBERS[:5]))
        cost = float(rng.integers(2, 6))
        merit = round(float(rng.uniform(2.5, 5.0)), 2)
        cands.append(
            CandidateProposal(
                id=f"P{i:02d}",
                merit=merit,
                merit_interval=(merit - 0.3, merit + 0.3),
                costs={BUDGET: cost, (f"cofunder-{partner.lower()}", 2028): 1.0},
                countries=("JPN", partner),
                country_funding={"JPN": cost, partner: 1.0},
                area=str(rng.choice(AREA_CODES[:4])),
                track="bilateral",
                organisations=(f"org{rng.integers(0, 8)}",),
                lead=f"L{rng.integers(0, 25)}",
            )
        )
    rules = PortfolioRules(
        budgets={BUDGET: 30.0},
        inclusive_countries=tuple(ASEAN_MEMBERS[:5]),
        area_minimums={AREA_CODES[3]: 2},
        country_bands={ASEAN_MEMBERS[0]: Band("count", None, 3)},
        organisation_cap=2,
        one_award_per_lead=True,
    )
    return PortfolioProblem(tuple(cands), rules)


@pytest.fixture(scope="module")
def problem() -> PortfolioProblem:
    return seeded_problem()


def compare(problem: PortfolioProblem, seed: int = 5) -> RuleComparison:
    return compare_rules(
        problem,
        target_shares=dict.fromkeys(("JPN", *ASEAN_MEMBERS), 1.0),
        researchers={"JPN": 300, **dict.fromkeys(ASEAN_MEMBERS, 40)},
        lottery_seed=seed,
        gap=0.0,
        counted=ASEAN_MEMBERS,
    )


def test_optimum_beats_every_rule_that_breaks_nothing(problem: PortfolioProblem) -> None:
    comparison = compare(problem)
    assert [o.rule for o in comparison.outcomes] == list(ALL_RULES)
    optimum = comparison.outcome("optimum")
    assert optimum.broken_rules == ()
    assert comparison.outcome("optimum-lottery").broken_rules == ()
    for o in comparison.outcomes:
        if not o.broken_rules:
            assert optimum.merit >= o.merit - 1e-9, o.rule
    assert comparison.optimum_objective == pytest.approx(optimum.merit)
    assert comparison.budgets_only_objective >= optimum.merit - 1e-9
    assert comparison.cost_of_inclusiveness == pytest.approx(
        comparison.budgets_only_objective - optimum.merit
    )


def test_rank_and_fund_broken_rules_are_the_checkers(problem: PortfolioProblem) -> None:
    outcome = compare(problem).outcome("rank-and-fund")
    baseline = rank_and_fund(problem)
    assert outcome.selected == baseline
    assert list(outcome.broken_rules) == check_portfolio(problem, baseline)
    assert outcome.broken_rules  # the baseline ignores every rule beyond the budgets


def test_measures_add_up(problem: PortfolioProblem) -> None:
    for o in compare(problem).outcomes:
        assert sum(o.country_shares.values()) == pytest.approx(1.0)
        assert sum(o.area_counts.values()) == o.funded == len(o.selected)
        assert set(o.areas_covered) == {a for a, k in o.area_counts.items() if k}
        assert o.hoover is not None and 0 <= o.hoover <= 1
        assert o.gini_per_researcher is not None and 0 <= o.gini_per_researcher <= 1
        assert set(o.partners_covered) <= set(ASEAN_MEMBERS)
    everyone = compare_rules(problem, gap=0.0, rules=("rank-and-fund",)).outcomes[0]
    assert "JPN" in everyone.partners_covered  # without ``counted``: every country counts


def test_same_seed_same_lottery_and_rows_are_json(problem: PortfolioProblem) -> None:
    first = compare(problem, seed=11).outcome("optimum-lottery")
    again = compare(problem, seed=11).outcome("optimum-lottery")
    assert first.lottery is not None and first.lottery.group
    assert first.lottery == again.lottery
    assert first.selected == again.selected
    comparison = compare(problem)
    json.dumps(comparison_to_dict(comparison))
    assert len(comparison_rows(comparison)) == len(ALL_RULES)
    assert len(country_share_rows(comparison)) == len(ALL_RULES) * 12
    assert len(area_count_rows(comparison)) == len(ALL_RULES) * len(AREA_CODES)


def test_tie_breaks_prefer_a_new_area_then_the_secondary_score() -> None:
    def cand(pid: str, merit: float, area: str) -> CandidateProposal:
        return CandidateProposal(pid, merit, None, {BUDGET: 1.0}, ("JPN",), {}, area, "b", (), pid)

    problem = PortfolioProblem(
        (cand("a", 4.52, "ai"), cand("b", 4.48, "ai"), cand("c", 4.46, "energy")),
        PortfolioRules(budgets={BUDGET: 2.0}),
    )
    assert rank_and_fund(problem) == {"a", "b"}
    # All three round to 4.5: "a" first (best merit), then the new area wins over "b".
    assert rank_with_tie_breaks(problem) == {"a", "c"}
    # Secondary score only: "c" and "b" outscore "a".
    scores = {"a": (3.0,), "b": (4.0, 1.0), "c": (4.0, 2.0)}
    assert rank_with_tie_breaks(problem, keys=("secondary",), secondary=scores) == {"b", "c"}
    # A tight tolerance leaves no ties: plain rank-and-fund.
    assert rank_with_tie_breaks(problem, tie_tolerance=0.01) == {"a", "b"}
