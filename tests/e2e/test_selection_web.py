"""Selection through the real app: the designer, saving, the four-eyes decision, verification,
the comparison, the API and who may see any of it."""

from __future__ import annotations

from datetime import UTC, datetime
from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy import select

from nexus_sti.calls import service as calls
from nexus_sti.calls.tables import Call
from nexus_sti.core.access import Actor
from nexus_sti.needs.service import save_targets
from nexus_sti.needs.targets import TargetParams
from nexus_sti.platform.context import Platform
from nexus_sti.proposals import screening
from tests.e2e.conftest import api_token, csrf_of, login

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SYSTEM = Actor.system("test")


def ready_call(platform: Platform) -> str:
    with platform.session() as s:
        call = s.scalar(select(Call).where(Call.status == "closed", Call.track == "bilateral"))
        assert call is not None
        ref = call.reference
        calls.transition_call(s, actor=SYSTEM, reference=ref, action="screen", now=NOW)
        screening.apply_screening(s, actor=SYSTEM, call_reference=ref, now=NOW)
        calls.transition_call(s, actor=SYSTEM, reference=ref, action="review", now=NOW)
        save_targets(s, actor=SYSTEM, params=TargetParams(track="bilateral"), note="", now=NOW)
    return ref


def test_officer_designs_saves_and_admin_approves(
    client: TestClient, demo_platform: Platform
) -> None:
    ref = ready_call(demo_platform)
    login(client, "officer")
    home = client.get("/selection")
    assert home.status_code == 200
    assert f"/selection/calls/{ref}" in home.text
    page = client.get(f"/selection/calls/{ref}?time_limit=5")
    assert page.status_code == 200, page.text
    assert "proposals funded" in page.text and "<svg" in page.text
    assert "Not funded, and why" in page.text
    # The rules' prices (one solve per family) load separately, from the same query.
    costs_url = f"/selection/calls/{ref}/costs?time_limit=5"
    assert f'data-fragment="{costs_url}"' in page.text
    costs = client.get(costs_url)
    assert costs.status_code == 200 and "<svg" in costs.text
    bad_costs = client.get(f"/selection/calls/{ref}/costs?band_tolerance=-1&submitted=1")
    assert bad_costs.status_code == 422 and "band_tolerance" in bad_costs.text
    # A member state's band set by hand shows in the form and in how the rules were set.
    own = client.get(
        f"/selection/calls/{ref}?time_limit=5&submitted=1&bands=on"
        "&band_tolerance=0.5&inclusive=on&one_award_per_lead=on&high_band_THA=1"
    )
    assert own.status_code == 200, own.text
    assert 'name="high_band_THA" type="number" min="0" step="1" value="1"' in own.text
    assert "bands set by hand: THA –1" in own.text
    bad_own = client.get(f"/selection/calls/{ref}?submitted=1&low_band_THA=3&high_band_THA=1")
    assert bad_own.status_code == 422 and "must not exceed" in bad_own.text
    assert "Thailand's band: low (3) must not exceed high (1)" in unescape(bad_own.text)
    # A band width the rule refuses: the field and the rule are named, nothing is solved.
    bad = client.get(f"/selection/calls/{ref}?band_tolerance=-1&submitted=1")
    assert bad.status_code == 422
    assert "band_tolerance" in bad.text
    # Save for decision (CSRF required).
    refused = client.post(f"/selection/calls/{ref}/runs", data={"note": "x"})
    assert refused.status_code == 403
    saved = client.post(
        f"/selection/calls/{ref}/runs",
        data={"csrf_token": csrf_of(page.text), "note": "balanced", "time_limit": "5",
              "band_tolerance": "0.5", "bands": "on", "inclusive": "on",
              "one_award_per_lead": "on"},
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    record_url = saved.headers["location"]
    record = client.get(record_url)
    assert "proposed" in record.text
    assert "another officer approves or rejects it" in record.text  # the save says it worked
    assert "Approve and create the awards" not in record.text, "no approving one's own run"
    own = client.post(
        record_url + "/decision",
        data={"csrf_token": csrf_of(record.text), "verdict": "approve", "note": "mine"},
    )
    assert own.status_code == 422 and "four eyes" in own.text
    verified = client.post(record_url + "/verify", data={"csrf_token": csrf_of(record.text)})
    assert "Reproduced" in verified.text
    client.post("/logout", data={"csrf_token": csrf_of(record.text)})

    login(client, "admin")
    record = client.get(record_url)
    assert "Approve and create the awards" in record.text
    approved = client.post(
        record_url + "/decision",
        data={"csrf_token": csrf_of(record.text), "verdict": "approve", "note": "agreed"},
    )
    assert approved.status_code == 303
    record = client.get(record_url)
    assert "approved" in record.text and "Awards" in record.text
    assert "approved: its awards are created and the call is decided" in record.text
    awards = client.get(
        f"/api/v1/selection/calls/{ref}/awards?format=csv", headers=api_token(client, "admin")
    )
    assert awards.status_code == 200
    assert awards.text.startswith("\ufeffreference,")
    assert len(awards.text.strip().splitlines()) > 1
    grants = client.get(
        f"/api/v1/selection/calls/{ref}/awards?format=360giving",
        headers=api_token(client, "admin"),
    ).json()["grants"]
    assert len(grants) == len(awards.text.strip().splitlines()) - 1
    first = grants[0]
    assert first["id"].startswith("360G-") and first["currency"] == "JPY"
    assert first["amountAwarded"] > 0 and first["recipientOrganization"][0]["name"]
    assert {"JP"} <= {loc["countryCode"] for loc in first["beneficiaryLocation"]}
    # The same from the page, with the session cookie.
    page_csv = client.get(f"/selection/calls/{ref}/awards.csv")
    assert page_csv.status_code == 200 and page_csv.text == awards.text
    record_json = client.get(record_url + "/record.json").json()
    assert record_json["status"] == "approved" and record_json["problem"]["candidates"]


def test_comparison_page_shows_every_rule(client: TestClient, demo_platform: Platform) -> None:
    ref = ready_call(demo_platform)
    login(client, "officer")
    page = client.get(f"/selection/calls/{ref}/compare?time_limit=5")
    assert page.status_code == 200, page.text
    for label in ("Rank and fund", "Rank with tie-breaks", "Constrained optimum"):
        assert label in page.text
    assert "Cost of inclusiveness" in page.text
    assert page.text.count("<svg") >= 2


def test_api_preview_runs_and_stateless_solve(client: TestClient, demo_platform: Platform) -> None:
    ref = ready_call(demo_platform)
    officer = api_token(client, "officer")
    preview = client.post(
        f"/api/v1/selection/calls/{ref}/preview", json={"time_limit": 5}, headers=officer
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["format"] == "nexus-selection-result/1" and body["selected"]
    bad = client.post(
        f"/api/v1/selection/calls/{ref}/preview", json={"band_tolerance": "wide"}, headers=officer
    )
    assert bad.status_code == 422
    created = client.post(
        f"/api/v1/selection/calls/{ref}/runs",
        json={"parameters": {"time_limit": 5, "lottery": True, "seed": 4}, "note": "api"},
        headers=officer,
    )
    assert created.status_code == 201, created.text
    run = client.get(f"/api/v1/selection/runs/{created.json()['id']}", headers=officer).json()
    assert run["problem"]["format"] == "nexus-selection-problem/1"
    solved = client.post("/api/v1/selection/solve", json=run["problem"], headers=officer)
    assert solved.status_code == 200, solved.text
    assert solved.json()["selected"] == run["result"]["selected"]
    assert solved.json()["inputs_digest"] == run["inputs_digest"]
    check = client.post(f"/api/v1/selection/runs/{run['id']}/verify", headers=officer).json()
    assert check["reproduced"] is True
    compared = client.post(
        f"/api/v1/selection/calls/{ref}/comparison", json={"time_limit": 5}, headers=officer
    )
    assert compared.status_code == 200, compared.text
    rules = {o["rule"]: o for o in compared.json()["outcomes"]}
    assert rules["optimum"]["broken_rules"] == []
    assert rules["optimum"]["places_hoover"] is not None


def test_other_roles_see_no_selection(client: TestClient, demo_platform: Platform) -> None:
    ref = ready_call(demo_platform)
    for user in ("applicant", "reviewer", "partner-tha", "analyst"):
        headers = api_token(client, user)
        assert client.get("/api/v1/selection/runs", headers=headers).status_code == 403
        preview = client.post(f"/api/v1/selection/calls/{ref}/preview", json={}, headers=headers)
        assert preview.status_code == 403
        assert client.post("/api/v1/selection/solve", json={}, headers=headers).status_code == 403
    login(client, "applicant")
    assert client.get("/selection").status_code == 403
    assert client.get(f"/selection/calls/{ref}").status_code == 403
    assert client.get(f"/selection/calls/{ref}/costs").status_code == 403
