"""The officer side of review through the ASGI app: pages, forms with CSRF, and the JSON API."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import api_token, csrf_of, login


def closed_bilateral(client: TestClient, headers: dict[str, str]) -> str:
    calls = client.get("/api/v1/calls", headers=headers).json()
    items = calls["items"] if isinstance(calls, dict) else calls
    return next(
        c["reference"] for c in items if c["status"] == "closed" and c["track"] == "bilateral"
    )


def test_officer_pages_run_an_assignment_and_refuse_a_bad_swap(client: TestClient) -> None:
    headers = api_token(client, "officer")
    ref = closed_bilateral(client, headers)
    login(client, "officer")
    home = client.get("/review")
    assert home.status_code == 200 and ref in home.text and "Pool and conflicts" in home.text
    pool_page = client.get(f"/review/calls/{ref}/pool")
    assert pool_page.status_code == 200
    assert "co-authored" in pool_page.text and "same organisation" in pool_page.text
    # A long pool is paged: 50 reviewers a page, the pager's links keep the other table's page.
    assert 'aria-label="Pages of reviewers"' in pool_page.text
    first_ids = re.findall(
        r'<td class="num">(\d+)</td><td><a href="/review/reviewers/', pool_page.text
    )
    assert len(first_ids) == 50
    second = client.get(f"/review/calls/{ref}/pool?reviewers=2")
    second_ids = re.findall(
        r'<td class="num">(\d+)</td><td><a href="/review/reviewers/', second.text
    )
    assert second_ids and not set(second_ids) & set(first_ids)
    page = client.get(f"/review/calls/{ref}/assignment")
    assert page.status_code == 200
    form = {
        "csrf_token": csrf_of(page.text),
        "backend": "static",
        "minimum_home": "1",
        "minimum_member_state": "1",
        "outside_minimum": "0",
        "coauthorship_years": "3",
    }
    forged = client.post(f"/review/calls/{ref}/assignment", data={**form, "csrf_token": "x"})
    assert forged.status_code == 403
    saved = client.post(f"/review/calls/{ref}/assignment", data=form)
    assert saved.status_code == 303, saved.text
    shown = client.get(f"/review/calls/{ref}/assignment")
    assert (
        "Version 1" in shown.text and "<svg" in shown.text and "lowest per-proposal" in shown.text
    )
    assert "Assignment saved" in shown.text  # said once, after the action
    assert "Assignment saved" not in client.get(f"/review/calls/{ref}/assignment").text
    impossible = client.post(f"/review/calls/{ref}/assignment", data={**form, "k": "20"})
    assert impossible.status_code == 422 and "Nothing was saved" in impossible.text
    outside = client.post(f"/review/calls/{ref}/assignment", data={**form, "outside_minimum": "1"})
    assert outside.status_code == 422 and "set the member_state minimum to 0" in outside.text
    assert "Japan-based reviewers, at least" in page.text  # the program file's group names

    current = client.get(f"/api/v1/review/calls/{ref}/assignment", headers=headers).json()
    pair = current["pairs"][0]
    same = [p["reviewer_id"] for p in current["pairs"] if p["proposal"] == pair["proposal"]]
    refused = client.post(
        f"/review/calls/{ref}/assignment/swap",
        data={"csrf_token": form["csrf_token"], "proposal": pair["proposal"],
              "old_reviewer_id": str(same[0]), "new_reviewer_id": str(same[1])},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "The swap was refused" in refused.text and "assigned twice" in refused.text


def test_api_pool_conflicts_runs_and_swaps(client: TestClient) -> None:
    headers = api_token(client, "officer")
    ref = closed_bilateral(client, headers)
    members = client.get(f"/api/v1/review/calls/{ref}/pool", headers=headers).json()
    assert members and {m["status"] for m in members} == {"accepted"}
    conflicts = client.get(f"/api/v1/review/calls/{ref}/conflicts", headers=headers).json()
    assert conflicts["by_kind"]["coauthorship"] > 0
    assert all(c["reason"] for c in conflicts["conflicts"])
    created = client.post(
        f"/api/v1/review/calls/{ref}/assignment-runs", json={"backend": "static"}, headers=headers
    )
    assert created.status_code == 201, created.text
    run = client.get(f"/api/v1/review/assignment-runs/{created.json()['id']}", headers=headers)
    assert run.json()["result"]["status"] == "optimal"
    infeasible = client.post(
        f"/api/v1/review/calls/{ref}/assignment-runs",
        json={"backend": "static", "k": 20},
        headers=headers,
    )
    assert infeasible.status_code == 422
    assert infeasible.json()["error"]["code"] == "infeasible"
    assert infeasible.json()["error"]["details"]["hint"]
    pairs = client.get(f"/api/v1/review/calls/{ref}/assignment", headers=headers).json()["pairs"]
    first = pairs[0]
    same = [p["reviewer_id"] for p in pairs if p["proposal_id"] == first["proposal_id"]]
    missing = client.post(
        f"/api/v1/review/calls/{ref}/swaps",
        json={"proposal": "NOPE", "old_reviewer_id": same[0], "new_reviewer_id": same[1]},
        headers=headers,
    )
    assert missing.status_code == 404
    twice = client.post(
        f"/api/v1/review/calls/{ref}/swaps",
        json={
            "proposal": first["proposal"],
            "old_reviewer_id": same[0],
            "new_reviewer_id": same[1],
        },
        headers=headers,
    )
    assert twice.status_code == 422, twice.text
    error = twice.json()["error"]
    assert error["code"] == "rule_violation"
    assert any("assigned twice" in v for v in error["details"]["violations"])


@pytest.mark.parametrize("username", ["applicant", "analyst", "partner-tha", "reviewer"])
def test_other_roles_cannot_reach_the_officer_side(client: TestClient, username: str) -> None:
    headers = api_token(client, username)
    assert client.get("/api/v1/review/calls/X/pool", headers=headers).status_code == 403
    assert (
        client.post("/api/v1/review/calls/X/assignment-runs", json={}, headers=headers).status_code
        == 403
    )
    login(client, username)
    assert client.get("/review/calls/X/pool").status_code == 403
    assert client.get("/review/calls/X/assignment").status_code == 403
    home = client.get("/review")
    assert home.status_code == (200 if username == "reviewer" else 403)
