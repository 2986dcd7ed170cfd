"""Reviews through the real app: the reviewer's pages and API (assignments, the form, draft,
submission, conflict, what stays hidden), and the officer's results pages and API (reviews,
reminders, calibration, ranking with its chart and CSV, panel notes)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from fastapi.testclient import TestClient

from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from tests.e2e.conftest import api_token, csrf_of, login
from tests.service.test_review_reviews import CALL, COMMENTS, GOOD, reviewer_setup, simulate_panel


def form_of(scores: dict[str, float], **extra: str) -> dict[str, str]:
    return {**{f"score_{k}": f"{v:g}" for k, v in scores.items()}, **extra}


def test_reviewer_drafts_submits_and_declares_a_conflict_on_the_pages(
    client: TestClient, demo_platform: Platform
) -> None:
    setup = reviewer_setup(demo_platform, due_at=utcnow() + timedelta(days=10))
    first, second, third = setup.assignment_ids
    login(client, "reviewer")
    dashboard = client.get("/")
    assert re.search(r"data-review-assignments>3<", dashboard.text)
    assert 'href="/review/my"' in dashboard.text

    mine = client.get("/review/my")
    assert mine.status_code == 200
    for ref in setup.proposals:
        assert ref in mine.text
    assert "(UTC+09:00, Asia/Tokyo)" in mine.text  # the demo reviewer is in Japan
    assert "days" in mine.text and "left" in mine.text

    page = client.get(f"/review/my/{second}")
    assert page.status_code == 200
    assert html.escape(setup.titles[1], quote=False) in page.text
    assert "Consortium" in page.text and "Abstract" in page.text
    assert 'name="score_excellence" type="number" min="0.0" max="5.0" step="0.5"' in page.text
    token = csrf_of(page.text)

    refused = client.post(f"/review/my/{second}", data={"action": "draft"})
    assert refused.status_code == 403

    draft = client.post(
        f"/review/my/{second}",
        data=form_of({"excellence": 4.5}, action="draft", comments="", csrf_token=token),
    )
    assert draft.status_code == 303
    page = client.get(f"/review/my/{second}")
    assert "Draft saved" in page.text and "data-review-status>draft<" in page.text
    assert 'value="4.5"' in page.text

    invalid = client.post(
        f"/review/my/{second}",
        data=form_of(
            {**GOOD, "impact": 3.3}, action="submit", comments="short", confidence="4",
            csrf_token=token,
        ),
    )  # fmt: skip
    assert invalid.status_code == 422
    # Each problem once, in words, naming the criterion or field as the form does.
    assert 'data-field="scores.impact"' in invalid.text and 'data-field="comments"' in invalid.text
    assert "comments: write at least 50 characters" in invalid.text
    assert "comments: comments" not in invalid.text and "<code>comments</code>" not in invalid.text
    assert "Not submitted" in invalid.text and "short</textarea>" in invalid.text

    done = client.post(
        f"/review/my/{second}",
        data=form_of(GOOD, action="submit", comments=COMMENTS, confidence="4", csrf_token=token),
    )
    assert done.status_code == 303
    page = client.get(f"/review/my/{second}")
    assert "data-review-status>submitted<" in page.text and "Review submitted" in page.text
    assert "Submit review" not in page.text

    conflict = client.post(
        f"/review/my/{first}/conflict",
        data={"reason": "The lead is my former student", "csrf_token": token},
    )
    assert conflict.status_code == 303 and conflict.headers["location"] == "/review/my"
    mine = client.get("/review/my")
    assert "Conflict of interest declared" in mine.text
    assert f'href="/review/my/{first}"' not in mine.text
    assert f'href="/review/my/{second}"' in mine.text
    assert client.get(f"/review/my/{first}").status_code == 404
    assert client.get(f"/review/my/{third + 1000}").status_code == 404
    # The officer's pages are not the reviewer's.
    assert client.get(f"/review/calls/{CALL}/reviews").status_code == 403


def test_reviewer_api_and_officer_calibration_api(
    client: TestClient, demo_platform: Platform
) -> None:
    setup = reviewer_setup(demo_platform, due_at=utcnow() + timedelta(days=10))
    first, second, _ = setup.assignment_ids
    reviewer = api_token(client, "reviewer")
    listed = client.get("/api/v1/review/my", headers=reviewer).json()
    assert [a["proposal"]["reference"] for a in listed] == setup.proposals
    assert all(a["status"] == "not started" for a in listed)
    detail = client.get(f"/api/v1/review/my/{first}", headers=reviewer).json()
    assert detail["proposal"]["abstract"] and detail["proposal"]["consortium"]
    assert [c["code"] for c in detail["form"]["criteria"]] == list(GOOD)

    draft = client.put(
        f"/api/v1/review/my/{first}/draft", headers=reviewer, json={"scores": {"impact": 3.5}}
    )
    assert draft.status_code == 200 and draft.json()["status"] == "draft"
    bad = client.post(
        f"/api/v1/review/my/{first}/submit",
        headers=reviewer,
        json={"scores": {**GOOD, "excellence": 6}, "comments": COMMENTS, "confidence": 3},
    )
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["code"] == "invalid_input"
    assert (error["details"]["field"], error["details"]["rule"]) == (
        "scores.excellence", "out_of_scale"
    )  # fmt: skip
    body = {"scores": GOOD, "comments": COMMENTS, "confidence": 3}
    ok = client.post(f"/api/v1/review/my/{first}/submit", headers=reviewer, json=body)
    assert ok.status_code == 200 and ok.json()["total"] == 16.0
    again = client.post(f"/api/v1/review/my/{first}/submit", headers=reviewer, json=body)
    assert again.status_code == 200 and again.json() == ok.json()  # a retry changes nothing
    changed = {**body, "confidence": 5}
    refused = client.post(f"/api/v1/review/my/{first}/submit", headers=reviewer, json=changed)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "conflict"

    declared = client.post(
        f"/api/v1/review/my/{second}/conflict", headers=reviewer, json={"reason": "same lab"}
    )
    assert declared.status_code == 201
    hidden = client.get(f"/api/v1/review/my/{second}", headers=reviewer)
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    assert (
        client.get(f"/api/v1/review/calls/{CALL}/calibration", headers=reviewer).status_code == 403
    )

    officer = api_token(client, "officer")
    assert (
        client.get(f"/api/v1/review/calls/{CALL}/calibration", headers=officer).status_code == 404
    )
    reminders = client.get(f"/api/v1/review/calls/{CALL}/reminders", headers=officer).json()
    assert reminders == []  # due in 10 days; the first reminder comes 7 days before
    simulate_panel(demo_platform, lenient_by=1.0)
    run = client.post(f"/api/v1/review/calls/{CALL}/calibration", headers=officer, json={})
    assert run.status_code == 201, run.text
    assert run.json()["result"]["reviewers"]
    latest = client.get(f"/api/v1/review/calls/{CALL}/calibration", headers=officer).json()
    assert latest["id"] == run.json()["id"]
    ranking = client.get(
        f"/api/v1/review/calls/{CALL}/ranking",
        headers=officer,
        params={"tie_breaks": "criterion:impact,new_area"},
    )
    assert ranking.status_code == 200
    rows = ranking.json()
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    bad_rule = client.get(
        f"/api/v1/review/calls/{CALL}/ranking", headers=officer, params={"tie_breaks": "luck"}
    )
    assert bad_rule.status_code == 422
    assert bad_rule.json()["error"]["details"]["field"] == "tie_breaks[0]"


def test_officer_reviews_calibrates_ranks_and_notes(
    client: TestClient, demo_platform: Platform
) -> None:
    setup = reviewer_setup(demo_platform, due_at=utcnow() + timedelta(days=3))
    login(client, "officer")
    page = client.get(f"/review/calls/{CALL}/reviews")
    assert page.status_code == 200
    assert "Reminders due (3)" in page.text
    for ref in setup.proposals:
        assert ref in page.text
    token = csrf_of(page.text)
    empty = client.post(f"/review/calls/{CALL}/calibration", data={"csrf_token": token})
    assert empty.status_code == 303
    assert "no submitted review" in client.get(f"/review/calls/{CALL}/reviews").text

    simulate_panel(demo_platform, lenient_by=1.0)
    run = client.post(
        f"/review/calls/{CALL}/calibration", data={"csrf_token": token, "level": "0.8"}
    )
    assert run.status_code == 303 and run.headers["location"].endswith("/ranking")
    ranking = client.get(f"/review/calls/{CALL}/ranking")
    assert ranking.status_code == 200
    assert ranking.text.count("<svg") == 2  # scores with intervals, leniency
    assert "80% interval" in ranking.text
    assert "Reviewers&#39; leniency" in ranking.text or "Reviewers' leniency" in ranking.text
    assert "Ranked list" in ranking.text and "data-tie-break" in ranking.text

    csv = client.get(f"/review/calls/{CALL}/ranking.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("rank,reference,score,low,high")
    assert len(lines) > 10

    first = lines[1].split(",")[1]
    note = client.post(
        f"/review/calls/{CALL}/notes",
        data={"csrf_token": token, "proposal": first, "note": "Check the partner budget"},
    )
    assert note.status_code == 303
    assert "Check the partner budget" in client.get(f"/review/calls/{CALL}/ranking").text
    rerank = client.get(f"/review/calls/{CALL}/ranking", params={"tie_breaks": "nonsense"})
    assert rerank.status_code == 422 and "tie-break rule" in rerank.text
