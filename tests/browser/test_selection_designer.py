"""A real headless Chromium: the officer opens a call's selection, tightens a rule and sees the
portfolio solved again without pressing a button, then saves it for decision."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from nexus_sti.calls import service as calls
from nexus_sti.calls.tables import Call
from nexus_sti.core.access import Actor
from nexus_sti.demo.service import DEMO_PASSWORD
from nexus_sti.needs.service import save_targets
from nexus_sti.needs.targets import TargetParams
from nexus_sti.platform.context import Platform
from nexus_sti.proposals import screening
from tests.browser.test_officer_dashboard import (
    ARTIFACTS,
    CHROMIUM_FLAGS,
    chromium_path,
    server_url,
)

pytestmark = pytest.mark.browser
__all__ = ["server_url"]  # the fixture, imported for this module's tests

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def screened_bilateral_call(platform: Platform) -> str:
    system = Actor.system("test")
    with platform.session() as s:
        call = s.scalar(select(Call).where(Call.status == "closed", Call.track == "bilateral"))
        assert call is not None
        ref = call.reference
        calls.transition_call(s, actor=system, reference=ref, action="screen", now=NOW)
        screening.apply_screening(s, actor=system, call_reference=ref, now=NOW)
        save_targets(s, actor=system, params=TargetParams(track="bilateral"), note="", now=NOW)
    return ref


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_officer_tightens_a_rule_and_saves_the_selection(
    server_url: str, demo_platform: Platform
) -> None:
    from playwright.sync_api import expect, sync_playwright

    ref = screened_bilateral_call(demo_platform)
    executable = chromium_path()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{server_url}/login?next=/selection")
            page.get_by_label("Username").fill("officer")
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("heading", name="Selection", exact=True)).to_be_visible()
            page.get_by_role("link", name="Select", exact=True).first.click()
            expect(page.get_by_role("heading", name=f"Selection: {ref}")).to_be_visible()
            funded = page.get_by_role("heading", name=re.compile(r"proposals funded"))
            expect(funded).to_be_visible()
            expect(page.locator("figure.chart svg").first).to_be_visible()
            # The rules' prices load after the portfolio, in place of the "pricing" note.
            prices = page.locator("[data-fragment]")
            expect(prices).to_have_attribute("data-loaded", "ok", timeout=30_000)
            expect(prices.locator("svg")).to_be_visible()
            # One award per organisation is too tight for this small call: the page solves again
            # as soon as the field changes and names the rules to relax.
            cap = page.get_by_label("Awards per organisation, at most")
            cap.fill("1")
            cap.press("Tab")
            expect(page).to_have_url(re.compile(r"organisation_cap=1"))
            expect(page.get_by_role("alert")).to_contain_text("raise the organisation cap")
            # Two per organisation holds: a portfolio again, with proposals blocked by the cap.
            page.get_by_label("Awards per organisation, at most").fill("2")
            page.get_by_label("Awards per organisation, at most").press("Tab")
            expect(page).to_have_url(re.compile(r"organisation_cap=2"))
            expect(funded).to_be_visible()
            expect(page.get_by_role("cell", name="blocked").first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "selection-designer.png"), full_page=True)
            page.get_by_label("Note (why these rules)").fill("one award per organisation")
            page.get_by_role("button", name="Save as a proposed selection").click()
            expect(
                page.get_by_role("heading", name=re.compile(r"Selection run \d+"))
            ).to_be_visible()
            expect(page.get_by_text("proposed", exact=True)).to_be_visible()
            expect(page.get_by_text("organisation_cap = 2")).to_be_visible()
        finally:
            browser.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_long_work_shows_a_progress_bar_then_its_result(demo_platform: Platform) -> None:
    """As at ten times demo size: the pages never wait for the solver. Each shows a progress
    bar at once, and the result replaces it when the background job ends, with no click."""
    import dataclasses

    from playwright.sync_api import expect, sync_playwright

    from nexus_sti.app.web import create_app
    from tests.conftest import live_server

    ref = screened_bilateral_call(demo_platform)
    impatient = dataclasses.replace(
        demo_platform, settings=demo_platform.settings.model_copy(update={"job_wait_s": 0.0})
    )
    with live_server(create_app(impatient)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{url}/login?next=/selection/calls/{ref}/compare")
            page.get_by_label("Username").fill("officer")
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("progressbar")).to_be_visible()
            expect(page.get_by_role("heading", name="Side by side")).to_be_visible(timeout=60_000)
            page.goto(f"{url}/selection/calls/{ref}")
            expect(page.get_by_role("progressbar").first).to_be_visible()
            funded = page.get_by_role("heading", name=re.compile(r"proposals funded"))
            expect(funded).to_be_visible(timeout=60_000)
            prices = page.locator("figure.chart [data-fragment]")
            expect(prices.locator("svg")).to_be_visible(timeout=60_000)
            page.get_by_role("button", name="Save as a proposed selection").click()
            expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
            expect(
                page.get_by_role("heading", name=re.compile(r"Selection run \d+"))
            ).to_be_visible(timeout=60_000)
            expect(page.get_by_text(re.compile(r"Saved as run \d+"))).to_be_visible()
        finally:
            browser.close()
