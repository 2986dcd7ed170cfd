"""Calls: reading them as the actor may, creating them in a program, and moving them through
their lifecycle (audited)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from nexus_sti.calls.tables import Call
from nexus_sti.calls.workflow import CALL
from nexus_sti.core.access import Actor, check, require
from nexus_sti.core.errors import InvalidInput, NotFound
from nexus_sti.core.workflow import step
from nexus_sti.platform.auditlog import record
from nexus_sti.programs.service import current_program

# --- calls -------------------------------------------------------------------------------


def call_by_reference(session: Session, reference: str) -> Call:
    """The one way to load a call by reference: the call, or ``NotFound``. Callers check their
    own permission; :func:`get_call` adds the call's own visibility rule."""
    call = session.scalar(select(Call).where(Call.reference == reference))
    if call is None:
        raise NotFound("call", reference)
    return call


def call_by_id(session: Session, call_id: int) -> Call:
    """A call by its id, or ``NotFound``."""
    call = session.get(Call, call_id)
    if call is None:
        raise NotFound("call", str(call_id))
    return call


def calls_by_id(session: Session, call_ids: Iterable[int]) -> dict[int, Call]:
    """Call id -> the call, for those that exist."""
    ids = set(call_ids)
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Call).where(Call.id.in_(ids)))}


def program_version_ids(session: Session, call_ids: Iterable[int]) -> dict[int, int]:
    """Call id -> the id of the program version it was opened under."""
    ids = list(call_ids)
    rows = session.execute(select(Call.id, Call.program_version_id).where(Call.id.in_(ids)))
    return {int(call_id): int(version) for call_id, version in rows}


def count_calls(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Call)) or 0


def published_calls(session: Session) -> list[Call]:
    """Every call but the drafts, the latest deadline first."""
    return list(
        session.scalars(select(Call).where(Call.status != "draft").order_by(Call.closes_at.desc()))
    )


def get_call(session: Session, *, actor: Actor, reference: str) -> Call:
    """A call by reference; drafts are visible to staff only."""
    call = call_by_reference(session, reference)
    if call.status == "draft" and not check(actor, "calls.manage"):
        raise NotFound("call", reference)
    return call


def list_calls(session: Session, *, actor: Actor) -> list[Call]:
    query = select(Call).order_by(Call.closes_at.desc(), Call.reference)
    if not check(actor, "calls.manage"):
        query = query.where(Call.status != "draft")
    return list(session.scalars(query))


def create_call(
    session: Session,
    *,
    actor: Actor,
    track: str,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    now: datetime,
    areas: tuple[str, ...] | None = None,
    description: str = "",
    budget: Decimal | None = None,
    two_stage: bool = False,
    concept_closes_at: datetime | None = None,
    program: str | None = None,
) -> Call:
    """A draft call of ``track`` in the latest version of ``program`` (a program code; by
    default the most recently loaded program); officers open it when it is ready."""
    require(actor, "calls.manage", "create calls")
    try:
        found = current_program(session, code=program)
    except NotFound:
        raise InvalidInput("program", f"no program {program!r} is loaded") from None
    program_ = found
    try:
        config_track = program_.config.track(track)
    except KeyError as exc:
        raise InvalidInput("track", str(exc.args[0])) from None
    if not title.strip():
        raise InvalidInput("title", "must not be empty")
    if closes_at <= opens_at:
        raise InvalidInput("closes_at", "must be after opens_at")
    chosen = tuple(areas) if areas else program_.config.program.priority_areas
    outside = [a for a in chosen if a not in program_.config.program.priority_areas]
    if outside:
        raise InvalidInput("areas", f"not priority areas of the program: {', '.join(outside)}")
    if two_stage and (concept_closes_at is None or not opens_at < concept_closes_at < closes_at):
        raise InvalidInput(
            "concept_closes_at", "a two-stage call needs a concept deadline between its dates"
        )
    if budget is not None and budget <= 0:
        raise InvalidInput("budget", "must be positive")
    count = session.scalar(select(func.count()).select_from(Call).where(Call.track == track)) or 0
    reference = f"{program_.row.code.upper()}-{opens_at.year}-{track[:3].upper()}-{count + 1:02d}"
    call = Call(
        program_version_id=program_.row.id,
        reference=reference,
        title=title.strip(),
        status="draft",
        track=track,
        areas=list(chosen),
        description=description,
        budget=budget,
        budget_currency=config_track.budget_currency,
        two_stage=two_stage,
        concept_closes_at=concept_closes_at if two_stage else None,
        opens_at=opens_at,
        closes_at=closes_at,
        synthetic=False,
    )
    session.add(call)
    session.flush()
    record(
        session,
        action="call.created",
        actor=actor,
        subject_type="call",
        subject_id=reference,
        inputs={"track": track, "opens_at": opens_at, "closes_at": closes_at, "areas": chosen},
        now=now,
        summary={"title": call.title, "track": track},
    )
    session.commit()
    return call


def claim_transition(session: Session, *, call: Call, action: str, actor: Actor) -> bool:
    """Move ``call`` by ``action`` only if it is still in the status it was read in (a
    conditional update, in the caller's transaction): of two requests racing to decide one
    call, exactly one gets True. The caller records the audit entry and commits."""
    target = step(CALL, call.status, action, actor.role)
    moved: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Call)
        .where(Call.id == call.id, Call.status == call.status)
        .values(status=target)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return False
    set_committed_value(call, "status", target)
    return True


def transition_call(
    session: Session, *, actor: Actor, reference: str, action: str, now: datetime
) -> Call:
    """Move a call through its lifecycle (``calls/workflow.py``)."""
    require(actor, "calls.manage", "change a call's status")
    call = get_call(session, actor=actor, reference=reference)
    before = call.status
    call.status = step(CALL, call.status, action, actor.role)
    record(
        session,
        action=f"call.{action}",
        actor=actor,
        subject_type="call",
        subject_id=reference,
        inputs={"from": before, "to": call.status},
        now=now,
        summary={"from": before, "to": call.status},
    )
    session.commit()
    return call
