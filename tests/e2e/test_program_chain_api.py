"""The whole chain for each shipped program through the HTTP API, on SQLite and PostgreSQL: an
officer opens a call of the program, applicants submit proposals built from the program file,
members confirm by their links, the officer screens, invites the pool, runs the assignment,
reviewers submit, the officer calibrates and selects, a second officer approves, and the awards
come back in the program's shape. The program is loaded and the reviewers' researcher records
and profiles are set up through the services: the API has no call for either yet."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nexus_sti.accounts import service as accounts
from nexus_sti.app.web import create_app
from nexus_sti.core.access import Actor
from nexus_sti.demo.rush import one_page_pdf
from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from nexus_sti.programs.loader import load_preset
from nexus_sti.programs.service import load_program
from nexus_sti.review.service import pool
from tests.service.test_program_chain import (
    COMMENTS,
    HASHER,
    PASSWORD,
    PROPOSALS,
    SHAPES,
    _people,
    consortium,
    content_for,
    marks,
)

SYSTEM = Actor.system("chain")


@pytest.fixture
def api(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform), follow_redirects=False) as client:
        yield client


def user(platform: Platform, username: str, role: str, **extra: Any) -> None:
    with platform.session() as s:
        accounts.create_user(
            s, actor=SYSTEM, hasher=HASHER, username=username, password=PASSWORD, role=role,
            display_name=extra.pop("display_name", username),
            email=extra.pop("email", f"{username}@example.org"), now=utcnow(), **extra,
        )  # fmt: skip


def token(api: TestClient, username: str) -> dict[str, str]:
    answer = api.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


@pytest.mark.parametrize("preset", ["nexus", "easia"])
def test_a_program_runs_from_its_file_to_awards_over_the_api(
    platform: Platform, api: TestClient, preset: str
) -> None:
    loaded = load_preset(preset)
    config = loaded.config
    track, reviewer_countries = SHAPES[preset]
    now = utcnow()
    with platform.session() as s:
        load_program(s, actor=SYSTEM, loaded=loaded, now=now)
    for name in ("alice", "bob"):
        user(platform, name, "officer")
    alice, bob = token(api, "alice"), token(api, "bob")

    call = ok(
        api.post(
            "/api/v1/calls",
            headers=alice,
            json={
                "track": track,
                "title": f"{config.program.short_name} API chain call",
                "opens_at": (now - timedelta(days=1)).isoformat(),
                "closes_at": (now + timedelta(days=30)).isoformat(),
                "program": config.program.code,
            },
        ),
        201,
    )
    ref = call["reference"]
    assert {r["rule_id"] for r in call["rules"]} >= {"consortium.lead", "consortium.roles"}
    ok(api.post(f"/api/v1/calls/{ref}/actions", headers=alice, json={"action": "open"}))

    pdf = one_page_pdf()
    for n in range(PROPOSALS):
        people = consortium(config, track, n)
        user(
            platform, f"applicant{n}", "applicant", display_name=people[0].name,
            email=people[0].email, country=people[0].country,
        )  # fmt: skip
        applicant = token(api, f"applicant{n}")
        content = content_for(config, track, people)
        content["budget"] = [dict(b, year=now.year) for b in content["budget"]]
        draft = ok(
            api.post(
                "/api/v1/proposals", headers=applicant, json={"call": ref, "content": content}
            ),
            201,
        )
        for invitation in draft["invitations"]:
            link = invitation["link"].removeprefix("/invitations/")
            ok(api.post(f"/api/v1/invitations/{link}", json={"accept": True}))
        reference = draft["reference"]
        ok(
            api.post(
                f"/api/v1/proposals/{reference}/attachments",
                headers=applicant,
                data={"kind": "project_description"},
                files={"file": ("description.pdf", pdf, "application/pdf")},
            ),
            201,
        )
        checks = ok(api.get(f"/api/v1/proposals/{reference}/checks", headers=applicant))
        assert [c["message"] for c in checks if not c["passed"]] == []
        ok(api.post(f"/api/v1/proposals/{reference}/submit", headers=applicant))

    for action in ("close", "screen"):
        ok(api.post(f"/api/v1/calls/{ref}/actions", headers=alice, json={"action": action}))
    ok(api.post(f"/api/v1/calls/{ref}/screening/apply", headers=alice, json={}))
    rows = ok(api.get(f"/api/v1/calls/{ref}/screening", headers=alice))
    assert all(r["eligible"] for r in rows) and len(rows) == PROPOSALS
    ok(api.post(f"/api/v1/calls/{ref}/actions", headers=alice, json={"action": "review"}))

    # Reviewers: researcher records and profiles from the services (no API for them yet).
    with platform.session() as s:
        researchers = _people(s, list(reviewer_countries), "reviewer")
        ids = [(r.id, r.name_latin, r.email) for r in researchers]
        s.commit()
    profiles = []
    for i, (researcher_id, name, email) in enumerate(ids):
        user(
            platform, f"reviewer{i}", "reviewer", display_name=name, email=email,
            researcher_id=researcher_id,
        )  # fmt: skip
        with platform.session() as s:
            profiles.append(
                pool.create_profile(s, actor=SYSTEM, researcher_id=researcher_id, now=utcnow()).id
            )
    ok(
        api.post(
            f"/api/v1/review/calls/{ref}/pool",
            headers=alice,
            json={"reviewer_ids": profiles, "max_load": 6},
        ),
        201,
    )
    reviewers = [token(api, f"reviewer{i}") for i in range(len(ids))]
    for reviewer in reviewers:
        ok(
            api.post(
                f"/api/v1/review/calls/{ref}/invitation", headers=reviewer, json={"accept": True}
            )
        )
    ok(
        api.post(
            f"/api/v1/review/calls/{ref}/assignment-runs",
            headers=alice,
            json={"backend": "static", "k": 3, "time_limit": 60},
        ),
        201,
    )
    submitted = 0
    for k, reviewer in enumerate(reviewers):
        for item in ok(api.get("/api/v1/review/my", headers=reviewer)):
            ok(
                api.post(
                    f"/api/v1/review/my/{item['assignment_id']}/submit",
                    headers=reviewer,
                    json={
                        "scores": marks(config, k),
                        "comments": COMMENTS,
                        "confidence": 3,
                    },
                )
            )
            submitted += 1
    assert submitted == 3 * PROPOSALS
    ok(api.post(f"/api/v1/review/calls/{ref}/calibration", headers=alice, json={}), 201)

    run = ok(
        api.post(
            f"/api/v1/selection/calls/{ref}/runs",
            headers=alice,
            json={"parameters": {"time_limit": 10}, "note": "API chain"},
        ),
        201,
    )
    own = api.post(
        f"/api/v1/selection/runs/{run['id']}/decision",
        headers=alice,
        json={"approve": True, "note": "my own run"},
    )
    assert own.status_code == 403, own.text  # four eyes
    decided = ok(
        api.post(
            f"/api/v1/selection/runs/{run['id']}/decision",
            headers=bob,
            json={"approve": True, "note": "approved"},
        )
    )
    assert decided["status"] == "approved"
    awards = ok(api.get(f"/api/v1/selection/calls/{ref}/awards", headers=alice))
    assert 0 < len(awards["awards"] if isinstance(awards, dict) else awards) <= PROPOSALS
