"""A reviewer reads the documents of the proposals assigned to them, on the page and through
the API, and no one else reads them that way: not for another proposal, not after a declared
conflict, not as an applicant or an officer."""

from __future__ import annotations

from datetime import timedelta
from html import unescape
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import select

from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from nexus_sti.proposals.tables import Attachment, Proposal
from tests.e2e.conftest import api_token, csrf_of, login
from tests.service.test_review_reviews import reviewer_setup

THAI_NAME = "ข้อเสนอโครงการ.pdf"


def attach(platform: Platform, reference: str, filename: str, content: bytes) -> int:
    with platform.session() as s:
        proposal = s.scalar(select(Proposal).where(Proposal.reference == reference))
        assert proposal is not None
        row = Attachment(
            proposal_id=proposal.id,
            kind="letter_of_support",
            filename=filename,
            media_type="application/pdf",
            size=len(content),
            pages=1,
            sha256="0" * 64,
            content=content,
            uploaded_at=utcnow(),
        )
        s.add(row)
        s.commit()
        return row.id


def test_the_assigned_reviewer_reads_the_documents_and_no_one_else(
    client: TestClient, demo_platform: Platform
) -> None:
    setup = reviewer_setup(demo_platform, due_at=utcnow() + timedelta(days=10))
    first, second, _ = setup.assignment_ids
    mine = attach(demo_platform, setup.proposals[0], THAI_NAME, b"%PDF-1.4 first")
    other = attach(demo_platform, setup.proposals[1], "second.pdf", b"%PDF-1.4 second")

    login(client, "reviewer")
    page = client.get(f"/review/my/{first}")
    assert page.status_code == 200
    link = f"/review/my/{first}/documents/{mine}"
    assert f'href="{link}"' in page.text and THAI_NAME in page.text
    assert "Letter of support" in page.text
    assert "Lead investigator, Japanese side" in unescape(page.text)  # role names, not codes
    assert "<td>lead_jp</td>" not in page.text

    got = client.get(link)
    assert got.status_code == 200 and got.content == b"%PDF-1.4 first"
    assert got.headers["content-type"] == "application/pdf"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(THAI_NAME, safe='')}" in disposition
    assert "sandbox" in got.headers["content-security-policy"]
    # Another proposal's document through this assignment, or an unknown one: not found.
    assert client.get(f"/review/my/{first}/documents/{other}").status_code == 404
    assert client.get(f"/review/my/{first}/documents/{other + 1000}").status_code == 404
    assert client.get(f"/review/my/{second}/documents/{other}").status_code == 200

    reviewer = api_token(client, "reviewer")
    detail = client.get(f"/api/v1/review/my/{first}", headers=reviewer).json()
    documents = detail["proposal"]["documents"]
    assert [d["filename"] for d in documents if d["id"] == mine] == [THAI_NAME]
    url = next(d["url"] for d in documents if d["id"] == mine)
    assert client.get(url, headers=reviewer).content == b"%PDF-1.4 first"
    assert (
        client.get(f"/api/v1/review/my/{first}/documents/{other}", headers=reviewer).status_code
        == 404
    )

    # After a declared conflict the reviewer no longer sees the proposal or its documents.
    token = csrf_of(page.text)
    declared = client.post(
        f"/review/my/{first}/conflict",
        data={"reason": "The lead is my co-author", "csrf_token": token},
    )
    assert declared.status_code == 303
    assert client.get(link).status_code == 404
    assert client.get(url, headers=reviewer).status_code == 404

    # Other roles cannot use the reviewer's address at all.
    for username in ("applicant", "officer"):
        client.cookies.clear()
        login(client, username)
        assert client.get(f"/review/my/{second}/documents/{other}").status_code in (403, 404)
