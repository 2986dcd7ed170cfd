"""Scenario study: reproducible for a seed, the same on a Dask cluster as locally, an
infeasible rule set reported with its rate, and progress reported to the end."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from nexus_sti.algorithms.portfolio import Band, PortfolioRules
from nexus_sti.algorithms.scenario import (
    CallAssumptions,
    RuleSet,
    ScenarioStudy,
    default_rule_sets,
    expected_budgets,
    run_on_dask,
    run_scenario,
    run_study,
    study_result_to_dict,
    synthetic_call,
)
from nexus_sti.core.countries import ASEAN_MEMBERS

# A home country with eleven partners (the NEXUS shape) and a multilateral program.
HOME = {"home": "JPN", "partners": ASEAN_MEMBERS}
MULTILATERAL = {"home": None, "partners": ("JPN", "IDN", "KHM", "LAO", "PHL", "THA", "VNM")}
# Small calls with generous gaps, so every solve ends on its gap, never on the clock.
SMALL = CallAssumptions(**HOME, n_bilateral=14, n_regional=6, threshold=None)


def small_study(scenarios: int = 6, seed: int = 1) -> ScenarioStudy:
    impossible = RuleSet(
        "THA in 100 funded projects",
        PortfolioRules(country_bands={"THA": Band("count", 100, None)}),
    )
    return ScenarioStudy(
        (*default_rule_sets(SMALL), impossible),
        call=SMALL,
        scenarios=scenarios,
        seed=seed,
        time_limit=20.0,
        gap=1e-6,
    )


def test_the_same_seed_gives_the_same_study_and_another_seed_does_not() -> None:
    first = run_study(small_study())
    assert first == run_study(small_study())
    assert first.outcomes != run_study(small_study(seed=2)).outcomes


def test_infeasible_rule_set_is_reported_with_its_rate_not_raised() -> None:
    result = run_study(small_study())
    impossible = result.summaries[-1]
    assert impossible.infeasible_rate == 1.0
    assert impossible.feasible == 0
    assert impossible.merit is None and impossible.country_shares == {}
    budgets_only = result.summaries[0]
    assert budgets_only.infeasible_rate == 0.0
    assert budgets_only.cost_of_inclusiveness is not None
    assert budgets_only.cost_of_inclusiveness.mean == pytest.approx(0.0, abs=1e-9)
    for summary in result.summaries[1:3]:
        if summary.cost_of_inclusiveness is not None:
            assert summary.cost_of_inclusiveness.low >= -1e-6  # a rule never adds merit
            assert summary.partners_covered is not None
            assert 0 <= summary.partners_covered.low <= summary.partners_covered.high <= 11
    json.dumps(study_result_to_dict(result, scenarios=True))


def test_progress_reaches_the_total() -> None:
    seen: list[tuple[int, int]] = []
    run_study(small_study(scenarios=3), progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_dask_gives_the_local_result() -> None:
    import distributed

    study = small_study(scenarios=4)
    seen: list[int] = []
    with distributed.Client(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    ) as client:
        remote = run_on_dask(study, client, progress=lambda done, _total: seen.append(done))
    assert remote == run_study(study)
    assert seen == [1, 2, 3, 4]


def test_study_pickles_for_remote_workers() -> None:
    study = small_study()
    assert run_scenario(pickle.loads(pickle.dumps(study)), 0) == run_scenario(study, 0)


def test_defaults_mirror_the_demo_call() -> None:
    call = CallAssumptions(**HOME, threshold=None, funders={"JPN": "jst"})
    cands = synthetic_call(call, np.random.default_rng(0))
    assert len(cands) == 400
    assert sum(c.track == "bilateral" for c in cands) == 240
    assert all(c.countries[0] == "JPN" for c in cands)
    assert all(2 <= len(c.countries) - 1 <= 5 for c in cands if c.track == "regional")
    assert {f for c in cands for f, _ in c.costs} == {"jst"} | {
        f"funder-{c.lower()}" for c in ASEAN_MEMBERS
    }
    budgets = expected_budgets(call, 1.0)
    asked = sum(sum(c.costs.values()) for c in cands)
    assert sum(budgets.values()) == pytest.approx(asked, rel=0.1)
    volumes = CallAssumptions.from_partner_volumes(dict.fromkeys(ASEAN_MEMBERS, 10.0), **HOME)
    assert volumes.n_bilateral + volumes.n_regional == pytest.approx(110 / 1.72, abs=1)


def test_a_multilateral_call_draws_its_lead_from_the_partners() -> None:
    """Without a home country, the lead's country varies and is never among its partners;
    the expected budgets still match what the synthetic calls ask."""
    call = CallAssumptions(**MULTILATERAL, n_bilateral=0, threshold=None)
    cands = synthetic_call(call, np.random.default_rng(3))
    leads = {c.countries[0] for c in cands}
    assert len(leads) >= 5 and leads <= set(MULTILATERAL["partners"])
    assert all(c.countries[0] not in c.countries[1:] for c in cands)
    assert all(len(c.countries) >= 3 for c in cands)
    asked = sum(sum(c.costs.values()) for c in cands)
    assert sum(expected_budgets(call, 1.0).values()) == pytest.approx(asked, rel=0.1)
    result = run_study(
        ScenarioStudy(
            default_rule_sets(CallAssumptions(**MULTILATERAL, n_bilateral=0, n_regional=12)),
            call=CallAssumptions(**MULTILATERAL, n_bilateral=0, n_regional=12, threshold=None),
            scenarios=2,
            time_limit=20.0,
            gap=1e-6,
        )
    )
    assert result.summaries[0].infeasible_rate == 0.0
