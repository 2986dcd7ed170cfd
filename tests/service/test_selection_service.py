"""Selection on the demo call, through the services, on SQLite and PostgreSQL: preview, the
decision record, four-eyes approval creating awards, re-running a record, and who may do what."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from nexus_sti.algorithms.portfolio_checks import check_portfolio
from nexus_sti.calls import service as calls
from nexus_sti.calls.tables import Call
from nexus_sti.core.access import Actor, Role
from nexus_sti.core.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from nexus_sti.needs.service import save_targets
from nexus_sti.needs.targets import TargetParams
from nexus_sti.platform.auditlog import AuditEntry
from nexus_sti.platform.context import Platform
from nexus_sti.programs.loader import load_preset
from nexus_sti.proposals import screening
from nexus_sti.proposals.tables import Proposal
from nexus_sti.review.tables import ProposalScore
from nexus_sti.selection import decisions, queries, service, studies
from nexus_sti.selection.inputs import SelectionParams
from nexus_sti.selection.problem_io import read_problem
from nexus_sti.selection.tables import Award, SelectionRun

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SYSTEM = Actor.system("test")
ALICE = Actor(user_id=None, username="alice", role=Role.OFFICER)
BOB = Actor(user_id=None, username="bob", role=Role.OFFICER)
APPLICANT = Actor(user_id=None, username="someone", role=Role.APPLICANT)
ANALYST = Actor(user_id=None, username="ana", role=Role.ANALYST)


def screened_call(platform: Platform, *, to_review: bool = True) -> str:
    """The demo's bilateral call, screened (and sent to review), with saved targets."""
    with platform.session() as s:
        call = s.scalar(select(Call).where(Call.status == "closed", Call.track == "bilateral"))
        assert call is not None
        ref = call.reference
        calls.transition_call(s, actor=SYSTEM, reference=ref, action="screen", now=NOW)
        screening.apply_screening(s, actor=SYSTEM, call_reference=ref, now=NOW)
        if to_review:
            calls.transition_call(s, actor=SYSTEM, reference=ref, action="review", now=NOW)
        save_targets(s, actor=SYSTEM, params=TargetParams(track="bilateral"), note="", now=NOW)
    return ref


def test_preview_funds_a_portfolio_that_keeps_every_rule(demo_platform: Platform) -> None:
    ref = screened_call(demo_platform)
    with demo_platform.session() as s:
        outcome = service.preview(
            s, actor=ALICE, call_reference=ref, params=SelectionParams(time_limit=5)
        )
        eligible = s.scalars(
            select(Proposal.reference)
            .join(Call, Call.id == Proposal.call_id)
            .where(Proposal.status == "eligible", Call.reference == ref)
        ).all()
    problem = outcome.inputs.problem
    assert problem.candidates, "the demo call has scored, eligible proposals"
    assert {c.id for c in problem.candidates} <= set(eligible)
    assert outcome.result.selected
    assert check_portfolio(problem, outcome.result.selected) == []
    # Every candidate not funded is explained, and the bands came from the saved targets.
    unfunded = {c.id for c in problem.candidates} - outcome.result.selected
    assert {e["proposal_id"] for e in outcome.explanations} >= unfunded
    assert problem.rules.country_bands, outcome.inputs.notes
    assert any("saved target decision" in n for n in outcome.inputs.notes)
    # The budgets-only optimum is an upper bound on the constrained one.
    assert outcome.baseline.objective >= outcome.result.objective - 1e-6
    assert outcome.rule_costs["all balance rules"] >= -1e-6
    # Member-state teams are costed from their own co-funders' budget lines.
    assert any(
        code != "JPN" for c in problem.candidates for code, v in c.country_funding.items() if v > 0
    )


def test_threshold_excludes_and_explains(demo_platform: Platform) -> None:
    ref = screened_call(demo_platform)
    with demo_platform.session() as s:
        scores = sorted(s.scalars(select(ProposalScore.score)).all())
        scored = {
            p.reference: sc
            for p, sc in s.execute(
                select(Proposal, ProposalScore).join(
                    ProposalScore, ProposalScore.proposal_id == Proposal.id
                )
            )
        }
        cut = scores[len(scores) // 2]
        outcome = service.preview(
            s, actor=ALICE, call_reference=ref, params=SelectionParams(threshold=cut, time_limit=5)
        )
    assert all(c.merit >= cut for c in outcome.inputs.problem.candidates)
    excluded = [e for e in outcome.explanations if e["kind"] == "excluded"]
    assert excluded and all("below the" in e["reason"] for e in excluded)
    # Horizon Europe style: a proposal must also reach each criterion's threshold (3 of 5 in
    # the NEXUS preset), on the mean of its reviewers' marks.
    by_criterion = [e for e in excluded if "criterion threshold" in e["reason"]]
    assert by_criterion, "the demo's simulated panel leaves some proposals under a criterion"
    for e in by_criterion:
        code = e["reason"].split()[0]
        assert scored[e["proposal_id"]].criteria[code] < 3


def test_record_is_approved_by_a_second_officer_and_creates_awards(
    demo_platform: Platform,
) -> None:
    ref = screened_call(demo_platform)
    params = SelectionParams(lottery=True, seed=11, time_limit=5)
    with demo_platform.session() as s:
        run = service.propose(
            s, actor=ALICE, call_reference=ref, params=params, note="first", now=NOW
        )
        run_id, selected = run.id, list(run.result["selected"])
        with pytest.raises(PermissionDenied, match="four eyes"):
            decisions.decide(s, actor=ALICE, run_id=run_id, approve=True, note="mine", now=NOW)
        with pytest.raises(InvalidInput, match="note"):
            decisions.decide(s, actor=BOB, run_id=run_id, approve=True, note=" ", now=NOW)
        s.rollback()
        assert s.scalar(select(Award.id)) is None, "a refused decision changes nothing"
        decided = decisions.decide(s, actor=BOB, run_id=run_id, approve=True, note="ok", now=NOW)
        assert decided.status == "approved"
        awards = s.scalars(select(Award).order_by(Award.reference)).all()
        awarded = {
            s.get(Proposal, a.proposal_id).reference  # type: ignore[union-attr]
            for a in awards
        }
        assert awarded == set(selected)
        call = s.scalar(select(Call).where(Call.reference == ref))
        assert call is not None and call.status == "decided"
        actions = [e.action for e in s.scalars(select(AuditEntry))]
        assert "selection.proposed" in actions and "selection.approved" in actions
        with pytest.raises(Conflict):
            decisions.decide(s, actor=BOB, run_id=run_id, approve=False, note="again", now=NOW)


def test_a_record_reruns_to_the_same_portfolio(demo_platform: Platform) -> None:
    ref = screened_call(demo_platform)
    params = SelectionParams(lottery=True, seed=3, time_limit=5)
    with demo_platform.session() as s:
        run = service.propose(s, actor=ALICE, call_reference=ref, params=params, note="", now=NOW)
        check = service.verify_run(s, actor=BOB, run_id=run.id)
        assert check.reproduced and not check.earlier_lottery_rule, check
        # The stored problem reads back through the documented format.
        problem, options = read_problem(run.problem)
        assert options.seed == 3 and options.lottery
        assert len(problem.candidates) == len(run.problem["candidates"])
        # A second run with the same seed stores the same result digest.
        again = service.propose(s, actor=BOB, call_reference=ref, params=params, note="", now=NOW)
        assert again.version == run.version + 1
        assert again.result_digest == run.result_digest
        assert again.inputs_digest == run.inputs_digest
        # A run saved before the draw decided in draw order has no rule in its record: its
        # check says the lottery followed an earlier rule instead of only "different".
        assert run.result["lottery"] is not None, "the demo call has a lottery group"
        older = {k: v for k, v in run.result["lottery"].items() if k == "draw" or k == "group"}
        run.result = {**run.result, "lottery": {**older, "funded": [], "line": 0.0}}
        s.commit()
        old_check = service.verify_run(s, actor=BOB, run_id=run.id)
        assert old_check.earlier_lottery_rule and not old_check.reproduced


def test_rejection_creates_no_award_and_approval_needs_review(demo_platform: Platform) -> None:
    ref = screened_call(demo_platform, to_review=False)
    with demo_platform.session() as s:
        run = service.propose(
            s, actor=ALICE, call_reference=ref, params=SelectionParams(time_limit=5), note="",
            now=NOW,
        )  # fmt: skip
        with pytest.raises(RuleViolation, match="send it to review"):
            decisions.decide(s, actor=BOB, run_id=run.id, approve=True, note="go", now=NOW)
        s.rollback()
        decisions.decide(s, actor=BOB, run_id=run.id, approve=False, note="bands too wide", now=NOW)
        assert s.scalar(select(Award.id)) is None
        assert s.get(SelectionRun, run.id).status == "rejected"  # type: ignore[union-attr]


def test_infeasible_rules_name_the_conflict(demo_platform: Platform) -> None:
    ref = screened_call(demo_platform)
    from nexus_sti.core.errors import Infeasible

    with demo_platform.session() as s, pytest.raises(Infeasible) as caught:
        service.preview(
            s, actor=ALICE, call_reference=ref,
            params=SelectionParams(area_minimum=50, time_limit=5),
        )  # fmt: skip
    # More funded projects per area than the call has candidates: the area rule is named, and
    # what to relax.
    assert "area" in caught.value.message
    assert "lower the area minimum" in caught.value.hint


def test_who_may_select(demo_platform: Platform) -> None:
    ref = screened_call(demo_platform)
    with demo_platform.session() as s:
        for actor in (APPLICANT, ANALYST):
            with pytest.raises(PermissionDenied):
                service.preview(s, actor=actor, call_reference=ref, params=SelectionParams())
            with pytest.raises(PermissionDenied):
                queries.list_runs(s, actor=actor)


def test_an_unscreened_call_cannot_be_selected(demo_platform: Platform) -> None:
    with demo_platform.session() as s:
        call = s.scalar(select(Call).where(Call.status == "closed"))
        assert call is not None
        with pytest.raises(RuleViolation, match="screened"):
            service.preview(s, actor=ALICE, call_reference=call.reference, params=SelectionParams())


def test_rule_comparison_on_the_demo_call(demo_platform: Platform) -> None:
    ref = screened_call(demo_platform)
    with demo_platform.session() as s:
        found = studies.compare(
            s, actor=ALICE, call_reference=ref, params=SelectionParams(time_limit=5)
        )
    by_rule = {o.rule: o for o in found.comparison.outcomes}
    assert set(by_rule) == {"rank-and-fund", "rank-with-tie-breaks", "optimum", "optimum-lottery"}
    assert by_rule["optimum"].broken_rules == ()
    assert by_rule["optimum-lottery"].broken_rules == ()
    assert found.comparison.cost_of_inclusiveness >= -1e-6
    assert set(found.places) == set(by_rule)


def test_a_band_set_by_hand_replaces_the_targets_band(demo_platform: Platform) -> None:
    from nexus_sti.selection.inputs import PlaceBand

    ref = screened_call(demo_platform)
    with demo_platform.session() as s:
        base = service.preview(s, actor=ALICE, call_reference=ref, params=SelectionParams())
        bands = base.inputs.problem.rules.country_bands or {}
        code = next(c for c, b in sorted(bands.items()) if (b.high or 0) >= 1)
        places = sum(
            1 for c in base.inputs.problem.candidates if c.id in base.result.selected
            and code in c.countries
        )  # fmt: skip
        # At most one place fewer than the optimum gave that country: the band must bind.
        own = PlaceBand(low=0, high=max(places - 1, 0))
        params = SelectionParams(band_overrides={code: own})
        tight = service.preview(s, actor=ALICE, call_reference=ref, params=params)
    kept = tight.inputs.problem.rules.country_bands or {}
    assert kept[code].high == own.high
    funded = sum(
        1 for c in tight.inputs.problem.candidates if c.id in tight.result.selected
        and code in c.countries
    )  # fmt: skip
    assert funded <= own.high
    assert check_portfolio(tight.inputs.problem, tight.result.selected) == []
    assert any("bands set by hand" in n for n in tight.inputs.notes)


def test_bad_hand_set_bands_name_the_field() -> None:
    from pydantic import ValidationError

    from nexus_sti.selection.inputs import PlaceBand

    with pytest.raises(ValidationError, match="must not exceed"):
        PlaceBand(low=3, high=1)
    with pytest.raises(InvalidInput, match=r"partner countries \(BRN, .*\), not JPN"):
        SelectionParams(band_overrides={"JPN": PlaceBand(low=1)}).check_bands(
            load_preset().config.partner_countries
        )
