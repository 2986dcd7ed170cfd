"""A real headless Chromium in the proposal editor: the eligibility verdicts follow what the
applicant types, before anything is saved; "Add member" and "Remove" change the consortium in
place, up to the program's limit; a missing value is named next to its field.

Screenshot: ``test-artifacts/proposal-editor-live.png``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from nexus_sti.demo.service import DEMO_PASSWORD
from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from nexus_sti.proposals.tables import Proposal, ProposalVersion
from tests.browser.test_applicant_journey import fill_member, open_bilateral_call
from tests.browser.test_officer_dashboard import (
    ARTIFACTS,
    CHROMIUM_FLAGS,
    chromium_path,
    server_url,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
__all__ = ["server_url"]  # the fixture, imported for this module's tests


def saved_rows(platform: Platform) -> tuple[int, int]:
    with platform.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Proposal)) or 0,
            s.scalar(select(func.count()).select_from(ProposalVersion)) or 0,
        )


def verdict(page: Page, rule: str) -> str:
    """ "pass" or "fail": the live panel's verdict on ``rule`` once it has one."""
    row = page.locator(f"[data-live-panel] tr[data-rule='{rule}']")
    row.wait_for()
    return row.get_attribute("class") or ""


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_verdicts_follow_the_typing_and_rows_are_added_in_place(
    server_url: str, demo_platform: Platform
) -> None:
    from playwright.sync_api import expect, sync_playwright

    call = open_bilateral_call(demo_platform)
    year = str(utcnow().year + 1)
    before = saved_rows(demo_platform)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(f"{server_url}/login?next=/proposals/new?call={call.reference}")
            page.get_by_label("Username").fill("applicant")
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("heading", name="New proposal")).to_be_visible()
            address = page.url
            panel = page.locator("[data-live-panel]")

            # While the form is not a proposal yet, the panel lists what is missing, in words,
            # and marks the field.
            page.get_by_label("Title", exact=True).fill("Mangrove carbon")
            expect(panel).to_have_attribute("data-live", "problems")
            expect(panel).to_contain_text("Abstract is required")
            expect(page.locator("#note-abstract")).to_have_text("Abstract is required")
            expect(page.get_by_label("Abstract")).to_have_attribute("aria-invalid", "true")

            page.get_by_label("Abstract").fill("Blue carbon in Thai mangroves.")
            page.get_by_label(re.compile(r"^Duration")).fill("36")
            fill_member(
                page, 1, organisation="Ginga University", sector="university", role="lead_jp"
            )
            fill_member(
                page, 2, name="สมชาย ใจดี", **{"e-mail": "somchai@example.org"}, country="THA",
                organisation="Chao Phraya Institute", sector="institute", role="lead_ams",
            )  # fmt: skip
            page.get_by_label("Budget line 1 member").select_option("1")
            page.get_by_label("Budget line 1 year").fill(year)
            page.get_by_label("Budget line 1 funder").select_option("jst")
            page.get_by_label("Budget line 1 amount").fill("12000000")
            page.get_by_label("Budget line 1 currency").select_option("JPY")
            expect(panel).to_have_attribute("data-live", "checked")
            assert verdict(page, "consortium.countries") == "pass"
            expect(page.locator("#note-abstract")).to_have_count(0)  # fixed: the note is gone
            expect(page.get_by_label("Abstract")).not_to_have_attribute("aria-invalid", "true")

            # "Add member" adds row 3 in place; a Vietnamese lead there makes two member states
            # in a bilateral call, and the verdict turns, with nothing saved.
            page.get_by_role("button", name="Add member").click()
            expect(page.get_by_label("Member 3 name", exact=True)).to_be_focused()
            choices = page.get_by_label("Budget line 1 member").locator("option[value='3']")
            expect(choices).to_have_count(1)
            fill_member(
                page, 3, name="Nguyễn Thị Lan", **{"e-mail": "lan@example.org"}, country="VNM",
                organisation="Song Hong Institute", sector="institute", role="lead_ams",
            )  # fmt: skip
            failing = panel.locator("tr.fail[data-rule='consortium.countries']")
            expect(failing).to_contain_text("this consortium has 2 (Thailand, Viet Nam)")
            page.screenshot(path=str(ARTIFACTS / "proposal-editor-live.png"), full_page=True)

            # "Remove" takes the row out again and the rule passes.
            page.get_by_role("button", name="Remove member 3").click()
            expect(page.get_by_label("Member 3 name", exact=True)).to_have_count(0)
            expect(panel.locator("tr.pass[data-rule='consortium.countries']")).to_be_visible()

            # Members up to the program's limit: "Add member" stops at 30 and says why.
            add = page.get_by_role("button", name="Add member")
            for _ in range(28):
                add.click()
            expect(page.locator("tbody[data-rows=members] tr")).to_have_count(30)
            expect(add).to_be_disabled()
            expect(page.get_by_text("A consortium lists at most 30 people.")).to_be_visible()
            expect(page.get_by_label("Member 31 name", exact=True)).to_have_count(0)

            assert page.url == address  # nothing was sent as a save
            assert saved_rows(demo_platform) == before
        finally:
            browser.close()
    assert (ARTIFACTS / "proposal-editor-live.png").stat().st_size > 10_000
