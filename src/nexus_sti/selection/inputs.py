"""From storage to a call's selection problem: the call's eligible proposals (proposals
context), their calibrated scores and the review form's thresholds (review context) and the
saved country targets (needs context) are read through their owners' query modules and handed
to the pure :func:`~nexus_sti.selection.model.selection_inputs`, which sets every rule and writes
down where each default came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from nexus_sti.algorithms.portfolio import PortfolioProblem, PortfolioRules
from nexus_sti.needs.queries import target_shares_for
from nexus_sti.programs.model import ProgramConfig
from nexus_sti.proposals.queries import ProposalFacts, eligible_proposals
from nexus_sti.review.queries import FormThresholds, ScoreFacts, form_thresholds, scores_of
from nexus_sti.selection.model import (
    PlaceBand,
    SelectionInputs,
    SelectionParams,
    selection_inputs,
)

if TYPE_CHECKING:
    from nexus_sti.calls.tables import Call

__all__ = [
    "PlaceBand",
    "SelectionInputs",
    "SelectionParams",
    "budgets_only",
    "inputs_from",
    "partner_places",
    "read_facts",
    "target_shares_for",
]


@dataclass(frozen=True, slots=True)
class SelectionFacts:
    """What a call's selection reads from storage, read once per request."""

    proposals: list[ProposalFacts]
    scores: dict[int, ScoreFacts]
    form: FormThresholds | None
    targets: tuple[dict[str, float], str]


def read_facts(session: Session, *, call: Call, program_version_id: int) -> SelectionFacts:
    """The call's eligible proposals, their scores, the form's thresholds and the targets."""
    proposals = eligible_proposals(session, call.id)
    return SelectionFacts(
        proposals=proposals,
        scores=scores_of(session, (p.id for p in proposals)),
        form=form_thresholds(session, call.id),
        targets=target_shares_for(session, program_version_id, call.track),
    )


def inputs_from(
    facts: SelectionFacts,
    *,
    call: Call,
    config: ProgramConfig,
    params: SelectionParams,
    budgets_only_places: int | None = None,
) -> SelectionInputs:
    """The selection problem for ``call`` from facts already read (see
    :func:`selection_inputs`)."""
    return selection_inputs(
        config=config,
        track=call.track,
        call_areas=tuple(call.areas),
        rate_date=call.opens_at.date(),
        proposals=facts.proposals,
        scores=facts.scores,
        form=facts.form,
        targets=facts.targets,
        params=params,
        budgets_only_places=budgets_only_places,
    )


def budgets_only(problem: PortfolioProblem) -> PortfolioProblem:
    """The same candidates under the budgets alone (and one award per lead, which is a rule of
    fairness to people rather than balance)."""
    rules = problem.rules
    return PortfolioProblem(
        problem.candidates,
        PortfolioRules(
            budgets=rules.budgets,
            funder_totals=rules.funder_totals,
            one_award_per_lead=rules.one_award_per_lead,
        ),
        problem.objective,
    )


def partner_places(problem: PortfolioProblem, selected: frozenset[str], home: str | None) -> int:
    """Funded places of partner countries: one per partner country per funded project."""
    return sum(
        1 for c in problem.candidates if c.id in selected for code in c.countries if code != home
    )
