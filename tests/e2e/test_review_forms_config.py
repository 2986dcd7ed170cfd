"""The officer configures a call's review form through the real app (page with CSRF, and the
JSON API), and what the reviewer's form then shows; creating a reviewer profile for a
researcher found by name in any script; the assignment page naming rules the active assignment
breaks since a conflict was declared."""

from __future__ import annotations

import html
import unicodedata
from datetime import UTC, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from nexus_sti.people.tables import Researcher
from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from nexus_sti.review.tables import Review, ReviewAssignment, ReviewerProfile
from tests.e2e.conftest import api_token, csrf_of, login
from tests.e2e.test_review_officer import closed_bilateral
from tests.service.test_review_reviews import CALL, COMMENTS, GOOD, audit_actions, reviewer_setup


def page_fields(criteria: list[dict[str, Any]], **extra: str) -> dict[str, str]:
    """The form page's fields for these criteria rows (all kept)."""
    fields: dict[str, str] = {}
    for i, row in enumerate(criteria):
        fields[f"criteria-{i}-kind"] = "existing"
        for key, value in row.items():
            fields[f"criteria-{i}-{key}"] = "" if value is None else f"{value}"
    return {**fields, **extra}


def test_officer_saves_the_form_on_the_page_and_the_reviewer_sees_it(
    client: TestClient, demo_platform: Platform
) -> None:
    setup = reviewer_setup(demo_platform, due_at=utcnow() + timedelta(days=10), n=1)
    officer = api_token(client, "officer")
    login(client, "officer")
    assert f'href="/review/calls/{CALL}/form"' in client.get("/review").text
    assert f'href="/review/calls/{CALL}/form"' in client.get(f"/review/calls/{CALL}/pool").text
    page = client.get(f"/review/calls/{CALL}/form")
    assert page.status_code == 200 and "data-review-call-nav" in page.text
    assert '<strong aria-current="page">Form</strong>' in page.text
    assert 'data-form-source="call"' in page.text and "(UTC+00:00, UTC)" in page.text
    before = client.get(f"/api/v1/review/calls/{CALL}/form", headers=officer).json()
    due = (utcnow() + timedelta(days=15)).replace(second=0, microsecond=0)
    kept = [c for c in before["criteria"] if c["code"] != "partnership"]
    form = page_fields(
        kept,
        csrf_token=csrf_of(page.text),
        total_threshold="10",
        reviews_per_proposal="3",
        due_at=due.strftime("%Y-%m-%dT%H:%M"),
        reminder_days="5, 2",
        **{
            "criteria-3-kind": "existing",
            "criteria-3-remove": "on",
            **{f"criteria-3-{k}": f"{v}" for k, v in before["criteria"][3].items() if v},
            "criteria-4-kind": "new",
            "criteria-4-code": "capacity",
            "criteria-4-name": "Capacity building across countries",
            "criteria-4-weight": "2",
            "criteria-4-scale_min": "0",
            "criteria-4-scale_max": "5",
            "criteria-4-step": "0,5",
            "criteria-4-threshold": "2.5",
        },
    )
    assert (
        client.post(f"/review/calls/{CALL}/form", data={**form, "csrf_token": "x"}).status_code
        == 403
    )
    refused = client.post(f"/review/calls/{CALL}/form", data={**form, "criteria-0-step": "0.3"})
    assert refused.status_code == 422 and "Nothing was saved" in refused.text
    assert 'data-field="criteria[0].step"' in refused.text and "divides_range" in refused.text
    past = client.post(f"/review/calls/{CALL}/form", data={**form, "due_at": "2020-01-01T00:00"})
    assert past.status_code == 422 and 'data-field="due_at"' in past.text
    assert client.get(f"/api/v1/review/calls/{CALL}/form", headers=officer).json() == before

    saved = client.post(f"/review/calls/{CALL}/form", data=form)
    assert saved.status_code == 303, saved.text
    shown = client.get(f"/review/calls/{CALL}/form").text
    assert "Review form saved." in shown and "Capacity building across countries" in shown
    after = client.get(f"/api/v1/review/calls/{CALL}/form", headers=officer).json()
    assert [c["code"] for c in after["criteria"]] == [
        "excellence",
        "impact",
        "implementation",
        "capacity",
    ]
    assert after["criteria"][3]["weight"] == 2.0 and after["total_threshold"] == 10.0
    assert after["reminder_days"] == [5, 2]
    assert after["due_at"].startswith(due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"))
    assert "review.form_saved" in audit_actions(demo_platform)

    login(client, "reviewer")
    mine = client.get(f"/review/my/{setup.assignment_ids[0]}").text
    assert "Capacity building across countries" in mine and 'name="score_capacity"' in mine
    assert 'name="score_partnership"' not in mine
    assert "weighted total reaches 10" in mine
    assert client.get(f"/review/calls/{CALL}/form").status_code == 403


def test_form_api_saves_refuses_bad_input_and_locks_after_a_submission(
    client: TestClient, demo_platform: Platform
) -> None:
    setup = reviewer_setup(demo_platform, due_at=utcnow() + timedelta(days=10), n=1)
    officer = api_token(client, "officer")
    url = f"/api/v1/review/calls/{CALL}/form"
    for outsider in ("reviewer", "applicant"):
        headers = api_token(client, outsider)
        assert client.get(url, headers=headers).status_code == 403
        body = client.get(url, headers=officer).json()
        put = client.put(url, json={"criteria": body["criteria"], "due_at": body["due_at"]},
                         headers=headers)  # fmt: skip
        assert put.status_code == 403 and put.json()["error"]["code"] == "permission_denied"
    current = client.get(url, headers=officer).json()
    body = {
        "criteria": current["criteria"],
        "total_threshold": 12,
        "reviews_per_proposal": 2,
        "due_at": (utcnow() + timedelta(days=20)).isoformat(),
        "reminder_days": [3],
    }
    bad = [dict(c) for c in body["criteria"]]
    bad[1]["threshold"] = 7
    refused = client.put(url, json={**body, "criteria": bad}, headers=officer)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invalid_input"
    assert (error["details"]["field"], error["details"]["rule"]) == (
        "criteria[1].threshold",
        "out_of_scale",
    )
    naive = client.put(url, json={**body, "due_at": "2031-01-01T00:00:00"}, headers=officer)
    assert naive.status_code == 422 and naive.json()["error"]["details"]["rule"] == "time_zone"
    saved = client.put(url, json=body, headers=officer)
    assert saved.status_code == 200, saved.text
    assert saved.json()["reviews_per_proposal"] == 2 and saved.json()["reminder_days"] == [3]

    with demo_platform.session() as s:
        assignment = s.get(ReviewAssignment, setup.assignment_ids[0])
        assert assignment is not None
        s.add(
            Review(
                assignment_id=assignment.id, proposal_id=assignment.proposal_id,
                reviewer_id=setup.profile_id, scores=GOOD, total=16.0, comments=COMMENTS,
                confidence=3, status="submitted", updated_at=utcnow(), submitted_at=utcnow(),
            )
        )  # fmt: skip
        s.commit()
    heavier = [dict(c) for c in body["criteria"]]
    heavier[0]["weight"] = 3
    locked = client.put(url, json={**body, "criteria": heavier}, headers=officer)
    assert locked.status_code == 409 and "submitted" in locked.json()["error"]["message"]
    assert client.get(url, headers=officer).json()["locked"] is True
    moved = (utcnow() + timedelta(days=30)).isoformat()
    assert client.put(url, json={**body, "due_at": moved}, headers=officer).status_code == 200
    login(client, "officer")
    page = client.get(f"/review/calls/{CALL}/form")
    assert "data-form-locked" in page.text
    heavy_page = client.post(
        f"/review/calls/{CALL}/form",
        data=page_fields(
            heavier,
            csrf_token=csrf_of(page.text),
            total_threshold="12",
            reviews_per_proposal="2",
            due_at="2031-01-01T00:00",
            reminder_days="3",
        ),
    )
    assert heavy_page.status_code == 409 and "Nothing was saved" in heavy_page.text


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def test_officer_creates_a_reviewer_profile_found_by_name_and_sees_broken_rules(
    client: TestClient, demo_platform: Platform
) -> None:
    with demo_platform.session() as s:
        profiled = select(ReviewerProfile.researcher_id)
        candidates = list(
            s.scalars(
                select(Researcher).where(Researcher.id.not_in(profiled)).order_by(Researcher.id)
            )
        )
        accented = next(r for r in candidates if _fold(r.name_latin) != r.name_latin)
        local = next(
            r
            for r in candidates
            if r.name_script not in ("Latn", "") and r.name_local != r.name_latin
        )
        target = (accented.id, accented.name_latin)
        local_name = local.name_local
    login(client, "officer")
    # Upper case, no accents, words reversed.
    query = " ".join(reversed(_fold(target[1]).upper().split()))
    found = client.get("/review", params={"researcher": query})
    assert found.status_code == 200 and "data-researcher-matches" in found.text
    assert html.escape(target[1], quote=False) in found.text
    assert f'name="researcher_id" value="{target[0]}"' in found.text
    in_script = client.get("/review", params={"researcher": local_name})
    assert html.escape(local_name, quote=False) in in_script.text

    token = csrf_of(found.text)
    created = client.post(
        "/review/reviewers", data={"csrf_token": token, "researcher_id": str(target[0])}
    )
    assert created.status_code == 303, created.text
    profile_page = client.get(created.headers["location"])
    assert "Reviewer profile created" in profile_page.text
    assert "review.profile_saved" in audit_actions(demo_platform)
    again = client.post(
        "/review/reviewers", data={"csrf_token": token, "researcher_id": str(target[0])}
    )
    assert again.status_code == 409
    assert 'href="/review/reviewers/' in client.get("/review", params={"researcher": query}).text

    # A conflict declared after the assignment: the assignment page names the broken rule.
    headers = api_token(client, "officer")
    ref = closed_bilateral(client, headers)
    run = client.post(f"/api/v1/review/calls/{ref}/assignment-runs", json={"backend": "static"},
                      headers=headers)  # fmt: skip
    assert run.status_code == 201, run.text
    assert "data-assignment-broken" not in client.get(f"/review/calls/{ref}/assignment").text
    pair = client.get(f"/api/v1/review/calls/{ref}/assignment", headers=headers).json()["pairs"][0]
    pool_page = client.get(f"/review/calls/{ref}/pool")
    declared = client.post(
        f"/review/calls/{ref}/conflicts",
        data={"csrf_token": csrf_of(pool_page.text), "reviewer_id": str(pair["reviewer_id"]),
              "proposal_reference": pair["proposal"], "reason": "Former doctoral supervisor"},
    )  # fmt: skip
    assert declared.status_code == 303
    shown = html.unescape(client.get(f"/review/calls/{ref}/assignment").text)
    assert "data-assignment-broken" in shown and "conflict of interest" in shown
    assert f"proposal {pair['proposal']}" in shown and 'href="#swap"' in shown

    login(client, "reviewer")
    token = csrf_of(client.get("/review").text)
    refused = client.post("/review/reviewers", data={"csrf_token": token, "researcher_id": "1"})
    assert refused.status_code == 403
    assert "data-researcher-matches" not in client.get("/review", params={"researcher": "a"}).text
