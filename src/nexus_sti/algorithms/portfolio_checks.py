"""An independent check of a portfolio against its rules, and the rank-and-fund baseline.

:func:`check_portfolio` is written apart from the optimisation model, in plain loops over the
proposals and without HiGHS, so it can audit every solver answer; each message starts with the
name of the constraint group it breaks, as :func:`~nexus_sti.algorithms.portfolio.solve_portfolio`
names them. :func:`rank_and_fund` is what a panel does without an optimiser: fund by descending
merit while the budgets allow.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from nexus_sti.algorithms.portfolio import Band, CandidateProposal, PortfolioProblem

__all__ = ["check_portfolio", "rank_and_fund"]

# Slack allowed when comparing sums of money or shares, relative to the bound (at least 1).
TOLERANCE = 1e-9


def _over(value: float, bound: float) -> bool:
    return value > bound + TOLERANCE * max(1.0, abs(bound))


def _under(value: float, bound: float) -> bool:
    return value < bound - TOLERANCE * max(1.0, abs(bound))


def check_portfolio(problem: PortfolioProblem, selected: Iterable[str]) -> list[str]:
    """Every rule the selection breaks, one sentence each (empty: all rules hold)."""
    by_id = {c.id: c for c in problem.candidates}
    chosen = set(selected)
    problems = [f"unknown proposal {pid}" for pid in sorted(chosen - by_id.keys())]
    funded = [c for c in problem.candidates if c.id in chosen]
    rules = problem.rules

    spent: defaultdict[tuple[str, int], float] = defaultdict(float)
    spent_total: defaultdict[str, float] = defaultdict(float)
    for c in funded:
        for (funder, year), amount in c.costs.items():
            spent[(funder, year)] += amount
            spent_total[funder] += amount
    for (funder, year), cap in sorted((rules.budgets or {}).items()):
        if _over(spent[(funder, year)], cap):
            problems.append(
                f"budget {funder} {year}: spends {spent[(funder, year)]:g} over {cap:g}"
            )
    for funder, cap in sorted((rules.funder_totals or {}).items()):
        if _over(spent_total[funder], cap):
            problems.append(f"budget {funder} total: spends {spent_total[funder]:g} over {cap:g}")

    total_funding = sum(sum(c.country_funding.values()) for c in funded)
    for code, band in sorted((rules.country_bands or {}).items()):
        if band.measure == "count":
            value = float(sum(1 for c in funded if code in c.countries))
            what = "funded participations"
        elif total_funding > 0:
            value = sum(c.country_funding.get(code, 0.0) for c in funded) / total_funding
            what = "share of funding"
        else:
            continue
        problems.extend(_band_breaks(f"band {code}", band, value, what))

    for code in sorted(set(rules.inclusive_countries)):
        if not any(code in c.countries for c in funded):
            problems.append(f"inclusive {code}: no funded project has a team from {code}")

    areas = Counter(c.area for c in funded)
    for area, minimum in sorted((rules.area_minimums or {}).items()):
        if minimum > 0 and areas[area] < minimum:
            problems.append(f"area {area} >= {minimum}: only {areas[area]} funded")

    tracks = Counter(c.track for c in funded)
    for track, band in sorted((rules.track_bands or {}).items()):
        if band.measure == "count":
            problems.extend(_band_breaks(f"track {track}", band, tracks[track], "funded"))
        elif funded:
            share = tracks[track] / len(funded)
            problems.extend(_band_breaks(f"track {track}", band, share, "share of projects"))

    org_cap = rules.organisation_cap
    if org_cap is not None:
        orgs = Counter(o for c in funded for o in set(c.organisations))
        for org, count in sorted(orgs.items()):
            if count > org_cap:
                problems.append(f"organisation {org} <= {org_cap}: in {count} funded projects")
    if rules.one_award_per_lead:
        leads = Counter(c.lead for c in funded)
        for lead, count in sorted(leads.items()):
            if count > 1:
                problems.append(f"lead {lead} one award: leads {count} funded projects")
    return problems


def _band_breaks(name: str, band: Band, value: float, what: str) -> list[str]:
    out = []
    if band.low is not None and _under(value, band.low):
        out.append(f"{name} min: {what} {value:g} below {band.low:g}")
    if band.high is not None and _over(value, band.high):
        out.append(f"{name} max: {what} {value:g} above {band.high:g}")
    return out


def rank_and_fund(problem: PortfolioProblem) -> set[str]:
    """Fund by descending merit (ties by id), skipping any proposal that would overrun a
    budget per funder and year or a funder's total; every other rule is ignored."""
    budgets = problem.rules.budgets or {}
    totals = problem.rules.funder_totals or {}
    spent: defaultdict[tuple[str, int], float] = defaultdict(float)
    spent_total: defaultdict[str, float] = defaultdict(float)
    funded: set[str] = set()
    ranked: list[CandidateProposal] = sorted(problem.candidates, key=lambda c: (-c.merit, c.id))
    for c in ranked:
        per_funder: defaultdict[str, float] = defaultdict(float)
        for (funder, _), amount in c.costs.items():
            per_funder[funder] += amount
        fits = all(
            not _over(spent[key] + amount, budgets[key])
            for key, amount in c.costs.items()
            if key in budgets
        ) and all(
            not _over(spent_total[f] + amount, totals[f])
            for f, amount in per_funder.items()
            if f in totals
        )
        if fits:
            funded.add(c.id)
            for key, amount in c.costs.items():
                spent[key] += amount
            for f, amount in per_funder.items():
                spent_total[f] += amount
    return funded
