"""What the call pages and API show of the proposals made to a call, without the calls context
depending on the proposals context (which depends on calls): the pages and the API ask a
:class:`ProposalsPort`, and the composition root plugs the proposals context in
(``app/web.py`` sets ``app.state.proposals_port``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Request
from sqlalchemy.orm import Session

from nexus_sti.calls.tables import Call
from nexus_sti.core.access import Actor


@dataclass(frozen=True, slots=True)
class CallRule:
    """One eligibility rule a call applies, as the call page lists it."""

    rule_id: str
    description: str


class ProposalsPort(Protocol):
    def rules(self, session: Session, call: Call) -> Sequence[CallRule]:
        """The eligibility rules the call applies, in the order applicants fix them."""
        ...

    def mine(self, session: Session, actor: Actor) -> Sequence[Any]:
        """The actor's own proposals (``call_id``, ``reference``, ``title``, ``status``)."""
        ...


class _NoProposals:
    def rules(self, session: Session, call: Call) -> Sequence[CallRule]:
        return ()

    def mine(self, session: Session, actor: Actor) -> Sequence[Any]:
        return ()


def proposals_port(request: Request) -> ProposalsPort:
    """The plugged-in port; an app without the proposals context shows no rules or proposals."""
    port: ProposalsPort = getattr(request.app.state, "proposals_port", _NoProposals())
    return port
