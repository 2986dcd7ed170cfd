"""On a phone (390 px wide) no key page of any role scrolls sideways: a wide table scrolls in its
own box, long codes and addresses wrap, forms fit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from nexus_sti.calls.tables import Call
from nexus_sti.demo.service import DEMO_PASSWORD
from nexus_sti.platform.context import Platform
from tests.browser.test_officer_dashboard import CHROMIUM_FLAGS, chromium_path, server_url

pytestmark = pytest.mark.browser
__all__ = ["server_url"]  # the fixture, imported for this module's tests

PHONE = {"width": 390, "height": 844}


def key_pages(platform: Platform) -> dict[str, list[str]]:
    with platform.session() as s:
        open_call = s.scalar(select(Call.reference).where(Call.status == "open").limit(1))
        closed = s.scalar(select(Call.reference).where(Call.status == "closed").limit(1))
    return {
        "applicant": ["/", "/calls", f"/calls/{open_call}", "/proposals",
                      f"/proposals/new?call={open_call}"],
        "officer": ["/", "/calls", f"/calls/{closed}/screening", f"/calls/{closed}/submissions",
                    "/needs", "/needs/targets", "/review", f"/review/calls/{closed}/pool",
                    "/selection", "/audit", "/program"],
        "reviewer": ["/", "/review/my", "/review/profile"],
        "partner-tha": ["/", "/proposals", "/needs"],
        "analyst": ["/", "/needs/countries/KHM"],
    }  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_no_key_page_scrolls_sideways_on_a_phone(server_url: str, demo_platform: Platform) -> None:
    from playwright.sync_api import sync_playwright

    too_wide = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            for role, pages in key_pages(demo_platform).items():
                context = browser.new_context(viewport=PHONE)
                page = context.new_page()
                page.goto(f"{server_url}/login")
                page.get_by_label("Username").fill(role)
                page.get_by_label("Password").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Log in").click()
                page.wait_for_load_state()
                for address in pages:
                    answer = page.goto(f"{server_url}{address}")
                    assert answer is not None and answer.ok, (role, address)
                    width = page.evaluate("document.documentElement.scrollWidth")
                    if width > PHONE["width"]:
                        too_wide.append(f"{role} {address}: {width} px")
                context.close()
        finally:
            browser.close()
    assert not too_wide, too_wide
