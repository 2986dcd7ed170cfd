"""What other contexts read of needs: the latest saved target shares of a track."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexus_sti.needs.tables import TargetDecision


def target_shares_for(
    session: Session, program_version_id: int, track: str
) -> tuple[dict[str, float], str]:
    """The track's latest saved target shares, and a sentence saying where they came from (or
    that none is saved: then the shares are empty)."""
    decision = session.scalar(
        select(TargetDecision)
        .where(
            TargetDecision.program_version_id == program_version_id,
            TargetDecision.track == track,
        )
        .order_by(TargetDecision.version.desc())
        .limit(1)
    )
    if decision is None:
        return {}, f"no saved target decision for the {track} track"
    shares = {k: float(v) for k, v in decision.result["shares"].items()}
    return shares, f"saved target decision v{decision.version} (#{decision.id})"
