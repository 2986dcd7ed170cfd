"""The proposal editor through the real app: as many consortium and budget rows as the program
allows (added and removed without JavaScript too, numbers with gaps), the live checks on an
unsaved draft (verdicts, permissions, nothing saved), and problems in plain words next to their
fields."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from nexus_sti.accounts.service import create_user
from nexus_sti.core.access import Actor
from nexus_sti.platform.auditlog import AuditEntry
from nexus_sti.platform.db import utcnow
from nexus_sti.proposals.tables import BudgetLine, Proposal, ProposalMember, ProposalVersion
from tests.e2e.conftest import csrf_of, login
from tests.e2e.test_calls_pages import (
    LAN,
    SATO,
    SOMCHAI,
    create_draft,
    editor_fields,
    invitation_links,
    open_call,
    platform_of,
    tiny_pdf,
)

YEAR = str(utcnow().year + 1)


def partners(n: int) -> list[dict[str, str]]:
    """``n`` Thai partners (role ``partner``), each a different person."""
    return [
        {
            "name": f"Partner {i}",
            "email": f"partner{i}@example.org",
            "country": "THA",
            "organisation_name": "Chao Phraya Institute",
            "sector": "institute",
            "role": "partner",
        }
        for i in range(1, n + 1)
    ]


def lines(n: int, member: str = "1") -> list[dict[str, str]]:
    return [
        {"member": member, "year": YEAR, "funder": "jst", "amount": "1000", "currency": "JPY"}
        for _ in range(n)
    ]


def row_numbers(html: str, table: str) -> list[int]:
    """The row numbers of ``table`` ("members" or "budget") the editor shows."""
    body = html.split(f'<tbody data-rows="{table}"', 1)[1].split("</tbody>", 1)[0]
    return [int(n) for n in re.findall(r'<tr data-row="(\d+)">', body)]


def stored(client: TestClient, ref: str | None = None) -> dict[str, Any]:
    """What a check must leave as it was: every row count, and the proposal's version."""
    with platform_of(client).session() as s:
        counts: dict[str, Any] = {
            t.__name__: s.scalar(select(func.count()).select_from(t))
            for t in (Proposal, ProposalMember, BudgetLine, ProposalVersion, AuditEntry)
        }
        if ref:
            proposal = s.scalar(select(Proposal).where(Proposal.reference == ref))
            assert proposal is not None
            counts["version"] = (proposal.version, proposal.title, proposal.status)
        return counts


def live(html: str) -> dict[str, tuple[str, str]]:
    """rule id -> ("pass" or "fail", message) from a live checks fragment."""
    rows = re.findall(
        r'<tr class="(pass|fail)" data-rule="([^"]+)"[^>]*>.*?</td>\s*<td><code>[^<]+</code>'
        r"</td><td>([^<]*)</td>",
        html,
        re.S,
    )
    return {rule: (mark, unescape(message)) for mark, rule, message in rows}


def confirmed_draft_with_pdf(client: TestClient) -> str:
    """The applicant's draft with the Thai lead confirmed and the PDF uploaded."""
    ref = create_draft(client, [SATO, SOMCHAI])
    page = client.get(f"/proposals/{ref}")
    link = invitation_links(page.text)["somchai@example.org"]
    invitee = TestClient(client.app, follow_redirects=False)
    invitee.post(link, data={"answer": "accept", "csrf_token": csrf_of(invitee.get(link).text)})
    uploaded = client.post(
        f"/proposals/{ref}/attachments",
        data={"kind": "project_description", "csrf_token": csrf_of(page.text)},
        files={"file": ("plan.pdf", tiny_pdf(), "application/pdf")},
    )
    assert uploaded.status_code == 303
    return ref


# --- rows ------------------------------------------------------------------------------------


def test_the_editor_starts_with_the_proposals_rows_and_one_blank(client: TestClient) -> None:
    login(client, "applicant")
    new = client.get(f"/proposals/new?call={open_call(client)}")
    assert row_numbers(new.text, "members") == [1, 2]  # the applicant, and one to fill in
    assert row_numbers(new.text, "budget") == [1]
    assert 'data-max="30"' in new.text and 'data-max="90"' in new.text
    assert "Add member" in new.text and "Add budget line" in new.text
    ref = create_draft(client, [SATO, SOMCHAI, LAN])
    page = client.get(f"/proposals/{ref}")
    assert row_numbers(page.text, "members") == [1, 2, 3, 4]
    assert row_numbers(page.text, "budget") == [1, 2]


def test_more_than_8_members_and_12_lines_up_to_the_programs_limit(client: TestClient) -> None:
    login(client, "applicant")
    call = open_call(client)
    page = client.get(f"/proposals/new?call={call}")
    fields = editor_fields(call, [SATO, SOMCHAI, *partners(10)], budget=lines(14))
    saved = client.post("/proposals/new", data={**fields, "csrf_token": csrf_of(page.text)})
    assert saved.status_code == 303, unescape(saved.text)
    ref = saved.headers["location"].removeprefix("/proposals/")
    with platform_of(client).session() as s:
        proposal = s.scalar(select(Proposal).where(Proposal.reference == ref))
        assert proposal is not None
        members = s.scalar(select(func.count()).where(ProposalMember.proposal_id == proposal.id))
        budget = s.scalar(select(func.count()).where(BudgetLine.proposal_id == proposal.id))
    assert (members, budget) == (12, 14)
    html = client.get(f"/proposals/{ref}").text
    assert row_numbers(html, "members") == list(range(1, 14))
    assert row_numbers(html, "budget") == list(range(1, 16))

    # 30 people fill the consortium: the form has no blank row left, and "Add member" says
    # why it adds none (without JavaScript, the button posts the form).
    token = csrf_of(html)
    full = editor_fields(None, [SATO, SOMCHAI, *partners(28)], budget=lines(90))
    edited = client.post(f"/proposals/{ref}", data={**full, "csrf_token": token})
    assert edited.status_code == 303, unescape(edited.text)
    html = client.get(f"/proposals/{ref}").text
    assert row_numbers(html, "members") == list(range(1, 31))
    assert row_numbers(html, "budget") == list(range(1, 91))
    assert re.search(r'data-add="members"\s+disabled', html)
    refused = client.post(f"/proposals/{ref}", data={**full, "add": "members", "csrf_token": token})
    assert refused.status_code == 422
    html = unescape(refused.text)
    assert "A consortium lists at most 30 people." in html
    assert '<li data-field="members">' in html
    assert row_numbers(html, "members") == list(range(1, 31))
    more = client.post(f"/proposals/{ref}", data={**full, "add": "budget", "csrf_token": token})
    assert more.status_code == 422
    assert "At most 90 budget lines: one for each member, year and funder" in unescape(more.text)

    # Saving one more person or line than that is refused, naming the limit.
    over = editor_fields(None, [SATO, SOMCHAI, *partners(29)], budget=lines(91))
    refused = client.post(f"/proposals/{ref}", data={**over, "csrf_token": token})
    assert refused.status_code == 422
    html = unescape(refused.text)
    assert "A consortium lists at most 30 people. Remove 1 of the rows." in html
    assert "At most 90 budget lines" in html and "(30 members, 3 years, 1 funder per team)" in html
    assert stored(client, ref)["version"][0] == 2


def test_rows_are_added_and_removed_without_javascript_saving_nothing(
    client: TestClient,
) -> None:
    login(client, "applicant")
    ref = create_draft(client, [SATO, SOMCHAI, LAN])
    page = client.get(f"/proposals/{ref}")
    token = csrf_of(page.text)
    before = stored(client, ref)
    budget = [*lines(1), *lines(1, member="3")]  # Lan's line names member row 3
    fields = editor_fields(None, [SATO, SOMCHAI, LAN], budget=budget, title="Not saved")
    added = client.post(f"/proposals/{ref}", data={**fields, "add": "members", "csrf_token": token})
    assert added.status_code == 200
    html = unescape(added.text)
    assert row_numbers(html, "members") == [1, 2, 3, 4]
    assert "Row added at the end of the table; nothing is saved yet." in html
    assert 'value="Not saved"' in html  # what was typed stays
    removed = client.post(f"/proposals/{ref}", data={**fields, "remove": "m1", "csrf_token": token})
    assert removed.status_code == 200
    html = unescape(removed.text)
    assert row_numbers(html, "members") == [1, 3, 4]  # the others keep their numbers
    assert 'value="somchai@example.org"' not in html
    assert "Row removed; nothing is saved yet." in html
    assert stored(client, ref) == before

    # The form, numbered with a gap, saves: budget lines name members by the numbers shown.
    gap = {k: v for k, v in fields.items() if not k.startswith("m1_")}
    gap["b1_member"] = "3"
    saved = client.post(f"/proposals/{ref}", data={**gap, "csrf_token": token})
    assert saved.status_code == 303, unescape(saved.text)
    with platform_of(client).session() as s:
        proposal = s.scalar(select(Proposal).where(Proposal.reference == ref))
        assert proposal is not None
        names = dict(
            s.execute(
                select(BudgetLine.id, ProposalMember.name)
                .join(ProposalMember, ProposalMember.id == BudgetLine.member_id)
                .where(BudgetLine.proposal_id == proposal.id)
                .order_by(BudgetLine.id)
            ).all()
        )
    assert list(names.values()) == [SATO["name"], LAN["name"]]
    html = client.get(f"/proposals/{ref}").text
    assert row_numbers(html, "members") == [1, 2, 3]  # saved: numbered again from 1


# --- live checks ----------------------------------------------------------------------------


def test_live_checks_give_the_verdicts_on_an_unsaved_draft_and_save_nothing(
    client: TestClient,
) -> None:
    login(client, "applicant")
    ref = confirmed_draft_with_pdf(client)
    token = csrf_of(client.get(f"/proposals/{ref}").text)
    before = stored(client, ref)

    # A draft that passes: the saved one with a new title.
    fields = editor_fields(None, [SATO, SOMCHAI], title="A better title")
    passing = client.post(f"/proposals/{ref}/check", data={**fields, "csrf_token": token})
    assert passing.status_code == 200
    assert 'data-live="checked"' in passing.text
    verdicts = live(passing.text)
    assert verdicts and all(mark == "pass" for mark, _ in verdicts.values()), verdicts
    assert "Every rule passes." in passing.text

    # One that fails: a Vietnamese lead makes two member states in a bilateral call, and she
    # would have to confirm first; a duration out of range.
    fields = editor_fields(None, [SATO, SOMCHAI, LAN], duration_months="48")
    failing = client.post(f"/proposals/{ref}/check", data={**fields, "csrf_token": token})
    assert failing.status_code == 200
    verdicts = live(failing.text)
    assert verdicts["consortium.countries"] == (
        "fail",
        "Bilateral fundamental research needs lead investigators from exactly 1 partner "
        "country; this consortium has 2 (Thailand, Viet Nam)",
    )
    assert verdicts["consortium.confirmed"] == (
        "fail",
        "waiting for Nguyễn Thị Lan to confirm their participation",
    )
    assert verdicts["duration.range"][0] == "fail"
    assert verdicts["attachments.required"][0] == "pass"
    assert 'data-field="duration_months"' in failing.text

    # A line paid by a funder of another country names the line as the form numbers it.
    budget = [
        {"member": "", "year": "", "funder": "", "amount": "", "currency": ""},  # blank row 1
        {"member": "2", "year": YEAR, "funder": "jst", "amount": "100", "currency": "JPY"},
    ]
    fields = editor_fields(None, [SATO, SOMCHAI], budget=budget)
    wrong = client.post(f"/proposals/{ref}/check", data={**fields, "csrf_token": token})
    message = live(wrong.text)["budget.funder_pays_own"]
    assert message[0] == "fail" and message[1].startswith("Budget line 2: ")
    assert 'data-field="b1_funder"' in wrong.text

    # What is not a proposal yet is listed in words, each problem with its field.
    fields = editor_fields(None, [SATO, SOMCHAI], duration_months="")
    incomplete = client.post(f"/proposals/{ref}/check", data={**fields, "csrf_token": token})
    assert incomplete.status_code == 200
    html = unescape(incomplete.text)
    assert 'data-live="problems"' in html
    assert (
        '<li data-field="duration_months"><a href="#f-duration_months">'
        "Duration (months) is required"
    ) in html
    assert "<table>" not in html

    assert stored(client, ref) == before  # no version, member, line or audit entry more


def test_live_checks_of_a_new_proposal(client: TestClient) -> None:
    login(client, "applicant")
    call = open_call(client)
    page = client.get(f"/proposals/new?call={call}")
    assert 'data-check="/proposals/new/check"' in page.text
    before = stored(client)
    fields = editor_fields(call, [SATO, SOMCHAI])
    answer = client.post("/proposals/new/check", data={**fields, "csrf_token": csrf_of(page.text)})
    assert answer.status_code == 200
    verdicts = live(answer.text)
    assert verdicts["consortium.countries"][0] == "pass"
    assert verdicts["consortium.confirmed"] == (
        "fail",
        "waiting for สมชาย ใจดี to confirm their participation",
    )
    assert verdicts["attachments.required"][0] == "fail"
    assert stored(client) == before


def test_only_the_owner_may_check_a_draft_and_only_with_the_forms_token(
    client: TestClient,
) -> None:
    login(client, "applicant")
    ref = create_draft(client, [SATO, SOMCHAI])
    fields = editor_fields(None, [SATO, SOMCHAI])
    assert client.post(f"/proposals/{ref}/check", data=fields).status_code == 403  # no token
    forged = client.post(f"/proposals/{ref}/check", data={**fields, "csrf_token": "forged"})
    assert forged.status_code == 403
    platform = platform_of(client)
    with platform.session() as s:
        create_user(
            s, actor=Actor.system("tests"), hasher=platform.hasher, username="tanaka",
            password="another long password", role="applicant", display_name="田中 花子",
            email="tanaka@example.org", now=utcnow(), country="JPN",
        )  # fmt: skip
    stranger = TestClient(client.app, follow_redirects=False)
    login(stranger, "tanaka", "another long password")
    token = csrf_of(stranger.get("/calls").text)
    answer = stranger.post(f"/proposals/{ref}/check", data={**fields, "csrf_token": token})
    assert answer.status_code == 404  # as if it did not exist
    assert "consortium" not in answer.text
    officer = TestClient(client.app, follow_redirects=False)
    login(officer, "officer")
    token = csrf_of(officer.get("/calls").text)
    assert officer.get(f"/proposals/{ref}").status_code == 200  # staff read it...
    answer = officer.post(f"/proposals/{ref}/check", data={**fields, "csrf_token": token})
    assert answer.status_code == 403  # ...but do not edit it


# --- problems in words ----------------------------------------------------------------------


def test_problems_are_in_plain_words_next_to_their_fields(client: TestClient) -> None:
    login(client, "applicant")
    ref = create_draft(client, [SATO, SOMCHAI])
    token = csrf_of(client.get(f"/proposals/{ref}").text)
    before = stored(client, ref)
    budget = [*lines(2), {**lines(1)[0], "amount": "-5"}]
    fields = editor_fields(None, [SATO, SOMCHAI], budget=budget, duration_months="")
    refused = client.post(f"/proposals/{ref}", data={**fields, "csrf_token": token})
    assert refused.status_code == 422
    html = unescape(refused.text)
    assert "Nothing was saved: 2 problems to fix." in html
    # In the summary at the top, each linked to its field...
    assert (
        '<li data-field="duration_months"><a href="#f-duration_months">'
        "Duration (months) is required</a></li>"
    ) in html
    assert (
        '<li data-field="b2_amount"><a href="#f-b2_amount">'
        "Budget line 3: amount must be a positive number</a></li>"
    ) in html
    # ...and next to the field, which says it is invalid and points at the note.
    field = re.search(r'<input id="f-b2_amount" name="b2_amount"[^>]*>', html)
    assert field and 'aria-invalid="true"' in field.group(0)
    assert 'aria-describedby="note-b2_amount"' in field.group(0)
    assert (
        '<small class="error" id="note-b2_amount" data-note>'
        "Budget line 3: amount must be a positive number</small>"
    ) in html
    assert "duration_months:" not in html and "budget[2]" not in html
    assert stored(client, ref) == before
