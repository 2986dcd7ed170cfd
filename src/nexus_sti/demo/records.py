"""The records a demo data set is made of: plain frozen values with local integer keys.

Keys run 1..n within one ``DemoDataset`` for each kind of record; the service that stores a data
set maps them to database ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nexus_sti.demo.institutions import OrgKind
from nexus_sti.demo.names import PersonName

CareerStage = Literal["early", "mid", "senior"]
Track = Literal["bilateral", "regional"]
MemberRole = Literal["lead", "co_lead", "partner", "industry"]
Direction = Literal["to_japan", "to_asean"]
Scheme = Literal["short", "long"]


@dataclass(frozen=True, slots=True)
class DemoOrganisation:
    key: int
    name: str
    local_name: str | None
    country: str
    kind: OrgKind
    size_weight: float  # relative size; about 1 for an average university department


@dataclass(frozen=True, slots=True)
class DemoResearcher:
    key: int
    organisation_key: int
    country: str
    name: PersonName
    areas: tuple[str, ...]  # 1-3 priority area codes
    career_stage: CareerStage
    orcid: str  # synthetic, with a valid ISO 7064 MOD 11-2 check character
    email: str  # ASCII, @example.org
    is_reviewer: bool


@dataclass(frozen=True, slots=True)
class DemoMember:
    researcher_key: int
    organisation_key: int
    country: str
    role: MemberRole


@dataclass(frozen=True, slots=True)
class DemoProposal:
    key: int
    track: Track
    area: str
    title: str
    abstract: str
    lead_key: int  # a researcher in Japan
    members: tuple[DemoMember, ...]  # the lead first
    requested_jpy: int
    duration_months: int


@dataclass(frozen=True, slots=True)
class DemoMobilityApplicant:
    key: int
    researcher_key: int
    direction: Direction
    scheme: Scheme
    areas: tuple[str, ...]
    preferred_countries: tuple[str, ...]  # in order of preference


@dataclass(frozen=True, slots=True)
class DemoHostOffer:
    key: int
    organisation_key: int
    host_researcher_key: int
    country: str
    area: str
    capacity: int  # visitors the host can take
    scheme: Scheme


@dataclass(frozen=True, slots=True)
class DemoDataset:
    organisations: tuple[DemoOrganisation, ...]
    researchers: tuple[DemoResearcher, ...]
    proposals: tuple[DemoProposal, ...]
    mobility_applicants: tuple[DemoMobilityApplicant, ...]
    host_offers: tuple[DemoHostOffer, ...]
    seed_note: str
