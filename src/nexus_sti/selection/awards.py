"""A call's awards: listing them and publishing them in the 360Giving data standard."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexus_sti.calls.service import call_by_reference
from nexus_sti.core.access import Actor, require
from nexus_sti.programs.service import program_version
from nexus_sti.proposals.queries import grant_facts
from nexus_sti.selection.publish import PublishedAward, grants_package
from nexus_sti.selection.tables import Award


def awards_of(session: Session, *, actor: Actor, call_reference: str) -> list[Award]:
    require(actor, "selection.read", "see awards")
    call = call_by_reference(session, call_reference)
    return list(
        session.scalars(select(Award).where(Award.call_id == call.id).order_by(Award.reference))
    )


def awards_360giving(session: Session, *, actor: Actor, call_reference: str) -> dict[str, Any]:
    """The call's awards as a 360Giving grants package."""
    awards = awards_of(session, actor=actor, call_reference=call_reference)
    call = call_by_reference(session, call_reference)
    config = program_version(session, call.program_version_id).config
    agency = config.implementing_agency
    names = {f.code: f.name for f in config.funders}
    published = []
    for award in awards:
        facts = grant_facts(session, award.proposal_id, config.lead_role.code)
        funders = (
            ((agency.code, agency.name),)
            if agency is not None
            else tuple((code, names.get(code, code)) for code in facts.paying_funders)
        )
        published.append(
            PublishedAward(
                reference=award.reference,
                title=facts.title,
                description=facts.abstract,
                amount=award.amount,
                currency=award.currency,
                awarded_on=award.awarded_at.date(),
                recipient_name=facts.lead_organisation,
                recipient_ror=facts.lead_ror_id,
                recipient_local_id=facts.lead_local_id,
                countries=facts.countries,
                start_year=facts.first_year or award.awarded_at.year + 1,
                duration_months=facts.duration_months,
                funders=funders,
            )
        )
    return grants_package(published, program_code=config.program.code.upper())
