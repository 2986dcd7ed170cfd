"""Reading proposals as the actor may see them: the scoped list (all of them for staff, a
funding partner's country, an applicant's own), a call's submissions with their leads and
countries, and the program's aggregate statistics."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, distinct, func, or_, select
from sqlalchemy.orm import Session

from nexus_sti.calls.service import count_calls, get_call, program_version_ids
from nexus_sti.core.access import Actor, Role, check, require
from nexus_sti.core.errors import NotFound
from nexus_sti.people.queries import researcher_names
from nexus_sti.programs.service import program_version, program_versions
from nexus_sti.proposals.tables import Attachment, BudgetLine, Proposal, ProposalMember


@dataclass(frozen=True, slots=True)
class ProposalRow:
    reference: str
    title: str
    track: str
    area: str
    status: str
    lead_name: str
    lead_name_local: str
    countries: tuple[str, ...]
    requested: str
    synthetic: bool


@dataclass(frozen=True, slots=True)
class ProposalList:
    rows: list[ProposalRow]
    total: int
    page: int
    per_page: int
    scope: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True, slots=True)
class CallStatistics:
    calls: int
    proposals: int
    synthetic: bool
    by_track: dict[str, int] = field(default_factory=dict)
    by_area: dict[str, int] = field(default_factory=dict)
    by_country: dict[str, int] = field(default_factory=dict)


def _scope(actor: Actor, country: str | None) -> tuple[str, Select[Any] | None]:
    """Which proposal ids ``actor`` may list, as a description and a sub-select (None = all)."""
    if check(actor, "proposals.read_all"):
        if country:
            return f"proposals involving {country}", select(ProposalMember.proposal_id).where(
                ProposalMember.country == country
            )
        return "all proposals", None
    if actor.role is Role.FUNDING_PARTNER:
        wanted = country or actor.country
        require(actor, "proposals.read_country", "list these proposals", country=wanted)
        return f"proposals involving {wanted}", select(ProposalMember.proposal_id).where(
            ProposalMember.country == wanted
        )
    # The same rule as opening one: an applicant reaches the proposals they own.
    require(actor, "proposals.read_own", "list proposals")
    return "your proposals", select(Proposal.id).where(Proposal.owner_id == actor.user_id)


# The columns the list sorts by (a whitelist: the pages refuse other keys).
PROPOSAL_SORTS: dict[str, Any] = {
    "reference": Proposal.reference,
    "title": Proposal.title,
    "track": Proposal.track,
    "area": Proposal.area,
    "status": Proposal.status,
}


def _containing(text: str) -> str:
    """A LIKE pattern for ``text`` anywhere, its own ``%``, ``_`` and ``\\`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{unicodedata.normalize('NFC', escaped)}%"


def list_proposals(
    session: Session,
    *,
    actor: Actor,
    country: str | None = None,
    page: int = 1,
    per_page: int = 50,
    sort: str = "reference",
    descending: bool = False,
    status: str | None = None,
    area: str | None = None,
    text: str | None = None,
) -> ProposalList:
    """One page of the proposals ``actor`` may see, sorted by a ``PROPOSAL_SORTS`` key (ties by
    reference) and filtered in the database: by status, primary area, and ``text`` in the
    reference or title (any script; case ignored where the script has one)."""
    scope, ids = _scope(actor, country)
    page = max(1, page)
    # Proposals made on the platform name their lead as a consortium member, not a profile.
    query = select(Proposal)
    count = select(func.count()).select_from(Proposal)
    wanted: list[Any] = []
    if ids is not None:
        wanted.append(Proposal.id.in_(ids))
    if status:
        wanted.append(Proposal.status == status)
    if area:
        wanted.append(Proposal.area == area)
    if text and text.strip():
        pattern = _containing(text.strip())
        wanted.append(
            or_(
                Proposal.reference.ilike(pattern, escape="\\"),
                Proposal.title.ilike(pattern, escape="\\"),
            )
        )
    if wanted:
        query = query.where(*wanted)
        count = count.where(*wanted)
    total = session.scalar(count) or 0
    column = PROPOSAL_SORTS[sort]
    results = list(
        session.scalars(
            query.order_by(column.desc() if descending else column.asc(), Proposal.reference)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    proposal_ids = [p.id for p in results]
    leads = researcher_names(session, (p.lead_researcher_id for p in results))
    call_versions = program_version_ids(session, {p.call_id for p in results})
    version_of = {p.id: call_versions[p.call_id] for p in results}
    configs = program_versions(session, set(version_of.values()))
    countries: dict[int, set[str]] = {}
    lead_member: dict[int, str] = {}
    for pid, iso3, role, name in session.execute(
        select(
            ProposalMember.proposal_id,
            ProposalMember.country,
            ProposalMember.role,
            ProposalMember.name,
        ).where(ProposalMember.proposal_id.in_(proposal_ids))
    ):
        countries.setdefault(pid, set()).add(iso3)
        if role == configs[version_of[pid]].lead_role.code:
            lead_member.setdefault(pid, name)
    rows = [
        ProposalRow(
            reference=p.reference,
            title=p.title,
            track=p.track,
            area=p.area,
            status=p.status,
            lead_name=r[0] if r else lead_member.get(p.id, ""),
            lead_name_local=r[1] if r else lead_member.get(p.id, ""),
            countries=configs[version_of[p.id]].countries_home_first(countries.get(p.id, set())),
            requested=f"{p.requested_amount:,.0f} {p.currency}",
            synthetic=p.synthetic,
        )
        for p in results
        for r in [leads.get(p.lead_researcher_id or 0)]
    ]
    return ProposalList(rows=rows, total=total, page=page, per_page=per_page, scope=scope)


def _counts(session: Session, key: Any, counted: Any = None) -> dict[str, int]:
    """``{key: count}`` over the key's table (``counted`` defaults to rows)."""
    measure = func.count() if counted is None else func.count(counted)
    rows = session.execute(select(key, measure).group_by(key)).all()
    return {str(k): int(n) for k, n in rows}


def call_statistics(session: Session, *, actor: Actor) -> CallStatistics:
    """Aggregate counts, no personal data: proposals by track, priority area and country."""
    require(actor, "statistics.read", "see program statistics")
    calls = count_calls(session)
    proposals = session.scalar(select(func.count()).select_from(Proposal)) or 0
    synthetic = bool(session.scalar(select(func.count()).where(Proposal.synthetic.is_(True))))
    by_track = _counts(session, Proposal.track)
    by_area = _counts(session, Proposal.area)
    by_country = _counts(session, ProposalMember.country, distinct(ProposalMember.proposal_id))
    return CallStatistics(
        calls=calls,
        proposals=proposals,
        synthetic=synthetic,
        by_track=by_track,
        by_area=by_area,
        by_country=by_country,
    )


@dataclass(frozen=True, slots=True)
class Submission:
    reference: str
    title: str
    lead: str
    countries: tuple[str, ...]
    sectors: tuple[str, ...]  # one per consortium member
    area: str
    track: str
    status: str
    submitted_at: datetime | None


def call_submissions(session: Session, *, actor: Actor, reference: str) -> list[Submission]:
    """Every proposal of a call with its lead, countries and members' sectors (officers)."""
    require(actor, "proposals.read_all", "see a call's submissions")
    call = get_call(session, actor=actor, reference=reference)
    config = program_version(session, call.program_version_id).config
    members: dict[int, list[ProposalMember]] = {}
    for m in session.scalars(
        select(ProposalMember)
        .join(Proposal, Proposal.id == ProposalMember.proposal_id)
        .where(Proposal.call_id == call.id)
        .order_by(ProposalMember.id)
    ):
        members.setdefault(m.proposal_id, []).append(m)
    out = []
    for p in session.scalars(
        select(Proposal).where(Proposal.call_id == call.id).order_by(Proposal.reference)
    ):
        team = members.get(p.id, [])
        lead = next((m for m in team if m.role == config.lead_role.code), team[0] if team else None)
        out.append(
            Submission(
                reference=p.reference,
                title=p.title,
                lead=lead.name if lead else "",
                countries=config.countries_home_first({m.country for m in team}),
                sectors=tuple(m.sector for m in team),
                area=p.area,
                track=p.track,
                status=p.status,
                submitted_at=p.submitted_at,
            )
        )
    return out


# --- a call's eligible proposals, as plain facts (for selection) --------------------------------


@dataclass(frozen=True, slots=True)
class MemberFacts:
    id: int
    name: str
    email: str
    orcid: str | None
    role: str
    country: str
    organisation_id: int | None
    organisation_name: str
    researcher_id: int | None = None
    confirmation: str = "confirmed"


@dataclass(frozen=True, slots=True)
class LineFacts:
    """Money one funder gives one member's team in one year, in the funder's currency."""

    member_id: int
    funder: str
    year: int
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class ProposalFacts:
    id: int
    reference: str
    area: str
    track: str
    lead_researcher_id: int | None
    members: tuple[MemberFacts, ...]
    lines: tuple[LineFacts, ...]


def eligible_proposals(session: Session, call_id: int) -> list[ProposalFacts]:
    """The call's eligible proposals in reference order, with their consortia and budget lines
    (three queries, whatever the number of proposals; the columns are read as rows, without
    building a mapped object per proposal, member and line)."""
    rows = session.execute(
        select(
            Proposal.id,
            Proposal.reference,
            Proposal.area,
            Proposal.track,
            Proposal.lead_researcher_id,
        )
        .where(Proposal.call_id == call_id, Proposal.status == "eligible")
        .order_by(Proposal.reference)
    ).all()
    ids = [r.id for r in rows]
    members = consortia(session, ids)
    lines: dict[int, list[LineFacts]] = {}
    for b in session.execute(
        select(
            BudgetLine.proposal_id,
            BudgetLine.member_id,
            BudgetLine.funder,
            BudgetLine.year,
            BudgetLine.amount,
            BudgetLine.currency,
        )
        .where(BudgetLine.proposal_id.in_(ids))
        .order_by(BudgetLine.id)
    ):
        lines.setdefault(b.proposal_id, []).append(
            LineFacts(b.member_id, b.funder, b.year, b.amount, b.currency)
        )
    return [
        ProposalFacts(
            r.id,
            r.reference,
            r.area,
            r.track,
            r.lead_researcher_id,
            tuple(members.get(r.id, ())),
            tuple(lines.get(r.id, ())),
        )
        for r in rows
    ]


def eligible_by_call(session: Session, among: Select[Any] | None = None) -> dict[int, int]:
    """Call id -> its number of eligible proposals (calls with none are left out); with
    ``among`` (a select of proposal ids, from another context) only those are counted."""
    query = select(Proposal.call_id, func.count()).where(Proposal.status == "eligible")
    if among is not None:
        query = query.where(Proposal.id.in_(among.scalar_subquery()))
    rows = session.execute(query.group_by(Proposal.call_id)).all()
    return {int(call_id): int(n) for call_id, n in rows}


@dataclass(frozen=True, slots=True)
class ProposalSummary:
    id: int
    reference: str
    status: str
    requested_amount: Decimal
    currency: str


def proposals_by_reference(
    session: Session, references: Iterable[str]
) -> dict[str, ProposalSummary]:
    """Reference -> the proposal's id, status and request, for those that exist."""
    rows = session.scalars(select(Proposal).where(Proposal.reference.in_(list(references))))
    return {
        p.reference: ProposalSummary(p.id, p.reference, p.status, p.requested_amount, p.currency)
        for p in rows
    }


@dataclass(frozen=True, slots=True)
class GrantFacts:
    """What an award publishes of its proposal (the 360Giving export)."""

    title: str
    abstract: str
    duration_months: int
    lead_organisation: str
    lead_ror_id: str | None
    lead_local_id: str
    countries: tuple[str, ...]
    paying_funders: tuple[str, ...]
    first_year: int | None


def grant_facts(session: Session, proposal_id: int, lead_role: str) -> GrantFacts:
    """The proposal's title, abstract and duration, its lead's organisation (the member in
    ``lead_role``, else the first), its countries, the funders of its budget lines and its
    first budget year."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound("proposal", proposal_id)
    members = list(
        session.scalars(
            select(ProposalMember)
            .where(ProposalMember.proposal_id == proposal_id)
            .order_by(ProposalMember.id)
        )
    )
    lead = next((m for m in members if m.role == lead_role), members[0])
    lines = session.execute(
        select(BudgetLine.funder, BudgetLine.year).where(BudgetLine.proposal_id == proposal_id)
    ).all()
    return GrantFacts(
        title=proposal.title,
        abstract=proposal.abstract,
        duration_months=proposal.duration_months,
        lead_organisation=lead.organisation_name,
        lead_ror_id=lead.ror_id,
        lead_local_id=str(lead.organisation_id or lead.id),
        countries=tuple(sorted({m.country for m in members})),
        paying_funders=tuple(sorted({funder for funder, _ in lines})),
        first_year=min((year for _, year in lines), default=None),
    )


# --- proposals and consortia as plain cards (for review) ----------------------------------------


@dataclass(frozen=True, slots=True)
class ProposalCard:
    """What a reviewer or a review officer reads of a proposal."""

    id: int
    call_id: int
    reference: str
    title: str
    abstract: str
    keywords: tuple[str, ...]
    area: str
    track: str
    status: str
    duration_months: int


def _card(p: Proposal) -> ProposalCard:
    return ProposalCard(
        id=p.id,
        call_id=p.call_id,
        reference=p.reference,
        title=p.title,
        abstract=p.abstract,
        keywords=tuple(p.keywords or ()),
        area=p.area,
        track=p.track,
        status=p.status,
        duration_months=p.duration_months,
    )


def proposal_cards(
    session: Session, *, call_id: int | None = None, ids: Iterable[int] | None = None
) -> list[ProposalCard]:
    """The call's proposals, or those with the given ids (or both), by id."""
    query = select(Proposal).order_by(Proposal.id)
    if call_id is not None:
        query = query.where(Proposal.call_id == call_id)
    if ids is not None:
        query = query.where(Proposal.id.in_(list(ids)))
    return [_card(p) for p in session.scalars(query)]


def proposal_card(
    session: Session, *, proposal_id: int | None = None, reference: str | None = None
) -> ProposalCard | None:
    """One proposal by id or by reference, or None."""
    query = select(Proposal)
    if proposal_id is not None:
        query = query.where(Proposal.id == proposal_id)
    if reference is not None:
        query = query.where(Proposal.reference == reference)
    found = session.scalar(query.limit(1))
    return _card(found) if found is not None else None


def references_of(
    session: Session, *, ids: Iterable[int] | None = None, call_id: int | None = None
) -> dict[int, str]:
    """Proposal id -> reference, for the given ids or the call's proposals."""
    query = select(Proposal.id, Proposal.reference)
    if ids is not None:
        query = query.where(Proposal.id.in_(list(ids)))
    if call_id is not None:
        query = query.where(Proposal.call_id == call_id)
    return {int(i): ref for i, ref in session.execute(query)}


def consortia(
    session: Session, proposal_ids: Iterable[int] | None = None, *, call_id: int | None = None
) -> dict[int, list[MemberFacts]]:
    """Proposal id -> its consortium members in the order they were added (declined ones
    included, with their ``confirmation``), for the given proposals or the call's; one query."""
    query = select(
        ProposalMember.id,
        ProposalMember.proposal_id,
        ProposalMember.name,
        ProposalMember.email,
        ProposalMember.orcid,
        ProposalMember.role,
        ProposalMember.country,
        ProposalMember.organisation_id,
        ProposalMember.organisation_name,
        ProposalMember.researcher_id,
        ProposalMember.confirmation,
    ).order_by(ProposalMember.id)
    if proposal_ids is not None:
        query = query.where(ProposalMember.proposal_id.in_(list(proposal_ids)))
    if call_id is not None:
        query = query.join(Proposal, Proposal.id == ProposalMember.proposal_id).where(
            Proposal.call_id == call_id
        )
    members: dict[int, list[MemberFacts]] = {}
    for m in session.execute(query):
        members.setdefault(m.proposal_id, []).append(
            MemberFacts(
                m.id,
                m.name,
                m.email,
                m.orcid,
                m.role,
                m.country,
                m.organisation_id,
                m.organisation_name,
                researcher_id=m.researcher_id,
                confirmation=m.confirmation,
            )
        )
    return members


# --- a proposal's documents (for reviewers, through review's own checks) -------------------------


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """An attachment of a proposal, without its content."""

    id: int
    kind: str
    filename: str
    media_type: str
    size: int
    pages: int | None
    uploaded_at: datetime


_DOCUMENT_COLUMNS = (
    Attachment.id,
    Attachment.kind,
    Attachment.filename,
    Attachment.media_type,
    Attachment.size,
    Attachment.pages,
    Attachment.uploaded_at,
)


def documents_of(session: Session, proposal_id: int) -> list[DocumentFacts]:
    """The proposal's attachments in upload order (their content is not read)."""
    rows = session.execute(
        select(*_DOCUMENT_COLUMNS)
        .where(Attachment.proposal_id == proposal_id)
        .order_by(Attachment.id)
    )
    return [DocumentFacts(*row) for row in rows]


def document_content(
    session: Session, proposal_id: int, attachment_id: int
) -> tuple[DocumentFacts, bytes] | None:
    """One attachment of the proposal with its bytes, or None when the proposal has no such
    attachment."""
    row = session.execute(
        select(*_DOCUMENT_COLUMNS, Attachment.content).where(
            Attachment.id == attachment_id, Attachment.proposal_id == proposal_id
        )
    ).first()
    if row is None:
        return None
    return DocumentFacts(*row[:-1]), bytes(row[-1])


@dataclass(frozen=True, slots=True)
class FunderShare:
    """What one funder pays a proposal over all years, in the funder's currency."""

    funder: str
    currency: str
    amount: Decimal
    countries: tuple[str, ...]  # the teams it pays for


def funder_split(session: Session, proposal_id: int) -> list[FunderShare]:
    """The proposal's budget by funder (and currency), from its budget lines."""
    country_of = dict(
        session.execute(
            select(ProposalMember.id, ProposalMember.country).where(
                ProposalMember.proposal_id == proposal_id
            )
        ).all()
    )
    totals: dict[tuple[str, str], Decimal] = {}
    teams: dict[tuple[str, str], set[str]] = {}
    for line in session.scalars(
        select(BudgetLine).where(BudgetLine.proposal_id == proposal_id).order_by(BudgetLine.id)
    ):
        key = (line.funder, line.currency)
        totals[key] = totals.get(key, Decimal(0)) + line.amount
        if line.member_id in country_of:
            teams.setdefault(key, set()).add(country_of[line.member_id])
    return [
        FunderShare(funder, currency, amount, tuple(sorted(teams.get((funder, currency), ()))))
        for (funder, currency), amount in sorted(totals.items())
    ]


def with_country(session: Session, proposal_ids: Iterable[int], country: str) -> set[int]:
    """Those of the proposals with a consortium member based in ``country``."""
    return set(
        session.scalars(
            select(ProposalMember.proposal_id)
            .where(
                ProposalMember.proposal_id.in_(list(proposal_ids)),
                ProposalMember.country == country,
            )
            .distinct()
        )
    )
