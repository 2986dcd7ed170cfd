"""Every status change is a step of a declared workflow: the tables are consistent, and a step
from the wrong state is refused with what is possible instead."""

from __future__ import annotations

import pytest

from nexus_sti.calls.workflow import CALL
from nexus_sti.core.access import Role
from nexus_sti.core.errors import PermissionDenied, RuleViolation
from nexus_sti.core.workflow import Workflow, step
from nexus_sti.proposals.workflow import PROPOSAL
from nexus_sti.review.workflow import ASSIGNMENT, POOL_MEMBER, REVIEW
from nexus_sti.selection.workflow import RUN

WORKFLOWS = (CALL, PROPOSAL, POOL_MEMBER, ASSIGNMENT, REVIEW, RUN)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_every_transition_joins_declared_states(workflow: Workflow) -> None:
    for t in workflow.transitions:
        assert t.source <= set(workflow.states), t
        assert t.target in workflow.states, t


def test_a_submitted_review_and_a_decided_run_do_not_move_again() -> None:
    assert step(REVIEW, "draft", "submit", Role.REVIEWER) == "submitted"
    with pytest.raises(RuleViolation, match="cannot save a review that is submitted"):
        step(REVIEW, "submitted", "save", Role.REVIEWER)
    assert step(RUN, "proposed", "approve", Role.OFFICER) == "approved"
    with pytest.raises(RuleViolation, match="possible from approved: none"):
        step(RUN, "approved", "reject", Role.OFFICER)


def test_only_the_system_supersedes_a_run_and_an_edit_returns_a_proposal_to_draft() -> None:
    assert step(RUN, "proposed", "supersede", None) == "superseded"
    with pytest.raises(PermissionDenied, match="only the platform itself may"):
        step(RUN, "proposed", "supersede", Role.OFFICER)
    assert step(PROPOSAL, "submitted", "edit", Role.APPLICANT) == "draft"
    with pytest.raises(RuleViolation):
        step(PROPOSAL, "eligible", "edit", Role.APPLICANT)
    with pytest.raises(RuleViolation):
        step(ASSIGNMENT, "swapped", "swap", Role.OFFICER)
    with pytest.raises(RuleViolation):
        step(POOL_MEMBER, "declined", "accept", Role.REVIEWER)
