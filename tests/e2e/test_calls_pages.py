"""Calls and proposals pages through the real app: deadlines in each user's time zone, the
proposal editor and its live checks, invitations, attachments, submission, the officers'
screening and submissions pages, and a call's lifecycle."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfWriter
from sqlalchemy import func, select

from nexus_sti.accounts.service import create_user
from nexus_sti.accounts.tables import User
from nexus_sti.calls.tables import Call
from nexus_sti.core.access import Actor
from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from nexus_sti.proposals.tables import Proposal
from tests.e2e.conftest import csrf_of, login

APPLICANT_EMAIL = "applicant@demo.example.org"
SATO = {
    "name": "佐藤 健",
    "email": APPLICANT_EMAIL,
    "country": "JPN",
    "organisation_name": "Ginga University",
    "sector": "university",
    "role": "lead_jp",
}
SOMCHAI = {
    "name": "สมชาย ใจดี",
    "email": "somchai@example.org",
    "country": "THA",
    "organisation_name": "Chao Phraya Institute",
    "sector": "institute",
    "role": "lead_ams",
}
LAN = {
    "name": "Nguyễn Thị Lan",
    "email": "lan@example.org",
    "country": "VNM",
    "organisation_name": "Song Hong Institute",
    "sector": "institute",
    "role": "lead_ams",
}


def platform_of(client: TestClient) -> Platform:
    platform: Platform = client.app.state.platform  # type: ignore[attr-defined]
    return platform


def open_call(client: TestClient, track: str = "BIL") -> str:
    """The reference of the demo's open call of ``track`` (the later year)."""
    with platform_of(client).session() as s:
        refs = s.scalars(
            select(Call.reference).where(Call.status == "open", Call.reference.like(f"%-{track}"))
        )
        return max(refs)


def closed_call(client: TestClient, track: str = "BIL") -> str:
    with platform_of(client).session() as s:
        refs = s.scalars(
            select(Call.reference).where(Call.status == "closed", Call.reference.like(f"%-{track}"))
        )
        return max(refs)


def editor_fields(
    call: str | None, members: list[dict[str, str]], budget: list[dict[str, str]] | None = None,
    **about: Any,
) -> dict[str, Any]:  # fmt: skip
    year = str(utcnow().year + 1)
    fields: dict[str, Any] = {
        "title": "Flood forecasting for the Mekong delta",
        "abstract": "Joint hydrological models for flood warnings.",
        "keywords": "floods, hydrology",
        "area": "climate",
        "duration_months": "36",
        **about,
    }
    if call:
        fields["call"] = call
    for i, m in enumerate(members):
        for key, value in m.items():
            fields[f"m{i}_{key}"] = value
    lines = budget if budget is not None else [
        {"member": "1", "year": year, "funder": "jst", "amount": "12000000", "currency": "JPY"}
    ]  # fmt: skip
    for i, line in enumerate(lines):
        for key, value in line.items():
            fields[f"b{i}_{key}"] = value
    return fields


def create_draft(client: TestClient, members: list[dict[str, str]], **about: Any) -> str:
    call = open_call(client)
    page = client.get(f"/proposals/new?call={call}")
    assert page.status_code == 200, page.text
    fields = editor_fields(call, members, **about)
    response = client.post("/proposals/new", data={**fields, "csrf_token": csrf_of(page.text)})
    assert response.status_code == 303, unescape(response.text)
    location = response.headers["location"]
    assert location.startswith("/proposals/")
    return location.removeprefix("/proposals/")


def proposal_count(client: TestClient) -> int:
    with platform_of(client).session() as s:
        return s.scalar(select(func.count()).select_from(Proposal)) or 0


def invitation_links(html: str) -> dict[str, str]:
    """Invited e-mail -> its link, from the invitation links shown after a save."""
    return dict(re.findall(r"&lt;([^&]+)&gt;: <a href=\"(/invitations/[^\"]+)\"", html))


def verdict_rows(html: str) -> dict[str, tuple[str, str]]:
    """rule id -> (mark, message) from the eligibility checks panel."""
    panel = html.split('id="checks"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(
        r"<td aria-label=\"\w+\"[^>]*>(.)</td>\s*<td><code>([^<]+)</code></td><td>([^<]*)</td>",
        panel,
    )
    return {rule: (mark, unescape(message)) for mark, rule, message in rows}


def tiny_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


# --- calls ----------------------------------------------------------------------------------


def test_applicant_sees_open_calls_in_japan_time_with_a_countdown(client: TestClient) -> None:
    login(client, "applicant")
    page = client.get("/calls")
    assert page.status_code == 200
    html = unescape(page.text)
    assert "(UTC+09:00, Asia/Tokyo)" in html
    assert re.search(r"<td>(59|60) days \d+ hours?</td>", html), "countdown to the open call"
    call = open_call(client)
    assert f'href="/calls/{call}"' in page.text
    detail = client.get(f"/calls/{call}")
    assert detail.status_code == 200
    text = unescape(detail.text)
    assert "Taking submissions" in text
    assert "(UTC+09:00, Asia/Tokyo)" in text and " UTC" in text
    assert "Lead investigators from the required number of countries" in text
    assert "consortium.countries" in text
    assert f'href="/proposals/new?call={call}"' in detail.text
    closed = unescape(client.get(f"/calls/{closed_call(client)}").text)
    assert "Start a proposal" not in closed
    assert "the call is closed, not open" in closed


def test_funding_partner_reads_deadlines_in_bangkok_time(client: TestClient) -> None:
    login(client, "partner-tha")
    html = unescape(client.get("/calls").text)
    assert "(UTC+07:00, Asia/Bangkok)" in html
    assert "New call" not in html
    detail = client.get(f"/calls/{open_call(client)}")
    assert detail.status_code == 200
    assert "Start a proposal" not in detail.text
    assert "/actions" not in detail.text


def test_officer_creates_a_call_in_their_time_zone_and_opens_it(client: TestClient) -> None:
    with platform_of(client).session() as s:
        officer = s.scalar(select(User).where(User.username == "officer"))
        assert officer is not None
        officer.country = "THA"  # an officer working from Bangkok types Bangkok times
        s.commit()
    login(client, "officer")
    page = client.get("/calls")
    assert "New call" in page.text
    assert "Deadline (Asia/Bangkok)" in page.text
    token = csrf_of(page.text)
    fields = {
        "track": "regional",
        "title": "Regional applied research 2031",
        "opens_at": "2031-01-10T09:00",
        "closes_at": "2031-01-05T17:00",
        "areas": ["energy", "ai"],
        "description": "Applied research with industry.",
        "csrf_token": token,
    }
    refused = client.post("/calls", data=fields)
    assert refused.status_code == 422
    text = unescape(refused.text)
    assert "closes_at: must be after opens_at" in text
    assert 'value="Regional applied research 2031"' in text  # values kept
    assert 'value="energy" style="width:auto" checked' in refused.text
    assert 'value="climate" style="width:auto" >' in refused.text
    no_areas = client.post("/calls", data={k: v for k, v in fields.items() if k != "areas"})
    assert no_areas.status_code == 422
    assert "areas: choose at least one priority area" in unescape(no_areas.text)
    with platform_of(client).session() as s:
        assert not s.scalar(select(Call).where(Call.title == fields["title"]))
    created = client.post("/calls", data={**fields, "closes_at": "2031-03-31T17:00"})
    assert created.status_code == 303, unescape(created.text)
    ref = created.headers["location"].removeprefix("/calls/")
    with platform_of(client).session() as s:
        call = s.scalar(select(Call).where(Call.reference == ref))
        assert call is not None and call.status == "draft"
        assert call.closes_at == datetime(2031, 3, 31, 10, 0, tzinfo=UTC)  # 17:00 UTC+7
        assert call.opens_at == datetime(2031, 1, 10, 2, 0, tzinfo=UTC)
        assert call.areas == ["energy", "ai"]
    detail = client.get(f"/calls/{ref}")
    assert "Draft call" in detail.text and "status <strong>draft</strong>" in detail.text
    opened = client.post(
        f"/calls/{ref}/actions", data={"action": "open", "csrf_token": csrf_of(detail.text)}
    )
    assert opened.status_code == 303
    detail = client.get(f"/calls/{ref}")
    assert "status <strong>open</strong>" in detail.text
    assert 'name="action" value="close"' in detail.text
    assert "call.open" in client.get("/audit?action=call.").text
    # A step the workflow does not allow from here is refused with the reason.
    wrong = client.post(
        f"/calls/{ref}/actions", data={"action": "archive", "csrf_token": csrf_of(detail.text)}
    )
    assert wrong.status_code == 422
    assert "cannot archive a call that is open" in unescape(wrong.text)


def test_applicants_do_not_see_draft_calls(client: TestClient) -> None:
    login(client, "officer")
    page = client.get("/calls")
    client.post(
        "/calls",
        data={
            "track": "bilateral", "title": "Unpublished bilateral call",
            "opens_at": "2031-01-10T09:00", "closes_at": "2031-03-31T17:00",
            "areas": ["climate"], "csrf_token": csrf_of(page.text),
        },
    )  # fmt: skip
    with platform_of(client).session() as s:
        ref = s.scalar(select(Call.reference).where(Call.title == "Unpublished bilateral call"))
    assert ref
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/calls").text)})
    login(client, "applicant")
    assert "Unpublished bilateral call" not in client.get("/calls").text
    assert client.get(f"/calls/{ref}").status_code == 404
    assert client.get(f"/proposals/new?call={ref}").status_code == 404


# --- the proposal editor ----------------------------------------------------------------------


def test_applicant_drafts_a_proposal_and_the_checks_list_what_fails(client: TestClient) -> None:
    login(client, "applicant")
    ref = create_draft(client, [SATO, SOMCHAI, LAN])
    page = client.get(f"/proposals/{ref}")
    assert page.status_code == 200
    html = unescape(page.text)
    assert "Draft " in html and "saved as version 1" in html
    assert "(UTC+09:00, Asia/Tokyo)" in html
    verdicts = verdict_rows(page.text)
    assert verdicts["consortium.countries"][0] == "✗"
    assert (
        "exactly 1 partner country; this consortium has 2 (Thailand, Viet Nam)"
        in (verdicts["consortium.countries"][1])
    )
    assert verdicts["consortium.lead"][0] == "✓"
    assert verdicts["consortium.confirmed"][0] == "✗"
    assert verdicts["attachments.required"][0] == "✗"
    links = invitation_links(page.text)
    assert set(links) == {"somchai@example.org", "lan@example.org"}  # not the applicant
    assert invitation_links(client.get(f"/proposals/{ref}").text) == {}  # shown once
    # The proposal is in the applicant's list of proposals.
    assert f'href="/proposals/{ref}"' in client.get("/calls").text


def test_a_bad_orcid_is_refused_naming_the_field_and_nothing_is_saved(
    client: TestClient,
) -> None:
    login(client, "applicant")
    call = open_call(client)
    page = client.get(f"/proposals/new?call={call}")
    before = proposal_count(client)
    bad = {**SOMCHAI, "orcid": "0000-0002-1825-0098"}  # wrong check digit
    fields = editor_fields(call, [SATO, bad], secondary_areas=["ai", "energy"])
    response = client.post("/proposals/new", data={**fields, "csrf_token": csrf_of(page.text)})
    assert response.status_code == 422
    html = unescape(response.text)
    assert "Member 2: ORCID iD is not a valid ORCID iD" in html  # in words, not members[1]
    assert 'aria-describedby="note-m1_orcid"' in html  # next to the field
    assert "Nothing was saved" in html
    # Every value is kept, names in their own scripts included.
    assert 'value="0000-0002-1825-0098"' in html
    assert 'value="สมชาย ใจดี"' in html and 'value="佐藤 健"' in html
    assert 'value="ai" checked' in html and 'value="energy" checked' in html
    assert 'value="jst" selected' in html
    assert proposal_count(client) == before


def test_a_budget_line_must_name_a_filled_consortium_row(client: TestClient) -> None:
    login(client, "applicant")
    call = open_call(client)
    page = client.get(f"/proposals/new?call={call}")
    year = str(utcnow().year + 1)
    budget = [{"member": "5", "year": year, "funder": "jst", "amount": "100", "currency": "JPY"}]
    fields = editor_fields(call, [SATO, SOMCHAI], budget=budget)
    response = client.post("/proposals/new", data={**fields, "csrf_token": csrf_of(page.text)})
    assert response.status_code == 422
    assert "Budget line 1: member 5 is not a filled consortium row; choose one of rows 1, 2" in (
        unescape(response.text)
    )


def test_names_in_local_scripts_round_trip_through_the_editor(client: TestClient) -> None:
    names = {
        "THA": "สมชาย ใจดี",
        "KHM": "សុខ ចាន់ថា",
        "LAO": "ສົມພອນ ແກ້ວມະນີ",
        "MMR": "အောင်ကျော် မင်း",
        "VNM": "Nguyễn Thị Lan",
    }
    partners = [
        {**SOMCHAI, "name": name, "email": f"{iso.lower()}@example.org", "country": iso,
         "role": "lead_ams" if iso == "THA" else "partner"}
        for iso, name in names.items()
    ]  # fmt: skip
    login(client, "applicant")
    ref = create_draft(client, [SATO, *partners], title="ความร่วมมือ 協力 Hợp tác")
    page = client.get(f"/proposals/{ref}")
    html = unescape(page.text)
    for name in [SATO["name"], *names.values()]:
        assert f'value="{name}"' in html, name  # in the editor
        assert f'<span lang="und">{name}</span>' in html, name  # in the consortium table
    assert "<h1>ความร่วมมือ 協力 Hợp tác</h1>" in html
    # Saving the editor's values again changes nothing but the version.
    fields = editor_fields(None, [SATO, *partners], title="ความร่วมมือ 協力 Hợp tác")
    saved = client.post(f"/proposals/{ref}", data={**fields, "csrf_token": csrf_of(page.text)})
    assert saved.status_code == 303
    again = unescape(client.get(f"/proposals/{ref}").text)
    assert "Saved as version 2." in again
    for name in names.values():
        assert f'value="{name}"' in again
    # A refused edit shows every value as sent, and keeps the saved version.
    partners[1]["email"] = "not an address"
    fields = editor_fields(None, [SATO, *partners], title="ความร่วมมือ ฉบับที่ 3")
    refused = client.post(f"/proposals/{ref}", data={**fields, "csrf_token": csrf_of(page.text)})
    assert refused.status_code == 422
    html = unescape(refused.text)
    assert "Member 3: e-mail must be an e-mail address" in html
    assert 'value="ความร่วมมือ ฉบับที่ 3"' in html and 'value="not an address"' in html
    assert f'value="{names["KHM"]}"' in html
    assert "version 2 ·" in html.replace("</strong>", "")


def test_others_cannot_reach_an_applicants_proposal(client: TestClient) -> None:
    login(client, "applicant")
    ref = create_draft(client, [SATO, SOMCHAI])
    platform = platform_of(client)
    with platform.session() as s:
        create_user(
            s, actor=Actor.system("tests"), hasher=platform.hasher, username="tanaka",
            password="another long password", role="applicant", display_name="田中 花子",
            email="tanaka@example.org", now=utcnow(), country="JPN",
        )  # fmt: skip
    other = TestClient(client.app, follow_redirects=False)
    login(other, "tanaka", "another long password")
    assert other.get(f"/proposals/{ref}").status_code == 404
    token = csrf_of(other.get("/calls").text)
    fields = editor_fields(None, [SATO, SOMCHAI], title="Taken over")
    edit = other.post(f"/proposals/{ref}", data={**fields, "csrf_token": token})
    assert edit.status_code == 404
    assert other.post(f"/proposals/{ref}/submit", data={"csrf_token": token}).status_code == 404
    assert other.post(f"/proposals/{ref}/withdraw", data={"csrf_token": token}).status_code == 404
    assert "Taken over" not in client.get(f"/proposals/{ref}").text
    reviewer = TestClient(client.app, follow_redirects=False)
    login(reviewer, "reviewer")
    assert reviewer.get(f"/proposals/{ref}").status_code == 404
    assert reviewer.get(f"/proposals/new?call={open_call(client)}").status_code == 403
    assert reviewer.get(f"/calls/{open_call(client)}/screening").status_code == 403


def test_invitation_accept_works_once(client: TestClient) -> None:
    login(client, "applicant")
    ref = create_draft(client, [SATO, SOMCHAI])
    link = invitation_links(client.get(f"/proposals/{ref}").text)["somchai@example.org"]
    invitee = TestClient(client.app, follow_redirects=False)  # no login: the link is enough
    page = invitee.get(link)
    assert page.status_code == 200
    html = unescape(page.text)
    assert "สมชาย ใจดี" in html and "Flood forecasting for the Mekong delta" in html
    assert "Lead investigator, member state's side" in html and "lead_ams" not in html
    answer = invitee.post(link, data={"answer": "accept", "csrf_token": csrf_of(page.text)})
    assert answer.status_code == 200
    assert "You are confirmed" in answer.text
    again = invitee.post(link, data={"answer": "accept", "csrf_token": csrf_of(page.text)})
    assert again.status_code == 404
    assert invitee.get(link).status_code == 404
    verdicts = verdict_rows(client.get(f"/proposals/{ref}").text)
    assert verdicts["consortium.confirmed"][0] == "✓"
    forged = invitee.post(link, data={"answer": "accept", "csrf_token": "forged"})
    assert forged.status_code == 403


def test_upload_submit_receipt_and_resubmission(client: TestClient) -> None:
    login(client, "applicant")
    ref = create_draft(client, [SATO, SOMCHAI])
    page = client.get(f"/proposals/{ref}")
    token = csrf_of(page.text)
    link = invitation_links(page.text)["somchai@example.org"]
    refused = client.post(f"/proposals/{ref}/submit", data={"csrf_token": token})
    assert refused.status_code == 422
    html = unescape(refused.text)
    assert "Not submitted: 2 rule(s) fail" in html
    assert "consortium.confirmed" in html and "attachments.required" in html
    png = client.post(
        f"/proposals/{ref}/attachments",
        data={"kind": "project_description", "csrf_token": token},
        files={"file": ("plan.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "application/pdf")},
    )
    assert png.status_code == 422
    assert "Not uploaded: not a PDF: the file's content is PNG image data" in unescape(png.text)
    uploaded = client.post(
        f"/proposals/{ref}/attachments",
        data={"kind": "project_description", "csrf_token": token},
        files={"file": ("計画書.pdf", tiny_pdf(), "application/pdf")},
    )
    assert uploaded.status_code == 303
    page = client.get(f"/proposals/{ref}")
    assert "計画書.pdf" in unescape(page.text)
    download = client.get(re.findall(r'href="(/proposals/[^"]+/attachments/\d+)"', page.text)[0])
    assert download.content.startswith(b"%PDF")
    invitee = TestClient(client.app, follow_redirects=False)
    invitee.post(link, data={"answer": "accept", "csrf_token": csrf_of(invitee.get(link).text)})
    submitted = client.post(f"/proposals/{ref}/submit", data={"csrf_token": token})
    assert submitted.status_code == 303
    assert submitted.headers["location"] == f"/proposals/{ref}?receipt=1"
    receipt = client.get(submitted.headers["location"])
    html = unescape(receipt.text)
    assert "Submitted: your receipt" in html
    digest = re.search(r"<code data-digest>([0-9a-f]{64})</code>", html)
    assert digest
    with platform_of(client).session() as s:
        stored = s.scalar(select(Proposal).where(Proposal.reference == ref))
        assert stored is not None and stored.content_digest == digest.group(1)
    assert "(UTC+09:00, Asia/Tokyo)" in html.split("Submitted at", 1)[1]
    assert "Saving a change makes it a draft again" in html
    fields = editor_fields(None, [SATO, SOMCHAI], title="Flood forecasting, revised")
    edited = client.post(f"/proposals/{ref}", data={**fields, "csrf_token": token})
    assert edited.status_code == 303
    html = unescape(client.get(f"/proposals/{ref}").text)
    assert "must be submitted again before the deadline" in html
    assert "status <strong>draft</strong>" in html
    assert re.search(r"<td class=\"num\">2</td><td>[^<]+</td><td>Flood forecasting, revised", html)


def test_withdrawing_is_final(client: TestClient) -> None:
    login(client, "applicant")
    ref = create_draft(client, [SATO, SOMCHAI])
    token = csrf_of(client.get(f"/proposals/{ref}").text)
    assert client.post(f"/proposals/{ref}/withdraw", data={"csrf_token": token}).status_code == 303
    html = unescape(client.get(f"/proposals/{ref}").text)
    assert "is withdrawn" in html and "status <strong>withdrawn</strong>" in html
    assert f'action="/proposals/{ref}/submit"' not in html
    assert 'name="m0_name"' not in html  # no editor any more


# --- officers ---------------------------------------------------------------------------------


def test_officer_screens_a_call_and_overrides_a_verdict(client: TestClient) -> None:
    login(client, "officer")
    call = closed_call(client)
    page = client.get(f"/calls/{call}/screening")
    assert page.status_code == 200
    html = unescape(page.text)
    assert "consortium.countries" in html and "attachments.required" in html
    assert html.count('href="/proposals/DEMO-') >= 5
    first = re.search(r'name="reference" value="([^"]+)"', page.text)
    assert first
    ref = first.group(1)
    short = client.post(
        f"/calls/{call}/overrides",
        data={"reference": ref, "rule_id": "attachments.required", "passed": "pass",
              "justification": "ok", "csrf_token": csrf_of(page.text)},
    )  # fmt: skip
    assert short.status_code == 422
    assert "explain the override in at least 10 characters" in unescape(short.text)
    # The rule passes already: an override that changes nothing is refused, and says so.
    no_op = client.post(
        f"/calls/{call}/overrides",
        data={"reference": ref, "rule_id": "attachments.required", "passed": "pass",
              "justification": "Sent by post before the deadline.",
              "csrf_token": csrf_of(page.text)},
    )  # fmt: skip
    assert no_op.status_code == 422
    assert "already passes" in unescape(no_op.text)
    done = client.post(
        f"/calls/{call}/overrides",
        data={"reference": ref, "rule_id": "attachments.required", "passed": "fail",
              "justification": "The letter of support is not signed.",
              "csrf_token": csrf_of(page.text)},
    )  # fmt: skip
    assert done.status_code == 303
    html = unescape(client.get(f"/calls/{call}/screening").text)
    assert "The letter of support is not signed." in html
    # Only the proposals that fail a rule, on request (the override made this one fail).
    failing = unescape(client.get(f"/calls/{call}/screening?show=failing").text)
    assert f'href="/proposals/{ref}"' in failing
    assert failing.count('href="/proposals/DEMO-') < html.count('href="/proposals/DEMO-')
    # The override form of a failing proposal offers to pass the rule that fails.
    assert re.search(
        r'<option value="attachments.required" selected>attachments.required \(fails\)', html
    )
    applied = client.post(
        f"/calls/{call}/screening/apply",
        data={"scope": "all", "csrf_token": csrf_of(page.text)},
    )
    assert applied.status_code == 303
    assert "Screening applied:" in unescape(client.get(f"/calls/{call}/screening").text)
    assert "call.screened" in client.get("/audit?action=call.").text


def test_officer_sees_the_submissions_dashboard_and_filters_it(client: TestClient) -> None:
    login(client, "officer")
    call = closed_call(client)
    page = client.get(f"/calls/{call}/submissions")
    assert page.status_code == 200
    assert page.text.count("<svg") == 4
    html = unescape(page.text)
    for title in ("Proposals involving each country", "Consortium members by sector"):
        assert title in html
    everything = page.text.count('name="references"')
    assert everything >= 5
    assert f"/api/v1/calls/{call}/proposals/export?format=json|csv|xlsx" in page.text
    for fmt in ("json", "csv", "xlsx"):
        assert f'href="/calls/{call}/submissions/export?format={fmt}"' in page.text
    exported = client.get(f"/calls/{call}/submissions/export?format=json")
    assert exported.status_code == 200
    assert exported.json()["schema"] == "nexus-proposals/1"
    assert len(exported.json()["proposals"]) == everything
    thai = client.get(f"/calls/{call}/submissions?country=THA")
    rows = re.findall(r"<td>((?:[A-Z]{3} ?)+)</td><td>\w+</td>", thai.text)
    assert rows and all("THA" in r for r in rows)
    assert thai.text.count('name="references"') < everything
    drafts = client.get(f"/calls/{call}/submissions?status=draft")
    assert "No proposals match the filter" in drafts.text
    chosen = re.findall(r'name="references" value="([^"]+)"', page.text)[:2]
    applied = client.post(
        f"/calls/{call}/screening/apply",
        data={"references": chosen, "next": "submissions", "csrf_token": csrf_of(page.text)},
    )
    assert applied.headers["location"] == f"/calls/{call}/submissions"
    notice = unescape(client.get(applied.headers["location"]).text)
    counts = re.search(r"Screening applied: (\d+) eligible, (\d+) ineligible", notice)
    assert counts and int(counts.group(1)) + int(counts.group(2)) == 2


@pytest.mark.parametrize("username", ["applicant", "partner-tha", "reviewer"])
def test_screening_and_submissions_are_for_staff(client: TestClient, username: str) -> None:
    login(client, username)
    call = closed_call(client)
    assert client.get(f"/calls/{call}/screening").status_code == 403
    assert client.get(f"/calls/{call}/submissions").status_code == 403
    assert client.get(f"/calls/{call}/submissions/export?format=csv").status_code == 403


@pytest.mark.parametrize("username", ["officer", "partner-tha"])
def test_the_proposals_list_links_to_each_readable_proposal(
    client: TestClient, username: str
) -> None:
    login(client, username)
    page = client.get("/proposals")
    first = re.search(r'<a href="/proposals/(DEMO-[^"]+)">', page.text)
    assert first
    ref = first.group(1)
    view = client.get(f"/proposals/{ref}")
    assert view.status_code == 200
    assert 'id="checks"' in view.text and 'id="consortium"' in view.text
    assert 'name="m0_name"' not in view.text  # read only: no editor
    assert f'action="/proposals/{ref}/submit"' not in view.text
    fields = editor_fields(None, [SATO, SOMCHAI])
    edit = client.post(f"/proposals/{ref}", data={**fields, "csrf_token": csrf_of(view.text)})
    assert edit.status_code == 403  # only applicants write proposals


def test_a_call_that_takes_no_submissions_refuses_new_proposals(client: TestClient) -> None:
    login(client, "applicant")
    response = client.get(f"/proposals/new?call={closed_call(client)}")
    assert response.status_code == 422
    assert "takes no submissions" in unescape(response.text)


def test_countdown_is_relative_to_now(client: TestClient) -> None:
    with platform_of(client).session() as s:
        call = s.scalar(select(Call).where(Call.reference == open_call(client)))
        assert call is not None
        call.closes_at = utcnow() + timedelta(hours=3, minutes=30)
        s.commit()
    login(client, "applicant")
    assert re.search(r"3 hours (29|30) minutes", client.get("/calls").text)
