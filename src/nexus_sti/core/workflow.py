"""Lifecycles as data: a :class:`Workflow` is a table of states and transitions, and
:func:`step` is the one small function that interprets them. Calls, proposals, reviewer pools,
assignments, reviews and selection runs each declare theirs in their context's ``workflow.py``;
every status change goes through :func:`step`, so adding a state or a step is an edit to a
table, not to code. Who may act at all is the permission table's (``core/access.py``); a
transition's roles narrow it further where the table says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from nexus_sti.core.access import Role
from nexus_sti.core.errors import PermissionDenied, RuleViolation

STAFF = frozenset({Role.ADMIN, Role.OFFICER})
ANYONE = frozenset(Role)  # the permission table decides who; the workflow, from which state


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
        who = ", ".join(sorted(r.label for r in transition.roles)) or "the platform itself"
        raise PermissionDenied(f"{action} this {workflow.name}", f"only {who} may")
    return transition.target
