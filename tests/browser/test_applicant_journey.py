"""A real headless Chromium through the applicant's whole journey: open the call, draft a
proposal, see a failing rule, fix it, have the partner accept, upload the PDF, submit, read the
receipt; then the officer finds the proposal on the call's screening page.

Screenshots go to ``test-artifacts/`` (the editor, the call page, the receipt, the screening).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pypdf import PdfWriter
from sqlalchemy import select

from nexus_sti.calls.tables import Call
from nexus_sti.demo.service import DEMO_PASSWORD
from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from tests.browser.test_officer_dashboard import (
    ARTIFACTS,
    CHROMIUM_FLAGS,
    chromium_path,
    server_url,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
__all__ = ["server_url"]  # the fixture, shared with the officer's browser test


def open_bilateral_call(platform: Platform) -> Call:
    with platform.session() as s:
        calls = s.scalars(
            select(Call).where(Call.status == "open", Call.reference.like("%-BIL"))
        ).all()
        return max(calls, key=lambda c: c.reference)


def write_pdf(path: Path) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with path.open("wb") as f:
        writer.write(f)
    return path


def fill_member(page: Page, row: int, **values: str) -> None:
    for field, value in values.items():
        box = page.get_by_label(f"Member {row} {field}", exact=True)
        if field in ("country", "sector", "role"):
            box.select_option(value)
        else:
            box.fill(value)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_applicant_drafts_fixes_and_submits_and_the_officer_screens_it(
    server_url: str, demo_platform: Platform, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    executable = chromium_path()
    ARTIFACTS.mkdir(exist_ok=True)
    call = open_bilateral_call(demo_platform)
    pdf = write_pdf(tmp_path / "project-description.pdf")
    year = str(utcnow().year + 1)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            applicant = browser.new_context(viewport={"width": 1280, "height": 900})
            page = applicant.new_page()
            page.goto(f"{server_url}/login?next=/calls")
            page.get_by_label("Username").fill("applicant")
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("heading", name="Calls", exact=True)).to_be_visible()
            expect(page.get_by_text("(UTC+09:00, Asia/Tokyo)").first).to_be_visible()
            page.get_by_role("link", name=call.title).click()
            expect(page.get_by_role("heading", name=call.title)).to_be_visible()
            expect(page.get_by_text("Taking submissions", exact=True)).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "call-page.png"), full_page=True)
            page.get_by_role("link", name="Start a proposal").click()

            # The editor: the applicant is the Japanese lead; a Thai and a Vietnamese lead make
            # two member states, one too many for a bilateral call.
            expect(page.get_by_role("heading", name="New proposal")).to_be_visible()
            expect(page.get_by_label("Member 1 e-mail", exact=True)).to_have_value(
                "applicant@demo.example.org"
            )
            page.get_by_label("Title", exact=True).fill("Mangrove carbon and coastal resilience")
            page.get_by_label("Abstract").fill("Measuring blue carbon in Thai mangroves.")
            page.get_by_label("Keywords (separated by commas)").fill("mangroves, blue carbon")
            page.get_by_label("Primary priority area").select_option("climate")
            page.get_by_label(re.compile(r"^Duration")).fill("36")
            fill_member(
                page, 1, organisation="Ginga University", sector="university", role="lead_jp"
            )
            fill_member(
                page, 2, name="สมชาย ใจดี", **{"e-mail": "somchai@example.org"}, country="THA",
                organisation="Chao Phraya Institute", sector="institute", role="lead_ams",
            )  # fmt: skip
            # The form starts with the applicant and one blank row; "Add member" adds row 3.
            expect(page.get_by_label("Member 3 name", exact=True)).to_have_count(0)
            page.get_by_role("button", name="Add member").click()
            fill_member(
                page, 3, name="Nguyễn Thị Lan", **{"e-mail": "lan@example.org"}, country="VNM",
                organisation="Song Hong Institute", sector="institute", role="lead_ams",
            )  # fmt: skip
            page.get_by_label("Budget line 1 member").select_option("1")
            page.get_by_label("Budget line 1 year").fill(year)
            page.get_by_label("Budget line 1 funder").select_option("jst")
            page.get_by_label("Budget line 1 amount").fill("12000000")
            page.get_by_label("Budget line 1 currency").select_option("JPY")
            page.screenshot(path=str(ARTIFACTS / "proposal-editor.png"), full_page=True)
            page.get_by_role("button", name="Save draft").click()

            expect(page).to_have_url(re.compile(rf"/proposals/{call.reference}-\d{{4}}-\w+$"))
            checks = page.locator("section[aria-labelledby=checks]")
            failing = checks.locator("tr.fail", has_text="consortium.countries")
            expect(failing).to_contain_text("this consortium has 2 (Thailand, Viet Nam)")
            invitation = page.locator("a[data-invitation]", has_text="/invitations/")
            expect(invitation).to_have_count(2)
            thai_link = page.locator("li", has_text="somchai@example.org").locator("a")
            link = thai_link.get_attribute("href")
            assert link and link.startswith("/invitations/")

            # Remove the Vietnamese member and save again: the rule passes.
            page.get_by_role("button", name="Remove member 3").click()
            expect(page.get_by_label("Member 3 name", exact=True)).to_have_count(0)
            page.get_by_role("button", name="Save as version 2").click()
            expect(page.get_by_role("status")).to_contain_text("Saved as version 2.")
            expect(checks.locator("tr.pass", has_text="consortium.countries")).to_be_visible()
            expect(checks.locator("tr.fail", has_text="consortium.confirmed")).to_contain_text(
                "waiting for สมชาย ใจดี"
            )

            # The Thai lead follows the link (no account needed) and accepts.
            invitee = browser.new_context().new_page()
            invitee.goto(f"{server_url}{link}")
            expect(invitee.get_by_text("Mangrove carbon and coastal resilience")).to_be_visible()
            invitee.get_by_role("button", name="Accept").click()
            expect(invitee.get_by_role("status")).to_contain_text("You are confirmed")

            page.reload()
            page.locator("input[type=file][name=file]").set_input_files(str(pdf))
            page.get_by_role("button", name="Upload").click()
            expect(page.get_by_role("status")).to_contain_text("Uploaded project-description.pdf")
            expect(checks).to_contain_text("Every rule passes.")
            page.get_by_role("button", name="Submit", exact=True).click()

            expect(page).to_have_url(re.compile(r"\?receipt=1$"))
            receipt = page.locator("section[aria-labelledby=receipt]")
            expect(receipt).to_contain_text("Submitted: your receipt")
            expect(receipt.locator("code[data-digest]")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
            expect(receipt).to_contain_text("(UTC+09:00, Asia/Tokyo)")
            reference = page.url.split("/proposals/", 1)[1].split("?", 1)[0]
            page.screenshot(path=str(ARTIFACTS / "applicant-receipt.png"), full_page=True)

            officer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            officer.goto(f"{server_url}/login?next=/calls/{call.reference}/screening")
            officer.get_by_label("Username").fill("officer")
            officer.get_by_label("Password").fill(DEMO_PASSWORD)
            officer.get_by_role("button", name="Log in").click()
            expect(
                officer.get_by_role("heading", name=f"Screening: {call.reference}")
            ).to_be_visible()
            row = officer.locator("tr", has=officer.get_by_role("link", name=reference))
            expect(row).to_contain_text("submitted")
            expect(row.locator("td").nth(-2)).to_have_text("yes")
            officer.screenshot(path=str(ARTIFACTS / "officer-screening.png"), full_page=True)

            # Withdrawing is final, so the page asks first: no, and nothing happens; yes, and
            # the proposal is withdrawn.
            page.goto(f"{server_url}/proposals/{reference}")
            asked: list[str] = []

            def answer(dialog: Any, accept: bool) -> None:
                asked.append(dialog.message)
                dialog.accept() if accept else dialog.dismiss()

            page.once("dialog", lambda d: answer(d, False))
            page.get_by_role("button", name="Withdraw").click()
            expect(page.locator("p.lead strong")).to_have_text("submitted")
            page.once("dialog", lambda d: answer(d, True))
            page.get_by_role("button", name="Withdraw").click()
            expect(page.locator("p.lead strong")).to_have_text("withdrawn")
            assert asked and "cannot be edited again" in asked[0]
        finally:
            browser.close()
    for name in ("applicant-receipt.png", "officer-screening.png", "proposal-editor.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000
