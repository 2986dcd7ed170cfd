"""Getting around the review area and keeping reviewers' facts: the per-call sub-navigation,
reviewer profiles (officers edit any, a reviewer only their own), and declared conflicts (by an
officer for a reviewer, or by the reviewer), which show with their reason and keep the
assignment off that pair."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from nexus_sti.accounts.tables import User
from nexus_sti.platform.context import Platform
from nexus_sti.review.tables import DeclaredConflict, ReviewerProfile
from tests.e2e.conftest import api_token, csrf_of, login
from tests.e2e.test_review_officer import closed_bilateral

PAGES = ("pool", "assignment", "reviews", "ranking")


def own_profile_id(platform: Platform, username: str) -> int:
    with platform.session() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        profile = s.scalar(
            select(ReviewerProfile).where(ReviewerProfile.researcher_id == user.researcher_id)
        )
        assert profile is not None
        return profile.id


def declared_count(platform: Platform) -> int:
    with platform.session() as s:
        return len(list(s.scalars(select(DeclaredConflict))))


def test_review_home_and_every_call_page_link_to_each_other(client: TestClient) -> None:
    ref = closed_bilateral(client, api_token(client, "officer"))
    login(client, "officer")
    home = client.get("/review")
    for page in PAGES:
        assert f'href="/review/calls/{ref}/{page}"' in home.text
    for page in PAGES:
        shown = client.get(f"/review/calls/{ref}/{page}")
        assert shown.status_code == 200, (page, shown.text)
        assert "data-review-call-nav" in shown.text and 'href="/review"' in shown.text
        for other in PAGES:
            link = f'href="/review/calls/{ref}/{other}"'
            assert (link in shown.text) is (other != page), (page, other)
        assert 'aria-current="page"' in shown.text


def test_declared_conflict_shows_its_reason_and_keeps_the_assignment_off_the_pair(
    client: TestClient, demo_platform: Platform
) -> None:
    headers = api_token(client, "officer")
    ref = closed_bilateral(client, headers)
    first = client.post(
        f"/api/v1/review/calls/{ref}/assignment-runs", json={"backend": "static"}, headers=headers
    )
    assert first.status_code == 201, first.text
    pair = client.get(f"/api/v1/review/calls/{ref}/assignment", headers=headers).json()["pairs"][0]
    login(client, "officer")
    page = client.get(f"/review/calls/{ref}/pool")
    form = {
        "csrf_token": csrf_of(page.text),
        "reviewer_id": str(pair["reviewer_id"]),
        "proposal_reference": pair["proposal"],
        "reason": "Supervised the lead applicant's doctorate",
    }
    before = declared_count(demo_platform)
    forged = client.post(f"/review/calls/{ref}/conflicts", data={**form, "csrf_token": "x"})
    assert forged.status_code == 403
    no_reason = client.post(f"/review/calls/{ref}/conflicts", data={**form, "reason": "  "})
    assert no_reason.status_code == 422
    assert "Nothing was saved" in no_reason.text and 'data-field="reason"' in no_reason.text
    bad_orcid = client.post(f"/review/calls/{ref}/conflicts", data={**form, "person_orcid": "12"})
    assert bad_orcid.status_code == 422 and 'data-field="person_orcid"' in bad_orcid.text
    assert declared_count(demo_platform) == before

    saved = client.post(f"/review/calls/{ref}/conflicts", data=form)
    assert saved.status_code == 303, saved.text
    pool_page = html.unescape(client.get(f"/review/calls/{ref}/pool").text)
    assert "declared conflict: Supervised the lead applicant's doctorate" in pool_page
    assert f"proposal <strong>{pair['proposal']}</strong>" in pool_page

    again = client.post(
        f"/api/v1/review/calls/{ref}/assignment-runs", json={"backend": "static"}, headers=headers
    )
    assert again.status_code == 201, again.text
    pairs = client.get(f"/api/v1/review/calls/{ref}/assignment", headers=headers).json()["pairs"]
    assert pairs and (pair["proposal"], pair["reviewer_id"]) not in {
        (p["proposal"], p["reviewer_id"]) for p in pairs
    }


PUBLICATION = "2024 | Methane from rice paddies | Somchai Dee (0000-0002-1825-0097); A. Tan"


def test_officer_views_and_edits_a_reviewer_profile(
    client: TestClient, demo_platform: Platform
) -> None:
    profile_id = own_profile_id(demo_platform, "reviewer")
    login(client, "officer")
    page = client.get(f"/review/reviewers/{profile_id}")
    assert page.status_code == 200 and "(synthetic profile)" in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "expertise": "Paddy soil methane and alternate wetting and drying",
        "publications": PUBLICATION,
        "areas": ["climate", "biotech"],
        "max_load": "4",
        "available": "on",
    }
    for field, value, shown in [
        # In words, the field's code kept as data for scripts and tests.
        ("publications", "Methane without a year", ">Publications (line 1)</span>:"),
        ("publications", "1066 | Domesday survey", ">Publication 1: year</span>: "),
        ("max_load", "500", ">Most proposals to review</span>: "),
        ("areas", ["astrology"], '<span data-field="areas">Areas</span>: one of'),
    ]:
        refused = client.post(f"/review/reviewers/{profile_id}", data={**form, field: value})
        assert refused.status_code == 422 and shown in refused.text, (field, refused.text)
        assert "Nothing was saved" in refused.text
    assert "(synthetic profile)" in client.get(f"/review/reviewers/{profile_id}").text

    saved = client.post(f"/review/reviewers/{profile_id}", data=form)
    assert saved.status_code == 303
    shown = client.get(f"/review/reviewers/{profile_id}").text
    assert "Profile saved." in shown and "Paddy soil methane" in shown
    assert PUBLICATION in shown
    assert 'value="biotech" style="display:inline;width:auto" checked' in shown

    declared = client.post(
        f"/review/reviewers/{profile_id}/conflicts",
        data={
            "csrf_token": form["csrf_token"],
            "organisation_name": "Kasetsart University",
            "reason": "Adjunct appointment until 2026",
        },
    )
    assert declared.status_code == 303
    shown = html.unescape(client.get(f"/review/reviewers/{profile_id}").text)
    assert "organisation <strong>Kasetsart University</strong>" in shown
    assert "Adjunct appointment until 2026" in shown
    missing = client.post(
        f"/review/reviewers/{profile_id}/conflicts",
        data={"csrf_token": form["csrf_token"], "proposal_reference": "NOPE", "reason": "x"},
    )
    assert missing.status_code == 422 and "Nothing was saved" in missing.text


def test_reviewer_edits_only_their_own_profile_and_declares_a_relation(
    client: TestClient, demo_platform: Platform
) -> None:
    own = own_profile_id(demo_platform, "reviewer")
    with demo_platform.session() as s:
        other = s.scalar(select(ReviewerProfile).where(ReviewerProfile.id != own))
        assert other is not None
        other_id, other_expertise = other.id, other.expertise
    login(client, "reviewer")
    home = client.get("/review")
    assert 'href="/review/profile"' in home.text
    assert 'action="/review/profile/relations"' in home.text
    token = csrf_of(home.text)

    page = client.get("/review/profile")
    assert page.status_code == 200 and "(synthetic profile)" in page.text
    form = {
        "csrf_token": token,
        "expertise": "Tsunami early warning for small coastal towns",
        "publications": "",
        "areas": "climate",
        "max_load": "3",
    }
    refused = client.post("/review/profile", data={**form, "max_load": "three"})
    assert refused.status_code == 422 and "Most proposals to review</span>:" in refused.text
    saved = client.post("/review/profile", data=form)
    assert saved.status_code == 303
    shown = client.get("/review/profile").text
    assert (
        "Tsunami early warning" in shown
        and 'name="available" style="display:inline;width:auto" >' in shown
    )

    # Officer routes stay closed, whichever profile they name, so the other profile is untouched.
    for target in (own, other_id):
        assert client.get(f"/review/reviewers/{target}").status_code == 403
        assert client.post(f"/review/reviewers/{target}", data=form).status_code == 403
    with demo_platform.session() as s:
        again = s.get(ReviewerProfile, other_id)
        assert again is not None and again.expertise == other_expertise

    relation = {"csrf_token": token, "person_name": "Nguyễn Văn An", "reason": ""}
    no_reason = client.post("/review/profile/relations", data=relation)
    assert no_reason.status_code == 422 and 'data-field="reason"' in no_reason.text
    nobody = client.post(
        "/review/profile/relations", data={**relation, "person_name": "", "reason": "x"}
    )
    assert nobody.status_code == 422 and 'data-field="proposal_reference"' in nobody.text
    declared = client.post(
        "/review/profile/relations", data={**relation, "reason": "My brother-in-law"}
    )
    assert declared.status_code == 303
    shown = html.unescape(client.get("/review/profile").text)
    assert "person <strong>Nguyễn Văn An</strong>" in shown and "My brother-in-law" in shown
    with demo_platform.session() as s:
        row = s.scalar(
            select(DeclaredConflict).where(DeclaredConflict.reason == "My brother-in-law")
        )
        assert row is not None and row.reviewer_id == own


@pytest.mark.parametrize("username", ["applicant", "analyst"])
def test_applicants_and_analysts_cannot_keep_profiles_or_declare(
    client: TestClient, demo_platform: Platform, username: str
) -> None:
    profile_id = own_profile_id(demo_platform, "reviewer")
    before = declared_count(demo_platform)
    login(client, username)
    token = csrf_of(client.get("/").text)
    relation = {"csrf_token": token, "person_name": "Somebody", "reason": "because"}
    assert client.get("/review/profile").status_code == 403
    assert client.get(f"/review/reviewers/{profile_id}").status_code == 403
    assert (
        client.post("/review/profile", data={"csrf_token": token, "max_load": "1"}).status_code
        == 403
    )
    assert client.post("/review/profile/relations", data=relation).status_code == 403
    assert (
        client.post(f"/review/reviewers/{profile_id}/conflicts", data=relation).status_code == 403
    )
    assert (
        client.post("/review/calls/X/conflicts", data={**relation, "reviewer_id": "1"}).status_code
        == 403
    )
    assert declared_count(demo_platform) == before
