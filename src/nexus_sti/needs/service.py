"""Needs use cases: the current assessment, targets for a track, and saved target decisions.

The use cases that compute (the index, the targets) import the computation and NumPy when they
run: reading the saved decisions (``nexus needs decisions``) needs neither.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nexus_sti.core.access import Actor, require
from nexus_sti.core.errors import NotFound
from nexus_sti.needs.model import load_index_config
from nexus_sti.needs.queries import latest_decision
from nexus_sti.needs.tables import TargetDecision
from nexus_sti.platform.auditlog import record
from nexus_sti.programs.service import current_program
from nexus_sti.reference.snapshot import ReferenceSnapshot, load_snapshot

if TYPE_CHECKING:
    from nexus_sti.needs.assessment import NeedsAssessment
    from nexus_sti.needs.targets import TargetParams, TargetsResult


@lru_cache(maxsize=16)
def _assessment(path: str | None, draws: int | None, seed: int | None) -> NeedsAssessment:
    from nexus_sti.needs.assessment import assess_needs

    loaded = load_index_config(Path(path) if path else None)
    return assess_needs(reference(), loaded, draws=draws, seed=seed)


@lru_cache(maxsize=1)
def reference() -> ReferenceSnapshot:
    return load_snapshot()


def current_assessment(
    *,
    actor: Actor,
    index_file: Path | None = None,
    draws: int | None = None,
    seed: int | None = None,
) -> NeedsAssessment:
    """The assessment for the index configuration in ``index_file`` (default: the built-in one).
    Cached per process: the inputs are files that do not change while it runs."""
    require(actor, "needs.read", "see the needs assessment")
    return _assessment(str(index_file) if index_file else None, draws, seed)


def country_series(iso3: str, codes: list[str]) -> dict[str, dict[int, float]]:
    """Yearly values of each indicator for one country, per million people where the index
    divides by population, for the profile charts."""
    from nexus_sti.needs.indicators import POPULATION

    snapshot = reference()
    config = load_index_config().config
    per_million = {i.code for i in config.indicators if i.per_million}
    out: dict[str, dict[int, float]] = {}
    for code in codes:
        if code not in snapshot.indicator_codes():
            continue
        series = snapshot.series(code, iso3)
        if code in per_million:
            pop = snapshot.series(POPULATION, iso3)
            series = {y: v / pop[y] * 1e6 for y, v in series.items() if pop.get(y)}
        out[code] = series
    return out


def targets_for(
    session: Session, *, actor: Actor, params: TargetParams, index_file: Path | None = None
) -> TargetsResult:
    """Targets for the current program under ``params``, with the change limit taken against the
    last saved decision for the track."""
    from nexus_sti.needs.targets import compute_targets

    require(actor, "needs.read", "see country targets")
    program = current_program(session)
    previous = latest_decision(session, program.row.id, params.track)
    return compute_targets(
        assessment=current_assessment(actor=actor, index_file=index_file),
        snapshot=reference(),
        config=program.config,
        params=params,
        previous=previous.result["shares"] if previous else None,
        previous_id=previous.id if previous else None,
    )


def save_targets(
    session: Session,
    *,
    actor: Actor,
    params: TargetParams,
    note: str,
    now: datetime,
    index_file: Path | None = None,
) -> TargetDecision:
    """Compute and store the targets as the track's next decision version, audited."""
    from nexus_sti.needs.export import targets_json

    require(actor, "targets.save", "save country targets")
    result = targets_for(session, actor=actor, params=params, index_file=index_file)
    program = current_program(session)
    version = (
        session.scalar(
            select(func.max(TargetDecision.version)).where(
                TargetDecision.program_version_id == program.row.id,
                TargetDecision.track == params.track,
            )
        )
        or 0
    ) + 1
    body = targets_json(result)
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    decision = TargetDecision(
        program_version_id=program.row.id,
        track=params.track,
        version=version,
        note=note.strip()[:500],
        parameters=params.model_dump(mode="json"),
        inputs=body["inputs"],
        result={
            "shares": result.shares.shares,
            "slots": result.apportionment.slots,
            "explanation": list(result.explanation),
            "countries": body["countries"],
        },
        seed=result.inputs["index_seed"],
        digest=digest,
        created_by=actor.user_id,
        created_by_label=actor.username,
        created_at=now,
    )
    session.add(decision)
    session.flush()
    record(
        session,
        action="targets.saved",
        actor=actor,
        subject_type="target_decision",
        subject_id=decision.id,
        inputs={"parameters": decision.parameters, "inputs": decision.inputs},
        now=now,
        summary={"track": params.track, "version": version, "slots": result.slots},
    )
    session.commit()
    return decision


def list_target_decisions(
    session: Session, *, actor: Actor, track: str | None = None
) -> list[TargetDecision]:
    require(actor, "needs.read", "see saved targets")
    query = select(TargetDecision).order_by(TargetDecision.id.desc())
    if track:
        query = query.where(TargetDecision.track == track)
    return list(session.scalars(query))


def get_target_decision(session: Session, *, actor: Actor, decision_id: int) -> TargetDecision:
    require(actor, "needs.read", "see saved targets")
    decision = session.get(TargetDecision, decision_id)
    if decision is None:
        raise NotFound("target decision", decision_id)
    return decision


def decision_summary(decision: TargetDecision) -> dict[str, Any]:
    return {
        "id": decision.id,
        "track": decision.track,
        "version": decision.version,
        "note": decision.note,
        "created_at": decision.created_at.isoformat(),
        "created_by": decision.created_by_label,
        "digest": decision.digest,
        "seed": decision.seed,
        "parameters": decision.parameters,
        "inputs": decision.inputs,
        "result": decision.result,
    }
