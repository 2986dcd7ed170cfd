"""Reading saved target decisions: the latest of a track, and its shares for other contexts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexus_sti.needs.tables import TargetDecision


def latest_decision(session: Session, program_version_id: int, track: str) -> TargetDecision | None:
    """The track's latest saved target decision under the program version, if any."""
    return session.scalar(
        select(TargetDecision)
        .where(
            TargetDecision.program_version_id == program_version_id,
            TargetDecision.track == track,
        )
        .order_by(TargetDecision.version.desc())
        .limit(1)
    )


def target_shares_for(
    session: Session, program_version_id: int, track: str
) -> tuple[dict[str, float], str]:
    """The track's latest saved target shares, and a sentence saying where they came from (or
    that none is saved: then the shares are empty)."""
    decision = latest_decision(session, program_version_id, track)
    if decision is None:
        return {}, f"no saved target decision for the {track} track"
    shares = {k: float(v) for k, v in decision.result["shares"].items()}
    return shares, f"saved target decision v{decision.version} (#{decision.id})"
