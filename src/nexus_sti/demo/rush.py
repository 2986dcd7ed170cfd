"""A deadline rush's starting point: a call and many applicants whose proposals are ready to
submit (consortium confirmed, project description uploaded, every eligibility rule passing).

Used by the deadline-rush benchmark and the concurrency tests. Everything goes through the
platform's own services, so the proposals are exactly what an applicant would have made; all of
it is synthetic and labelled so.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pypdf
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from nexus_sti.accounts import service as accounts
from nexus_sti.calls import service as calls
from nexus_sti.core.access import Actor, Role
from nexus_sti.proposals import files
from nexus_sti.proposals import service as proposals
from nexus_sti.proposals.model import ProposalContent, parse_content

RUSH_PASSWORD = "rush-applicant-password-2027"
_OFFICER = Actor(user_id=None, username="rush-officer", role=Role.OFFICER)
# Leads in two scripts each, so the rush also exercises non-Latin names end to end.
_LEADS = (
    ("佐藤 健", "JPN", "Ginga University"),
    ("Nguyễn Thị Lan", "VNM", "Song Hong Institute"),
    ("สมชาย ใจดี", "THA", "Chao Phraya University"),
    ("សុខ វណ្ណា", "KHM", "Tonle Institute of Technology"),
)


@dataclass(frozen=True, slots=True)
class ReadyApplicant:
    username: str
    token: str
    reference: str


def open_rush_call(
    session: Session, *, opens_at: datetime, closes_at: datetime, now: datetime
) -> str:
    """A bilateral call of the loaded program, opened; its reference."""
    call = calls.create_call(
        session,
        actor=_OFFICER,
        track="bilateral",
        title="Deadline rush (synthetic)",
        opens_at=opens_at,
        closes_at=closes_at,
        now=now,
        areas=("climate", "energy"),
    )
    calls.transition_call(session, actor=_OFFICER, reference=call.reference, action="open", now=now)
    return call.reference


def one_page_pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _content(n: int) -> ProposalContent:
    jp_name, _, jp_org = _LEADS[0]
    partner_name, partner_country, partner_org = _LEADS[1 + n % 3]
    return parse_content(
        {
            "title": f"Synthetic rush proposal {n}: flood forecasting",
            "abstract": "Joint hydrological models (synthetic, generated for a load test).",
            "area": "climate",
            "duration_months": 36,
            "members": [
                {
                    "name": jp_name,
                    "email": f"lead-jp-{n}@example.org",
                    "country": "JPN",
                    "organisation_name": jp_org,
                    "sector": "university",
                    "role": "lead_jp",
                },
                {
                    "name": partner_name,
                    "email": f"lead-{n}@example.org",
                    "country": partner_country,
                    "organisation_name": partner_org,
                    "sector": "institute",
                    "role": "lead_ams",
                },
            ],
            "budget": [
                {
                    "member": 0,
                    "year": 2027,
                    "funder": "jst",
                    "amount": "12000000",
                    "currency": "JPY",
                }
            ],
        }
    )


def prepare_applicants(
    session: Session,
    *,
    hasher: PasswordHasher,
    call_reference: str,
    count: int,
    now: datetime,
    first: int = 0,
    progress: Callable[[int], None] | None = None,
) -> list[ReadyApplicant]:
    """``count`` applicant accounts, each with an API token and one proposal ready to submit."""
    pdf = one_page_pdf()
    system = Actor.system("rush")
    ready: list[ReadyApplicant] = []
    for n in range(first, first + count):
        username = f"rush-applicant-{n:05d}"
        user = accounts.create_user(
            session,
            actor=system,
            hasher=hasher,
            username=username,
            password=RUSH_PASSWORD,
            role="applicant",
            display_name=f"Rush applicant {n}",
            email=f"{username}@example.org",
            now=now,
            synthetic=True,
        )
        actor = accounts.actor_for(user)
        token = accounts.create_api_token(
            session, user=user, name="rush", ttl=timedelta(days=1), now=now
        )
        saved = proposals.create_proposal(
            session, actor=actor, call_reference=call_reference, content=_content(n), now=now
        )
        for invitation in saved.invitations:
            proposals.respond_to_invitation(session, token=invitation.token, accept=True, now=now)
        reference = saved.proposal.reference
        files.save_attachment(
            session,
            actor=actor,
            reference=reference,
            kind="project_description",
            filename="description.pdf",
            data=pdf,
            now=now,
        )
        ready.append(ReadyApplicant(username, token.token, reference))
        if progress is not None:
            progress(n - first + 1)
    return ready
