"""The selection problem as a pure function of plain facts (selection/model.py): who is a
candidate, what each costs whom in the program currency, and how each rule was set."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from nexus_sti.core.errors import InvalidInput
from nexus_sti.programs.loader import load_preset
from nexus_sti.proposals.queries import LineFacts, MemberFacts, ProposalFacts
from nexus_sti.review.queries import FormThresholds, ScoreFacts
from nexus_sti.selection.model import PlaceBand, SelectionParams, selection_inputs

CONFIG = load_preset().config
GOOD = {"excellence": 4.0, "impact": 4.0, "implementation": 4.0, "partnership": 4.0}


def proposal(n: int, partner: str, jpy: str, local: str, currency: str) -> ProposalFacts:
    lead = MemberFacts(10 * n, f"Lead {n}", f"l{n}@example.org", None, "lead_jp", "JPN", 1, "U")
    other = MemberFacts(10 * n + 1, f"Co {n}", f"c{n}@example.org", None, "lead_ams", partner,
                        None, f"Institute {partner}")  # fmt: skip
    funder = f"cofunder-{partner.lower()}"
    return ProposalFacts(
        id=n, reference=f"P-{n}", area="climate", track="bilateral", lead_researcher_id=None,
        members=(lead, other),
        lines=(LineFacts(10 * n, "jst", 2027, Decimal(jpy), "JPY"),
               LineFacts(10 * n + 1, funder, 2027, Decimal(local), currency)),
    )  # fmt: skip


PROPOSALS = (
    proposal(1, "THA", "15000000", "680000", "THB"),  # 100,000 + 20,000 USD
    proposal(2, "VNM", "7500000", "510000000", "VND"),  # 50,000 + 20,000 USD
    proposal(3, "LAO", "3000000", "218000000", "LAK"),  # unscored
    proposal(4, "KHM", "3000000", "41000000", "KHR"),  # below the threshold
)
SCORES = {
    1: ScoreFacts(17.0, 16.0, 18.0, GOOD),
    2: ScoreFacts(14.0, 13.0, 15.0, GOOD),
    4: ScoreFacts(10.0, 9.0, 11.0, GOOD),
}


def inputs(params: SelectionParams, **kw: object):  # type: ignore[no-untyped-def]
    args = {
        "config": CONFIG, "track": "bilateral", "call_areas": ("climate", "energy"),
        "rate_date": date(2027, 1, 1), "proposals": PROPOSALS, "scores": SCORES, "form": None,
        "targets": ({"THA": 0.5, "VNM": 0.5}, "saved target decision v1 (#1)"),
        "params": params,
    } | kw  # fmt: skip
    return selection_inputs(**args)  # type: ignore[arg-type]


def test_candidates_thresholds_and_costs_in_the_program_currency() -> None:
    got = inputs(SelectionParams(budget=150_000))
    assert [c.id for c in got.problem.candidates] == ["P-1", "P-2"]
    assert got.unscored == ("P-3",)
    assert "below the threshold 12" in got.below_threshold["P-4"]
    first = got.problem.candidates[0]
    assert first.costs == {
        ("jst", 2027): pytest.approx(100_000),
        ("cofunder-tha", 2027): pytest.approx(20_000),
    }
    assert first.countries == ("JPN", "THA") and first.lead == "Lead 1 <l1@example.org>"
    assert got.requested["P-2"] == pytest.approx(70_000)
    assert any("the program’s criteria" in n for n in got.notes)


def test_budgets_are_split_by_requests_and_raised_to_one_affordable_project() -> None:
    got = inputs(SelectionParams(budget=95_000))
    budgets = dict(got.problem.rules.budgets or {})
    # 95,000 over 190,000 asked: half of each funder-year. Half of JST's 150,000 cannot pay
    # P-1's 100,000, nor half of a co-funder's 20,000 its team's 20,000: each is raised to the
    # largest single request, so that every funder can pay for at least one of its teams.
    assert budgets[("jst", 2027)] == pytest.approx(100_000)
    assert budgets[("cofunder-tha", 2027)] == pytest.approx(20_000)
    roomy = dict(inputs(SelectionParams(budget=380_000)).problem.rules.budgets or {})
    assert roomy[("jst", 2027)] == pytest.approx(300_000)  # twice the asked: nothing raised
    assert any("raised to the largest single request" in n for n in got.notes)


def test_bands_follow_the_targets_and_the_officers_own_band_replaces_one() -> None:
    got = inputs(SelectionParams(budget=150_000), budgets_only_places=2)
    bands = dict(got.problem.rules.country_bands or {})
    assert set(bands) == {"THA", "VNM"} and bands["THA"].high == 2.0
    own = inputs(
        SelectionParams(budget=150_000, band_overrides={"THA": PlaceBand(low=1, high=1)}),
        budgets_only_places=2,
    )
    assert dict(own.problem.rules.country_bands or {})["THA"].low == 1.0
    assert own.problem.rules.inclusive_countries == ("THA", "VNM")
    assert any("no eligible proposal involves" in n and "LAO" in n for n in own.notes)
    with pytest.raises(InvalidInput, match="not JPN"):
        inputs(SelectionParams(band_overrides={"JPN": PlaceBand(low=1)}))


def test_the_review_forms_thresholds_win_over_the_programs() -> None:
    strict = FormThresholds(total=15.0, criteria={"impact": 4.5})
    got = inputs(SelectionParams(budget=150_000), form=strict)
    assert [c.id for c in got.problem.candidates] == []
    assert "impact mean 4.00 is below the criterion threshold 4.5" in got.below_threshold["P-1"]
    assert "below the threshold 15" in got.below_threshold["P-2"]
