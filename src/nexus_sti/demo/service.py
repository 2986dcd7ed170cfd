"""Loading the synthetic demo data set: the program, people, a call with proposals, accounts.

Sizes come from the reference snapshot: institutions per country follow research output, and the
ASEAN partners of proposals follow the real Japan-ASEAN co-authorship figures. Everything stored
is flagged ``synthetic`` and the pages say so.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from nexus_sti.accounts.tables import User
from nexus_sti.algorithms.calibration import ReviewScores, calibrate_scores
from nexus_sti.calls.tables import Call
from nexus_sti.core.access import Actor, Role, require
from nexus_sti.core.countries import ASEAN_MEMBERS, ISO3_CODES, country
from nexus_sti.core.errors import Conflict
from nexus_sti.core.money import CurrencyError, Money
from nexus_sti.demo.generator import DemoDataset, DemoParams, generate_demo
from nexus_sti.demo.plan import CallSlot, demo_tracks, plan_proposals
from nexus_sti.demo.review_seed import remove_review_demo, seed_review_demo
from nexus_sti.demo.review_stage import stage_demo_review
from nexus_sti.demo.reviews import Criterion, simulate_reviews
from nexus_sti.mobility.tables import HostOffer, MobilityApplicant
from nexus_sti.people.tables import Organisation, Researcher
from nexus_sti.platform.auditlog import record
from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.security import hash_password
from nexus_sti.programs.loader import (
    PRESETS,
    LoadedProgram,
    load_preset,
    load_program_file,
    stored_program,
)
from nexus_sti.programs.model import ProgramConfig
from nexus_sti.programs.service import current_program, load_program
from nexus_sti.programs.tables import ProgramVersion
from nexus_sti.proposals.tables import (
    Attachment,
    BudgetLine,
    EligibilityOverride,
    Proposal,
    ProposalMember,
    ProposalVersion,
)
from nexus_sti.reference.snapshot import ReferenceSnapshot, load_snapshot
from nexus_sti.review.tables import ProposalScore
from nexus_sti.selection.tables import Award, SelectionRun

DEMO_PASSWORD = "nexus-demo-2026"  # printed on purpose: synthetic accounts only
CAPACITY_INDICATOR = "IP.JRN.ARTC.SC"  # scientific and technical journal articles
COAUTHORSHIP_YEARS = range(2019, 2024)
PLANTED_PROBLEM_RATE = 0.05

Progress_ = Callable[[str, int, int], None]


def _no_progress(_step: str, _done: int, _total: int) -> None:
    return None


REVIEWERS_AT_LEAST = 120
REVIEWERS_PER_PROPOSAL = 0.8


def demo_params(
    snapshot: ReferenceSnapshot,
    *,
    n_proposals: int,
    window: tuple[int, int] = (2015, 2023),
    config: ProgramConfig | None = None,
) -> DemoParams:
    """Demo sizes from real figures: research capacity = latest article count in ``window``;
    Japan co-authorship = works co-authored with Japan over 2019-2023. With a multilateral
    ``config`` (no home country), any of its countries leads and every proposal is of the
    regional shape (three countries or more)."""
    capacity: dict[str, float] = {}
    for iso3 in ISO3_CODES:
        latest = snapshot.latest(CAPACITY_INDICATOR, iso3, window=window)
        # Every country has article counts in the snapshot; a floor keeps a gap from erasing one.
        capacity[iso3] = max(latest[1] if latest else 1.0, 1.0)
    coauthorship = {
        iso3: float(max(snapshot.coauthored_works_total("JPN", iso3, COAUTHORSHIP_YEARS), 1))
        for iso3 in ASEAN_MEMBERS
    }
    sizes: dict[str, Any] = {
        "research_capacity": capacity,
        "coauthorship_with_japan": coauthorship,
        "n_proposals": n_proposals,
        # A pool that can review its call at the usual load: 3 reviews a proposal at most 6 a
        # reviewer needs half as many reviewers as proposals, and conflicts (reviewers who are
        # members of a proposal) and the Japan / member-state minimums need more.
        "n_reviewers": max(REVIEWERS_AT_LEAST, math.ceil(n_proposals * REVIEWERS_PER_PROPOSAL)),
        # Enough researchers that, as in a real call, each proposal can have its own leads, and
        # the reviewers are found among them (twenty per institution up to 400 proposals, more
        # for a larger data set, such as the pages benchmark's ten times the demo).
        "researchers_per_institution": max(20, math.ceil(n_proposals / 20)),
    }
    return DemoParams(**(sizes | _program_shape(config, n_proposals)))


def _program_shape(config: ProgramConfig | None, n_proposals: int) -> dict[str, Any]:
    if config is None:
        return {}
    shape: dict[str, Any] = {"areas": config.program.priority_areas}
    if config.home_country is None:
        shape |= {"lead_country": None, "countries": config.program.countries}
        # Every proposal has three to six leads (one per country team), so the smaller
        # countries need larger pools for each proposal to have its own.
        shape |= {
            "bilateral_share": 0.0,
            "researchers_per_institution": max(40, math.ceil(n_proposals / 10)),
        }
    return shape


DEMO_ACCOUNTS: tuple[tuple[str, Role, str, str | None], ...] = (
    ("admin", Role.ADMIN, "Demo administrator", None),
    ("officer", Role.OFFICER, "Demo program officer", None),
    ("applicant", Role.APPLICANT, "", None),
    ("reviewer", Role.REVIEWER, "", None),
    ("partner-tha", Role.FUNDING_PARTNER, "Demo funding partner (Thailand)", "THA"),
    ("analyst", Role.ANALYST, "Demo policy analyst", None),
)


def has_demo_data(session: Session) -> bool:
    return session.scalar(select(Call.id).where(Call.synthetic.is_(True)).limit(1)) is not None


def demo_accounts(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.synthetic.is_(True)).order_by(User.id)))


def remove_demo_data(session: Session) -> None:
    """Delete every synthetic record except the demo accounts, which the audit log may name;
    they are unlinked here and linked to the new data set's researchers by the next seeding."""
    session.execute(update(User).where(User.synthetic.is_(True)).values(researcher_id=None))
    synthetic_proposals = select(Proposal.id).where(Proposal.synthetic.is_(True))
    synthetic_calls = select(Call.id).where(Call.synthetic.is_(True))
    remove_review_demo(
        session, synthetic_calls=synthetic_calls, synthetic_proposals=synthetic_proposals
    )
    session.execute(delete(Award).where(Award.proposal_id.in_(synthetic_proposals)))
    session.execute(delete(SelectionRun).where(SelectionRun.call_id.in_(synthetic_calls)))
    children = (
        BudgetLine, ProposalVersion, Attachment, EligibilityOverride, ProposalMember, ProposalScore,
    )  # fmt: skip
    for child in children:
        session.execute(delete(child).where(child.proposal_id.in_(synthetic_proposals)))
    for table in (Proposal, Call, HostOffer, MobilityApplicant, Researcher, Organisation):
        session.execute(delete(table).where(table.synthetic.is_(True)))


def _store_people(session: Session, dataset: DemoDataset) -> tuple[dict[int, int], dict[int, int]]:
    """Store the organisations and researchers; their generator keys -> database ids."""
    organisations = [
        Organisation(
            name=o.name,
            local_name=o.local_name,
            country=o.country,
            kind=o.kind,
            size_weight=float(o.size_weight),
            synthetic=True,
        )
        for o in dataset.organisations
    ]
    session.add_all(organisations)
    session.flush()
    org_ids = {o.key: row.id for o, row in zip(dataset.organisations, organisations, strict=True)}
    researchers = [
        Researcher(
            organisation_id=org_ids[r.organisation_key],
            country=r.country,
            name_local=r.name.local,
            name_latin=r.name.latin,
            name_script=r.name.script,
            sort_name=r.name.sort_key,
            orcid=r.orcid,
            email=r.email,
            areas=list(r.areas),
            career_stage=r.career_stage,
            is_reviewer=r.is_reviewer,
            synthetic=True,
        )
        for r in dataset.researchers
    ]
    session.add_all(researchers)
    session.flush()
    res_ids = {r.key: row.id for r, row in zip(dataset.researchers, researchers, strict=True)}
    return org_ids, res_ids


def _store_mobility(
    session: Session, dataset: DemoDataset, org_ids: dict[int, int], res_ids: dict[int, int]
) -> None:
    session.add_all(
        MobilityApplicant(
            researcher_id=res_ids[a.researcher_key],
            direction=a.direction,
            scheme=a.scheme,
            areas=list(a.areas),
            preferred_countries=list(a.preferred_countries),
            synthetic=True,
        )
        for a in dataset.mobility_applicants
    )
    session.add_all(
        HostOffer(
            organisation_id=org_ids[h.organisation_key],
            host_researcher_id=res_ids[h.host_researcher_key],
            country=h.country,
            area=h.area,
            scheme=h.scheme,
            capacity=h.capacity,
            synthetic=True,
        )
        for h in dataset.host_offers
    )


def seed_demo(
    session: Session,
    *,
    actor: Actor,
    hasher_hash: Callable[[str], str],
    program: ProgramVersion,
    params: DemoParams,
    seed: int,
    now: datetime,
    replace: bool = False,
    progress: Progress_ = _no_progress,
) -> DemoDataset:
    """Generate the data set for ``seed`` and store it, with one audit entry, in one commit."""
    require(actor, "demo.seed", "load the demo data set")
    config = stored_program(program.config_text, program.source_name)
    tracks = demo_tracks(config)
    if has_demo_data(session):
        if not replace:
            raise Conflict("demo data is already loaded; pass replace to load it again")
        remove_demo_data(session)
    dataset = generate_demo(params, np.random.default_rng(seed))
    total = 6
    progress("organisations", 0, total)
    progress("researchers", 1, total)
    org_ids, res_ids = _store_people(session, dataset)
    progress("calls and proposals", 2, total)
    calls = _demo_calls(session, program, config, set(tracks.values()), now)
    plan = plan_proposals(
        dataset,
        config,
        {t: CallSlot(c.reference, c.track, c.closes_at) for t, c in calls.items()},
    )
    proposals = [
        Proposal(
            call_id=calls[p.call_track].id,
            reference=p.reference,
            track=p.call_track,
            area=p.area,
            secondary_areas=[],
            keywords=[],
            title=p.title,
            abstract=p.abstract,
            lead_researcher_id=res_ids[p.lead_key],
            requested_amount=p.requested_amount,
            currency=p.currency,
            duration_months=p.duration_months,
            status="submitted",
            stage="full",
            version=1,
            content_digest="",
            submitted_at=p.submitted_at,
            synthetic=True,
        )
        for p in plan
    ]
    session.add_all(proposals)
    session.flush()
    progress("consortium members", 3, total)
    members = [
        ProposalMember(
            proposal_id=row.id,
            researcher_id=res_ids[m.researcher_key],
            organisation_id=org_ids[m.organisation_key],
            name=m.name,
            email=m.email,
            orcid=m.orcid,
            organisation_name=m.organisation_name,
            country=m.country,
            sector=m.sector,
            role=m.role,
            confirmation="confirmed",
        )
        for p, row in zip(plan, proposals, strict=True)
        for m in p.members
    ]
    session.add_all(members)
    session.flush()
    agency = config.implementing_agency
    _demo_budgets_and_attachments(
        session,
        proposals,
        members,
        calls,
        agency.code if agency else None,
        config.lead_role.code,
        now,
        np.random.default_rng(seed + 1),
    )
    _demo_cofunding(session, proposals, members, calls, config, np.random.default_rng(seed + 2))
    _demo_scores(session, proposals, dataset, config, now, np.random.default_rng(seed + 3))
    progress("mobility", 4, total)
    _store_mobility(session, dataset, org_ids, res_ids)
    progress("accounts", 5, total)
    _add_demo_accounts(session, dataset, res_ids, hasher_hash, now)
    session.flush()
    seed_review_demo(
        session,
        calls=list(calls.values()),
        config=config,
        now=now,
        rng=np.random.default_rng(seed + 4),
    )
    record(
        session,
        action="demo.seeded",
        actor=actor,
        subject_type="program_version",
        subject_id=program.id,
        inputs={"seed": seed, "params": asdict(params), "program": program.config_digest},
        now=now,
        summary={
            "seed": seed,
            "proposals": len(dataset.proposals),
            "researchers": len(dataset.researchers),
            "organisations": len(dataset.organisations),
        },
    )
    session.commit()
    progress("done", total, total)
    return dataset


def _demo_calls(
    session: Session,
    program: ProgramVersion,
    config: ProgramConfig,
    tracks: set[str],
    now: datetime,
) -> dict[str, Call]:
    """A closed call per research track holding the generated proposals, and an open one per
    track for the next cycle, so applicants can try the whole journey."""
    short = config.program.short_name
    closed_opens = datetime(now.year, 1, 15, tzinfo=UTC)
    calls: dict[str, Call] = {}
    for track in sorted(tracks):
        label = config.track(track).name
        for status, opens, closes, year in (
            ("closed", closed_opens, closed_opens + timedelta(days=90), now.year),
            ("open", now - timedelta(days=7), now + timedelta(days=60), now.year + 1),
        ):
            call = Call(
                program_version_id=program.id,
                reference=f"DEMO-{program.code.upper()}-{year}-{track[:3].upper()}",
                title=f"{short} {label.lower()} call {year} (synthetic)",
                status=status,
                track=track,
                areas=list(config.program.priority_areas),
                description=f"Demo {label.lower()} call of the synthetic data set.",
                budget_currency=config.track(track).budget_currency,
                two_stage=False,
                opens_at=opens,
                closes_at=closes,
                synthetic=True,
            )
            session.add(call)
            if status == "closed":
                calls[track] = call
    session.flush()
    return calls


def _demo_budgets_and_attachments(
    session: Session,
    proposals: list[Proposal],
    members: list[ProposalMember],
    calls: dict[str, Call],
    agency: str | None,
    lead_role: str,
    now: datetime,
    rng: np.random.Generator,
) -> None:
    """The implementing agency's share of each proposal (where the program has an agency),
    spread evenly over its years on the lead, and a one-page synthetic project description, so
    the demo call can be screened like a real one. About one proposal in twenty gets a planted
    problem (a missing description, or most of the budget asked in the first year) for
    screening to find."""
    lead_of = {m.proposal_id: m.id for m in members if m.role == lead_role}
    description = _synthetic_pdf()
    digest = hashlib.sha256(description).hexdigest()
    planted = rng.random(len(proposals)) < PLANTED_PROBLEM_RATE
    for p, problem in zip(proposals, planted, strict=True):
        front_loaded = bool(problem) and rng.random() < 0.5 and agency is not None
        years = -(-p.duration_months // 12)
        start = calls[p.track].closes_at.year + 1
        share = (p.requested_amount / years).quantize(Decimal(1))
        if front_loaded:  # 70 % in year one: over the per-year cap
            share = (p.requested_amount * Decimal("0.3") / max(years - 1, 1)).quantize(Decimal(1))
        for y in range(years if agency is not None else 0):
            if front_loaded and y == 0:
                amount = p.requested_amount - share * (years - 1)
            elif front_loaded or y < years - 1:
                amount = share
            else:
                amount = p.requested_amount - share * (years - 1)
            session.add(
                BudgetLine(
                    proposal_id=p.id,
                    member_id=lead_of[p.id],
                    year=start + y,
                    funder=agency,
                    amount=amount,
                    currency=p.currency,
                )
            )
        if problem and not front_loaded:
            continue  # the project description was never uploaded
        session.add(
            Attachment(
                proposal_id=p.id,
                kind="project_description",
                filename="synthetic-project-description.pdf",
                media_type="application/pdf",
                size=len(description),
                pages=1,
                sha256=digest,
                content=description,
                uploaded_at=now,
            )
        )


def _demo_scores(
    session: Session,
    proposals: list[Proposal],
    dataset: DemoDataset,
    config: ProgramConfig,
    now: datetime,
    rng: np.random.Generator,
) -> None:
    """Simulated reviews of every demo proposal (three reviewers each from the demo's reviewer
    pool, each with a leniency), calibrated per call with the platform's calibration model and
    stored as the proposals' scores, labelled ``demo-simulated``."""
    criteria = tuple(
        Criterion(c.code, float(c.weight), float(c.scale_min), float(c.scale_max), float(c.step))
        for c in config.review_criteria
    )
    pool = sum(1 for r in dataset.researchers if r.is_reviewer)
    by_call: dict[int, list[Proposal]] = {}
    for p in proposals:
        by_call.setdefault(p.call_id, []).append(p)
    for members in by_call.values():
        reviews = simulate_reviews(len(members), pool, criteria, rng)
        fit = calibrate_scores(
            ReviewScores.from_records((r.proposal, r.reviewer, r.total) for r in reviews),
            n_proposals=len(members),
            n_reviewers=pool,
        )
        criteria_means: dict[int, dict[str, list[float]]] = {}
        for r in reviews:
            for code, mark in r.criteria.items():
                criteria_means.setdefault(r.proposal, {}).setdefault(code, []).append(mark)
        for i, p in enumerate(members):
            score, low, high = float(fit.score[i]), float(fit.lower[i]), float(fit.upper[i])
            session.add(
                ProposalScore(
                    proposal_id=p.id,
                    score=round(score, 4),
                    low=round(low, 4),
                    high=round(high, 4),
                    criteria={k: round(sum(v) / len(v), 3) for k, v in criteria_means[i].items()},
                    reviews=sum(1 for r in reviews if r.proposal == i),
                    source="demo-simulated",
                    computed_at=now,
                )
            )


# A member-state team's yearly budget from its national co-funder, in USD before conversion.
COFUNDED_TEAM_USD = 25_000


def _demo_cofunding(
    session: Session,
    proposals: list[Proposal],
    members: list[ProposalMember],
    calls: dict[str, Call],
    config: ProgramConfig,
    rng: np.random.Generator,
) -> None:
    """Each member's team budget from its own country's co-funder, in that country's currency
    (the e-ASIA model: each funder pays only its own teams), over the project's years: the
    partner countries' members where the implementing agency pays the home country's, every
    member in a multilateral program. Amounts are drawn around :data:`COFUNDED_TEAM_USD` a year and
    converted at the preset's planning rates; a country with no co-funder or no rate is left
    unfunded. Without an implementing agency, a proposal's request is the sum of its teams'
    budgets in the track's currency."""
    cofunder = {f.country: f.code for f in config.funders if f.role == "co_funder"}
    agency = config.implementing_agency
    paid_by_agency = set(agency.pays_for) if agency else set()
    rates = config.rate_table()
    by_proposal = {p.id: p for p in proposals}
    for m in members:
        if m.country in paid_by_agency or m.country not in cofunder:
            continue
        p = by_proposal[m.proposal_id]
        currency = country(m.country).currency
        on = calls[p.track].opens_at.date()
        yearly_usd = Decimal(str(round(float(rng.lognormal(np.log(COFUNDED_TEAM_USD), 0.35)))))
        try:
            local = rates.convert(Money(yearly_usd, "USD"), currency, on).amount
        except CurrencyError:
            continue
        start = calls[p.track].closes_at.year + 1
        years = -(-p.duration_months // 12)
        for y in range(years):
            session.add(
                BudgetLine(
                    proposal_id=p.id,
                    member_id=m.id,
                    year=start + y,
                    funder=cofunder[m.country],
                    amount=local.quantize(Decimal(1)),
                    currency=currency,
                )
            )
        if agency is None:
            asked = rates.convert(Money(local.quantize(Decimal(1)), currency), p.currency, on)
            p.requested_amount += (asked.amount * years).quantize(Decimal(1))


def _synthetic_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "Synthetic demo project description (not a real proposal)"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _add_demo_accounts(
    session: Session,
    dataset: DemoDataset,
    res_ids: dict[int, int],
    hasher_hash: Callable[[str], str],
    now: datetime,
) -> None:
    # The applicant is the lead of the first proposal; the reviewer is the first reviewer who
    # is in no proposal's consortium (a member would compete with every proposal of the call,
    # so she could never be assigned).
    lead = next(r for r in dataset.researchers if r.key == dataset.proposals[0].lead_key)
    in_consortia = {m.researcher_key for p in dataset.proposals for m in p.members}
    reviewer = next(r for r in dataset.researchers if r.is_reviewer and r.key not in in_consortia)
    password_hash = hasher_hash(DEMO_PASSWORD)
    existing = {u.username: u for u in session.scalars(select(User))}
    for username, role, name, iso3 in DEMO_ACCOUNTS:
        linked = {Role.APPLICANT: lead, Role.REVIEWER: reviewer}.get(role)
        user = existing.get(username)
        if user is not None and not user.synthetic:
            continue  # a real account of that name wins; the demo never touches it
        if user is None:
            user = User(username=username, created_at=now, synthetic=True)
            session.add(user)
        user.display_name = name or (linked.name.latin if linked else username)
        user.email = f"{username}@demo.example.org"
        user.role = role.value
        user.country = iso3 or (linked.country if linked else None)
        user.password_hash = password_hash
        user.active = True
        user.researcher_id = res_ids[linked.key] if linked else None
    session.flush()
    applicant = existing.get("applicant") or session.scalar(
        select(User).where(User.username == "applicant")
    )
    if applicant is not None and applicant.synthetic:
        session.execute(
            update(Proposal)
            .where(Proposal.lead_researcher_id == applicant.researcher_id)
            .values(owner_id=applicant.id)
        )


def _program_for_demo(platform: Platform, program: str | None) -> LoadedProgram:
    """``program``: a preset name or a program file; by default NEXUS_PROGRAM_FILE, else the
    NEXUS preset."""
    if program is None:
        file = platform.settings.program_file
        return load_program_file(file) if file else load_preset()
    if program in PRESETS:
        return load_preset(program)
    return load_program_file(Path(program))


def ensure_demo(
    platform: Platform, *, console: Console, replace: bool = False, program: str | None = None
) -> None:
    """Load the program and seed the demo data set unless both are already there.
    ``program``: a preset name (``nexus``, ``easia``) or a program file."""
    settings = platform.settings
    if settings.mode == "production":
        raise Conflict("demo data is synthetic and is not loaded in production mode")
    actor = Actor.system("demo")
    with platform.session() as session:
        loaded = _program_for_demo(platform, program)
        load_program(session, actor=actor, loaded=loaded, now=utcnow())
        if has_demo_data(session) and not replace:
            return
        stored = current_program(session, code=loaded.config.program.code).row
        params = demo_params(
            load_snapshot(), n_proposals=settings.demo_proposals, config=loaded.config
        )
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("generating synthetic demo data", total=6)

            def step(name: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total, description=f"demo data: {name}")

            dataset = seed_demo(
                session,
                actor=actor,
                hasher_hash=lambda pw: hash_password(platform.hasher, pw),
                program=stored,
                params=params,
                seed=settings.demo_seed,
                now=utcnow(),
                replace=replace,
                progress=step,
            )
            bar.update(task, description="demo data: opening a review")
            staged = stage_demo_review(
                session,
                now=utcnow(),
                progress=lambda name: bar.update(task, description=f"demo review: {name}"),
            )
        console.print(
            f"demo data (synthetic, seed {settings.demo_seed}): "
            f"{len(dataset.organisations)} organisations, {len(dataset.researchers)} researchers, "
            f"{len(dataset.proposals)} proposals, {len(dataset.mobility_applicants)} mobility "
            f"applicants, {len(dataset.host_offers)} host offers"
        )
        if staged.call is not None:
            console.print(
                f"demo review: call {staged.call} screened ({staged.eligible} eligible) and "
                f"assigned ({staged.pairs} reviews); the demo reviewer has "
                f"{staged.reviewer_assignments} proposals to review"
            )
