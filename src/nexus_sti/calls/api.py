"""JSON API of calls: list and read them (with the rules a call applies, from the proposals
port), create them and move them through their lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from nexus_sti.accounts.webdeps import ApiActor
from nexus_sti.calls.deadlines import accepting, local_time, time_left, zone_for
from nexus_sti.calls.ports import ProposalsPort, proposals_port
from nexus_sti.calls.schemas import CallAction, CallCreate, CallRead, RuleRead
from nexus_sti.calls.service import create_call, get_call, list_calls, transition_call
from nexus_sti.calls.tables import Call
from nexus_sti.core.access import Actor
from nexus_sti.core.errors import InvalidInput
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.webdeps import SessionDep

router = APIRouter(prefix="/api/v1", tags=["calls"])
Port = Annotated[ProposalsPort, Depends(proposals_port)]


def _call_read(call: Call, actor: Actor, session: Session, port: ProposalsPort) -> CallRead:
    now = utcnow()
    zone = zone_for(actor.country)
    reason = accepting(call.status, call.opens_at, call.closes_at, now)
    return CallRead(
        reference=call.reference,
        title=call.title,
        status=call.status,
        track=call.track,
        areas=list(call.areas),
        description=call.description,
        two_stage=call.two_stage,
        opens_at=call.opens_at,
        closes_at=call.closes_at,
        closes_local=local_time(call.closes_at, zone),
        time_left=time_left(call.closes_at, now),
        accepting=reason is None,
        why_not_accepting=reason,
        rules=[
            RuleRead(rule_id=r.rule_id, description=r.description)
            for r in port.rules(session, call)
        ],
    )


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput(field, "give a time zone, e.g. 2027-03-31T17:00:00+09:00 or ...Z")
    return value.astimezone(UTC)


@router.get("/calls", response_model=list[CallRead])
def read_calls(actor: ApiActor, session: SessionDep, port: Port) -> list[CallRead]:
    """Calls visible to the caller (drafts: staff only), deadline in the caller's time zone."""
    return [_call_read(c, actor, session, port) for c in list_calls(session, actor=actor)]


@router.get("/calls/{reference}", response_model=CallRead)
def read_call(reference: str, actor: ApiActor, session: SessionDep, port: Port) -> CallRead:
    return _call_read(get_call(session, actor=actor, reference=reference), actor, session, port)


@router.post("/calls", response_model=CallRead, status_code=201)
def create(body: CallCreate, actor: ApiActor, session: SessionDep, port: Port) -> CallRead:
    """A draft call (officers); times must carry a time zone and are stored in UTC."""
    call = create_call(
        session,
        actor=actor,
        track=body.track,
        title=body.title,
        opens_at=_aware(body.opens_at, "opens_at"),
        closes_at=_aware(body.closes_at, "closes_at"),
        now=utcnow(),
        areas=tuple(body.areas) if body.areas else None,
        description=body.description,
        budget=body.budget,
        two_stage=body.two_stage,
        concept_closes_at=(
            _aware(body.concept_closes_at, "concept_closes_at") if body.concept_closes_at else None
        ),
        program=body.program,
    )
    return _call_read(call, actor, session, port)


@router.post("/calls/{reference}/actions", response_model=CallRead)
def act(
    reference: str, body: CallAction, actor: ApiActor, session: SessionDep, port: Port
) -> CallRead:
    """Open, close, screen, review, decide or archive (see the call workflow)."""
    call = transition_call(
        session, actor=actor, reference=reference, action=body.action, now=utcnow()
    )
    return _call_read(call, actor, session, port)
