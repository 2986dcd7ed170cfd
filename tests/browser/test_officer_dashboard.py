"""A real headless Chromium: log in as the program officer, open the dashboard, screenshot it.

The screenshot is saved under ``test-artifacts/`` at the repository root. Chromium comes from the
system (Debian's ``chromium`` package, installed by ``.ci/run``); outside CI the test is skipped
when it is missing, in CI (``NEXUS_REQUIRE_ALL_BACKENDS=1``) it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from nexus_sti.app.web import create_app
from nexus_sti.demo.service import DEMO_PASSWORD
from nexus_sti.platform.context import Platform

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("NEXUS_REQUIRE_ALL_BACKENDS") == "1":
            pytest.fail("chromium is required in CI (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server_url(demo_platform: Platform) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(demo_platform), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_officer_logs_in_and_sees_the_dashboard(server_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    executable = chromium_path()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{server_url}/audit")
            expect(page).to_have_url(f"{server_url}/login?next=/audit")
            page.get_by_label("Username").fill("officer")
            page.get_by_label("Password").fill("wrong password")
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("alert")).to_contain_text("wrong password")
            page.get_by_label("Username").fill("officer")
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page).to_have_url(f"{server_url}/audit")
            expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
            page.get_by_role("link", name="Dashboard").click()
            expect(page.get_by_role("heading", name="Program officer dashboard")).to_be_visible()
            expect(page.get_by_role("note")).to_contain_text("synthetic")
            expect(page.locator("figure.chart svg")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "officer-dashboard.png"), full_page=True)
            page.get_by_role("button", name="Log out").click()
            expect(page).to_have_url(f"{server_url}/login")
        finally:
            browser.close()
    assert (ARTIFACTS / "officer-dashboard.png").stat().st_size > 10_000


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_designer_changes_the_rule_and_saves_targets(server_url: str) -> None:
    """The targets page recomputes as soon as a parameter changes, and saving records a version."""
    from playwright.sync_api import expect, sync_playwright

    executable = chromium_path()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{server_url}/login?next=/needs/targets")
            page.get_by_label("Username").fill("officer")
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("heading", name="Country targets")).to_be_visible()
            expect(page.get_by_role("columnheader", name="Widening")).to_have_count(0)
            page.get_by_label("Rule").select_option("widening")  # no button press: it recomputes
            expect(page).to_have_url(re.compile(r"preset=widening"))
            expect(page.get_by_role("columnheader", name="Widening")).to_be_visible()
            page.get_by_label("Note (why these parameters)").fill("widening rule, cycle 1")
            page.get_by_role("button", name="Save as version 1").click()
            expect(page.get_by_text("Saved as version 1")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "targets-designer.png"), full_page=True)
        finally:
            browser.close()
