"""The applicant's and the officer's journey through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from nexus_sti.accounts import service as accounts
from nexus_sti.calls import service as calls
from nexus_sti.core.access import Actor, Role
from nexus_sti.core.errors import NotFound, PermissionDenied, RuleViolation
from nexus_sti.platform.auditlog import AuditEntry
from nexus_sti.platform.context import Platform
from nexus_sti.programs.loader import load_preset
from nexus_sti.programs.service import load_program
from nexus_sti.proposals import files, screening
from nexus_sti.proposals import service as proposals
from nexus_sti.proposals.model import parse_content
from nexus_sti.proposals.tables import Attachment, Proposal

OPENS = datetime(2027, 1, 10, tzinfo=UTC)
CLOSES = datetime(2027, 3, 31, 8, 0, tzinfo=UTC)
NOW = datetime(2027, 2, 1, tzinfo=UTC)
SYSTEM = Actor.system("test")
OFFICER = Actor(user_id=None, username="officer", role=Role.OFFICER)


def applicant(platform: Platform, username: str, email: str) -> Actor:
    with platform.session() as s:
        user = accounts.create_user(
            s, actor=SYSTEM, hasher=platform.hasher, username=username,
            password="long enough password", role="applicant", display_name=username,
            email=email, now=NOW,
        )  # fmt: skip
        return accounts.actor_for(user)


def content(**changes: Any) -> Any:
    raw: dict[str, Any] = {
        "title": "Flood forecasting for the Mekong delta",
        "abstract": "Joint hydrological models.",
        "area": "climate",
        "duration_months": 36,
        "members": [
            {"name": "佐藤 健", "email": "sato@example.org", "country": "JPN",
             "organisation_name": "Ginga University", "sector": "university", "role": "lead_jp"},
            {"name": "Nguyễn Thị Lan", "email": "lan@example.org", "country": "VNM",
             "organisation_name": "Song Hong Institute", "sector": "institute",
             "role": "lead_ams"},
        ],
        "budget": [
            {"member": 0, "year": 2027, "funder": "jst", "amount": "12000000", "currency": "JPY"},
        ],
    }  # fmt: skip
    return parse_content(raw | changes)


@pytest.fixture
def call_ref(platform: Platform) -> str:
    with platform.session() as s:
        load_program(s, actor=SYSTEM, loaded=load_preset(), now=NOW)
        call = calls.create_call(
            s, actor=OFFICER, track="bilateral", title="Bilateral 2027", opens_at=OPENS,
            closes_at=CLOSES, now=NOW, areas=("climate", "energy"),
        )  # fmt: skip
        calls.transition_call(s, actor=OFFICER, reference=call.reference, action="open", now=NOW)
        return call.reference


def attach(platform: Platform, reference: str) -> None:
    with platform.session() as s:
        proposal = s.scalar(select(Proposal).where(Proposal.reference == reference))
        assert proposal is not None
        s.add(Attachment(proposal_id=proposal.id, kind="project_description", filename="p.pdf",
                         media_type="application/pdf", size=4, sha256="0" * 64,
                         content=b"%PDF", uploaded_at=NOW))  # fmt: skip
        s.commit()


def ready_draft(platform: Platform, call_ref: str) -> tuple[Actor, str]:
    """Sato's draft in the call, with the Vietnamese lead confirmed and the description
    uploaded: ready to submit."""
    sato = applicant(platform, "sato", "sato@example.org")
    with platform.session() as s:
        saved = proposals.create_proposal(
            s, actor=sato, call_reference=call_ref, content=content(), now=NOW
        )
        proposals.respond_to_invitation(s, token=saved.invitations[0].token, accept=True, now=NOW)
        ref = saved.proposal.reference
    attach(platform, ref)
    return sato, ref


def test_draft_fail_fix_confirm_submit_and_resubmit(platform: Platform, call_ref: str) -> None:
    sato = applicant(platform, "sato", "sato@example.org")
    with platform.session() as s:
        saved = proposals.create_proposal(
            s, actor=sato, call_reference=call_ref, content=content(), now=NOW
        )
        ref = saved.proposal.reference
        # Sato is the owner and so confirmed; Lan is invited with a one-time link.
        assert [i.email for i in saved.invitations] == ["lan@example.org"]
        token = saved.invitations[0].token
        with pytest.raises(RuleViolation) as caught:
            proposals.submit_proposal(s, actor=sato, reference=ref, now=NOW)
        assert set(caught.value.details["failing"]) == {
            "consortium.confirmed", "attachments.required"
        }  # fmt: skip
    attach(platform, ref)
    with platform.session() as s:
        proposals.respond_to_invitation(s, token=token, accept=True, now=NOW)
        with pytest.raises(NotFound):
            proposals.respond_to_invitation(s, token=token, accept=True, now=NOW)  # used up
        receipt = proposals.submit_proposal(s, actor=sato, reference=ref, now=NOW)
        again = proposals.submit_proposal(
            s, actor=sato, reference=ref, now=NOW + timedelta(hours=1)
        )
        assert again == receipt  # a retried submit changes nothing
        submitted = s.scalars(select(AuditEntry).where(AuditEntry.action == "proposal.submitted"))
        assert len(list(submitted)) == 1
        # An edit before the deadline is a new version and needs submitting again.
        proposals.update_proposal(
            s, actor=sato, reference=ref, content=content(title="Flood forecasting v2"), now=NOW
        )
        versions = proposals.versions_of(s, actor=sato, reference=ref)
        assert [v.version for v in versions] == [1, 2]
        assert versions[0].content["title"] == "Flood forecasting for the Mekong delta"
        proposal = s.scalar(select(Proposal).where(Proposal.reference == ref))
        assert proposal is not None
        assert proposal.status == "draft"
        second = proposals.submit_proposal(s, actor=sato, reference=ref, now=NOW)
        assert second.version == 2
        assert second.digest != receipt.digest


def test_the_last_second_counts_and_the_next_does_not(platform: Platform, call_ref: str) -> None:
    sato, ref = ready_draft(platform, call_ref)
    with platform.session() as s:
        with pytest.raises(RuleViolation, match="the deadline passed"):
            proposals.submit_proposal(
                s, actor=sato, reference=ref, now=CLOSES + timedelta(seconds=1)
            )
        receipt = proposals.submit_proposal(
            s, actor=sato, reference=ref, now=CLOSES - timedelta(milliseconds=300)
        )
        assert receipt.submitted_at == CLOSES - timedelta(milliseconds=300)


def test_applicants_never_reach_each_others_proposals(platform: Platform, call_ref: str) -> None:
    sato = applicant(platform, "sato", "sato@example.org")
    other = applicant(platform, "other", "other@example.org")
    reviewer = Actor(user_id=None, username="r", role=Role.REVIEWER)
    partner_vnm = Actor(user_id=None, username="p", role=Role.FUNDING_PARTNER, country="VNM")
    partner_tha = Actor(user_id=None, username="q", role=Role.FUNDING_PARTNER, country="THA")
    with platform.session() as s:
        ref = proposals.create_proposal(
            s, actor=sato, call_reference=call_ref, content=content(), now=NOW
        ).proposal.reference
        for outsider in (other, reviewer, partner_tha):
            with pytest.raises(NotFound):
                proposals.readable_proposal(s, actor=outsider, reference=ref)
        with pytest.raises(NotFound):
            proposals.update_proposal(s, actor=other, reference=ref, content=content(), now=NOW)
        with pytest.raises(NotFound):
            proposals.withdraw_proposal(s, actor=other, reference=ref, now=NOW)
        with pytest.raises(NotFound):  # a guessed reference looks the same as someone else's
            proposals.readable_proposal(s, actor=other, reference=ref[:-1] + "Z")
        assert proposals.readable_proposal(s, actor=partner_vnm, reference=ref).reference == ref
        with pytest.raises(PermissionDenied):
            proposals.update_proposal(
                s, actor=partner_vnm, reference=ref, content=content(), now=NOW
            )


def test_screening_with_an_audited_override(platform: Platform, call_ref: str) -> None:
    sato, ref = ready_draft(platform, call_ref)
    with platform.session() as s:
        proposals.submit_proposal(s, actor=sato, reference=ref, now=NOW)
        rows = screening.screening_list(s, actor=OFFICER, call_reference=call_ref)
        assert [r.eligible for r in rows] == [True]
        with pytest.raises(PermissionDenied):
            screening.screening_list(s, actor=sato, call_reference=call_ref)
        with pytest.raises(Exception, match="at least 10 characters"):
            screening.override_verdict(
                s, actor=OFFICER, reference=ref, rule_id="budget.caps", passed=False,
                justification="no", now=NOW,
            )  # fmt: skip
        screening.override_verdict(
            s, actor=OFFICER, reference=ref, rule_id="budget.caps", passed=False,
            justification="co-funder confirmed it cannot match the request", now=NOW,
        )  # fmt: skip
        row = screening.screening_list(s, actor=OFFICER, call_reference=call_ref)[0]
        assert not row.eligible
        assert "overridden by an officer" in next(
            v.message for v in row.verdicts if v.rule_id == "budget.caps"
        )
        counts = screening.apply_screening(s, actor=OFFICER, call_reference=call_ref, now=NOW)
        assert counts == {"eligible": 0, "ineligible": 1}
        actions = set(s.scalars(select(AuditEntry.action)))
        assert {"eligibility.overridden", "call.screened", "proposal.submitted"} <= actions


def test_two_stage_call_concept_then_full_by_invitation(platform: Platform) -> None:
    concept_deadline = datetime(2027, 2, 15, tzinfo=UTC)
    with platform.session() as s:
        load_program(s, actor=SYSTEM, loaded=load_preset(), now=NOW)
        call = calls.create_call(
            s, actor=OFFICER, track="bilateral", title="Two-stage 2027", opens_at=OPENS,
            closes_at=CLOSES, now=NOW, two_stage=True, concept_closes_at=concept_deadline,
        )  # fmt: skip
        calls.transition_call(s, actor=OFFICER, reference=call.reference, action="open", now=NOW)
        ref_call = call.reference
    sato = applicant(platform, "sato", "sato@example.org")
    with platform.session() as s:
        saved = proposals.create_proposal(
            s, actor=sato, call_reference=ref_call, content=content(), now=NOW
        )
        proposals.respond_to_invitation(s, token=saved.invitations[0].token, accept=True, now=NOW)
        ref = saved.proposal.reference
        assert saved.proposal.stage == "concept"
        # A concept needs no attachment; it is due by the concept deadline.
        proposals.submit_proposal(s, actor=sato, reference=ref, now=NOW)
        with pytest.raises(RuleViolation, match="takes no concepts"):
            proposals.create_proposal(
                s, actor=sato, call_reference=ref_call, content=content(),
                now=concept_deadline + timedelta(seconds=1),
            )  # fmt: skip
        later = concept_deadline + timedelta(days=3)
        invited = screening.invite_to_full_proposal(s, actor=OFFICER, reference=ref, now=later)
        assert (invited.stage, invited.status) == ("full", "draft")
        with pytest.raises(RuleViolation) as caught:
            proposals.submit_proposal(s, actor=sato, reference=ref, now=later)
        assert caught.value.details["failing"] == ["attachments.required"]
    attach(platform, ref)
    with platform.session() as s:
        receipt = proposals.submit_proposal(s, actor=sato, reference=ref, now=later)
        assert receipt.reference == ref


def test_a_new_attachment_after_submission_needs_submitting_again(
    platform: Platform, call_ref: str
) -> None:
    import io

    import pypdf

    def pdf(pages: int) -> bytes:
        writer = pypdf.PdfWriter()
        for _ in range(pages):
            writer.add_blank_page(width=595, height=842)
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue()

    sato = applicant(platform, "sato", "sato@example.org")
    with platform.session() as s:
        saved = proposals.create_proposal(
            s, actor=sato, call_reference=call_ref, content=content(), now=NOW
        )
        proposals.respond_to_invitation(s, token=saved.invitations[0].token, accept=True, now=NOW)
        ref = saved.proposal.reference
        files.save_attachment(
            s, actor=sato, reference=ref, kind="project_description", filename="a.pdf",
            data=pdf(1), now=NOW,
        )  # fmt: skip
        first = proposals.submit_proposal(s, actor=sato, reference=ref, now=NOW)
        files.save_attachment(
            s, actor=sato, reference=ref, kind="project_description", filename="a.pdf",
            data=pdf(2), now=NOW,
        )  # fmt: skip
        proposal = s.scalar(select(Proposal).where(Proposal.reference == ref))
        assert proposal is not None
        assert proposal.status == "draft"
        second = proposals.submit_proposal(s, actor=sato, reference=ref, now=NOW)
        assert second.digest != first.digest


def test_the_screening_batch_gives_each_proposal_its_own_verdicts(
    demo_platform: Platform,
) -> None:
    """``call_verdicts`` (six queries for a whole call) says exactly what ``current_verdicts``
    says proposal by proposal, including a lead who leads two proposals of the call."""
    from nexus_sti.calls.tables import Call
    from nexus_sti.proposals.tables import ProposalMember

    with demo_platform.session() as s:
        call = s.scalar(select(Call).where(Call.status == "closed", Call.track == "bilateral"))
        assert call is not None
        props = list(
            s.scalars(select(Proposal).where(Proposal.call_id == call.id).order_by(Proposal.id))
        )
        first, second = props[0], props[1]
        lead_of = {
            m.proposal_id: m
            for m in s.scalars(
                select(ProposalMember).where(
                    ProposalMember.proposal_id.in_([first.id, second.id]),
                    ProposalMember.role == "lead_jp",
                )
            )
        }
        lead_of[second.id].email = lead_of[first.id].email.upper()  # same person, other case
        lead_of[second.id].orcid = None
        s.flush()
        batch = proposals.call_verdicts(s, call, props)
        one_by_one = {p.id: proposals.current_verdicts(s, p) for p in props}
        assert batch == one_by_one
        doubled = {v.rule_id: v.passed for v in batch[second.id]}
        assert doubled["leads.one_per_call"] is False
        assert sum(not v.passed for vs in batch.values() for v in vs) >= 2
        s.rollback()
