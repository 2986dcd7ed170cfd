"""How a generated demo data set becomes a program's proposals, without a database: which of
the program's tracks and roles the generator's shapes map to, each proposal's reference, call,
currency, duration and request, and each member's stored role and sector. Plain values in and
out; ``demo.service`` stores the plan, resolving the generator's keys to database ids."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from nexus_sti.core.errors import RuleViolation
from nexus_sti.demo.records import DemoDataset
from nexus_sti.programs.model import ProgramConfig
from nexus_sti.programs.model import Track as TrackConfig

SECTOR_OF_KIND = {"university": "university", "institute": "institute", "company": "industry"}


def demo_tracks(config: ProgramConfig) -> dict[str, str]:
    """The generator's proposal shapes (bilateral, regional) -> the program's research tracks
    that hold them: tracks of those codes where the program has them (NEXUS), else its first
    research track for both."""
    research = [t.code for t in config.tracks if t.kind == "research"]
    if not research:
        raise RuleViolation(
            "demo.tracks",
            f"program {config.program.code!r} has no research track for the demo's proposals",
        )
    return {
        shape: shape if shape in research else research[0] for shape in ("bilateral", "regional")
    }


def stored_roles(config: ProgramConfig) -> dict[str, str]:
    """The generator's consortium roles -> the program's role codes: the project lead, a
    country team's lead (a member where the program has no such role) and the members."""
    member = next(r.code for r in config.roles if r.kind == "member")
    country_lead = config.role_of_kind("country_lead")
    return {
        "lead": config.lead_role.code,
        "co_lead": country_lead.code if country_lead else member,
        "partner": member,
        "industry": member,
    }


def within(months: int, track: TrackConfig) -> int:
    """The generated duration, moved into the track's range (NEXUS's ranges hold them all)."""
    return min(max(months, track.min_duration_months), track.max_duration_months)


@dataclass(frozen=True, slots=True)
class CallSlot:
    """The closed demo call that holds a track's generated proposals."""

    reference: str
    track: str
    closes_at: datetime


@dataclass(frozen=True, slots=True)
class PlannedMember:
    researcher_key: int
    organisation_key: int
    name: str
    email: str
    orcid: str | None
    organisation_name: str
    country: str
    sector: str
    role: str  # the program's role code


@dataclass(frozen=True, slots=True)
class PlannedProposal:
    key: int
    call_track: str  # the program track whose call holds it
    reference: str
    area: str
    title: str
    abstract: str
    lead_key: int
    requested_amount: Decimal
    currency: str
    duration_months: int
    submitted_at: datetime
    members: tuple[PlannedMember, ...]  # the lead first


def plan_proposals(
    dataset: DemoDataset, config: ProgramConfig, calls: Mapping[str, CallSlot]
) -> list[PlannedProposal]:
    """The data set's proposals as the program stores them, in the generator's order.

    ``calls`` maps each of the program's demo tracks (see :func:`demo_tracks`) to its closed
    call. A proposal is submitted the day before its call closed; a program without an
    implementing agency records no single request (each country's agency funds its own team,
    so the budget lines carry the money)."""
    tracks = demo_tracks(config)
    roles = stored_roles(config)
    people = {r.key: r for r in dataset.researchers}
    orgs = {o.key: o for o in dataset.organisations}
    paid_by_agency = config.implementing_agency is not None
    out = []
    for p in dataset.proposals:
        call = calls[tracks[p.track]]
        track = config.track(call.track)
        out.append(
            PlannedProposal(
                key=p.key,
                call_track=call.track,
                reference=f"{call.reference}-{p.key:04d}",
                area=p.area,
                title=p.title,
                abstract=p.abstract,
                lead_key=p.lead_key,
                requested_amount=Decimal(p.requested_jpy) if paid_by_agency else Decimal(0),
                currency=track.budget_currency,
                duration_months=within(p.duration_months, track),
                submitted_at=call.closes_at - timedelta(days=1),
                members=tuple(
                    PlannedMember(
                        researcher_key=m.researcher_key,
                        organisation_key=m.organisation_key,
                        name=people[m.researcher_key].name.latin,
                        email=people[m.researcher_key].email,
                        orcid=people[m.researcher_key].orcid,
                        organisation_name=orgs[m.organisation_key].name,
                        country=m.country,
                        sector=SECTOR_OF_KIND[orgs[m.organisation_key].kind],
                        role=roles[m.role],
                    )
                    for m in p.members
                ),
            )
        )
    return out
