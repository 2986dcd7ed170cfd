"""Deadline day against a real server on loopback, on SQLite and PostgreSQL: double submits race,
a busy server judges the deadline at arrival, refuses fast instead of hanging, drops requests
whose client left, and bounds request bodies before reading them."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from nexus_sti.app.web import create_app
from nexus_sti.calls.tables import Call
from nexus_sti.demo.rush import ReadyApplicant, open_rush_call, prepare_applicants
from nexus_sti.platform import arrival
from nexus_sti.platform.auditlog import AuditEntry
from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from nexus_sti.programs.loader import load_preset
from nexus_sti.programs.service import load_program
from nexus_sti.proposals.tables import Proposal, Submission
from tests.conftest import Backend, live_server, make_settings, served


def _rush_platform(backend: Backend, tmp_path: Path, **settings: Any) -> Platform:
    from nexus_sti.core.access import Actor

    platform = Platform.start(make_settings(tmp_path, backend.fresh(), **settings))
    with platform.session() as s:
        load_program(s, actor=Actor.system("tests"), loaded=load_preset(), now=utcnow())
    return platform


def _prepare(platform: Platform, count: int) -> tuple[str, list[ReadyApplicant]]:
    now = utcnow()
    with platform.session() as s:
        ref = open_rush_call(
            s, opens_at=now - timedelta(hours=1), closes_at=now + timedelta(hours=1), now=now
        )
        ready = prepare_applicants(
            s, hasher=platform.hasher, call_reference=ref, count=count, now=now
        )
    return ref, ready


def _set_deadline(platform: Platform, reference: str, closes_at: datetime) -> None:
    with platform.session() as s:
        s.execute(update(Call).where(Call.reference == reference).values(closes_at=closes_at))
        s.commit()


def _submit(base: str, applicant: ReadyApplicant) -> httpx2.Response:
    return httpx2.post(
        f"{base}/api/v1/proposals/{applicant.reference}/submit",
        headers={"Authorization": f"Bearer {applicant.token}"},
        timeout=60,
    )


@pytest.fixture
def rush_platform(backend: Backend, tmp_path: Path) -> Iterator[Platform]:
    platform = _rush_platform(backend, tmp_path)
    yield platform
    platform.close()


def test_double_submits_racing_give_one_receipt_and_one_audit_entry(
    rush_platform: Platform,
) -> None:
    _, ready = _prepare(rush_platform, 16)
    requests = [a for a in ready for _ in range(2)]
    start = threading.Barrier(len(requests))

    def fire(applicant: ReadyApplicant) -> httpx2.Response:
        start.wait()
        return _submit(base, applicant)

    with (
        live_server(create_app(rush_platform)) as base,
        ThreadPoolExecutor(len(requests)) as pool,
    ):
        responses = list(pool.map(fire, requests))
    assert [r.status_code for r in responses] == [200] * len(requests), [
        r.text for r in responses if r.status_code != 200
    ]
    for first, second in zip(responses[::2], responses[1::2], strict=True):
        assert first.json() == second.json()  # the same receipt, arrival time included
    with rush_platform.session() as s:
        refs = [a.reference for a in ready]
        statuses = s.scalars(select(Proposal.status).where(Proposal.reference.in_(refs)))
        assert set(statuses) == {"submitted"}
        per_proposal = s.execute(
            select(Submission.proposal_id, func.count()).group_by(Submission.proposal_id)
        ).all()
        assert len(per_proposal) == len(ready)
        assert all(n == 1 for _, n in per_proposal)
        audited = s.execute(
            select(AuditEntry.subject_id, func.count())
            .where(AuditEntry.action == "proposal.submitted")
            .group_by(AuditEntry.subject_id)
        ).all()
        assert sorted(ref for ref, _ in audited) == sorted(refs)
        assert all(n == 1 for _, n in audited)


def _slow_app(platform: Platform) -> FastAPI:
    """The real app plus one route that holds its worker thread, to make the server busy."""
    app = create_app(platform)

    def hold(seconds: float) -> dict[str, float]:
        time.sleep(seconds)
        return {"held": seconds}

    app.add_api_route("/api/v1/test/hold", hold)
    return app


def _hold(base: str, seconds: float) -> threading.Thread:
    thread = threading.Thread(
        target=httpx2.get, args=(f"{base}/api/v1/test/hold?seconds={seconds}",), daemon=True
    )
    thread.start()
    time.sleep(0.2)  # it has taken the only slot
    return thread


def test_the_deadline_is_judged_at_arrival_not_after_queueing(
    backend: Backend, tmp_path: Path
) -> None:
    # One worker thread: a submission sent before the deadline waits behind a slow request
    # until after it, and must still be in time; one sent after the deadline must not.
    platform = _rush_platform(backend, tmp_path, db_pool_size=1, db_max_overflow=0)
    ref, (early, late) = _prepare(platform, 2)
    with live_server(_slow_app(platform)) as base:
        closes = utcnow() + timedelta(seconds=1.5)
        _set_deadline(platform, ref, closes)
        holder = _hold(base, 3.0)
        assert utcnow() < closes
        accepted = _submit(base, early)
        holder.join()
        assert utcnow() > closes
        refused = _submit(base, late)
    platform.close()
    assert accepted.status_code == 200, accepted.text
    receipt = accepted.json()
    assert datetime.fromisoformat(receipt["submitted_at"]) <= closes
    assert datetime.fromisoformat(receipt["recorded_at"]) > closes  # it queued past the deadline
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["rule_id"] == "call.deadline"


def test_a_grace_period_extends_the_deadline_by_the_configured_seconds(
    backend: Backend, tmp_path: Path
) -> None:
    platform = _rush_platform(backend, tmp_path, deadline_grace_s=30)
    ref, (in_grace,) = _prepare(platform, 1)
    _set_deadline(platform, ref, utcnow() - timedelta(seconds=5))
    with live_server(create_app(platform)) as base:
        response = _submit(base, in_grace)
    platform.close()
    assert response.status_code == 200, response.text


def test_a_saturated_server_answers_503_fast_and_health_stays_up(
    backend: Backend, tmp_path: Path
) -> None:
    platform = _rush_platform(
        backend, tmp_path, db_pool_size=1, db_max_overflow=0, queue_timeout_s=0.3
    )
    _, (applicant,) = _prepare(platform, 1)
    with live_server(_slow_app(platform)) as base:
        holder = _hold(base, 4.0)
        busy = _submit(base, applicant)
        # Refused after the queue timeout, while the slow request still holds the only thread.
        refused_while_held = holder.is_alive()
        health = httpx2.get(f"{base}/api/v1/health", timeout=5)
        health_while_held = holder.is_alive()
        holder.join()
        after = _submit(base, applicant)
    platform.close()
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "2"
    assert busy.json()["error"]["code"] == "busy"
    assert refused_while_held
    assert health.status_code == 200 and health_while_held
    assert after.status_code == 200  # nothing was changed by the refused attempt


def test_a_request_whose_client_left_while_queued_never_runs(
    backend: Backend, tmp_path: Path
) -> None:
    platform = _rush_platform(backend, tmp_path, db_pool_size=1, db_max_overflow=0)
    _, (applicant,) = _prepare(platform, 1)
    with live_server(_slow_app(platform)) as base:
        holder = _hold(base, 1.0)
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as raw:
            raw.sendall(
                f"POST /api/v1/proposals/{applicant.reference}/submit HTTP/1.1\r\n"
                f"Host: 127.0.0.1\r\nAuthorization: Bearer {applicant.token}\r\n"
                "Content-Length: 0\r\n\r\n".encode()
            )
            time.sleep(0.2)  # queued behind the slow request; now the client gives up
        holder.join()
        time.sleep(0.3)
    with platform.session() as s:
        status = s.scalar(select(Proposal.status).where(Proposal.reference == applicant.reference))
    platform.close()
    assert status == "draft"


def test_bodies_over_the_limit_are_refused_before_they_are_read(
    rush_platform: Platform,
) -> None:
    with live_server(create_app(rush_platform)) as base:
        port = int(base.rsplit(":", 1)[1])
        # A declared 300 MB upload without credentials: refused at once, nothing read.
        with socket.create_connection(("127.0.0.1", port)) as raw:
            raw.sendall(
                b"POST /api/v1/proposals/X-1/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: multipart/form-data; boundary=b\r\n"
                b"Content-Length: 314572800\r\n\r\n"
            )
            raw.settimeout(5)
            head = raw.recv(4096).decode()
        assert head.startswith("HTTP/1.1 413"), head
        # Credentials do not lift the limit on an upload route.
        with socket.create_connection(("127.0.0.1", port)) as raw:
            raw.sendall(
                b"POST /api/v1/proposals/X-1/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Authorization: Bearer nxs_x\r\nContent-Length: 314572800\r\n\r\n"
            )
            raw.settimeout(5)
            assert raw.recv(4096).decode().startswith("HTTP/1.1 413")
        # A streamed body with no declared length is counted and cut off at the limit.
        chunks = (b"x" * 65536 for _ in range(40))  # 2.5 MB against the 1 MB default
        streamed = httpx2.post(f"{base}/api/v1/auth/token", content=chunks, timeout=10)
        assert streamed.status_code == 413
        assert streamed.json()["error"]["code"] == "too_large"
        # Small enough but anonymous on an upload route: 401 before the body is read.
        anonymous = httpx2.post(
            f"{base}/api/v1/proposals/X-1/attachments",
            files={"file": ("a.pdf", b"%PDF-1.4")},
            data={"kind": "project_description"},
            timeout=10,
        )
        assert anonymous.status_code == 401


def test_nexus_serve_with_several_workers_starts_and_shares_one_database(
    rush_platform: Platform, tmp_path: Path
) -> None:
    _, ready = _prepare(rush_platform, 8)
    assert rush_platform.settings.database_url is not None
    url = rush_platform.settings.database_url
    with served(url, tmp_path / "serve", workers=2) as (base, _), ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda a: _submit(base, a), ready + ready))
    assert {a.status_code for a in answers} == {200}
    assert [a.json() for a in answers[:8]] == [a.json() for a in answers[8:]]


def test_a_killed_server_loses_no_acknowledged_submission(
    rush_platform: Platform, tmp_path: Path
) -> None:
    _, ready = _prepare(rush_platform, 120)
    assert rush_platform.settings.database_url is not None
    url = rush_platform.settings.database_url
    receipts: dict[str, dict[str, Any]] = {}

    def submit(applicant: ReadyApplicant) -> None:
        try:
            answer = _submit(base, applicant)
        except httpx2.TransportError:
            return  # cut off by the kill: no receipt was given
        if answer.status_code == 200:
            receipts[applicant.reference] = answer.json()

    with served(url, tmp_path / "first") as (base, process), ThreadPoolExecutor(12) as pool:
        futures = [pool.submit(submit, a) for a in ready]
        waited = time.monotonic()
        while len(receipts) < 10 and time.monotonic() - waited < 30:
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGKILL)  # kill -9 in the middle of the rush
        for future in futures:
            future.result()
    assert 0 < len(receipts) < len(ready), "the kill should land mid-rush"
    with rush_platform.session() as s:
        rows = s.execute(select(Proposal.reference, Proposal.status)).all()
        submitted = {ref for ref, status in rows if status == "submitted"}
        per_receipt = dict(
            s.execute(
                select(Proposal.reference, func.count(Submission.id))
                .join(Submission, Submission.proposal_id == Proposal.id)
                .group_by(Proposal.reference)
            ).all()
        )
        audited = dict(
            s.execute(
                select(AuditEntry.subject_id, func.count())
                .where(AuditEntry.action == "proposal.submitted")
                .group_by(AuditEntry.subject_id)
            ).all()
        )
    assert set(receipts) <= submitted  # every receipt given is in the database
    # Nothing half-written: a submitted proposal has exactly one receipt row and audit entry.
    assert dict.fromkeys(submitted, 1) == per_receipt == audited
    # After a restart the rest go through, and the acknowledged ones answer the same receipt.
    with served(url, tmp_path / "second") as (base, _), ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda a: _submit(base, a), ready))
    again = {a.reference: answer for a, answer in zip(ready, answers, strict=True)}
    assert {a.status_code for a in again.values()} == {200}
    assert all(again[ref].json() == receipt for ref, receipt in receipts.items())


def test_a_busy_answer_before_the_deadline_carries_a_proof_that_keeps_the_retry_in_time(
    backend: Backend, tmp_path: Path
) -> None:
    platform = _rush_platform(
        backend, tmp_path, db_pool_size=1, db_max_overflow=0, queue_timeout_s=0.3
    )
    ref, (first, second) = _prepare(platform, 2)
    with live_server(_slow_app(platform)) as base:
        holder = _hold(base, 3.0)
        busy = [_submit(base, a) for a in (first, second)]
        # Refused again while still busy, a retry's new proof states the first arrival.
        again = httpx2.post(
            f"{base}/api/v1/proposals/{first.reference}/submit",
            headers={
                "Authorization": f"Bearer {first.token}",
                arrival.HEADER: busy[0].headers["nexus-arrival-proof"],
            },
            timeout=30,
        )
        proofs = [b.headers["nexus-arrival-proof"] for b in busy]
        # The deadline falls just after both first arrivals, whatever the machine's speed, and
        # the retries come after it.
        closes = max(datetime.fromisoformat(p.partition("~")[0]) for p in proofs)
        closes += timedelta(seconds=0.05)
        _set_deadline(platform, ref, closes)
        holder.join()
        while utcnow() <= closes:
            time.sleep(0.05)

        def retry(applicant: ReadyApplicant, proof: str) -> httpx2.Response:
            return httpx2.post(
                f"{base}/api/v1/proposals/{applicant.reference}/submit",
                headers={"Authorization": f"Bearer {applicant.token}", arrival.HEADER: proof},
                timeout=30,
            )

        stamp, _, signature = proofs[1].partition("~")
        forged = retry(second, f"{(utcnow() - timedelta(hours=1)).isoformat()}~{signature}")
        borrowed = retry(second, proofs[0])  # another proposal's proof does not transfer
        kept = retry(first, proofs[0])
        own = retry(second, proofs[1])
    platform.close()
    assert [b.status_code for b in busy] == [503, 503]
    assert again.status_code == 503
    assert again.headers["nexus-arrival-proof"] == proofs[0]
    assert busy[0].json()["error"]["details"]["arrival_proof"] == proofs[0]
    assert forged.status_code == 422 and borrowed.status_code == 422  # judged now: late
    assert kept.status_code == 200, kept.text
    assert datetime.fromisoformat(kept.json()["submitted_at"]) < closes
    assert own.status_code == 200
    assert datetime.fromisoformat(own.json()["submitted_at"]) == datetime.fromisoformat(stamp)


def test_a_page_submit_refused_as_busy_is_sent_again_with_its_first_arrival(
    backend: Backend, tmp_path: Path
) -> None:
    import re
    from html import unescape

    from nexus_sti.demo.rush import RUSH_PASSWORD

    platform = _rush_platform(
        backend, tmp_path, db_pool_size=1, db_max_overflow=0, queue_timeout_s=0.3
    )
    ref, (applicant,) = _prepare(platform, 1)
    with live_server(_slow_app(platform)) as base, httpx2.Client(base_url=base) as browser:
        login_page = browser.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page)
        assert token is not None
        browser.post(
            "/login",
            data={
                "username": applicant.username,
                "password": RUSH_PASSWORD,
                "csrf_token": token.group(1),
            },
        )
        page = browser.get(f"/proposals/{applicant.reference}").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf is not None
        holder = _hold(base, 2.0)
        busy = browser.post(
            f"/proposals/{applicant.reference}/submit", data={"csrf_token": csrf.group(1)}
        )
        # What the busy page's own form sends again, field for field.
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', busy.text))
        first = unescape(fields.get("arrival_proof", "")).partition("~")[0]
        closes = datetime.fromisoformat(first) + timedelta(seconds=0.05)
        _set_deadline(platform, ref, closes)  # just after the first arrival
        holder.join()
        while utcnow() <= closes:
            time.sleep(0.05)
        again = browser.post(
            f"/proposals/{applicant.reference}/submit",
            data={k: unescape(v) for k, v in fields.items()},
        )
    with platform.session() as s:
        submitted_at = s.scalar(
            select(Proposal.submitted_at).where(Proposal.reference == applicant.reference)
        )
    platform.close()
    assert busy.status_code == 503 and "Send it again now" in busy.text
    assert set(fields) == {"csrf_token", "arrival_proof"}
    assert again.status_code == 303, again.text
    assert submitted_at is not None and submitted_at <= closes
