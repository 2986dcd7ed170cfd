"""A proposal's lifecycle (``core/workflow.py`` interprets it)."""

from __future__ import annotations

from nexus_sti.core.access import Role
from nexus_sti.core.workflow import STAFF, Transition, Workflow

_APPLICANT = frozenset({Role.APPLICANT})

PROPOSAL = Workflow(
    "proposal",
    ("draft", "submitted", "withdrawn", "eligible", "ineligible", "funded", "not_funded"),
    (
        Transition("submit", frozenset({"draft", "submitted"}), "submitted", _APPLICANT, "submit"),
        Transition(
            "edit",
            frozenset({"draft", "submitted"}),
            "draft",
            _APPLICANT,
            "change the content or a file (a submitted proposal is submitted again)",
        ),
        Transition(
            "withdraw", frozenset({"draft", "submitted"}), "withdrawn", _APPLICANT, "withdraw"
        ),
        Transition(
            "invite_full",
            frozenset({"submitted", "eligible"}),
            "draft",
            STAFF,
            "invite a concept to the full-proposal stage",
        ),
        Transition(
            "pass_screening",
            frozenset({"submitted", "ineligible"}),
            "eligible",
            STAFF,
            "found eligible",
        ),
        Transition(
            "fail_screening",
            frozenset({"submitted", "eligible"}),
            "ineligible",
            STAFF,
            "found ineligible",
        ),
        Transition(
            "fund",
            frozenset({"eligible"}),
            "funded",
            STAFF,
            "fund (an approved selection selected it)",
        ),
        Transition(
            "not_fund",
            frozenset({"eligible"}),
            "not_funded",
            STAFF,
            "not fund (an approved selection left it out)",
        ),
    ),
)
