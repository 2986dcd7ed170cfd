"""End-to-end fixtures: the real ASGI app over a database seeded with a small demo data set."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from nexus_sti.app.web import create_app
from nexus_sti.demo.service import DEMO_PASSWORD
from nexus_sti.platform.context import Platform


@pytest.fixture
def client(demo_platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(demo_platform), follow_redirects=False) as c:
        yield c


@pytest.fixture
def staged_client(staged_demo_platform: Platform) -> Iterator[TestClient]:
    """The app over the demo as ``./dev run`` leaves it (one call in review)."""
    with TestClient(create_app(staged_demo_platform), follow_redirects=False) as c:
        yield c


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "page has no CSRF token"
    return found.group(1)


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"


def api_token(client: TestClient, username: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}
