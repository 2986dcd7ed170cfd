"""The whole chain for each shipped program, through the services, on SQLite and PostgreSQL:
load the program, open a call, submit proposals, screen, assign reviewers, review, calibrate,
select and approve. Nothing here knows which program it runs: every consortium, budget line,
reviewer and score is built from the program file, so a program that is "another file" gets the
same test. NEXUS (a home country whose agency pays the lead's team) and the e-ASIA-like preset
(no home country, any member leads, each agency pays its own team) differ exactly where a
program can differ."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from nexus_sti.accounts import service as accounts
from nexus_sti.calls import service as calls
from nexus_sti.core.access import Actor, Role
from nexus_sti.core.countries import country
from nexus_sti.core.money import Money
from nexus_sti.demo.rush import one_page_pdf
from nexus_sti.people.tables import Organisation, Researcher
from nexus_sti.platform.context import Platform
from nexus_sti.programs.loader import load_preset
from nexus_sti.programs.model import ProgramConfig
from nexus_sti.programs.service import load_program
from nexus_sti.proposals import files, screening
from nexus_sti.proposals import service as proposals
from nexus_sti.proposals.model import parse_content
from nexus_sti.proposals.tables import Proposal
from nexus_sti.review.service import assignments, pool, reviews
from nexus_sti.review.service.assignments import AssignmentParams
from nexus_sti.review.tables import ReviewAssignment
from nexus_sti.selection import decisions
from nexus_sti.selection import service as selection
from nexus_sti.selection.awards import awards_360giving
from nexus_sti.selection.inputs import SelectionParams
from nexus_sti.selection.tables import Award

NOW = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
SYSTEM = Actor.system("chain")
ALICE = Actor(user_id=None, username="alice", role=Role.OFFICER)
BOB = Actor(user_id=None, username="bob", role=Role.OFFICER)
HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "chain test password"
PROPOSALS = 6
# Per program: the research track the chain runs, and where its reviewers are based (enough
# of each reviewer group for three reviews a proposal).
SHAPES = {
    "nexus": ("bilateral", ("JPN", "JPN", "JPN", "THA", "VNM", "PHL", "IDN", "MYS")),
    "easia": ("joint", ("JPN", "THA", "VNM", "PHL", "IDN", "KHM", "LAO", "SGP")),
}
YEARLY_TEAM_USD = Decimal(20_000)
COMMENTS = "Sound plan; the partners' roles are clear and the budget is realistic."


@dataclass(frozen=True)
class Person:
    name: str
    country: str
    email: str
    organisation: str


def _people(session: Session, countries: list[str], prefix: str) -> list[Researcher]:
    out = []
    for i, code in enumerate(countries):
        org = Organisation(name=f"{prefix} institute {i} ({code})", country=code, kind="university")
        session.add(org)
        session.flush()
        person = Researcher(
            organisation_id=org.id, country=code, name_local=f"{prefix} {i}",
            name_latin=f"{prefix.title()} Person{i}", name_script="Latn",
            sort_name=f"person{i}, {prefix}", orcid=None, email=f"{prefix}{i}@example.org",
            areas=["climate"], career_stage="senior", is_reviewer=prefix == "reviewer",
        )  # fmt: skip
        session.add(person)
        out.append(person)
    session.flush()
    return out


def consortium(config: ProgramConfig, track: str, n: int) -> list[Person]:
    """The smallest consortium the track accepts, led from a different allowed country for
    each ``n``: the lead, then one country lead per further country the track needs."""
    rule = config.track(track)
    leads = config.place_countries(config.lead_place(rule))
    lead = leads[n % len(leads)]
    country_lead = config.role_of_kind("country_lead")
    assert country_lead is not None
    allowed = [c for c in config.place_countries(country_lead.based_in) if c != lead]
    home = 1 if config.home_country else 0
    needed = max(rule.min_partner_countries, rule.min_countries - 1, rule.min_countries - home, 1)
    teams = [allowed[(n + k) % len(allowed)] for k in range(needed)]
    return [
        Person(f"Lead{n} {code}", code, f"member{n}-{k}@example.org", f"Team {code} {n}")
        for k, code in enumerate([lead, *teams])
    ]


def content_for(config: ProgramConfig, track: str, people: list[Person]) -> dict[str, Any]:
    """A proposal every rule of the track accepts: each team budgeted by the funder that pays
    its country, in that funder's currency, within the implementing agency's caps."""
    rule = config.track(track)
    rates = config.rate_table()
    roles = [config.lead_role.code] + [config.role_of_kind("country_lead").code] * (  # type: ignore[union-attr]
        len(people) - 1
    )
    agency = config.implementing_agency
    budget = []
    for i, person in enumerate(people):
        funder = next(f for f in config.funders if person.country in f.pays_for)
        currency = country(funder.country).currency
        if agency is not None and funder.code == agency.code:
            assert rule.max_budget_per_year is not None
            amount = Money(rule.max_budget_per_year * Decimal("0.8"), rule.budget_currency)
            amount = rates.convert(amount, currency, NOW.date())
        else:
            amount = rates.convert(Money(YEARLY_TEAM_USD, "USD"), currency, NOW.date())
        budget.append(
            {"member": i, "year": NOW.year, "funder": funder.code,
             "amount": str(amount.amount.quantize(Decimal(1))), "currency": currency}
        )  # fmt: skip
    return {
        "title": f"Joint resilience study led from {people[0].country}",
        "abstract": "A synthetic proposal made by the chain test.",
        "area": config.program.priority_areas[0],
        "duration_months": rule.max_duration_months,
        "members": [
            {
                "name": p.name,
                "email": p.email,
                "country": p.country,
                "organisation_name": p.organisation,
                "sector": "university",
                "role": role,
            }
            for p, role in zip(people, roles, strict=True)
        ],
        "budget": budget,
    }


def marks(config: ProgramConfig, k: int) -> dict[str, float | None]:
    """Scores on each criterion's scale, above its threshold, varying with ``k``."""
    out: dict[str, float | None] = {}
    for c in config.review_criteria:
        floor = float(c.threshold if c.threshold is not None else c.scale_min)
        out[c.code] = min(float(c.scale_max), floor + float(c.step) * (k % 4))
    return out


@pytest.mark.parametrize("preset", ["nexus", "easia"])
def test_a_program_runs_from_its_file_to_awards(platform: Platform, preset: str) -> None:
    loaded = load_preset(preset)
    config = loaded.config
    track, reviewer_countries = SHAPES[preset]
    with platform.session() as s:
        load_program(s, actor=SYSTEM, loaded=loaded, now=NOW)
        call = calls.create_call(
            s, actor=ALICE, track=track, title=f"{config.program.short_name} chain call",
            opens_at=NOW - timedelta(days=1), closes_at=NOW + timedelta(days=30), now=NOW,
            program=config.program.code,
        )  # fmt: skip
        ref = call.reference
        calls.transition_call(s, actor=ALICE, reference=ref, action="open", now=NOW)

        # Applicants: each leads one proposal; the other teams' leads confirm; all submit.
        pdf = one_page_pdf()
        leads_from = set()
        for n in range(PROPOSALS):
            people = consortium(config, track, n)
            leads_from.add(people[0].country)
            user = accounts.create_user(
                s, actor=SYSTEM, hasher=HASHER, username=f"applicant{n}", password=PASSWORD,
                role="applicant", display_name=people[0].name, email=people[0].email, now=NOW,
                country=people[0].country,
            )  # fmt: skip
            actor = accounts.actor_for(user)
            saved = proposals.create_proposal(
                s, actor=actor, call_reference=ref,
                content=parse_content(content_for(config, track, people)), now=NOW,
            )  # fmt: skip
            assert len(saved.invitations) == len(people) - 1
            for invitation in saved.invitations:
                proposals.respond_to_invitation(s, token=invitation.token, accept=True, now=NOW)
            reference = saved.proposal.reference
            files.save_attachment(
                s, actor=actor, reference=reference, kind="project_description",
                filename="description.pdf", data=pdf, now=NOW,
            )  # fmt: skip
            failing = [
                v.message
                for v in proposals.check_proposal(s, actor=actor, reference=reference)
                if not v.passed
            ]
            assert failing == [], failing
            proposals.submit_proposal(s, actor=actor, reference=reference, now=NOW)
        if config.home_country is None:
            assert len(leads_from) > 1, "a multilateral program's leads come from any country"

        # Screening: every proposal meets the program's rules.
        for action in ("close", "screen"):
            calls.transition_call(s, actor=ALICE, reference=ref, action=action, now=NOW)
        screening.apply_screening(s, actor=ALICE, call_reference=ref, now=NOW)
        statuses = s.scalars(select(Proposal.status).where(Proposal.call_id == call.id)).all()
        assert statuses == ["eligible"] * PROPOSALS
        calls.transition_call(s, actor=ALICE, reference=ref, action="review", now=NOW)

        # Reviewers from the program's reviewer groups: profiles, invitations, acceptance.
        researchers = _people(s, list(reviewer_countries), "reviewer")
        reviewer_actors = []
        for i, r in enumerate(researchers):
            user = accounts.create_user(
                s, actor=SYSTEM, hasher=HASHER, username=f"reviewer{i}", password=PASSWORD,
                role="reviewer", display_name=r.name_latin, email=r.email, now=NOW,
                researcher_id=r.id,
            )  # fmt: skip
            reviewer_actors.append(accounts.actor_for(user))
        profiles = [
            pool.create_profile(s, actor=ALICE, researcher_id=r.id, now=NOW).id for r in researchers
        ]
        pool.invite_reviewers(
            s, actor=ALICE, call_reference=ref, reviewer_ids=profiles, max_load=6, now=NOW
        )
        for actor in reviewer_actors:
            pool.respond_to_invitation(
                s, actor=actor, call_reference=ref, accept=True, max_load=None, now=NOW
            )
        run = assignments.run_assignment(
            s, actor=ALICE, call_reference=ref,
            params=AssignmentParams(backend="static", k=3, time_limit=60), now=NOW,
        )  # fmt: skip
        rows = s.scalars(
            select(ReviewAssignment).where(
                ReviewAssignment.call_id == call.id, ReviewAssignment.status == "active"
            )
        ).all()
        assert len(rows) == 3 * PROPOSALS, run.result
        country_of = {p: r.country for p, r in zip(profiles, researchers, strict=True)}
        for group in config.reviewer_groups:
            where = set(config.place_countries(group.countries))
            for proposal_id in {r.proposal_id for r in rows}:
                mine = [country_of[r.reviewer_id] for r in rows if r.proposal_id == proposal_id]
                assert sum(c in where for c in mine) >= group.minimum, (group.code, mine)

        # Reviews, calibration, selection and the second officer's approval.
        for k, actor in enumerate(reviewer_actors):
            for view in reviews.my_assignments(s, actor=actor):
                reviews.submit_review(
                    s, actor=actor, assignment_id=view.assignment.id, scores=marks(config, k),
                    comments=COMMENTS, confidence=3, now=NOW,
                )  # fmt: skip
        reviews.run_calibration(s, actor=ALICE, call_reference=ref, now=NOW)
        proposed = selection.propose(
            s, actor=ALICE, call_reference=ref, params=SelectionParams(time_limit=10),
            note="chain test", now=NOW,
        )  # fmt: skip
        decided = decisions.decide(
            s, actor=BOB, run_id=proposed.id, approve=True, note="approved", now=NOW
        )
        assert decided.status == "approved"
        awards = s.scalars(select(Award).where(Award.call_id == call.id)).all()
        assert 0 < len(awards) <= PROPOSALS
        grants = awards_360giving(s, actor=ALICE, call_reference=ref)["grants"]
        assert len(grants) == len(awards)
        funders = {
            f["id"].rsplit("-FUNDER-", 1)[1] for g in grants for f in g["fundingOrganization"]
        }
        agency = config.implementing_agency
        if agency is not None:
            assert funders == {agency.code}
        else:  # each agency that pays a team of an awarded project is one of its funders
            assert len(funders) >= 3
