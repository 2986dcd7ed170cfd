"""The proposals context's answers to the call pages and API (``calls/ports.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from nexus_sti.calls.ports import CallRule
from nexus_sti.core.access import Actor, check
from nexus_sti.proposals.eligibility import rules_for
from nexus_sti.proposals.service import call_rules, my_proposals
from nexus_sti.proposals.tables import Proposal

if TYPE_CHECKING:
    from nexus_sti.calls.tables import Call


class CallProposals:
    def rules(self, session: Session, call: Call) -> Sequence[CallRule]:
        track = call_rules(session, call).track
        return [CallRule(r.rule_id, r.description) for r in rules_for(track)]

    def mine(self, session: Session, actor: Actor) -> Sequence[Proposal]:
        if not check(actor, "proposals.create"):
            return []
        return my_proposals(session, actor=actor)


PORT = CallProposals()
