"""Long selection work as a person meets it when it does not finish at once: the page answers
at once with a progress bar, the job runs in the app's worker, and the result appears where the
person asked for it; saving twice while a save runs saves once; nobody else sees the job."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from html import escape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from nexus_sti.app.web import create_app
from nexus_sti.platform.context import Platform
from nexus_sti.platform.jobqueue import Job, work_once
from nexus_sti.selection.tables import SelectionRun
from tests.browser.test_selection_designer import screened_bilateral_call
from tests.e2e.conftest import csrf_of, login

RULES = "submitted=1&band_tolerance=0.5&bands=on&inclusive=on&one_award_per_lead=on"


def variant(platform: Platform, **settings: object) -> Platform:
    return dataclasses.replace(platform, settings=platform.settings.model_copy(update=settings))


@pytest.fixture
def impatient(demo_platform: Platform) -> Iterator[tuple[TestClient, str]]:
    """The app with pages that never wait for their job (as at ten times demo size)."""
    ref = screened_bilateral_call(demo_platform)
    app = create_app(variant(demo_platform, job_wait_s=0.0))
    with TestClient(app, follow_redirects=False) as client:
        login(client, "officer")
        yield client, ref


def job_of(html: str) -> int:
    found = re.search(r'data-job="/jobs/(\d+)"', html)
    assert found, "the page shows no progress bar"
    return int(found.group(1))


def wait_for(client: TestClient, job_id: int, timeout_s: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get(f"/jobs/{job_id}/status").json()
        if status["status"] in ("done", "failed"):
            return dict(status)
        time.sleep(0.1)
    pytest.fail(f"job {job_id} did not finish in {timeout_s} s")


def test_the_designer_shows_progress_then_the_portfolio(
    impatient: tuple[TestClient, str],
) -> None:
    client, ref = impatient
    first = client.get(f"/selection/calls/{ref}?{RULES}")
    assert first.status_code == 200
    assert "<progress" in first.text and "proposals funded" not in first.text
    job_id = job_of(first.text)
    status = wait_for(client, job_id)
    assert status["status"] == "done" and status["url"] == f"/selection/calls/{ref}?{RULES}"
    # The job's page leads to the result, which the designer now shows without solving again.
    assert client.get(f"/jobs/{job_id}").headers["location"] == status["url"]
    again = client.get(f"/selection/calls/{ref}?{RULES}")
    assert "proposals funded" in again.text and "data-job=" not in again.text
    # The prices of the rules: a progress bar in the fragment, then the chart.
    costs_url = re.search(r'data-fragment="([^"]+)"', again.text)
    assert costs_url
    fragment = client.get(costs_url.group(1).replace("&amp;", "&"))
    if "data-job=" in fragment.text:
        wait_for(client, job_of(fragment.text))
        fragment = client.get(costs_url.group(1).replace("&amp;", "&"))
    assert fragment.status_code == 200 and "<svg" in fragment.text


def test_the_comparison_shows_progress_then_the_rules_side_by_side(
    impatient: tuple[TestClient, str],
) -> None:
    client, ref = impatient
    first = client.get(f"/selection/calls/{ref}/compare?{RULES}")
    assert first.status_code == 200 and "<progress" in first.text
    assert wait_for(client, job_of(first.text))["status"] == "done"
    again = client.get(f"/selection/calls/{ref}/compare?{RULES}")
    assert "Side by side" in again.text and "Rank and fund" in again.text


def test_an_impossible_rule_ends_the_job_with_the_reason(
    impatient: tuple[TestClient, str],
) -> None:
    client, ref = impatient
    rules = "submitted=1&area_minimum=90"
    first = client.get(f"/selection/calls/{ref}?{rules}")
    status = wait_for(client, job_of(first.text))
    assert status["status"] == "failed" and status["error"]
    shown = client.get(f"/selection/calls/{ref}?{rules}")
    assert shown.status_code == 422 and escape(str(status["error"])) in shown.text


def test_saving_twice_while_the_save_runs_saves_once(demo_platform: Platform) -> None:
    ref = screened_bilateral_call(demo_platform)
    # No worker in the app: both clicks arrive while the first save is still queued.
    app = create_app(variant(demo_platform, job_wait_s=0.0, job_threads=0))
    with TestClient(app, follow_redirects=False) as client:
        login(client, "officer")
        page = client.get(f"/selection/calls/{ref}?{RULES}")
        form = {
            "csrf_token": csrf_of(page.text),
            "band_tolerance": "0.5",
            "bands": "on",
            "inclusive": "on",
            "one_award_per_lead": "on",
            "note": "balanced",
        }
        clicks = [client.post(f"/selection/calls/{ref}/runs", data=form) for _ in range(2)]
        places = {c.headers["location"] for c in clicks}
        assert len(places) == 1 and places.pop().startswith("/jobs/")
        while work_once(demo_platform.sessions) is not None:
            pass
        done = client.get(clicks[0].headers["location"])
        assert done.status_code == 303 and done.headers["location"].startswith("/selection/runs/")
        record = client.get(done.headers["location"])
        assert "Saved as run" in record.text
    with demo_platform.session() as s:
        assert s.scalar(select(func.count()).select_from(SelectionRun)) == 1


def test_nobody_else_sees_a_job(impatient: tuple[TestClient, str], demo_platform: Platform) -> None:
    client, ref = impatient
    job_id = job_of(client.get(f"/selection/calls/{ref}?{RULES}").text)
    with TestClient(create_app(demo_platform), follow_redirects=False) as other:
        assert other.get(f"/jobs/{job_id}").status_code == 303  # to the login page
        login(other, "applicant")
        assert other.get(f"/jobs/{job_id}").status_code == 404
        assert other.get(f"/jobs/{job_id}/status").status_code == 404
        login(other, "admin")
        assert other.get(f"/jobs/{job_id}/status").status_code == 200
    with demo_platform.session() as s:
        assert s.get(Job, job_id) is not None


def test_a_reviewer_assignment_runs_in_the_background(demo_platform: Platform) -> None:
    from tests.e2e.conftest import api_token
    from tests.e2e.test_review_officer import closed_bilateral

    app = create_app(variant(demo_platform, job_wait_s=0.0))
    with TestClient(app, follow_redirects=False) as client:
        ref = closed_bilateral(client, api_token(client, "officer"))
        login(client, "officer")
        page = client.get(f"/review/calls/{ref}/assignment")
        form = {
            "csrf_token": csrf_of(page.text),
            "backend": "static",
            "minimum_home": "1",
            "minimum_member_state": "1",
            "outside_minimum": "0",
            "coauthorship_years": "3",
        }
        started = client.post(f"/review/calls/{ref}/assignment", data=form)
        assert started.status_code == 303 and started.headers["location"].startswith("/jobs/")
        job_id = int(started.headers["location"].rsplit("/", 1)[1])
        progress = client.get(f"/jobs/{job_id}")
        if progress.status_code == 200:  # still running: its page shows the bar
            assert "<progress" in progress.text and "Assigning reviewers" in progress.text
        assert wait_for(client, job_id)["status"] == "done"
        done = client.get(f"/jobs/{job_id}")
        assert done.headers["location"] == f"/review/calls/{ref}/assignment"
        shown = client.get(done.headers["location"])
        assert "Version 1" in shown.text and "Assignment saved (version 1)" in shown.text


def test_nexus_serve_runs_jobs_in_worker_processes(platform: Platform, tmp_path: Path) -> None:
    """`nexus serve` starts `nexus jobs work` beside its web processes: a queued job is run by
    a process of its own (here, one whose account is gone, so it ends saying so)."""
    from nexus_sti.platform.db import utcnow
    from nexus_sti.platform.jobqueue import submit
    from tests.conftest import served

    with platform.session() as s:
        job = submit(
            s, kind="selection.preview", params={"call": "X", "params": {}},
            owner_id=None, owner_label="gone", now=utcnow(),
        )  # fmt: skip
    url = platform.settings.database_url
    assert url is not None
    with served(url, tmp_path / "serve", NEXUS_JOB_PROCESSES="1"):
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with platform.session() as s:
                done = s.get(Job, job.id)
                assert done is not None
                if done.finished:
                    break
            time.sleep(0.2)
    assert done.status == "failed" and "active account" in (done.error or "")
    assert done.worker and ":" in done.worker


def test_four_saves_at_once_on_a_real_server_save_once(demo_platform: Platform) -> None:
    """The same click four times at once, over loopback to uvicorn: every answer leads to the
    same job, and one run is saved."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx2

    from nexus_sti.demo.service import DEMO_PASSWORD
    from tests.conftest import live_server

    ref = screened_bilateral_call(demo_platform)
    app = create_app(variant(demo_platform, job_wait_s=0.0, job_threads=0))
    with live_server(app) as base, httpx2.Client(base_url=base, timeout=60) as officer:
        page = officer.get("/login")
        officer.post(
            "/login",
            data={
                "username": "officer",
                "password": DEMO_PASSWORD,
                "csrf_token": csrf_of(page.text),
            },
        )
        token = csrf_of(officer.get(f"/selection/calls/{ref}?{RULES}").text)
        form = {"csrf_token": token, "band_tolerance": "0.5", "bands": "on", "note": "at once"}

        def click(_: int) -> str:
            with httpx2.Client(base_url=base, cookies=officer.cookies, timeout=60) as same:
                answer = same.post(f"/selection/calls/{ref}/runs", data=form)
                assert answer.status_code == 303, answer.text
                return str(answer.headers["location"])

        with ThreadPoolExecutor(4) as pool:
            places = set(pool.map(click, range(4)))
        assert len(places) == 1 and places.pop().startswith("/jobs/")
        while work_once(demo_platform.sessions) is not None:
            pass
    with demo_platform.session() as s:
        assert s.scalar(select(func.count()).select_from(SelectionRun)) == 1
