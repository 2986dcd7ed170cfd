"""A call's awards: listing them and publishing them in the 360Giving data standard."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexus_sti.calls.service import call_by_reference
from nexus_sti.core import spreadsheet
from nexus_sti.core.access import Actor, check, require
from nexus_sti.programs.service import program_version
from nexus_sti.proposals.queries import grant_facts, references_of, with_country
from nexus_sti.selection.publish import PublishedAward, grants_package
from nexus_sti.selection.tables import Award


def awards_of(session: Session, *, actor: Actor, call_reference: str) -> list[Award]:
    """The call's awards: all of them for staff; for a funding partner, those whose project
    has a team in the partner's country (the projects it co-funds)."""
    if not check(actor, "selection.read"):
        require(actor, "awards.read_country", "see awards", country=actor.country)
    call = call_by_reference(session, call_reference)
    awards = list(
        session.scalars(select(Award).where(Award.call_id == call.id).order_by(Award.reference))
    )
    if check(actor, "selection.read"):
        return awards
    assert actor.country is not None
    theirs = with_country(session, [a.proposal_id for a in awards], actor.country)
    return [a for a in awards if a.proposal_id in theirs]


AWARD_COLUMNS = [
    "reference", "proposal", "proposal_id", "selection_run_id", "amount", "currency", "merit",
    "awarded_at",
]  # fmt: skip


def award_rows(session: Session, awards: list[Award]) -> list[dict[str, Any]]:
    """The awards as plain rows, with their proposals' references."""
    names = references_of(session, ids=[a.proposal_id for a in awards])
    return [
        {
            "reference": a.reference,
            "proposal": names.get(a.proposal_id, ""),
            "proposal_id": a.proposal_id,
            "selection_run_id": a.selection_run_id,
            "amount": str(a.amount),
            "currency": a.currency,
            "merit": a.merit,
            "awarded_at": a.awarded_at.isoformat(),
        }
        for a in awards
    ]


def awards_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV text (the caller adds the byte-order mark for spreadsheets)."""
    out = io.StringIO()
    writer = spreadsheet.DictWriter(out, fieldnames=AWARD_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


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
