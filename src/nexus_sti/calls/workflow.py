"""Call and proposal lifecycles, declared as tables of states and transitions, and the one small
function that interprets them. Adding a state or a step is an edit to a table, not to code.
"""

from __future__ import annotations

from dataclasses import dataclass

from nexus_sti.core.access import Role
from nexus_sti.core.errors import PermissionDenied, RuleViolation

_STAFF = frozenset({Role.ADMIN, Role.OFFICER})


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    source: frozenset[str]
    target: str
    roles: frozenset[Role]
    description: str


@dataclass(frozen=True, slots=True)
class Workflow:
    name: str
    states: tuple[str, ...]
    transitions: tuple[Transition, ...]

    def actions_from(self, state: str, role: Role | None) -> tuple[str, ...]:
        return tuple(
            t.action
            for t in self.transitions
            if state in t.source and (role is None or role in t.roles)
        )


def step(workflow: Workflow, state: str, action: str, role: Role | None) -> str:
    """The state after ``action`` from ``state`` by someone with ``role`` (None: the system).

    Refuses an unknown action, an action not allowed from this state, or by this role, saying
    what is allowed instead."""
    matches = [t for t in workflow.transitions if t.action == action]
    if not matches:
        known = ", ".join(sorted({t.action for t in workflow.transitions}))
        raise RuleViolation(
            f"{workflow.name}.unknown_action", f"no action {action!r}; actions: {known}"
        )
    here = [t for t in matches if state in t.source]
    if not here:
        allowed = ", ".join(workflow.actions_from(state, None)) or "none"
        raise RuleViolation(
            f"{workflow.name}.{action}",
            f"cannot {action} a {workflow.name} that is {state}; possible from {state}: {allowed}",
            state=state,
        )
    transition = here[0]
    if role is not None and role not in transition.roles:
        who = ", ".join(sorted(r.label for r in transition.roles))
        raise PermissionDenied(f"{action} this {workflow.name}", f"only {who} may")
    return transition.target


CALL = Workflow(
    "call",
    ("draft", "open", "closed", "screening", "in_review", "decided", "archived"),
    (
        Transition("open", frozenset({"draft"}), "open", _STAFF, "publish the call"),
        Transition("close", frozenset({"open"}), "closed", _STAFF, "stop taking submissions"),
        Transition("screen", frozenset({"closed"}), "screening", _STAFF, "check eligibility"),
        Transition("review", frozenset({"screening"}), "in_review", _STAFF, "send to review"),
        Transition("decide", frozenset({"in_review"}), "decided", _STAFF, "record the decision"),
        Transition("archive", frozenset({"decided"}), "archived", _STAFF, "archive"),
    ),
)

_APPLICANT = frozenset({Role.APPLICANT})

PROPOSAL = Workflow(
    "proposal",
    ("draft", "submitted", "withdrawn", "eligible", "ineligible"),
    (
        Transition("submit", frozenset({"draft", "submitted"}), "submitted", _APPLICANT, "submit"),
        Transition(
            "withdraw", frozenset({"draft", "submitted"}), "withdrawn", _APPLICANT, "withdraw"
        ),
        Transition(
            "invite_full",
            frozenset({"submitted", "eligible"}),
            "draft",
            _STAFF,
            "invite a concept to the full-proposal stage",
        ),
        Transition(
            "pass_screening",
            frozenset({"submitted", "ineligible"}),
            "eligible",
            _STAFF,
            "found eligible",
        ),
        Transition(
            "fail_screening",
            frozenset({"submitted", "eligible"}),
            "ineligible",
            _STAFF,
            "found ineligible",
        ),
    ),
)
