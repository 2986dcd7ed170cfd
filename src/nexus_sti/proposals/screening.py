"""Screening: the officer's list of every proposal in a call with all its eligibility verdicts,
overrides with a written justification, and the resulting eligible / ineligible statuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from nexus_sti.calls.service import call_by_reference
from nexus_sti.core.access import Actor, require
from nexus_sti.core.errors import InvalidInput, NotFound
from nexus_sti.core.workflow import step
from nexus_sti.platform.auditlog import record
from nexus_sti.proposals.eligibility import Verdict, apply_overrides, is_eligible
from nexus_sti.proposals.service import call_verdicts, current_verdicts
from nexus_sti.proposals.tables import EligibilityOverride, Proposal
from nexus_sti.proposals.workflow import PROPOSAL

SCREENED = ("submitted", "eligible", "ineligible")


def _require(actor: Actor) -> None:
    require(actor, "proposals.screen", "screen proposals")


@dataclass(frozen=True, slots=True)
class ScreeningRow:
    reference: str
    title: str
    status: str
    verdicts: tuple[Verdict, ...]
    stage: str = "full"

    @property
    def eligible(self) -> bool:
        return is_eligible(self.verdicts)


def _overrides(session: Session, proposal_id: int) -> dict[str, tuple[bool, str]]:
    rows = session.scalars(
        select(EligibilityOverride)
        .where(EligibilityOverride.proposal_id == proposal_id)
        .order_by(EligibilityOverride.id)
    )
    return {o.rule_id: (o.passed, o.justification) for o in rows}  # the latest wins


def screening_list(session: Session, *, actor: Actor, call_reference: str) -> list[ScreeningRow]:
    """Every submitted proposal of the call with each rule's verdict, overrides applied."""
    _require(actor)
    call = call_by_reference(session, call_reference)
    proposals = list(
        session.scalars(
            select(Proposal)
            .where(Proposal.call_id == call.id, Proposal.status.in_(SCREENED))
            .order_by(Proposal.reference)
        )
    )
    verdicts = call_verdicts(session, call, proposals)
    overrides: dict[int, dict[str, tuple[bool, str]]] = {p.id: {} for p in proposals}
    for o in session.scalars(
        select(EligibilityOverride)
        .where(EligibilityOverride.proposal_id.in_(list(overrides)))
        .order_by(EligibilityOverride.id)
    ):
        overrides[o.proposal_id][o.rule_id] = (o.passed, o.justification)  # the latest wins
    return [
        ScreeningRow(
            p.reference,
            p.title,
            p.status,
            apply_overrides(verdicts[p.id], overrides[p.id]),
            p.stage,
        )
        for p in proposals
    ]


def override_verdict(
    session: Session,
    *,
    actor: Actor,
    reference: str,
    rule_id: str,
    passed: bool,
    justification: str,
    now: datetime,
) -> EligibilityOverride:
    """Set one rule's verdict by hand. The written justification is required and audited."""
    _require(actor)
    proposal = session.scalar(select(Proposal).where(Proposal.reference == reference))
    if proposal is None:
        raise NotFound("proposal", reference)
    if len(justification.strip()) < 10:
        raise InvalidInput("justification", "explain the override in at least 10 characters")
    effective = {
        v.rule_id: v
        for v in apply_overrides(
            current_verdicts(session, proposal), _overrides(session, proposal.id)
        )
    }
    if rule_id not in effective:
        raise InvalidInput(
            "rule_id", f"not a rule of this call; rules: {', '.join(sorted(effective))}"
        )
    if effective[rule_id].passed is passed:
        verdict = "passes" if passed else "fails"
        raise InvalidInput(
            "passed",
            "must change the verdict",
            f"{rule_id} already {verdict} for {reference}: an override must change the verdict",
        )
    override = EligibilityOverride(
        proposal_id=proposal.id,
        rule_id=rule_id,
        passed=passed,
        justification=justification.strip(),
        decided_by=actor.user_id,
        decided_by_label=actor.username,
        decided_at=now,
    )
    session.add(override)
    session.flush()
    record(
        session,
        action="eligibility.overridden",
        actor=actor,
        subject_type="proposal",
        subject_id=reference,
        inputs={"rule_id": rule_id, "passed": passed, "justification": justification.strip()},
        now=now,
        summary={"rule": rule_id, "passed": passed},
    )
    session.commit()
    return override


def apply_screening(
    session: Session,
    *,
    actor: Actor,
    call_reference: str,
    now: datetime,
    references: list[str] | None = None,
) -> dict[str, int]:
    """Set eligible / ineligible from the verdicts (all proposals, or the chosen ones).

    Safe to repeat and to run twice at once: each status moves with a conditional update from
    the status it was read in, so a proposal changed by a concurrent apply is not changed (or
    counted) again, and the audit entry lists only what this apply changed; an apply that
    changes nothing records nothing."""
    counts = {"eligible": 0, "ineligible": 0}
    changed: list[str] = []
    for row in screening_list(session, actor=actor, call_reference=call_reference):
        if references is not None and row.reference not in references:
            continue
        target = "eligible" if row.eligible else "ineligible"
        counts[target] += 1
        if row.status == target:
            continue
        action = "pass_screening" if row.eligible else "fail_screening"
        step(PROPOSAL, row.status, action, actor.role)  # the transition must be allowed
        moved: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Proposal)
            .where(Proposal.reference == row.reference, Proposal.status == row.status)
            .values(status=target)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 1:
            changed.append(row.reference)
    if changed:
        record(
            session,
            action="call.screened",
            actor=actor,
            subject_type="call",
            subject_id=call_reference,
            inputs={"references": references, "changed": changed},
            now=now,
            summary=counts | {"changed": len(changed)},
        )
    session.commit()
    session.expire_all()  # statuses were written past the ORM
    return counts


def invite_to_full_proposal(
    session: Session, *, actor: Actor, reference: str, now: datetime
) -> Proposal:
    """Second stage of a two-stage call: the concept's authors are invited to write the full
    proposal, which they submit by the call's final deadline."""
    _require(actor)
    proposal = session.scalar(select(Proposal).where(Proposal.reference == reference))
    if proposal is None:
        raise NotFound("proposal", reference)
    if proposal.stage != "concept":
        raise InvalidInput("stage", "only a concept can be invited to the full-proposal stage")
    proposal.status = step(PROPOSAL, proposal.status, "invite_full", actor.role)
    proposal.stage = "full"
    record(
        session,
        action="proposal.invited_to_full",
        actor=actor,
        subject_type="proposal",
        subject_id=reference,
        inputs={"version": proposal.version},
        now=now,
    )
    session.commit()
    return proposal
