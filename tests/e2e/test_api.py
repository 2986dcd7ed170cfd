"""The JSON API through the real app: tokens, scoping, and one error shape for every error."""

import inspect

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from nexus_sti.app.web import create_app
from nexus_sti.core.errors import ERROR_TYPES, NexusError
from nexus_sti.platform.context import Platform
from tests.e2e.conftest import api_token
from tests.unit.test_errors import EXAMPLES


def assert_error_shape(body: dict[str, object], code: str) -> None:
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error, dict)
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert error["message"]


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/proposals" in spec["paths"]
    assert "/api/v1/auth/token" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_no_token_and_bad_token_are_401_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert_error_shape(response.json(), "unauthenticated")
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer nxs_forged"})
    assert response.status_code == 401


def test_wrong_password_gets_no_token(client: TestClient) -> None:
    response = client.post("/api/v1/auth/token", json={"username": "admin", "password": "nope"})
    assert response.status_code == 401
    assert_error_shape(response.json(), "unauthenticated")


def test_repeated_wrong_passwords_are_slowed_down(client: TestClient) -> None:
    for _ in range(5):
        response = client.post(
            "/api/v1/auth/token", json={"username": "officer", "password": "guess"}
        )
        assert response.status_code == 401
    blocked = client.post(
        "/api/v1/auth/token", json={"username": "officer", "password": "nexus-demo-2026"}
    )
    assert blocked.status_code == 429
    assert_error_shape(blocked.json(), "rate_limited")
    assert int(blocked.headers["retry-after"]) > 0
    # Other accounts are not affected.
    assert api_token(client, "admin")


def test_me_lists_permissions_with_reasons(client: TestClient) -> None:
    me = client.get("/api/v1/me", headers=api_token(client, "partner-tha")).json()
    assert me["role"] == "funding_partner" and me["country"] == "THA"
    perms = {p["action"]: p for p in me["permissions"]}
    assert perms["proposals.read_country"]["allowed"]
    assert not perms["audit.read"]["allowed"]
    assert "Funding partner accounts may not" in perms["audit.read"]["reason"]


def test_audit_is_for_staff_only(client: TestClient) -> None:
    officer = client.get("/api/v1/audit", headers=api_token(client, "officer"))
    assert officer.status_code == 200
    actions = [e["action"] for e in officer.json()["entries"]]
    assert "demo.seeded" in actions and "token.created" in actions
    refused = client.get("/api/v1/audit", headers=api_token(client, "analyst"))
    assert refused.status_code == 403
    assert_error_shape(refused.json(), "permission_denied")
    assert "Policy analyst" in refused.json()["error"]["details"]["reason"]


def test_proposals_are_scoped_by_role(client: TestClient) -> None:
    everything = client.get("/api/v1/proposals?per_page=500", headers=api_token(client, "officer"))
    assert everything.json()["total"] == 60
    partner = client.get("/api/v1/proposals?per_page=500", headers=api_token(client, "partner-tha"))
    body = partner.json()
    assert 0 < body["total"] < 60
    assert all("THA" in p["countries"] for p in body["proposals"])
    mine = client.get("/api/v1/proposals", headers=api_token(client, "applicant")).json()
    assert mine["scope"] == "your proposals" and mine["total"] >= 1
    refused = client.get("/api/v1/proposals", headers=api_token(client, "reviewer"))
    assert refused.status_code == 403


def test_statistics_are_aggregate_and_consistent(client: TestClient) -> None:
    stats = client.get("/api/v1/statistics", headers=api_token(client, "analyst")).json()
    assert stats["proposals"] == 60 and stats["synthetic"]
    assert sum(stats["by_track"].values()) == 60
    assert stats["by_country"]["JPN"] == 60  # every proposal has a Japanese lead


def test_program_over_api(client: TestClient) -> None:
    program = client.get("/api/v1/program", headers=api_token(client, "applicant")).json()
    assert program["code"] == "nexus" and program["version"] == 1
    assert program["config"]["program"]["total_budget"] == "100000000"
    assert len(program["digest"]) == 64


def test_validation_and_unknown_routes_use_the_same_shape(client: TestClient) -> None:
    headers = api_token(client, "officer")
    bad = client.get("/api/v1/proposals?per_page=0", headers=headers)
    assert bad.status_code == 422
    assert_error_shape(bad.json(), "invalid_input")
    assert bad.json()["error"]["details"]["field"] == "per_page"
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert_error_shape(missing.json(), "not_found")


def test_admin_creates_user_over_api_and_bad_input_names_the_field(client: TestClient) -> None:
    headers = api_token(client, "admin")
    user = {"username": "kh-partner", "password": "long enough pass", "role": "funding_partner",
            "display_name": "សុខ ដារ៉ា", "email": "k@example.org", "country": "KHM"}  # fmt: skip
    created = client.post("/api/v1/users", json=user, headers=headers)
    assert created.status_code == 201
    assert created.json()["display_name"] == "សុខ ដារ៉ា"
    again = client.post("/api/v1/users", json=user, headers=headers)
    assert again.status_code == 409
    assert_error_shape(again.json(), "conflict")
    bad = client.post("/api/v1/users", json=user | {"username": "Bad Name"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["field"] == "username"
    refused = client.post(
        "/api/v1/users", json=user | {"username": "x2"}, headers=api_token(client, "officer")
    )
    assert refused.status_code == 403


@pytest.fixture
def raising_app(demo_platform: Platform) -> FastAPI:
    app = create_app(demo_platform)
    for error_type in ERROR_TYPES:
        error = EXAMPLES[error_type]

        def raise_it(error: NexusError = error) -> None:
            raise error

        raise_it.__signature__ = inspect.Signature()  # type: ignore[attr-defined]

        app.add_api_route(f"/api/v1/raise/{error_type.code}", raise_it)
        app.add_api_route(f"/raise/{error_type.code}", raise_it)
    return app


@pytest.mark.parametrize("error_type", ERROR_TYPES, ids=lambda t: t.code)
def test_every_error_type_has_one_json_shape_and_an_html_page(
    raising_app: FastAPI, error_type: type[NexusError]
) -> None:
    with TestClient(raising_app) as c:
        api = c.get(f"/api/v1/raise/{error_type.code}")
        assert api.status_code == error_type.http_status
        assert_error_shape(api.json(), error_type.code)
        assert api.json()["error"]["details"] == EXAMPLES[error_type].details
        page = c.get(f"/raise/{error_type.code}")
        assert page.status_code == error_type.http_status
        assert page.headers["content-type"].startswith("text/html")
        assert EXAMPLES[error_type].message in page.text


def test_an_unexpected_fault_gets_the_error_shape_and_a_request_id(
    demo_platform: Platform,
) -> None:
    app = create_app(demo_platform)

    def broken() -> None:
        raise RuntimeError("solver gave up")

    app.add_api_route("/api/v1/broken", broken)
    app.add_api_route("/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as c:
        api = c.get("/api/v1/broken")
        assert api.status_code == 500
        assert api.headers["content-type"] == "application/json"
        error = api.json()["error"]
        assert error["code"] == "internal_error"
        assert error["details"]["request_id"] == api.headers["x-request-id"]
        assert error["details"]["request_id"] in error["message"]
        page = c.get("/broken")
        assert page.status_code == 500
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["x-request-id"] in page.text
        assert page.headers["x-content-type-options"] == "nosniff"
        # Every other answer carries its request id too.
        assert len(c.get("/api/v1/health").headers["x-request-id"]) == 12
