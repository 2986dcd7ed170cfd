"""Portfolio selection: hand-worked optima for each rule, brute-force agreement on tiny random
instances, infeasibility diagnosis, the lottery at the funding line, the rank-and-fund baseline
and the price of each rule. Every solver answer is audited by the independent checker."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nexus_sti.algorithms.portfolio import (
    INCLUSIVENESS_TOTAL,
    SEARCH_FROM_PROPOSALS,
    Band,
    CandidateProposal,
    Method,
    PortfolioProblem,
    PortfolioResult,
    PortfolioRules,
    rule_costs,
    solve_portfolio,
)
from nexus_sti.algorithms.portfolio_checks import check_portfolio, rank_and_fund
from nexus_sti.core.errors import Infeasible, InvalidInput

BUDGET = ("JST", 2027)


def proposal(
    pid: str,
    merit: float,
    cost: float = 1.0,
    *,
    costs: Mapping[tuple[str, int], float] | None = None,
    countries: Sequence[str] = ("JPN",),
    funding: Mapping[str, float] | None = None,
    area: str = "ai",
    track: str = "bilateral",
    organisations: Sequence[str] = (),
    lead: str | None = None,
    interval: tuple[float, float] | None = None,
) -> CandidateProposal:
    return CandidateProposal(
        id=pid,
        merit=merit,
        merit_interval=interval,
        costs=costs if costs is not None else {BUDGET: cost},
        countries=tuple(countries),
        country_funding=funding if funding is not None else {},
        area=area,
        track=track,
        organisations=tuple(organisations),
        lead=lead or f"lead-{pid}",
    )


def solve(problem: PortfolioProblem, **kwargs: object) -> PortfolioResult:
    result = solve_portfolio(problem, gap=0.0, **kwargs)  # type: ignore[arg-type]
    assert check_portfolio(problem, result.selected) == []
    assert result.status == "optimal"
    assert result.solver.startswith("HiGHS ")
    return result


# --- one hand-worked case per rule ---------------------------------------------------------


def test_budget_per_funder_and_year_prefers_two_cheaper_proposals() -> None:
    problem = PortfolioProblem(
        (proposal("a", 5, 3), proposal("b", 4, 2), proposal("c", 3, 2)),
        PortfolioRules(budgets={BUDGET: 4}),
    )
    result = solve(problem)
    assert result.selected == {"b", "c"}
    assert result.objective == pytest.approx(7)
    assert result.binding == ("budget JST 2027",)


def test_funder_total_over_years_binds_across_years() -> None:
    problem = PortfolioProblem(
        (
            proposal("a", 5, costs={("JST", 2027): 2, ("JST", 2028): 2}),
            proposal("b", 4, costs={("JST", 2027): 1, ("JST", 2028): 1}),
            proposal("c", 4, costs={("JST", 2028): 2}),
        ),
        PortfolioRules(budgets={("JST", 2027): 3, ("JST", 2028): 3}, funder_totals={"JST": 4}),
    )
    assert solve(problem).selected == {"b", "c"}


def test_country_share_band_caps_a_countrys_share_of_funding() -> None:
    problem = PortfolioProblem(
        (
            proposal("a", 10, countries=("JPN", "THA"), funding={"JPN": 1, "THA": 3}),
            proposal("b", 6, countries=("JPN", "VNM"), funding={"JPN": 1, "VNM": 1}),
            proposal("c", 5, countries=("JPN", "IDN"), funding={"JPN": 2, "IDN": 2}),
        ),
        PortfolioRules(country_bands={"THA": Band("share", high=0.25)}),
    )
    # With a, THA holds 3/4, 3/6, 3/8 or 3/10 of the funding, all above 0.25.
    assert solve(problem).selected == {"b", "c"}


def test_country_count_band_sets_a_floor_on_participations() -> None:
    problem = PortfolioProblem(
        (
            proposal("a", 9, 2),
            proposal("b", 8, 2),
            proposal("c", 3, 2, countries=("JPN", "LAO")),
            proposal("d", 2, 2, countries=("JPN", "LAO")),
        ),
        PortfolioRules(budgets={BUDGET: 4}, country_bands={"LAO": Band("count", low=2)}),
    )
    assert solve(problem).selected == {"c", "d"}


def test_inclusiveness_floor_funds_a_team_from_every_listed_country() -> None:
    problem = PortfolioProblem(
        (proposal("a", 9), proposal("b", 8), proposal("c", 1, countries=("JPN", "TLS"))),
        PortfolioRules(budgets={BUDGET: 2}, inclusive_countries=("TLS",)),
    )
    assert solve(problem).selected == {"a", "c"}


def test_area_minimum_funds_enough_projects_per_area() -> None:
    problem = PortfolioProblem(
        (
            proposal("a", 9),
            proposal("b", 8),
            proposal("c", 7),
            proposal("q1", 2, area="quantum"),
            proposal("q2", 1, area="quantum"),
        ),
        PortfolioRules(budgets={BUDGET: 3}, area_minimums={"quantum": 2}),
    )
    assert solve(problem).selected == {"a", "q1", "q2"}


def test_track_share_split_bounds_the_bilateral_share() -> None:
    problem = PortfolioProblem(
        (
            proposal("a", 9),
            proposal("b", 8),
            proposal("c", 7),
            proposal("m1", 2, track="multilateral"),
            proposal("m2", 1, track="multilateral"),
        ),
        PortfolioRules(budgets={BUDGET: 4}, track_bands={"bilateral": Band("share", 0.4, 0.5)}),
    )
    assert solve(problem).selected == {"a", "b", "m1", "m2"}


def test_track_count_split_bounds_the_number_of_projects() -> None:
    problem = PortfolioProblem(
        (proposal("a", 9), proposal("b", 8), proposal("m", 1, track="multilateral")),
        PortfolioRules(track_bands={"bilateral": Band("count", high=1)}),
    )
    assert solve(problem).selected == {"a", "m"}


def test_organisation_cap_limits_projects_per_organisation() -> None:
    problem = PortfolioProblem(
        (
            proposal("a", 9, organisations=("kyoto", "chula")),
            proposal("b", 8, organisations=("kyoto",)),
            proposal("c", 7, organisations=("kyoto", "vnu")),
            proposal("d", 1, organisations=("vnu",)),
        ),
        PortfolioRules(organisation_cap=2),
    )
    assert solve(problem).selected == {"a", "b", "d"}


def test_one_award_per_lead_investigator() -> None:
    problem = PortfolioProblem(
        (proposal("a", 9, lead="sato"), proposal("b", 8, lead="sato"), proposal("c", 1)),
        PortfolioRules(one_award_per_lead=True),
    )
    assert solve(problem).selected == {"a", "c"}


def test_merit_per_cost_objective_favours_cheap_proposals() -> None:
    candidates = (proposal("a", 10, 4), proposal("b", 6, 2), proposal("c", 5, 2))
    rules = PortfolioRules(budgets={BUDGET: 4})
    assert solve(PortfolioProblem(candidates, rules)).selected == {"b", "c"}
    per_cost = solve(PortfolioProblem(candidates, rules, objective="merit_per_cost"))
    assert per_cost.selected == {"b", "c"}
    assert per_cost.objective == pytest.approx(6 / 2 + 5 / 2)
    only_a = PortfolioProblem((*candidates[:1], proposal("d", 9, 4)), rules, "merit_per_cost")
    assert solve(only_a).selected == {"a"}


def test_no_rules_funds_everything_and_inputs_are_untouched() -> None:
    candidates = (proposal("a", 2), proposal("b", 1))
    problem = PortfolioProblem(candidates)
    assert solve(problem).selected == {"a", "b"}
    assert problem.candidates == candidates


def test_same_input_gives_the_same_answer() -> None:
    problem = PortfolioProblem(
        tuple(proposal(f"p{i}", 1.0, 1) for i in range(8)), PortfolioRules(budgets={BUDGET: 3})
    )
    assert len({solve(problem).selected for _ in range(3)}) == 1


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: proposal("a", 1, -1), "costs[('JST', 2027)]"),
        (lambda: proposal("a", 1, countries=("XXX",)), "countries"),
        (lambda: proposal("a", 1, area="astrology"), "area"),
        (lambda: proposal("a", 1, interval=(2, 1)), "merit_interval"),
        (lambda: PortfolioProblem((proposal("a", 1), proposal("a", 2))), "candidates"),
        (lambda: PortfolioRules(inclusive_countries=("ZZZ",)), "rules"),
        (lambda: PortfolioRules(area_minimums={"astrology": 1}), "area_minimums"),
        (lambda: Band("share", high=1.5), "band.high"),
    ],
)
def test_invalid_input_names_the_field(build: object, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        build()  # type: ignore[operator]
    assert err.value.field == field


# --- infeasibility --------------------------------------------------------------------------


def test_infeasible_rules_name_the_smallest_conflict_and_what_to_relax() -> None:
    problem = PortfolioProblem(
        (
            proposal("a", 9, 1, area="quantum"),
            proposal("b", 8, 1, organisations=("kyoto",)),
            proposal("t", 1, 5, countries=("JPN", "THA")),
        ),
        PortfolioRules(
            budgets={BUDGET: 4, ("NRCT", 2027): 10},
            inclusive_countries=("THA",),
            area_minimums={"quantum": 1},
            organisation_cap=0,
        ),
    )
    with pytest.raises(Infeasible) as err:
        solve_portfolio(problem)
    assert err.value.details["conflict"] == ["budget JST 2027", "inclusive THA"]
    assert "budget JST 2027" in err.value.message
    assert "inclusive THA" in err.value.message
    assert "raise the budget" in err.value.hint
    assert "quantum" not in err.value.message


def test_conflict_between_area_minimum_and_organisation_cap() -> None:
    problem = PortfolioProblem(
        (
            proposal("q1", 1, area="quantum", organisations=("riken",)),
            proposal("q2", 1, area="quantum", organisations=("riken",)),
        ),
        PortfolioRules(area_minimums={"quantum": 2}, organisation_cap=1),
    )
    with pytest.raises(Infeasible) as err:
        solve_portfolio(problem)
    assert err.value.details["conflict"] == ["area quantum >= 2", "organisation riken <= 1"]


# --- the lottery at the funding line ---------------------------------------------------------


def _lottery_problem() -> PortfolioProblem:
    return PortfolioProblem(
        (
            proposal("top", 10, interval=(9, 11)),
            proposal("x", 5.1, interval=(4, 6)),
            proposal("y", 5.0, interval=(4, 6)),
            proposal("z", 4.9, interval=(4, 6)),
            proposal("low", 1, interval=(0, 2)),
        ),
        PortfolioRules(budgets={BUDGET: 2}),
    )


def test_lottery_is_reproducible_and_funds_the_first_drawn() -> None:
    problem = _lottery_problem()
    first = solve(problem, lottery_rng=np.random.default_rng(7))
    again = solve(problem, lottery_rng=np.random.default_rng(7))
    assert first.selected == again.selected
    assert first.lottery == again.lottery
    assert first.lottery is not None
    assert first.lottery.line == pytest.approx(5.1)
    assert first.lottery.group == ("x", "y", "z")
    assert sorted(first.lottery.draw) == ["x", "y", "z"]
    assert first.lottery.funded == first.lottery.draw[:1]
    assert first.selected == {"top", first.lottery.draw[0]}


def test_lottery_draw_changes_with_the_seed_and_never_breaks_a_rule() -> None:
    problem = _lottery_problem()
    winners = set()
    for seed in range(12):
        result = solve(problem, lottery_rng=np.random.default_rng(seed))
        assert "top" in result.selected
        assert len(result.selected) == 2
        winners |= result.selected - {"top"}
    assert winners == {"x", "y", "z"}


def test_lottery_respects_an_area_minimum_after_the_draw() -> None:
    candidates = (
        *_lottery_problem().candidates[:4],
        proposal("q", 4.8, interval=(4, 6), area="quantum"),
    )
    problem = PortfolioProblem(
        candidates, PortfolioRules(budgets={BUDGET: 2}, area_minimums={"quantum": 1})
    )
    for seed in range(6):
        result = solve(problem, lottery_rng=np.random.default_rng(seed))
        assert "q" in result.selected


# --- baseline and prices ---------------------------------------------------------------------


def _inclusive_problem() -> PortfolioProblem:
    return PortfolioProblem(
        (
            proposal("a", 9),
            proposal("b", 8, area="quantum"),
            proposal("c", 7),
            proposal("t", 2, countries=("JPN", "THA")),
            proposal("k", 1, countries=("JPN", "KHM")),
        ),
        PortfolioRules(
            budgets={BUDGET: 3}, inclusive_countries=("THA", "KHM"), area_minimums={"quantum": 1}
        ),
    )


def test_rank_and_fund_fills_budgets_but_breaks_the_inclusiveness_floor() -> None:
    problem = _inclusive_problem()
    ranked = rank_and_fund(problem)
    assert ranked == {"a", "b", "c"}
    broken = check_portfolio(problem, ranked)
    assert [m.split(":")[0] for m in broken] == ["inclusive KHM", "inclusive THA"]
    assert solve(problem).selected == {"b", "t", "k"}


def test_rank_and_fund_skips_what_does_not_fit() -> None:
    problem = PortfolioProblem(
        (proposal("a", 9, 3), proposal("b", 8, 2), proposal("c", 7, 1)),
        PortfolioRules(budgets={BUDGET: 4}),
    )
    assert rank_and_fund(problem) == {"a", "c"}


def test_rule_costs_are_non_negative_and_inclusiveness_total_matches() -> None:
    problem = _inclusive_problem()
    costs = rule_costs(problem)
    assert all(cost >= -1e-9 for cost in costs.values())
    full = solve(problem).objective
    budgets_only = PortfolioProblem(
        problem.candidates, PortfolioRules(budgets=problem.rules.budgets)
    )
    assert costs[INCLUSIVENESS_TOTAL] == pytest.approx(solve(budgets_only).objective - full)
    assert costs[INCLUSIVENESS_TOTAL] == pytest.approx(24 - 11)
    # Dropping THA's floor frees a slot for a (9) in place of t (2).
    assert costs["inclusive THA"] == pytest.approx(7)
    # Without the quantum minimum, a (9) takes b's (8) place.
    assert costs["area quantum >= 1"] == pytest.approx(1)


# --- brute force on tiny random instances ----------------------------------------------------

COUNTRIES = ("JPN", "THA", "VNM", "LAO")
FUNDERS = ("JST", "NRCT")
YEARS = (2027, 2028)
AREAS = ("ai", "quantum", "energy")


@st.composite
def tiny_problems(draw: st.DrawFn) -> PortfolioProblem:
    n = draw(st.integers(1, 9))
    small = st.integers(0, 4)
    candidates = []
    for i in range(n):
        countries = ("JPN", *draw(st.sets(st.sampled_from(COUNTRIES[1:]), max_size=2)))
        costs = {(f, y): float(draw(small)) for f in FUNDERS for y in YEARS if draw(st.booleans())}
        candidates.append(
            proposal(
                f"p{i}",
                float(draw(st.integers(1, 20))),
                costs=costs,
                countries=sorted(countries),
                funding={c: float(draw(st.integers(1, 5))) for c in countries},
                area=draw(st.sampled_from(AREAS)),
                track=draw(st.sampled_from(("bilateral", "multilateral"))),
                organisations=draw(st.sets(st.sampled_from(("o1", "o2", "o3")), max_size=2)),
                lead=draw(st.sampled_from(("l1", "l2", "l3", "l4"))),
            )
        )
    maybe = st.booleans()
    share = st.sampled_from((0.0, 0.2, 0.25, 0.5))
    bands = {}
    for code in draw(st.sets(st.sampled_from(COUNTRIES), max_size=2)):
        if draw(maybe):
            bands[code] = Band("share", draw(share), draw(st.sampled_from((0.5, 1.0))))
        else:
            bands[code] = Band("count", draw(st.integers(0, 2)), draw(st.integers(2, 5)))
    rules = PortfolioRules(
        budgets={(f, y): float(draw(st.integers(0, 10))) for f in FUNDERS for y in YEARS}
        if draw(maybe)
        else None,
        funder_totals={f: float(draw(st.integers(0, 15))) for f in FUNDERS}
        if draw(maybe)
        else None,
        country_bands=bands or None,
        inclusive_countries=tuple(draw(st.sets(st.sampled_from(COUNTRIES[1:]), max_size=2))),
        area_minimums={a: draw(st.integers(0, 2)) for a in AREAS} if draw(maybe) else None,
        track_bands={"bilateral": Band("share", draw(share), 1.0)}
        if draw(maybe)
        else {"multilateral": Band("count", 0, draw(st.integers(0, 3)))},
        organisation_cap=draw(st.integers(1, 3)) if draw(maybe) else None,
        one_award_per_lead=draw(maybe),
    )
    return PortfolioProblem(tuple(candidates), rules)


def brute_force_optimum(problem: PortfolioProblem) -> float | None:
    ids = [c.id for c in problem.candidates]
    merits = [c.merit for c in problem.candidates]
    best = None
    for mask in itertools.product((False, True), repeat=len(ids)):
        chosen = [pid for pid, keep in zip(ids, mask, strict=True) if keep]
        if not check_portfolio(problem, chosen):
            value = sum(m for m, keep in zip(merits, mask, strict=True) if keep)
            best = value if best is None else max(best, value)
    return best


@pytest.mark.parametrize("method", ["branch_and_cut", "search"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=tiny_problems())
def test_solver_matches_brute_force_on_tiny_instances(
    problem: PortfolioProblem, method: Method
) -> None:
    best = brute_force_optimum(problem)
    if best is None:
        with pytest.raises(Infeasible) as err:
            solve_portfolio(problem, gap=0.0, method=method)
        assert err.value.details["conflict"]
        return
    result = solve_portfolio(problem, gap=0.0, method=method)
    assert check_portfolio(problem, result.selected) == []
    assert result.status == "optimal"
    assert result.objective == pytest.approx(best, abs=1e-6)
    ranked = rank_and_fund(problem)
    assert not [m for m in check_portfolio(problem, ranked) if m.startswith("budget")]


# --- the neighbourhood search for large calls ------------------------------------------------


def multi_year_call(n: int, seed: int) -> PortfolioProblem:
    """A scaled-down programme call: 3-year projects with even yearly costs from JST and one
    co-funder, yearly budgets at 35 % of what is asked, an organisation cap and one award per
    lead."""
    rng = np.random.default_rng(seed)
    years = (2027, 2028, 2029, 2030)
    partners = ("THA", "VNM", "LAO")
    candidates = []
    for i in range(n):
        partner = str(rng.choice(partners))
        first = int(rng.integers(0, 2))
        jst, other = round(float(rng.uniform(10, 30)), 1), round(float(rng.uniform(4, 12)), 1)
        costs = {}
        for year in years[first : first + 3]:
            costs[("JST", year)] = jst
            costs[(f"{partner}-agency", year)] = other
        candidates.append(
            proposal(
                f"p{i:03d}",
                round(float(rng.uniform(1, 7)), 3),
                costs=costs,
                countries=("JPN", partner),
                funding={"JPN": 3 * jst, partner: 3 * other},
                organisations=(f"org{int(rng.integers(0, n // 8))}",),
                lead=f"lead{int(rng.integers(0, int(n * 0.85)))}",
            )
        )
    asked: dict[tuple[str, int], float] = {}
    for c in candidates:
        for key, amount in c.costs.items():
            asked[key] = asked.get(key, 0.0) + amount
    rules = PortfolioRules(
        budgets={key: 0.35 * amount for key, amount in asked.items()},
        organisation_cap=4,
        one_award_per_lead=True,
    )
    return PortfolioProblem(tuple(candidates), rules)


@pytest.mark.parametrize("seed", [1, 2])
def test_search_reports_a_gap_the_optimum_respects(seed: int) -> None:
    problem = multi_year_call(150, seed)
    exact = solve_portfolio(problem, gap=0.0, time_limit=60.0, method="branch_and_cut")
    assert exact.status == "optimal"
    found = solve_portfolio(problem, gap=0.0, time_limit=0.5, method="search")
    assert check_portfolio(problem, found.selected) == []
    assert found.solver.endswith("(branch and cut + neighbourhood search)")
    assert found.objective <= exact.objective + 1e-6
    # The proven gap is a real bound: the true optimum lies within it.
    assert exact.objective <= found.objective * (1 + found.gap) + 1e-6


def test_search_stops_as_soon_as_the_gap_asked_for_is_proven() -> None:
    problem = multi_year_call(400, 3)
    found = solve_portfolio(problem, gap=0.05, time_limit=60.0, method="search")
    assert found.status == "optimal"
    assert found.gap <= 0.05
    assert check_portfolio(problem, found.selected) == []


def test_auto_method_searches_large_calls_only() -> None:
    small = multi_year_call(40, 4)
    assert len(small.candidates) < SEARCH_FROM_PROPOSALS
    assert solve_portfolio(small, method="auto").solver == solve(small).solver
    assert "search" not in solve(small).solver


def test_lottery_and_rule_costs_agree_across_methods() -> None:
    problem = _inclusive_problem()
    exact = rule_costs(problem, method="branch_and_cut")
    searched = rule_costs(problem, method="search")
    assert searched == pytest.approx(exact)
    draws = [
        solve_portfolio(
            problem, gap=0.0, lottery_rng=np.random.default_rng(7), method=method
        ).lottery
        for method in ("branch_and_cut", "search")
    ]
    assert draws[0] == draws[1]


def test_unknown_method_names_the_field() -> None:
    with pytest.raises(InvalidInput) as err:
        solve_portfolio(_inclusive_problem(), method="guess")  # type: ignore[arg-type]
    assert err.value.field == "method"
