"""Portfolio selection at programme scale: the optimiser against rank-and-fund on a synthetic call.

    .venv/bin/python benchmarks/bench_portfolio.py [--proposals 5000] [--seed 1] [--quick]
    .venv/bin/python benchmarks/bench_portfolio.py --proposals 400 --lottery 5

The seeded instance has 5,000 proposals from the 12 countries (Japan in every proposal plus one
to three member states), 7 priority areas, 2 tracks, 12 funders (JST and one co-funder per member
state, each paying only its own country's teams) over 5 years. Budgets per funder and year are
35 % of what is asked; member-state bands are ±50 % around equal shares of funded participations;
each area needs 20 funded projects; 40–70 % of funded projects are bilateral; an organisation
takes part in at most 15; a lead investigator gets at most one award. Every project runs three
consecutive years (starting in one of the first three) and each team asks the same amount each
year (log-normal, median 20 for Japanese and 8 for partner teams, σ 0.4, to 0.1); merits are
normal(4, 1) clipped to [0.5, 7], to 0.001.

Prints the time to a portfolio within 0.1 % of the bound, the proven gap after 10 s (and 60 s
unless ``--quick``) for the default method (on this size: HiGHS' branch and cut racing a
neighbourhood search around the LP optimum) and, as the baseline, for HiGHS' branch and cut
alone, and the optimiser's merit as a ratio to rank-and-fund's, with the rules rank-and-fund
breaks (from the independent checker). Every gap is proven against a valid upper bound.

``--lottery K`` prints only the lottery's cost: for K draws, the plain solve and the same solve
with the lottery at the funding line (within 0.1 %), wall time side by side, with the group's
size, how many members the draw funded, forced in and skipped, and the merit given up.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np

from nexus_sti.algorithms.portfolio import (
    Band,
    CandidateProposal,
    PortfolioProblem,
    PortfolioRules,
    solve_portfolio,
)
from nexus_sti.algorithms.portfolio_checks import check_portfolio, rank_and_fund
from nexus_sti.algorithms.portfolio_lottery import draw_at_line
from nexus_sti.algorithms.portfolio_model import build_model
from nexus_sti.core.areas import AREA_CODES
from nexus_sti.core.countries import ISO3_CODES

YEARS = (2027, 2028, 2029, 2030, 2031)
BUDGET_SHARE = 0.35


def funder_of(country: str) -> str:
    return "JST" if country == "JPN" else f"{country}-agency"


def synthetic_problem(n: int, seed: int) -> PortfolioProblem:
    rng = np.random.default_rng(seed)
    members = [c for c in ISO3_CODES if c != "JPN"]
    # Skewed organisation sizes (weight 1/sqrt(rank)), so the biggest ones meet the cap of 15.
    orgs = {c: [f"{c}-org{k}" for k in range(300 if c == "JPN" else 80)] for c in ISO3_CODES}
    weights = {c: 1.0 / np.sqrt(np.arange(1, len(o) + 1)) for c, o in orgs.items()}
    candidates = []
    for i in range(n):
        partners = rng.choice(
            members, size=rng.choice([1, 2, 3], p=[0.55, 0.3, 0.15]), replace=False
        )
        countries = ("JPN", *sorted(str(p) for p in partners))
        start = int(rng.integers(0, 3))
        costs: dict[tuple[str, int], float] = {}
        funding: dict[str, float] = {}
        for c in countries:
            annual = float(np.round(rng.lognormal(np.log(20 if c == "JPN" else 8), 0.4), 1))
            for year in YEARS[start : start + 3]:
                costs[(funder_of(c), year)] = annual
            funding[c] = 3 * annual
        merit = float(np.clip(rng.normal(4.0, 1.0), 0.5, 7.0))
        width = float(rng.uniform(0.1, 0.4))
        candidates.append(
            CandidateProposal(
                id=f"P{i:05d}",
                merit=round(merit, 3),
                merit_interval=(merit - width, merit + width),
                costs=costs,
                countries=countries,
                country_funding=funding,
                area=str(rng.choice(AREA_CODES)),
                track="bilateral" if len(partners) == 1 else "multilateral",
                organisations=tuple(
                    str(rng.choice(orgs[c], p=weights[c] / weights[c].sum())) for c in countries
                ),
                lead=f"lead{int(rng.integers(0, int(n * 0.85)))}",
            )
        )
    asked: Counter[tuple[str, int]] = Counter()
    for cand in candidates:
        for key, amount in cand.costs.items():
            asked[key] += amount  # type: ignore[assignment]
    budgets = {key: BUDGET_SHARE * amount for key, amount in asked.items()}
    # Equal shares of member participations, from the number funded under budgets alone.
    unconstrained = PortfolioProblem(tuple(candidates), PortfolioRules(budgets=budgets))
    ranked = rank_and_fund(unconstrained)
    funded = [c for c in candidates if c.id in ranked]
    per_member = sum(len(c.countries) - 1 for c in funded) / len(members)
    rules = PortfolioRules(
        budgets=budgets,
        country_bands={c: Band("count", 0.5 * per_member, 1.5 * per_member) for c in members},
        inclusive_countries=tuple(members),
        area_minimums=dict.fromkeys(AREA_CODES, 20),
        track_bands={"bilateral": Band("share", 0.4, 0.7)},
        organisation_cap=15,
        one_award_per_lead=True,
    )
    return PortfolioProblem(tuple(candidates), rules)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--proposals", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="skip the 60 s run")
    parser.add_argument("--limit", type=float, default=300.0, help="seconds to reach 0.1 %%")
    parser.add_argument("--lottery", type=int, default=0, help="time this many lottery draws")
    args = parser.parse_args()

    started = time.perf_counter()
    problem = synthetic_problem(args.proposals, args.seed)
    print(
        f"instance: {len(problem.candidates)} proposals, built in "
        f"{time.perf_counter() - started:.1f} s"
    )
    if args.lottery:
        lottery_timing(problem, args.lottery, args.limit)
        return

    started = time.perf_counter()
    baseline = rank_and_fund(problem)
    merit = {c.id: c.merit for c in problem.candidates}
    baseline_merit = sum(merit[p] for p in baseline)
    print(
        f"rank-and-fund: {len(baseline)} funded, merit {baseline_merit:.1f}, "
        f"{time.perf_counter() - started:.2f} s"
    )

    started = time.perf_counter()
    near = solve_portfolio(problem, time_limit=args.limit, gap=1e-3)
    wall = time.perf_counter() - started
    print(
        f"within 0.1 %: status {near.status}, gap {near.gap:.2e}, {wall:.1f} s wall "
        f"({near.seconds:.1f} s in {near.solver}), {len(near.selected)} funded, "
        f"merit {near.objective:.1f}"
    )
    assert check_portfolio(problem, near.selected) == []

    limits = (10.0,) if args.quick else (10.0, 60.0)
    for limit in limits:
        gaps = {}
        for method in ("auto", "branch_and_cut"):
            run = solve_portfolio(problem, time_limit=limit, gap=0.0, method=method)
            assert check_portfolio(problem, run.selected) == []
            gaps[method] = run.gap
            print(
                f"proven gap after {limit:.0f} s, {run.solver}: {run.gap:.2e} "
                f"(status {run.status}, merit {run.objective:.1f})"
            )
        print(
            f"  gap ratio default / branch and cut alone after {limit:.0f} s: "
            f"{gaps['auto'] / gaps['branch_and_cut']:.2f}"
        )

    print(f"merit ratio optimiser / rank-and-fund: {near.objective / baseline_merit:.4f}")
    broken = check_portfolio(problem, baseline)
    families = Counter(message.split(" ")[0] for message in broken)
    print(
        f"rank-and-fund breaks {len(broken)} rules: "
        + ", ".join(f"{family} x{count}" for family, count in sorted(families.items()))
    )
    for message in broken[:8]:
        print(f"  {message}")
    print(
        f"binding in the optimiser's answer: {len(near.binding)} groups, e.g. "
        + ", ".join(near.binding[:6])
    )


def lottery_timing(problem: PortfolioProblem, draws: int, limit: float) -> None:
    for seed in range(draws):
        started = time.perf_counter()
        plain = solve_portfolio(problem, time_limit=limit, gap=1e-3)
        plain_wall = time.perf_counter() - started
        started = time.perf_counter()
        drawn = solve_portfolio(
            problem, time_limit=limit, gap=1e-3, lottery_rng=np.random.default_rng(seed)
        )
        drawn_wall = time.perf_counter() - started
        assert check_portfolio(problem, drawn.selected) == []
        record = drawn.lottery
        assert record is not None
        # The draw alone, after the plain optimum: what the lottery adds to a solve.
        model = build_model(problem)
        x = np.array([c.id in plain.selected for c in problem.candidates])
        started = time.perf_counter()
        draw_at_line(problem, model, x, np.random.default_rng(seed), limit)
        draw_wall = time.perf_counter() - started
        print(
            f"draw {seed}: plain {plain_wall:.2f} s, with lottery {drawn_wall:.2f} s "
            f"(the draw alone {draw_wall:.3f} s, {draw_wall / plain_wall:.3f} of the plain "
            f"solve); line {record.line:.2f}, group {len(record.group)}, funded "
            f"{len(record.funded)}, forced in {len(record.forced_in)}, skipped "
            f"{len(record.skipped)}; merit {drawn.objective:.1f} vs {plain.objective:.1f} "
            f"({100 * (1 - drawn.objective / plain.objective):.2f} % given up)"
        )


if __name__ == "__main__":
    main()
