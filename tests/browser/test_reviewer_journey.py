"""A real headless Chromium through the reviewer's journey: log in, declare a conflict on one
assigned proposal, open another, fill the review form, submit it and see it submitted.

The assignments are created in the test's setup (directly with the tables) for the demo
reviewer. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from nexus_sti.demo.service import DEMO_PASSWORD
from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from tests.browser.test_officer_dashboard import (
    ARTIFACTS,
    CHROMIUM_FLAGS,
    chromium_path,
    server_url,
)
from tests.service.test_review_reviews import COMMENTS, reviewer_setup

pytestmark = pytest.mark.browser
__all__ = ["server_url"]  # the fixture, shared with the officer's browser test


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_reviewer_declares_a_conflict_then_reviews_and_submits(
    server_url: str, demo_platform: Platform
) -> None:
    from playwright.sync_api import expect, sync_playwright

    executable = chromium_path()
    ARTIFACTS.mkdir(exist_ok=True)
    setup = reviewer_setup(demo_platform, n=2, due_at=utcnow() + timedelta(days=9))
    conflicted, reviewed = setup.proposals
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{server_url}/login?next=/review/my")
            page.get_by_label("Username").fill("reviewer")
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("heading", name="My reviews")).to_be_visible()
            expect(page.get_by_text("(UTC+09:00, Asia/Tokyo)").first).to_be_visible()

            # A conflict on the first proposal: it leaves the list.
            page.get_by_role("link", name=conflicted).click()
            expect(page.get_by_role("heading", name="Consortium")).to_be_visible()
            page.get_by_label("Reason for the conflict").fill("I supervised the lead's thesis")
            page.get_by_role("button", name="Declare conflict").click()
            expect(page).to_have_url(f"{server_url}/review/my")
            expect(page.get_by_role("status")).to_contain_text(f"declared on {conflicted}")
            expect(page.get_by_role("link", name=conflicted)).to_have_count(0)

            # The second: a review in half points, submitted.
            page.get_by_role("link", name=reviewed).click()
            expect(page.get_by_role("heading", name=setup.titles[1])).to_be_visible()
            for code, mark in (
                ("excellence", "4.5"), ("impact", "4"), ("implementation", "3.5"),
                ("partnership", "4"),
            ):  # fmt: skip
                page.locator(f"input[name=score_{code}]").fill(mark)
            page.get_by_label(re.compile(r"^Comments")).fill(COMMENTS)
            page.get_by_label("Confidence").select_option("4")
            page.screenshot(path=str(ARTIFACTS / "review-form.png"), full_page=True)
            page.get_by_role("button", name="Submit review").click()
            expect(page.get_by_role("status")).to_contain_text("Review submitted")
            expect(page.locator("[data-review-status]")).to_have_text("submitted")
            expect(page.get_by_role("button", name="Submit review")).to_have_count(0)

            page.get_by_role("link", name="← My reviews").click()
            row = page.get_by_role("row").filter(has_text=reviewed)
            expect(row.locator("[data-status]")).to_have_text("submitted")
            page.screenshot(path=str(ARTIFACTS / "reviewer-list.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / "review-form.png").stat().st_size > 10_000
