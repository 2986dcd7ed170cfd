"""State changes a person can click twice, fired at once against a real server on loopback, on
SQLite and PostgreSQL: screening apply, review submit, selection approval (which creates the
awards). Each answers every request without a server error and changes the state, and writes the
audit log, exactly once."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from nexus_sti.app.web import create_app
from nexus_sti.calls import service as calls
from nexus_sti.calls.tables import Call
from nexus_sti.platform.auditlog import AuditEntry
from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from nexus_sti.proposals.tables import Proposal
from nexus_sti.selection.tables import Award, SelectionRun
from tests.conftest import live_server, served
from tests.e2e.conftest import api_token
from tests.e2e.test_selection_web import NOW, SYSTEM, ready_call
from tests.service.test_review_reviews import COMMENTS, GOOD, reviewer_setup

TIMES = 4


def _at_once(send: Callable[[], httpx2.Response]) -> list[httpx2.Response]:
    start = threading.Barrier(TIMES)

    def fire() -> httpx2.Response:
        start.wait()
        return send()

    with ThreadPoolExecutor(TIMES) as pool:
        return list(pool.map(lambda _: fire(), range(TIMES)))


def _audited(platform: Platform, action: str) -> int:
    with platform.session() as s:
        return s.scalar(select(func.count()).where(AuditEntry.action == action)) or 0


def _headers(platform: Platform, username: str) -> dict[str, str]:
    with TestClient(create_app(platform)) as c:
        return api_token(c, username)


def test_screening_apply_clicked_four_times_at_once(demo_platform: Platform) -> None:
    with demo_platform.session() as s:
        call = s.scalar(select(Call).where(Call.status == "closed", Call.track == "bilateral"))
        assert call is not None
        ref = call.reference
        calls.transition_call(s, actor=SYSTEM, reference=ref, action="screen", now=NOW)
    officer = _headers(demo_platform, "officer")
    with live_server(create_app(demo_platform)) as base:
        answers = _at_once(
            lambda: httpx2.post(
                f"{base}/api/v1/calls/{ref}/screening/apply", headers=officer, json={}, timeout=60
            )
        )
    assert [a.status_code for a in answers] == [200] * TIMES, [a.text for a in answers]
    assert len({a.text for a in answers}) == 1  # every click reports the same counts
    assert _audited(demo_platform, "call.screened") == 1
    with demo_platform.session() as s:
        statuses = set(s.scalars(select(Proposal.status).where(Proposal.call_id == call.id)))
    assert "submitted" not in statuses


def test_review_submit_clicked_four_times_at_once(demo_platform: Platform) -> None:
    setup = reviewer_setup(demo_platform, due_at=utcnow() + timedelta(days=10))
    first = setup.assignment_ids[0]
    reviewer = _headers(demo_platform, "reviewer")
    body = {"scores": GOOD, "comments": COMMENTS, "confidence": 3}
    with live_server(create_app(demo_platform)) as base:
        answers = _at_once(
            lambda: httpx2.post(
                f"{base}/api/v1/review/my/{first}/submit", headers=reviewer, json=body, timeout=60
            )
        )
        changed = httpx2.post(
            f"{base}/api/v1/review/my/{first}/submit",
            headers=reviewer,
            json={**body, "comments": COMMENTS + " Changed my mind."},
            timeout=60,
        )
    assert [a.status_code for a in answers] == [200] * TIMES, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert _audited(demo_platform, "review.submitted") == 1
    assert changed.status_code == 409  # a submitted review stays as it was


def test_selection_approval_clicked_four_times_at_once(demo_platform: Platform) -> None:
    ref = ready_call(demo_platform)
    officer = _headers(demo_platform, "officer")
    admin = _headers(demo_platform, "admin")
    with live_server(create_app(demo_platform)) as base:
        run = httpx2.post(
            f"{base}/api/v1/selection/calls/{ref}/runs",
            headers=officer,
            json={"parameters": {"time_limit": 5}, "note": "balanced"},
            timeout=120,
        )
        assert run.status_code == 201, run.text
        run_id = run.json()["id"]
        answers = _at_once(
            lambda: httpx2.post(
                f"{base}/api/v1/selection/runs/{run_id}/decision",
                headers=admin,
                json={"approve": True, "note": "agreed"},
                timeout=60,
            )
        )
    assert [a.status_code for a in answers] == [200] * TIMES, [a.text for a in answers]
    assert {a.json()["status"] for a in answers} == {"approved"}
    assert _audited(demo_platform, "selection.approved") == 1
    with demo_platform.session() as s:
        awards = s.scalar(select(func.count()).select_from(Award)) or 0
        call = s.scalar(select(Call).where(Call.reference == ref))
        assert call is not None and call.status == "decided"
    assert awards == run.json()["funded"] > 0


def test_a_killed_server_leaves_an_approval_all_or_nothing(
    demo_platform: Platform, tmp_path: Path
) -> None:
    ref = ready_call(demo_platform)
    officer = _headers(demo_platform, "officer")
    admin = _headers(demo_platform, "admin")
    url = demo_platform.settings.database_url
    assert url is not None
    with served(url, tmp_path / "first") as (base, process):
        run = httpx2.post(
            f"{base}/api/v1/selection/calls/{ref}/runs",
            headers=officer,
            json={"parameters": {"time_limit": 5}, "note": "balanced"},
            timeout=120,
        )
        assert run.status_code == 201, run.text
        run_id, funded = run.json()["id"], run.json()["funded"]
        with ThreadPoolExecutor(TIMES) as pool:
            sent = [
                pool.submit(
                    httpx2.post,
                    f"{base}/api/v1/selection/runs/{run_id}/decision",
                    headers=admin,
                    json={"approve": True, "note": "agreed"},
                    timeout=60,
                )
                for _ in range(TIMES)
            ]
            time.sleep(0.02)
            os.killpg(process.pid, signal.SIGKILL)  # kill -9 while approvals are in flight
            for future in sent:
                with contextlib.suppress(httpx2.TransportError):
                    future.result()

    def state() -> tuple[str, str, int, int]:
        with demo_platform.session() as s:
            run_status = s.scalar(select(SelectionRun.status).where(SelectionRun.id == run_id))
            call_status = s.scalar(select(Call.status).where(Call.reference == ref))
            awards = s.scalar(select(func.count()).select_from(Award)) or 0
        assert run_status is not None and call_status is not None
        return run_status, call_status, awards, _audited(demo_platform, "selection.approved")

    # Either the whole decision was stored or none of it.
    assert state() in {("approved", "decided", funded, 1), ("proposed", "in_review", 0, 0)}
    with served(url, tmp_path / "second") as (base, _):
        again = httpx2.post(
            f"{base}/api/v1/selection/runs/{run_id}/decision",
            headers=admin,
            json={"approve": True, "note": "agreed"},
            timeout=60,
        )
    assert again.status_code == 200, again.text
    assert state() == ("approved", "decided", funded, 1)
