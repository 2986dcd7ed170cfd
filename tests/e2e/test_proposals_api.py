"""Calls and proposals through the JSON API: the applicant's journey, access rules, screening."""

from __future__ import annotations

import io
from typing import Any

import pypdf
from fastapi.testclient import TestClient

from tests.e2e.conftest import api_token


def open_call(client: TestClient, headers: dict[str, str], track: str = "bilateral") -> str:
    calls = client.get("/api/v1/calls", headers=headers).json()
    return next(c["reference"] for c in calls if c["accepting"] and c["track"] == track)


def pdf_bytes() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def content(**changes: Any) -> dict[str, Any]:
    return {
        "title": "โครงการพยากรณ์น้ำท่วม / Flood forecasting",
        "abstract": "Joint hydrological models for the Chao Phraya basin.",
        "area": "climate",
        "duration_months": 36,
        "members": [
            {"name": "佐藤 健", "email": "applicant@demo.example.org", "country": "JPN",
             "organisation_name": "Ginga University", "sector": "university", "role": "lead_jp"},
            {"name": "สมชาย ใจดี", "email": "somchai@example.org", "country": "THA",
             "organisation_name": "Fah Sai Institute", "sector": "institute", "role": "lead_ams"},
        ],
        "budget": [
            {"member": 0, "year": 2027, "funder": "jst", "amount": "12000000", "currency": "JPY"},
            {"member": 1, "year": 2027, "funder": "cofunder-tha", "amount": "800000",
             "currency": "THB"},
        ],
    } | changes  # fmt: skip


def test_calls_show_deadlines_in_the_callers_time_zone(client: TestClient) -> None:
    calls = client.get("/api/v1/calls", headers=api_token(client, "applicant")).json()
    assert any(c["accepting"] for c in calls)
    assert all("(UTC+09:00, Asia/Tokyo)" in c["closes_local"] for c in calls)
    partner = client.get("/api/v1/calls", headers=api_token(client, "partner-tha")).json()
    assert all("(UTC+07:00, Asia/Bangkok)" in c["closes_local"] for c in partner)
    rules = {r["rule_id"] for r in calls[0]["rules"]}
    assert "consortium.lead" in rules


def test_applicant_journey_over_the_api(client: TestClient) -> None:
    me = api_token(client, "applicant")
    call = open_call(client, me)
    created = client.post(
        "/api/v1/proposals", json={"call": call, "content": content()}, headers=me
    )
    assert created.status_code == 201, created.text
    body = created.json()
    ref = body["reference"]
    assert body["content"]["members"][1]["name"] == "สมชาย ใจดี"
    assert body["confirmations"] == ["confirmed", "invited"]
    failing = {c["rule_id"] for c in body["checks"] if not c["passed"]}
    assert failing == {"consortium.confirmed", "attachments.required"}
    refused = client.post(f"/api/v1/proposals/{ref}/submit", headers=me)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "rule_violation"
    link = body["invitations"][0]["link"]
    answer = client.post(f"/api/v1{link}", json={"accept": True})
    assert answer.json() == {"member": "สมชาย ใจดี", "confirmation": "confirmed"}
    fake = client.post(
        f"/api/v1/proposals/{ref}/attachments",
        data={"kind": "project_description"},
        files={"file": ("description.pdf", b"\x89PNG\r\n\x1a\n....", "application/pdf")},
        headers=me,
    )
    assert fake.status_code == 422
    assert fake.json()["error"]["details"]["field"] == "file"
    real = client.post(
        f"/api/v1/proposals/{ref}/attachments",
        data={"kind": "project_description"},
        files={"file": ("説明.pdf", pdf_bytes(), "application/pdf")},
        headers=me,
    )
    assert real.status_code == 201, real.text
    assert real.json()["pages"] == 1
    receipt = client.post(f"/api/v1/proposals/{ref}/submit", headers=me)
    assert receipt.status_code == 200, receipt.text
    again = client.post(f"/api/v1/proposals/{ref}/submit", headers=me)
    assert again.json() == receipt.json()
    assert len(receipt.json()["digest"]) == 64
    officer = api_token(client, "officer")
    screening = client.get(f"/api/v1/calls/{call}/screening", headers=officer).json()
    assert [r["eligible"] for r in screening if r["reference"] == ref] == [True]


def test_nobody_else_reaches_an_applicants_proposal(client: TestClient) -> None:
    me = api_token(client, "applicant")
    ref = client.post(
        "/api/v1/proposals", json={"call": open_call(client, me), "content": content()},
        headers=me,
    ).json()["reference"]  # fmt: skip
    admin = api_token(client, "admin")
    client.post(
        "/api/v1/users",
        json={"username": "rival", "password": "nexus-demo-2026", "role": "applicant",
              "display_name": "Rival", "email": "rival@example.org"},
        headers=admin,
    )  # fmt: skip
    rival = api_token(client, "rival")
    for method, path in (
        ("GET", f"/api/v1/proposals/{ref}"),
        ("PUT", f"/api/v1/proposals/{ref}"),
        ("POST", f"/api/v1/proposals/{ref}/submit"),
        ("POST", f"/api/v1/proposals/{ref}/withdraw"),
        ("GET", f"/api/v1/proposals/{ref}/versions"),
        ("GET", f"/api/v1/proposals/{ref}x"),
    ):
        kwargs: dict[str, Any] = {"json": {"content": content()}} if method == "PUT" else {}
        response = client.request(method, path, headers=rival, **kwargs)
        assert response.status_code == 404, (method, path, response.text)
    reviewer = client.get(f"/api/v1/proposals/{ref}", headers=api_token(client, "reviewer"))
    assert reviewer.status_code == 404
    partner = client.get(f"/api/v1/proposals/{ref}", headers=api_token(client, "partner-tha"))
    assert partner.status_code == 200  # a Thai team is in it: its funder may read it
    assert client.put(
        f"/api/v1/proposals/{ref}", json={"content": content()},
        headers=api_token(client, "partner-tha"),
    ).status_code == 403  # fmt: skip


def test_bad_content_names_the_field_and_changes_nothing(client: TestClient) -> None:
    me = api_token(client, "applicant")
    call = open_call(client, me)
    before = client.get("/api/v1/proposals", headers=me).json()["total"]
    bad = content()
    bad["members"][1]["country"] = "XYZ"
    response = client.post("/api/v1/proposals", json={"call": call, "content": bad}, headers=me)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"].endswith("country")
    bad = content()
    bad["budget"][0]["amount"] = "-1"
    response = client.post("/api/v1/proposals", json={"call": call, "content": bad}, headers=me)
    assert response.status_code == 422
    assert client.get("/api/v1/proposals", headers=me).json()["total"] == before


def test_officer_creates_and_opens_a_call(client: TestClient) -> None:
    officer = api_token(client, "officer")
    created = client.post(
        "/api/v1/calls",
        json={"track": "regional", "title": "Regional applied research 2028",
              "opens_at": "2028-01-10T09:00:00+09:00", "closes_at": "2028-04-10T17:00:00+07:00"},
        headers=officer,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    call = created.json()
    assert call["status"] == "draft"
    assert call["closes_at"].startswith("2028-04-10T10:00:00")
    applicant = api_token(client, "applicant")
    assert client.get(f"/api/v1/calls/{call['reference']}", headers=applicant).status_code == 404
    opened = client.post(
        f"/api/v1/calls/{call['reference']}/actions", json={"action": "open"}, headers=officer
    )
    assert opened.json()["status"] == "open"
    wrong = client.post(
        f"/api/v1/calls/{call['reference']}/actions", json={"action": "archive"}, headers=officer
    )
    assert wrong.status_code == 422
    assert "possible from open: close" in wrong.json()["error"]["message"]
    naive = client.post(
        "/api/v1/calls",
        json={"track": "regional", "title": "x", "opens_at": "2028-01-10T09:00:00",
              "closes_at": "2028-04-10T17:00:00Z"},
        headers=officer,
    )  # fmt: skip
    assert naive.json()["error"]["details"]["field"] == "opens_at"
    refused = client.post(
        "/api/v1/calls",
        json={"track": "regional", "title": "Mine", "opens_at": "2028-01-10T09:00:00Z",
              "closes_at": "2028-04-10T17:00:00Z"},
        headers=applicant,
    )  # fmt: skip
    assert refused.status_code == 403


def test_export_then_import_round_trips_every_format(client: TestClient) -> None:
    officer = api_token(client, "officer")
    calls = client.get("/api/v1/calls", headers=officer).json()
    closed = next(c["reference"] for c in calls if c["status"] == "closed")
    target = open_call(client, officer)
    for fmt in ("json", "csv", "xlsx"):
        exported = client.get(
            f"/api/v1/calls/{closed}/proposals/export?format={fmt}", headers=officer
        )
        assert exported.status_code == 200
        if fmt == "csv":
            assert exported.content.startswith("\ufeff".encode())
    data = client.get(f"/api/v1/calls/{closed}/proposals/export?format=xlsx", headers=officer)
    # Importing the closed call's proposals as they are clashes with their references.
    clash = client.post(
        f"/api/v1/calls/{target}/proposals/import?format=xlsx",
        files={"file": ("x.xlsx", data.content)},
        headers=officer,
    )
    assert clash.status_code == 422
    assert "nothing was imported" in clash.json()["error"]["message"]
    assert clash.json()["error"]["details"]["problems"][0]["field"] in {"reference", "status"}
    from nexus_sti.proposals.transfer import export_csv, import_proposals

    parsed = import_proposals(data.content, format="xlsx")
    assert parsed.ok
    fresh = [type(i)(None, None, None, i.content) for i in parsed.items[:3]]
    csv = export_csv(
        [type(i)(f"IMP-{n}", None, "submitted", i.content) for n, i in enumerate(fresh)]
    )
    created = client.post(
        f"/api/v1/calls/{target}/proposals/import?format=csv",
        files={"file": ("p.csv", csv.encode())},
        headers=officer,
    )
    assert created.status_code == 201, created.text
    assert created.json()["created"] == ["IMP-0", "IMP-1", "IMP-2"]
    detail = client.get("/api/v1/proposals/IMP-1", headers=officer).json()
    assert detail["content"] == parsed.items[1].content.model_dump(mode="json")
    refused = client.get(
        f"/api/v1/calls/{closed}/proposals/export", headers=api_token(client, "applicant")
    )
    assert refused.status_code == 403


def test_two_stage_call_invitation_from_the_screening_page(client: TestClient) -> None:
    from tests.e2e.conftest import csrf_of, login

    officer = api_token(client, "officer")
    call = client.post(
        "/api/v1/calls",
        json={"track": "bilateral", "title": "Two-stage 2027", "two_stage": True,
              "opens_at": "2026-01-01T00:00:00Z", "concept_closes_at": "2030-01-01T00:00:00Z",
              "closes_at": "2030-06-01T00:00:00Z"},
        headers=officer,
    ).json()["reference"]  # fmt: skip
    client.post(f"/api/v1/calls/{call}/actions", json={"action": "open"}, headers=officer)
    me = api_token(client, "applicant")
    body = client.post("/api/v1/proposals", json={"call": call, "content": content()},
                       headers=me).json()  # fmt: skip
    assert body["stage"] == "concept"
    client.post(f"/api/v1{body['invitations'][0]['link']}", json={"accept": True})
    receipt = client.post(f"/api/v1/proposals/{body['reference']}/submit", headers=me)
    assert receipt.status_code == 200, receipt.text  # a concept needs no attachment
    login(client, "officer")
    page = client.get(f"/calls/{call}/screening")
    assert "Invite to full proposal" in page.text
    invited = client.post(
        f"/calls/{call}/invite-full",
        data={"reference": body["reference"], "csrf_token": csrf_of(page.text)},
    )
    assert invited.status_code == 303
    detail = client.get(f"/api/v1/proposals/{body['reference']}", headers=me).json()
    assert (detail["stage"], detail["status"]) == ("full", "draft")
