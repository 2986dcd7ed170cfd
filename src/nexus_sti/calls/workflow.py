"""A call's lifecycle (``core/workflow.py`` interprets it)."""

from __future__ import annotations

from nexus_sti.core.workflow import STAFF, Transition, Workflow

CALL = Workflow(
    "call",
    ("draft", "open", "closed", "screening", "in_review", "decided", "archived"),
    (
        Transition("open", frozenset({"draft"}), "open", STAFF, "publish the call"),
        Transition("close", frozenset({"open"}), "closed", STAFF, "stop taking submissions"),
        Transition("screen", frozenset({"closed"}), "screening", STAFF, "check eligibility"),
        Transition("review", frozenset({"screening"}), "in_review", STAFF, "send to review"),
        Transition("decide", frozenset({"in_review"}), "decided", STAFF, "record the decision"),
        Transition("archive", frozenset({"decided"}), "archived", STAFF, "archive"),
    ),
)
