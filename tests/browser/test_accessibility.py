"""No key page of any demo role has an accessibility problem that axe-core rates serious or
critical: a real headless Chromium opens each page on the demo as ``./dev run`` leaves it (one
call in review, so the review and selection pages have content), injects axe-core and runs all
of its default rules, on a desktop's width and a phone's. The test lists every such violation
with its rule, what it asks for and the elements at fault.

axe-core comes from the npm registry: ``./dev test`` installs the version pinned there into
``.tools/node`` (ignored by git). When it is missing the test is skipped, and in CI
(``NEXUS_REQUIRE_ALL_BACKENDS=1``) it fails.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nexus_sti.accounts.tables import User
from nexus_sti.app.web import create_app
from nexus_sti.calls.tables import Call
from nexus_sti.demo.service import DEMO_PASSWORD
from nexus_sti.platform.context import Platform
from nexus_sti.proposals.tables import Proposal
from nexus_sti.review.tables import ReviewAssignment, ReviewerProfile
from tests.browser.test_officer_dashboard import CHROMIUM_FLAGS, chromium_path, server_url
from tests.conftest import live_server, missing

pytestmark = pytest.mark.browser
__all__ = ["server_url"]  # the fixture, imported for this module's tests

AXE = Path(__file__).resolve().parents[2] / ".tools/node/node_modules/axe-core/axe.min.js"
BLOCKING = ("serious", "critical")
DESKTOP = {"width": 1280, "height": 900}
# Each page is checked as laid out on a desktop and on a phone, where wide tables scroll in
# their own boxes (and a 1280 px window zoomed to 400 % is about as narrow).
WIDTHS = {"desktop": DESKTOP, "phone": {"width": 390, "height": 844}}
UNTITLED = "NEXUS · "  # base.html's title when a page names none


def axe_source() -> str:
    if not AXE.is_file():
        missing(f"axe-core is not installed at {AXE} (./dev test installs it with npm)")
    return AXE.read_text()


def key_pages(platform: Platform) -> dict[str | None, list[str]]:
    """The pages each demo role works on (``None``: nobody logged in)."""
    with platform.session() as s:
        open_call = s.scalar(select(Call.reference).where(Call.status == "open").limit(1))
        closed = s.scalar(select(Call.reference).where(Call.status == "closed").limit(1))
        in_review = s.scalar(select(Call.reference).where(Call.status == "in_review").limit(1))
        review = s.scalar(
            select(ReviewAssignment.id)
            .join(ReviewerProfile, ReviewerProfile.id == ReviewAssignment.reviewer_id)
            .join(User, User.researcher_id == ReviewerProfile.researcher_id)
            .where(User.username == "reviewer", ReviewAssignment.status == "active")
            .order_by(ReviewAssignment.id)
            .limit(1)
        )
        own = s.scalar(
            select(Proposal.reference)
            .join(User, User.id == Proposal.owner_id)
            .where(User.username == "applicant")
            .order_by(Proposal.id)
            .limit(1)
        )
    assert open_call and closed and in_review and review and own, "the staged demo lacks data"
    return {
        None: ["/login", "/no-such-page"],
        "applicant": ["/", "/calls", "/proposals", f"/proposals/new?call={open_call}",
                      f"/proposals/{own}"],
        "reviewer": ["/", "/review/my", f"/review/my/{review}", "/review/profile"],
        "officer": ["/", "/calls", f"/calls/{open_call}", f"/calls/{closed}/screening",
                    f"/calls/{closed}/submissions", "/review",
                    f"/review/calls/{in_review}/pool", f"/review/calls/{in_review}/assignment",
                    f"/review/calls/{in_review}/ranking", "/selection",
                    f"/selection/calls/{in_review}?time_limit=5",
                    f"/selection/calls/{in_review}/compare?time_limit=5",
                    "/proposals/NO-SUCH-PROPOSAL"],
        "partner-tha": ["/", "/proposals", "/needs", "/needs/countries/THA"],
        "analyst": ["/", "/needs", "/needs/countries/KHM", "/needs/targets"],
        "admin": ["/", "/accounts", "/audit", "/program", "/needs/targets"],
    }  # fmt: skip


@pytest.fixture
def staged_server_url(staged_demo_platform: Platform) -> Iterator[str]:
    with live_server(create_app(staged_demo_platform)) as url:
        yield url


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def blocking_violations(page: Any, axe: str) -> list[dict[str, Any]]:
    """axe-core's violations of serious or critical impact on the page as it stands."""
    # Parts that load after the page (data-fragment) are checked once they are in place.
    page.wait_for_function(
        "[...document.querySelectorAll('[data-fragment]')].every((b) => b.dataset.loaded)",
        timeout=60_000,
    )
    page.evaluate("new Promise((done) => requestAnimationFrame(() => setTimeout(done)))")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(content=axe)
    result: dict[str, Any] = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def describe(where: str, violation: dict[str, Any]) -> str:
    targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
    shown = ", ".join(targets[:5]) + (f" and {len(targets) - 5} more" if len(targets) > 5 else "")
    return f"{where}: {violation['id']} ({violation['impact']}) {violation['help']}: {shown}"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_key_pages_have_no_serious_accessibility_violation(
    staged_server_url: str, staged_demo_platform: Platform
) -> None:
    from playwright.sync_api import sync_playwright

    axe = axe_source()
    executable = chromium_path()
    base = staged_server_url
    found: list[str] = []
    checked = 0
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            for role, addresses in key_pages(staged_demo_platform).items():
                context = browser.new_context(viewport=DESKTOP)
                page = context.new_page()
                if role is not None:
                    log_in(page, base, role)
                for address in addresses:
                    answer = page.goto(f"{base}{address}")
                    assert answer is not None, (role, address)
                    # The error pages are checked too; every other page must open.
                    assert answer.ok or "no-such" in address.lower(), (role, address)
                    where = f"{role or 'anonymous'} {address}"
                    if page.title().startswith(UNTITLED):
                        found.append(f"{where}: the page's <title> does not say what it is")
                    for width, viewport in WIDTHS.items():
                        page.set_viewport_size(viewport)
                        for violation in blocking_violations(page, axe):
                            found.append(describe(f"{where} ({width})", violation))
                    checked += 1
                context.close()
        finally:
            browser.close()
    print(f"axe-core checked {checked} pages in {time.monotonic() - started:.1f} s")
    assert checked >= 30
    assert not found, "\n".join(found)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_skip_link_comes_first_and_jumps_past_the_navigation(server_url: str) -> None:
    """A keyboard user's first Tab shows "Skip to content"; Enter lands in the main landmark, one
    of the page's four (banner, the areas' navigation, main, contentinfo)."""
    from playwright.sync_api import expect, sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport=DESKTOP)
            log_in(page, server_url, "officer")
            for role in ("banner", "main", "contentinfo"):
                expect(page.get_by_role(role)).to_have_count(1)
            expect(page.get_by_role("navigation", name="Areas")).to_be_visible()
            skip = page.get_by_role("link", name="Skip to content")
            expect(skip).not_to_be_in_viewport()
            page.keyboard.press("Tab")
            expect(skip).to_be_focused()
            expect(skip).to_be_in_viewport()
            page.keyboard.press("Enter")
            expect(page).to_have_url(f"{server_url}/#content")
            expect(page.get_by_role("main")).to_be_focused()
            expect(skip).not_to_be_in_viewport()
        finally:
            browser.close()
