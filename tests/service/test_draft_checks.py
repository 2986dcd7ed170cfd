"""The editor's live checks as use cases, on SQLite and PostgreSQL: the verdicts a draft would get
if saved now, for the owner only, and nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from nexus_sti.core.errors import NotFound, PermissionDenied, RuleViolation
from nexus_sti.platform.auditlog import AuditEntry
from nexus_sti.platform.context import Platform
from nexus_sti.proposals import draft_checks
from nexus_sti.proposals import service as proposals
from nexus_sti.proposals.eligibility import Verdict
from nexus_sti.proposals.tables import BudgetLine, Proposal, ProposalMember, ProposalVersion
from tests.service.test_proposals_service import (
    CLOSES,
    NOW,
    OFFICER,
    applicant,
    call_ref,
    content,
    ready_draft,
)

__all__ = ["call_ref"]  # the fixture, shared with the proposals' service tests

SOMCHAI = {
    "name": "สมชาย ใจดี", "email": "somchai@example.org", "country": "THA",
    "organisation_name": "Chao Phraya Institute", "sector": "institute", "role": "lead_ams",
}  # fmt: skip


def counts(platform: Platform) -> tuple[int | None, ...]:
    with platform.session() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(t))
            for t in (Proposal, ProposalMember, BudgetLine, ProposalVersion, AuditEntry)
        )


def failing(verdicts: tuple[Verdict, ...]) -> set[str]:
    return {v.rule_id for v in verdicts if not v.passed}


def test_a_draft_is_judged_as_if_saved_and_nothing_is_written(
    platform: Platform, call_ref: str
) -> None:
    sato, ref = ready_draft(platform, call_ref)  # Lan confirmed, description uploaded
    before = counts(platform)
    with platform.session() as s:
        same = draft_checks.check_draft(s, actor=sato, reference=ref, content=content(), now=NOW)
        assert failing(same) == set()
        # A new partner would have to confirm, and two member states is one too many.
        members = [*content().model_dump()["members"], SOMCHAI]
        bigger = content(members=members)
        verdicts = draft_checks.check_draft(s, actor=sato, reference=ref, content=bigger, now=NOW)
        assert failing(verdicts) == {"consortium.countries", "consortium.confirmed"}
        confirmed = next(v for v in verdicts if v.rule_id == "consortium.confirmed")
        assert confirmed.message == "waiting for สมชาย ใจดี to confirm their participation"
        # The stored proposal's verdicts are untouched.
        assert failing(proposals.check_proposal(s, actor=sato, reference=ref)) == set()
    assert counts(platform) == before


def test_a_new_draft_is_judged_with_no_one_confirmed_yet_but_the_owner(
    platform: Platform, call_ref: str
) -> None:
    sato = applicant(platform, "sato", "sato@example.org")
    before = counts(platform)
    with platform.session() as s:
        verdicts = draft_checks.check_new_draft(
            s, actor=sato, call_reference=call_ref, content=content(), now=NOW
        )
    assert failing(verdicts) == {"consortium.confirmed", "attachments.required"}
    assert counts(platform) == before


def test_only_the_owner_checks_and_only_while_the_call_takes_work(
    platform: Platform, call_ref: str
) -> None:
    sato, ref = ready_draft(platform, call_ref)
    other = applicant(platform, "tanaka", "tanaka@example.org")
    with platform.session() as s:
        with pytest.raises(NotFound):
            draft_checks.check_draft(s, actor=other, reference=ref, content=content(), now=NOW)
        with pytest.raises(PermissionDenied):
            draft_checks.check_draft(s, actor=OFFICER, reference=ref, content=content(), now=NOW)
        with pytest.raises(PermissionDenied):
            draft_checks.check_new_draft(
                s, actor=OFFICER, call_reference=call_ref, content=content(), now=NOW
            )
        late = CLOSES + timedelta(seconds=1)
        with pytest.raises(RuleViolation, match="takes no"):
            draft_checks.check_draft(s, actor=sato, reference=ref, content=content(), now=late)
        proposals.withdraw_proposal(s, actor=sato, reference=ref, now=NOW)
        with pytest.raises(RuleViolation, match="withdrawn"):
            draft_checks.check_draft(s, actor=sato, reference=ref, content=content(), now=NOW)
