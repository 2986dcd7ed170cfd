"""Configuring a call's review form, on SQLite and PostgreSQL: the program's criteria as the
default with the applied track's suggested criterion, validation that names the field and the
rule and saves nothing, criteria fixed once a review is submitted (the deadline still moves),
permissions and the audit entry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from nexus_sti.calls.tables import Call
from nexus_sti.core.access import Actor, Role
from nexus_sti.core.errors import Conflict, InvalidInput, PermissionDenied
from nexus_sti.platform.context import Platform
from nexus_sti.review.service import forms as form_service
from nexus_sti.review.tables import Review, ReviewAssignment, ReviewForm
from tests.service.test_review_reviews import (
    CALL,
    COMMENTS,
    GOOD,
    NOW,
    OFFICER,
    audit_actions,
    reviewer_setup,
)

APPLIED_CALL = "DEMO-NEXUS-2026-REG"


def stored_form(platform: Platform, reference: str) -> ReviewForm | None:
    with platform.session() as s:
        call = s.scalar(select(Call).where(Call.reference == reference))
        assert call is not None
        return s.scalar(select(ReviewForm).where(ReviewForm.call_id == call.id))


def drop_form(platform: Platform, reference: str) -> None:
    with platform.session() as s:
        call = s.scalar(select(Call).where(Call.reference == reference))
        assert call is not None
        s.execute(delete(ReviewForm).where(ReviewForm.call_id == call.id))
        s.commit()


def settings(current: form_service.CallReviewForm, **changes: Any) -> dict[str, Any]:
    """The form as ``save_review_form`` arguments, with ``changes`` applied."""
    base: dict[str, Any] = {
        "criteria": current.spec.rows(),
        "total_threshold": current.spec.total_threshold,
        "reviews_per_proposal": current.reviews_per_proposal,
        "due_at": current.due_at or NOW + timedelta(days=30),
        "reminder_days": current.reminder_days,
    }
    return {**base, **changes}


def test_default_form_offers_industry_engagement_on_the_applied_track_then_saves_audited(
    demo_platform: Platform,
) -> None:
    drop_form(demo_platform, APPLIED_CALL)
    with demo_platform.session() as s:
        current = form_service.get_review_form(s, actor=OFFICER, call_reference=APPLIED_CALL)
        assert current.source == "program" and not current.locked and current.due_at is None
        assert [c.code for c in current.spec.criteria] == list(GOOD)
        assert current.spec.total_threshold == 12.0
        assert [c.code for c in current.suggested] == ["industry_engagement"]
        bilateral = form_service.get_review_form(s, actor=OFFICER, call_reference=CALL)
        assert bilateral.suggested == ()  # the bilateral track asks for no industry partner

        for role in (Role.REVIEWER, Role.APPLICANT, Role.ANALYST):
            outsider = Actor(user_id=None, username=role.value, role=role)
            with pytest.raises(PermissionDenied):
                form_service.get_review_form(s, actor=outsider, call_reference=APPLIED_CALL)
            with pytest.raises(PermissionDenied):
                form_service.save_review_form(
                    s, actor=outsider, call_reference=APPLIED_CALL, now=NOW, **settings(current)
                )

        rows = [*current.spec.rows(), current.suggested[0].as_row()]
        saved = form_service.save_review_form(
            s,
            actor=OFFICER,
            call_reference=APPLIED_CALL,
            now=NOW,
            **settings(current, criteria=rows, total_threshold=15.0, reminder_days=[1, 7]),
        )
        assert saved.reminder_days == [7, 1]  # largest first, as reminders read them
    again = stored_form(demo_platform, APPLIED_CALL)
    assert again is not None and again.total_threshold == 15.0
    assert [c["code"] for c in again.criteria] == [*GOOD, "industry_engagement"]
    assert again.due_at == NOW + timedelta(days=30)
    with demo_platform.session() as s:
        current = form_service.get_review_form(s, actor=OFFICER, call_reference=APPLIED_CALL)
        assert current.source == "call" and current.suggested == ()
    assert audit_actions(demo_platform) == ["review.form_saved"]


def test_invalid_forms_name_the_field_and_rule_and_save_nothing(demo_platform: Platform) -> None:
    reviewer_setup(demo_platform, due_at=NOW + timedelta(days=20), n=1)
    before = stored_form(demo_platform, CALL)
    assert before is not None
    with demo_platform.session() as s:
        current = form_service.get_review_form(s, actor=OFFICER, call_reference=CALL)
        rows = current.spec.rows()

        def row(i: int, **changes: Any) -> list[dict[str, Any]]:
            return [{**r, **changes} if n == i else r for n, r in enumerate(rows)]

        cases: list[tuple[dict[str, Any], str, str]] = [
            ({"criteria": []}, "criteria", "required"),
            ({"criteria": row(1, code="excellence")}, "criteria[1].code", "duplicate"),
            ({"criteria": row(0, code="Excellence 2")}, "criteria[0].code", "slug"),
            ({"criteria": row(0, name=" ")}, "criteria[0].name", "required"),
            ({"criteria": row(2, weight=0)}, "criteria[2].weight", "positive"),
            ({"criteria": row(0, scale_min=5.0)}, "criteria[0].scale_max", "above_scale_min"),
            ({"criteria": row(0, step=0)}, "criteria[0].step", "positive"),
            ({"criteria": row(0, step=0.3)}, "criteria[0].step", "divides_range"),
            ({"criteria": row(3, threshold=5.5)}, "criteria[3].threshold", "out_of_scale"),
            ({"criteria": row(3, threshold=2.25)}, "criteria[3].threshold", "off_step"),
            ({"criteria": row(1, weight="heavy")}, "criteria[1].weight", "not_a_number"),
            ({"total_threshold": 21.0}, "total_threshold", "unreachable"),
            ({"reviews_per_proposal": 0}, "reviews_per_proposal", "out_of_range"),
            ({"due_at": NOW - timedelta(hours=1)}, "due_at", "in_the_future"),
            ({"due_at": None}, "due_at", "required"),
            ({"reminder_days": [7, 0]}, "reminder_days[1]", "before_deadline"),
            ({"reminder_days": [3, 3]}, "reminder_days[1]", "duplicate"),
        ]
        for changes, field, rule in cases:
            with pytest.raises(InvalidInput) as caught:
                form_service.save_review_form(
                    s, actor=OFFICER, call_reference=CALL, now=NOW, **settings(current, **changes)
                )
            assert (caught.value.field, caught.value.rule) == (field, rule), changes
            assert field in caught.value.message
            s.rollback()
        # Two problems at once: both are listed.
        with pytest.raises(InvalidInput) as caught:
            form_service.save_review_form(
                s,
                actor=OFFICER,
                call_reference=CALL,
                now=NOW,
                **settings(current, criteria=row(0, step=0), reviews_per_proposal=99),
            )
        listed = [(p["field"], p["rule"]) for p in caught.value.details["problems"]]
        assert listed == [
            ("criteria[0].step", "positive"),
            ("reviews_per_proposal", "out_of_range"),
        ]
    after = stored_form(demo_platform, CALL)
    assert after is not None and after.criteria == before.criteria
    assert after.due_at == before.due_at and after.reminder_days == before.reminder_days
    assert audit_actions(demo_platform) == []


def test_criteria_are_fixed_once_a_review_is_submitted_but_the_deadline_still_moves(
    demo_platform: Platform,
) -> None:
    due = NOW + timedelta(days=20)
    setup = reviewer_setup(demo_platform, due_at=due, n=1)
    with demo_platform.session() as s:
        current = form_service.get_review_form(s, actor=OFFICER, call_reference=CALL)
        rows = current.spec.rows()
        # Before any submission the criteria may change.
        form_service.save_review_form(
            s,
            actor=OFFICER,
            call_reference=CALL,
            now=NOW,
            **settings(current, criteria=[{**rows[0], "weight": 2.0}, *rows[1:]]),
        )
        assignment = s.get(ReviewAssignment, setup.assignment_ids[0])
        assert assignment is not None
        s.add(
            Review(
                assignment_id=assignment.id, proposal_id=assignment.proposal_id,
                reviewer_id=setup.profile_id, scores=GOOD, total=16.0, comments=COMMENTS,
                confidence=4, status="submitted", updated_at=NOW, submitted_at=NOW,
            )
        )  # fmt: skip
        s.commit()
        current = form_service.get_review_form(s, actor=OFFICER, call_reference=CALL)
        assert current.locked and current.submitted_reviews == 1
        rows = current.spec.rows()
        for changes in (
            {"criteria": [{**rows[0], "weight": 1.0}, *rows[1:]]},
            {"criteria": rows[:3]},
            {"criteria": [{**rows[0], "scale_max": 10.0}, *rows[1:]]},
            {"total_threshold": 10.0},
        ):
            with pytest.raises(Conflict, match=r"1 review\(s\) of call .* were submitted"):
                form_service.save_review_form(
                    s, actor=OFFICER, call_reference=CALL, now=NOW, **settings(current, **changes)
                )
            s.rollback()
        # The deadline, the reminders and the texts may still change.
        moved = NOW + timedelta(days=40)
        renamed = [{**rows[0], "name": "Scientific excellence"}, *rows[1:]]
        form_service.save_review_form(
            s,
            actor=OFFICER,
            call_reference=CALL,
            now=NOW,
            **settings(current, criteria=renamed, due_at=moved, reminder_days=[3]),
        )
        # Once the deadline has passed, texts may still be edited without moving it...
        late = moved + timedelta(days=1)
        current = form_service.get_review_form(s, actor=OFFICER, call_reference=CALL)
        texts = [{**r, "description": "Updated wording."} for r in current.spec.rows()]
        form_service.save_review_form(
            s, actor=OFFICER, call_reference=CALL, now=late, **settings(current, criteria=texts)
        )
        # ...but anything else needs a deadline in the future.
        with pytest.raises(InvalidInput) as caught:
            form_service.save_review_form(
                s, actor=OFFICER, call_reference=CALL, now=late,
                **settings(current, reviews_per_proposal=4),
            )  # fmt: skip
        assert (caught.value.field, caught.value.rule) == ("due_at", "in_the_future")
    stored = stored_form(demo_platform, CALL)
    assert stored is not None and stored.due_at == moved and stored.reminder_days == [3]
    assert stored.criteria[0]["name"] == "Scientific excellence"
    assert stored.criteria[0]["weight"] == 2.0
    assert {c["description"] for c in stored.criteria} == {"Updated wording."}
    assert audit_actions(demo_platform) == ["review.form_saved"] * 3
