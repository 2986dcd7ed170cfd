"""Security regressions from the deadline-day review: sessions that end, secrets nobody shares,
exports that run no formula, a login throttle shared by workers that spares the owner, input no
backend chokes on, PDFs that run nothing, and safe headers and production defaults."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner

from nexus_sti.accounts import service as accounts
from nexus_sti.app.web import create_app
from nexus_sti.core.access import Actor
from nexus_sti.core.spreadsheet import neutralise
from nexus_sti.demo.service import DEMO_PASSWORD
from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.settings import DEVELOPMENT_SECRET, Settings, session_secret
from tests.e2e.conftest import api_token, csrf_of, login
from tests.e2e.test_proposals_api import content, open_call


def test_logout_ends_the_session_on_the_server(client: TestClient) -> None:
    login(client, "officer")
    stolen = client.cookies.get("nexus_session")
    assert client.get("/audit").status_code == 200
    page = client.get("/")
    client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    client.cookies.set("nexus_session", stolen)  # a copy taken before the logout
    assert client.get("/audit").status_code == 303


def test_a_password_change_ends_every_session(client: TestClient, demo_platform: Platform) -> None:
    login(client, "officer")
    assert client.get("/audit").status_code == 200
    with demo_platform.session() as s:
        accounts.set_password(
            s,
            actor=Actor.system("tests"),
            hasher=demo_platform.hasher,
            username="officer",
            password="a brand new password 2027",
            now=utcnow(),
        )
    assert client.get("/audit").status_code == 303
    login(client, "officer", "a brand new password 2027")
    assert client.get("/audit").status_code == 200


def _forged_admin_cookie(secret: str, user_id: int) -> str:
    payload = base64.b64encode(json.dumps({"user_id": user_id, "sv": 0}).encode())
    return TimestampSigner(secret).sign(payload).decode()


def test_development_mode_signs_with_a_random_key_of_its_own_data_folder(
    tmp_path: Path, demo_platform: Platform
) -> None:
    first = Settings(mode="development", data_dir=tmp_path / "a")
    key = session_secret(first)
    assert key != DEVELOPMENT_SECRET and len(key) >= 32
    assert session_secret(first) == key  # kept across restarts
    assert stat.S_IMODE((tmp_path / "a" / "secret_key").stat().st_mode) == 0o600
    assert session_secret(Settings(mode="development", data_dir=tmp_path / "b")) != key
    # A cookie forged with the public development value opens nothing.
    dev = Platform(
        settings=Settings(
            mode="development",
            data_dir=tmp_path / "a",
            database_url=demo_platform.settings.database_url,
            password_hash_profile="fast",
        ),
        engine=demo_platform.engine,
        sessions=demo_platform.sessions,
        hasher=demo_platform.hasher,
    )
    with TestClient(create_app(dev), follow_redirects=False) as c:
        admin_id = 1
        c.cookies.set("nexus_session", _forged_admin_cookie(DEVELOPMENT_SECRET, admin_id))
        assert c.get("/audit").status_code == 303


def test_exports_neutralise_formula_cells(client: TestClient) -> None:
    me = api_token(client, "applicant")
    call = open_call(client, me)
    created = client.post(
        "/api/v1/proposals",
        headers=me,
        json={"call": call, "content": content(title='=HYPERLINK("http://x.example","y")')},
    )
    assert created.status_code == 201, created.text
    login(client, "applicant")
    body = client.get("/proposals.csv").content.decode("utf-8")
    assert "\"'=HYPERLINK(" in body
    assert ",=HYPERLINK" not in body and ',"=HYPERLINK' not in body
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("-12.5") == "-12.5"  # figures stay figures
    assert neutralise("\tx") == "'\tx"


@pytest.fixture
def two_workers(demo_platform: Platform) -> Iterator[tuple[TestClient, TestClient, TestClient]]:
    """Two app instances on one database (as two worker processes are), two client addresses."""
    a = TestClient(create_app(demo_platform), follow_redirects=False, client=("203.0.113.7", 1))
    b = TestClient(create_app(demo_platform), follow_redirects=False, client=("203.0.113.7", 2))
    owner = TestClient(
        create_app(demo_platform), follow_redirects=False, client=("198.51.100.2", 3)
    )
    with a, b, owner:
        yield a, b, owner


def _token(c: TestClient, username: str, password: str) -> int:
    return c.post(
        "/api/v1/auth/token", json={"username": username, "password": password}
    ).status_code


def test_the_login_throttle_is_shared_by_workers_and_spares_the_owner(
    two_workers: tuple[TestClient, TestClient, TestClient],
) -> None:
    a, b, owner = two_workers
    # Five wrong guesses spread over two workers from one address use up its allowance.
    for c in (a, b, a, b, a):
        assert _token(c, "officer", "wrong password!") == 401
    refused = b.post("/api/v1/auth/token", json={"username": "officer", "password": "x" * 12})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    # Even the right password waits at that address...
    assert _token(a, "officer", DEMO_PASSWORD) == 429
    # ...but the owner, at their own address, is not locked out by someone else's guesses.
    assert _token(owner, "officer", DEMO_PASSWORD) == 201


def test_one_address_cannot_spray_many_accounts(
    two_workers: tuple[TestClient, TestClient, TestClient],
) -> None:
    a, _, owner = two_workers
    for n in range(30):
        assert _token(a, f"nobody-{n}", "wrong password!") == 401
    assert _token(a, "analyst", DEMO_PASSWORD) == 429
    assert _token(owner, "analyst", DEMO_PASSWORD) == 201


def test_nul_characters_and_huge_ids_are_refused_alike_on_every_backend(
    client: TestClient,
) -> None:
    me = api_token(client, "applicant")
    call = open_call(client, me)
    nul = client.post(
        "/api/v1/proposals", headers=me, json={"call": call, "content": content(title="a\x00b")}
    )
    assert nul.status_code == 422, nul.text
    assert nul.json()["error"]["details"]["field"] == "title"
    reviewer = api_token(client, "reviewer")
    huge = client.get("/api/v1/review/my/99999999999999", headers=reviewer)
    assert huge.status_code == 422, huge.text
    in_path = client.get("/api/v1/proposals/%00", headers=me)
    assert in_path.status_code == 422, in_path.text
    login_nul = client.post("/api/v1/auth/token", json={"username": "\x00", "password": "x" * 12})
    assert login_nul.status_code in (401, 422), login_nul.text


def test_every_answer_carries_security_headers_and_downloads_are_sandboxed(
    client: TestClient,
) -> None:
    for path in ("/login", "/api/v1/health", "/api/v1/calls", "/no-such-page"):
        response = client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"] == "same-origin"
    login(client, "applicant")
    export = client.get("/proposals.csv")
    assert export.headers["content-security-policy"].startswith("sandbox")


def test_production_defaults_are_safe(demo_platform: Platform, tmp_path: Path) -> None:
    settings = Settings(
        mode="production",
        data_dir=tmp_path,
        database_url=demo_platform.settings.database_url,
        secret_key="a-private-production-key-of-forty-characters",  # type: ignore[arg-type]
    )
    assert settings.https_only and not settings.serve_api_docs
    prod = Platform(
        settings=settings,
        engine=demo_platform.engine,
        sessions=demo_platform.sessions,
        hasher=demo_platform.hasher,
    )
    with TestClient(create_app(prod), base_url="https://testserver") as c:
        page = c.get("/login")  # the first answer that starts a session
        assert "secure" in page.headers["set-cookie"].lower()
        assert page.headers["strict-transport-security"].startswith("max-age=")
        assert c.get("/docs").status_code == 404
        assert c.get("/openapi.json").status_code == 200
