"""The neighbourhood search's fill-and-swap polish: it never breaks a rule (audited by the
independent checker), never lowers the merit, spends money left unspent and trades a weak
project for a better one the freed money pays for. And the search's proven gap stays a real
bound when branch and cut is stopped after its root to make way for a second search."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nexus_sti.algorithms import portfolio_solver_search
from nexus_sti.algorithms.portfolio import (
    Band,
    CandidateProposal,
    PortfolioProblem,
    PortfolioRules,
    solve_portfolio,
)
from nexus_sti.algorithms.portfolio_checks import check_portfolio
from nexus_sti.algorithms.portfolio_model import build_model
from nexus_sti.algorithms.portfolio_solver_search import _LocalSearch, _Race

YEARS = (2027, 2028)


def proposal(
    pid: str, merit: float, costs: dict[tuple[str, int], float], **kw: object
) -> CandidateProposal:
    return CandidateProposal(
        id=pid,
        merit=merit,
        merit_interval=None,
        costs=costs,
        countries=("JPN",),
        country_funding={},
        area=str(kw.get("area", "ai")),
        track=str(kw.get("track", "bilateral")),
        organisations=tuple(kw.get("organisations", ())),  # type: ignore[call-overload]
        lead=str(kw.get("lead", f"lead-{pid}")),
    )


def polish(problem: PortfolioProblem, start: set[str]) -> set[str]:
    model = build_model(problem)
    keep = np.ones(len(model.groups), dtype=bool)
    x = np.array([c.id in start for c in problem.candidates])
    better = _LocalSearch(model, keep, model.objective).improve(x, time.perf_counter() + 5.0)
    return {c.id for c, funded in zip(problem.candidates, better, strict=True) if funded}


def merit(problem: PortfolioProblem, selected: set[str]) -> float:
    return sum(c.merit for c in problem.candidates if c.id in selected)


def test_fill_spends_an_obviously_unspent_budget() -> None:
    problem = PortfolioProblem(
        tuple(proposal(f"p{i}", 1.0 + i, {("JST", 2027): 2.0}) for i in range(6)),
        PortfolioRules(budgets={("JST", 2027): 9.0}),
    )
    # Four of the six fit the budget of 9; only the weakest is funded, so 7 is left unspent.
    # The fill spends 6 of it on the three best; a swap then trades p0 for p2.
    found = polish(problem, {"p0"})
    assert found == {"p2", "p3", "p4", "p5"}
    assert merit(problem, found) == pytest.approx(3 + 4 + 5 + 6)


def test_swap_trades_a_weak_project_for_a_better_one_the_money_pays_for() -> None:
    problem = PortfolioProblem(
        (
            proposal("weak", 1.0, {("JST", 2027): 1.0}),
            proposal("strong", 2.0, {("JST", 2027): 3.0}),
        ),
        PortfolioRules(budgets={("JST", 2027): 3.0}),
    )
    assert polish(problem, {"weak"}) == {"strong"}


def test_swap_trades_one_project_for_two() -> None:
    problem = PortfolioProblem(
        (
            proposal("big", 5.0, {("JST", 2027): 4.0}),
            proposal("a", 3.0, {("JST", 2027): 2.0}),
            proposal("b", 3.0, {("JST", 2027): 2.0}),
        ),
        PortfolioRules(budgets={("JST", 2027): 4.0}),
    )
    assert polish(problem, {"big"}) == {"a", "b"}


def test_a_start_that_breaks_a_rule_comes_back_unchanged() -> None:
    problem = PortfolioProblem(
        (proposal("a", 3.0, {("JST", 2027): 2.0}), proposal("b", 3.0, {("JST", 2027): 2.0})),
        PortfolioRules(budgets={("JST", 2027): 3.0}),
    )
    assert polish(problem, {"a", "b"}) == {"a", "b"}


@st.composite
def instances(draw: st.DrawFn) -> tuple[PortfolioProblem, set[str]]:
    n = draw(st.integers(2, 12))
    funders = ("JST", "THA-agency")
    candidates = []
    for i in range(n):
        costs = {
            (f, y): draw(st.floats(0.5, 6.0)).__round__(1)
            for f in funders
            for y in YEARS
            if draw(st.booleans())
        }
        candidates.append(
            proposal(
                f"p{i}",
                draw(st.floats(0.5, 7.0)).__round__(3),
                costs or {("JST", 2027): 1.0},
                area=draw(st.sampled_from(["ai", "energy"])),
                track=draw(st.sampled_from(["bilateral", "multilateral"])),
                organisations=(f"org{draw(st.integers(0, 2))}",),
                lead=f"lead{draw(st.integers(0, n))}",
            )
        )
    budgets = {(f, y): draw(st.floats(0.0, 15.0)).__round__(1) for f in funders for y in YEARS}
    rules = PortfolioRules(
        budgets=budgets,
        area_minimums={"ai": draw(st.integers(0, 1))},
        track_bands={"bilateral": Band("share", 0.2, 0.8)} if draw(st.booleans()) else None,
        organisation_cap=draw(st.integers(1, 3)),
        one_award_per_lead=True,
    )
    start = {c.id for c in candidates if draw(st.booleans())}
    return PortfolioProblem(tuple(candidates), rules), start


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_polish_never_breaks_a_rule_nor_lowers_the_merit(
    case: tuple[PortfolioProblem, set[str]],
) -> None:
    problem, start = case
    found = polish(problem, start)
    if check_portfolio(problem, start):
        assert found == start  # an infeasible start is not the polish's to repair
        return
    assert check_portfolio(problem, found) == []
    assert merit(problem, found) >= merit(problem, start) - 1e-9
    # Filled: no unfunded proposal can be added without breaking a rule.
    for c in problem.candidates:
        if c.id not in found:
            assert check_portfolio(problem, found | {c.id}) != []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_polish_of_the_empty_portfolio_funds_a_feasible_set(seed: int) -> None:
    rng = np.random.default_rng(seed)
    problem = PortfolioProblem(
        tuple(
            proposal(
                f"p{i}",
                round(float(rng.uniform(1, 7)), 3),
                {("JST", y): round(float(rng.uniform(1, 5)), 1) for y in YEARS},
                organisations=(f"org{int(rng.integers(0, 10))}",),
            )
            for i in range(60)
        ),
        PortfolioRules(
            budgets=dict.fromkeys((("JST", y) for y in YEARS), 40.0), organisation_cap=2
        ),
    )
    found = polish(problem, set())
    assert check_portfolio(problem, found) == []
    assert merit(problem, found) > 0


def two_funder_call(n: int, seed: int) -> PortfolioProblem:
    """A small programme call: 2-year projects paid by JST and THA, yearly budgets at 35 % of
    what is asked, an organisation cap and one award per lead."""
    rng = np.random.default_rng(seed)
    candidates = tuple(
        proposal(
            f"p{i:03d}",
            round(float(rng.uniform(1, 7)), 3),
            {
                (funder, year): round(float(rng.uniform(low, high)), 1)
                for funder, low, high in (("JST", 10, 30), ("THA-agency", 4, 12))
                for year in YEARS
            },
            organisations=(f"org{int(rng.integers(0, n // 8))}",),
            lead=f"lead{int(rng.integers(0, int(n * 0.85)))}",
        )
        for i in range(n)
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
    return PortfolioProblem(candidates, rules)


def test_gap_after_branch_and_cut_hands_its_thread_over_still_bounds_the_optimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problem = two_funder_call(150, 5)
    exact = solve_portfolio(problem, gap=0.0, time_limit=60.0, method="branch_and_cut")
    assert exact.status == "optimal"
    # Stop branch and cut as soon as its bound stands still for one callback, and record it.
    monkeypatch.setattr(portfolio_solver_search, "STALL_SECONDS", 0.0)
    monkeypatch.setattr(portfolio_solver_search, "STALL_CALLS", 1)
    stalls: list[bool] = []
    stalled = _Race._bound_stalled

    def spy(race: _Race, bound: float) -> bool:
        stalls.append(stalled(race, bound))
        return stalls[-1]

    monkeypatch.setattr(_Race, "_bound_stalled", spy)
    found = solve_portfolio(problem, gap=0.0, time_limit=1.0, method="search")
    assert any(stalls), "branch and cut was not stopped: the test proves nothing"
    assert check_portfolio(problem, found.selected) == []
    assert found.objective <= exact.objective + 1e-6
    # The proven gap is a real bound: the true optimum lies within it.
    assert exact.objective <= found.objective * (1 + found.gap) + 1e-6
