"""After a selection is approved, the outcome is where people look for it: proposals say funded
or not funded, the proposal page and API show the award and who pays (or the selection's
reason), and a funding partner sees the awards to its own country's projects, and no others."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from nexus_sti.platform.context import Platform
from nexus_sti.proposals.tables import Proposal, ProposalMember
from tests.e2e.conftest import api_token, login
from tests.e2e.test_selection_web import ready_call


def decide(client: TestClient, ref: str) -> list[str]:
    officer = api_token(client, "officer")
    run = client.post(
        f"/api/v1/selection/calls/{ref}/runs",
        headers=officer,
        json={"parameters": {"time_limit": 5}, "note": "for the outcome test"},
    )
    assert run.status_code == 201, run.text
    decided = client.post(
        f"/api/v1/selection/runs/{run.json()['id']}/decision",
        headers=api_token(client, "admin"),
        json={"approve": True, "note": "agreed"},
    )
    assert decided.status_code == 200, decided.text
    record = client.get(f"/api/v1/selection/runs/{run.json()['id']}", headers=officer).json()
    selected: list[str] = record["result"]["selected"]
    assert selected
    return selected


def test_applicants_partners_and_officers_see_the_outcome(
    client: TestClient, demo_platform: Platform
) -> None:
    ref = ready_call(demo_platform)
    with demo_platform.session() as s:
        eligible = set(
            s.scalars(
                select(Proposal.reference).where(
                    Proposal.reference.startswith(ref), Proposal.status == "eligible"
                )
            )
        )
    selected = decide(client, ref)
    with demo_platform.session() as s:
        statuses = dict(
            s.execute(
                select(Proposal.reference, Proposal.status).where(Proposal.reference.in_(eligible))
            ).all()
        )
        thai = set(
            s.scalars(
                select(Proposal.reference)
                .join(ProposalMember, ProposalMember.proposal_id == Proposal.id)
                .where(Proposal.reference.in_(selected), ProposalMember.country == "THA")
            )
        )
    assert {r for r, st in statuses.items() if st == "funded"} == set(selected)
    assert {r for r, st in statuses.items() if st == "not_funded"} == eligible - set(selected)

    funded, not_funded = sorted(selected)[0], sorted(eligible - set(selected))[0]
    officer = api_token(client, "officer")
    body = client.get(f"/api/v1/proposals/{funded}", headers=officer).json()
    outcome = body["outcome"]
    assert body["status"] == "funded" and outcome["funded"] is True
    assert outcome["award"].startswith(f"{ref}-A") and float(outcome["amount"]) > 0
    assert outcome["funders"] and all(float(f["amount"]) > 0 for f in outcome["funders"])
    other = client.get(f"/api/v1/proposals/{not_funded}", headers=officer).json()
    assert other["outcome"]["funded"] is False and other["outcome"]["reason"]

    login(client, "officer")
    page = client.get(f"/proposals/{funded}")
    assert 'data-outcome="funded"' in page.text and outcome["award"] in page.text
    assert "Who pays" in page.text
    page = client.get(f"/proposals/{not_funded}")
    assert 'data-outcome="not_funded"' in page.text and "reason" in page.text

    # A funding partner sees its country's awards only, and their outcome on the proposal page.
    partner = api_token(client, "partner-tha")
    awards = client.get(f"/api/v1/selection/calls/{ref}/awards", headers=partner)
    assert awards.status_code == 200
    assert {a["proposal"] for a in awards.json()} == thai
    csv = client.get(f"/api/v1/selection/calls/{ref}/awards?format=csv", headers=partner)
    assert csv.status_code == 200 and len(csv.text.strip().splitlines()) == len(thai) + 1
    everyone = client.get(f"/api/v1/selection/calls/{ref}/awards", headers=officer).json()
    assert len(everyone) == len(selected) >= len(thai)
    assert thai, "the demo funds projects with Thai teams"
    shown = client.get(f"/api/v1/proposals/{sorted(thai)[0]}", headers=partner).json()
    assert shown["outcome"]["funded"] is True
    # Other roles still see no awards.
    for user in ("applicant", "reviewer", "analyst"):
        refused = client.get(
            f"/api/v1/selection/calls/{ref}/awards", headers=api_token(client, user)
        )
        assert refused.status_code == 403
