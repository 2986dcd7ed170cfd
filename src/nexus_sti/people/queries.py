"""What other contexts read of people: researchers as plain cards (names in Latin and in their
own script, country, ORCID, organisation), and their names in sort order for searching."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexus_sti.people.tables import Organisation, Researcher


@dataclass(frozen=True, slots=True)
class ResearcherCard:
    """A researcher as other contexts see them."""

    id: int
    name_latin: str
    name_local: str
    sort_name: str
    country: str
    orcid: str | None
    organisation_id: int
    organisation_name: str
    areas: tuple[str, ...]
    career_stage: str


def researcher_names(session: Session, ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
    """Researcher id -> (name in Latin script, name in the researcher's own script)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Researcher.id, Researcher.name_latin, Researcher.name_local).where(
            Researcher.id.in_(wanted)
        )
    )
    return {int(i): (latin, local) for i, latin, local in rows}


def researcher_cards(session: Session, ids: Iterable[int | None]) -> dict[int, ResearcherCard]:
    """Researcher id -> their card, for those that exist (one query)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Researcher, Organisation.name)
        .join(Organisation, Organisation.id == Researcher.organisation_id)
        .where(Researcher.id.in_(wanted))
    )
    return {
        r.id: ResearcherCard(
            id=r.id,
            name_latin=r.name_latin,
            name_local=r.name_local,
            sort_name=r.sort_name,
            country=r.country,
            orcid=r.orcid,
            organisation_id=r.organisation_id,
            organisation_name=organisation,
            areas=tuple(r.areas or ()),
            career_stage=r.career_stage,
        )
        for r, organisation in rows
    }


def researcher_card(session: Session, researcher_id: int | None) -> ResearcherCard | None:
    """One researcher's card, or None when there is no such researcher."""
    return researcher_cards(session, [researcher_id]).get(researcher_id or 0)


def names_in_order(session: Session) -> Iterator[tuple[int, str, str]]:
    """Every researcher's (id, Latin name, own-script name), by sort name (for name search)."""
    for rid, latin, local in session.execute(
        select(Researcher.id, Researcher.name_latin, Researcher.name_local).order_by(
            Researcher.sort_name, Researcher.id
        )
    ):
        yield int(rid), latin, local
