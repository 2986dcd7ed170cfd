"""A selection run's lifecycle (``core/workflow.py`` interprets it): proposed, then approved
or rejected by a second officer (four eyes, checked by the service), or superseded when
another run of the call is approved."""

from __future__ import annotations

from nexus_sti.core.workflow import ANYONE, Transition, Workflow

RUN = Workflow(
    "selection run",
    ("proposed", "approved", "rejected", "superseded"),
    (
        Transition("approve", frozenset({"proposed"}), "approved", ANYONE, "approve"),
        Transition("reject", frozenset({"proposed"}), "rejected", ANYONE, "reject"),
        Transition(
            "supersede", frozenset({"proposed"}), "superseded", frozenset(), "another run won"
        ),
    ),
)
