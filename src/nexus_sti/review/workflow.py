"""The lifecycles of a reviewer's place in a call's pool, of an assignment and of a review
(``core/workflow.py`` interprets them; the permission table says who may act)."""

from __future__ import annotations

from nexus_sti.core.workflow import ANYONE, Transition, Workflow

POOL_MEMBER = Workflow(
    "invitation",
    ("invited", "accepted", "declined"),
    (
        Transition("accept", frozenset({"invited"}), "accepted", ANYONE, "join the call's pool"),
        Transition("decline", frozenset({"invited"}), "declined", ANYONE, "decline"),
    ),
)

ASSIGNMENT = Workflow(
    "assignment",
    ("active", "swapped", "withdrawn"),
    (
        Transition(
            "declare_conflict", frozenset({"active"}), "withdrawn", ANYONE, "declare a conflict"
        ),
        Transition("replace", frozenset({"active"}), "withdrawn", ANYONE, "a new assignment run"),
        Transition("swap", frozenset({"active"}), "swapped", ANYONE, "swap the reviewer"),
    ),
)

REVIEW = Workflow(
    "review",
    ("draft", "submitted"),
    (
        Transition("save", frozenset({"draft"}), "draft", ANYONE, "save a draft"),
        Transition("submit", frozenset({"draft"}), "submitted", ANYONE, "submit (final)"),
    ),
)
