"""What the proposal pages and API show of a funding decision, without the proposals context
depending on the selection context (which depends on proposals): they ask an
:class:`OutcomePort`, and the composition root plugs the selection context in (``app/web.py``
sets ``app.state.outcome_port``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from fastapi import Request
from sqlalchemy.orm import Session

DECIDED = frozenset({"funded", "not_funded"})


@dataclass(frozen=True, slots=True)
class Outcome:
    """A decided proposal's outcome: its award, or the reason the selection gives for not
    funding it."""

    funded: bool
    decided_at: datetime | None
    award_reference: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    reason: str | None = None


class OutcomePort(Protocol):
    def outcome(
        self, session: Session, *, call_id: int, proposal_id: int, reference: str
    ) -> Outcome | None:
        """The proposal's outcome, or None while its call is undecided."""
        ...


class _NoDecisions:
    def outcome(
        self, session: Session, *, call_id: int, proposal_id: int, reference: str
    ) -> Outcome | None:
        return None


def outcome_port(request: Request) -> OutcomePort:
    """The plugged-in port; an app without the selection context shows no outcomes."""
    port: OutcomePort = getattr(request.app.state, "outcome_port", _NoDecisions())
    return port
