"""The job queue on each database: every job runs exactly once however many workers claim at
the same time, progress and results are kept, failures say why, a dead worker's job is taken
again, and a job is visible to its owner (and administrators) only."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from nexus_sti.core.access import Actor, Role
from nexus_sti.core.errors import Infeasible, NotFound
from nexus_sti.jobs.service import answer, job_for, start, status_of
from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.jobqueue import (
    MAX_ATTEMPTS,
    STALE_AFTER,
    Finished,
    Job,
    Progress,
    Registry,
    Work,
    claim,
    get_job,
    key_of,
    run_job,
    submit,
    work_once,
)

OWNER = Actor(user_id=None, username="someone", role=Role.OFFICER)


def queue(platform: Platform, n: int, kind: str = "test.count") -> list[int]:
    ids = []
    with platform.session() as s:
        for i in range(n):
            job = submit(
                s, kind=kind, params={"i": i}, owner_id=None, owner_label="t", now=utcnow()
            )
            ids.append(job.id)
    return ids


def test_many_workers_run_each_job_exactly_once(platform: Platform) -> None:
    runs: Counter[int] = Counter()
    lock = threading.Lock()
    kinds = Registry()

    @kinds.register("test.count")
    def count(_s: Session, work: Work, progress: Progress) -> Finished:
        progress(1, 2, "half way")
        with lock:
            runs[work.params["i"]] += 1
        return Finished({"double": work.params["i"] * 2}, url=f"/done/{work.id}")

    ids = queue(platform, 40)

    def drain() -> None:
        while work_once(platform.sessions, kinds=kinds) is not None:
            pass

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert runs == Counter(range(40)), "a job ran twice or never"
    with platform.session() as s:
        for i, job_id in enumerate(ids):
            job = get_job(s, job_id)
            assert (job.status, job.result, job.result_url) == (
                "done",
                {"double": 2 * i},
                f"/done/{job_id}",
            )
            assert job.attempts == 1 and job.finished_at is not None


def test_a_second_submit_of_the_same_question_joins_the_first(platform: Platform) -> None:
    with platform.session() as s:
        first = submit(s, kind="k", params={"a": 1}, owner_id=None, owner_label="t", now=utcnow())
        again = submit(s, kind="k", params={"a": 1}, owner_id=None, owner_label="t", now=utcnow())
        other = submit(s, kind="k", params={"a": 2}, owner_id=None, owner_label="t", now=utcnow())
        assert again.id == first.id and other.id != first.id
        assert first.key == key_of("k", {"a": 1})


def test_failures_say_why_and_internal_errors_are_asked_again(platform: Platform) -> None:
    kinds = Registry()
    calls = Counter[str]()

    @kinds.register("test.infeasible")
    def infeasible(_s: Session, _w: Work, _p: Progress) -> Finished:
        calls["infeasible"] += 1
        raise Infeasible("the bands cannot all hold", hint="widen the bands")

    @kinds.register("test.bug")
    def bug(_s: Session, _w: Work, _p: Progress) -> Finished:
        calls["bug"] += 1
        raise ZeroDivisionError

    with platform.session() as s:
        for kind in ("test.infeasible", "test.bug", "test.unknown"):
            submit(s, kind=kind, params={}, owner_id=None, owner_label="t", now=utcnow())
    for _ in range(3):
        work_once(platform.sessions, kinds=kinds)
    with platform.session() as s:
        jobs = {j.kind: j for j in s.query(Job)}
        assert jobs["test.infeasible"].error == "the bands cannot all hold — widen the bands"
        assert jobs["test.bug"].error == "internal error (ZeroDivisionError)"
        assert "kind of job" in (jobs["test.unknown"].error or "")
        assert all(j.status == "failed" for j in jobs.values())
        # An answer the user can act on is kept; an internal error is asked again.
        kept = answer(
            s,
            actor=OWNER,
            kind="test.infeasible",
            params={},
            key=jobs["test.infeasible"].key,
            wait_s=0,
        )
        assert kept.id == jobs["test.infeasible"].id
        again = answer(
            s, actor=OWNER, kind="test.bug", params={}, key=jobs["test.bug"].key, wait_s=0
        )
        assert again.id != jobs["test.bug"].id and again.status == "queued"


def test_a_dead_workers_job_is_taken_again_then_failed(platform: Platform) -> None:
    [job_id] = queue(platform, 1)
    long_ago = utcnow() - STALE_AFTER - timedelta(seconds=5)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with platform.session() as s:
            claimed = claim(s, worker="w", now=utcnow())
            assert claimed is not None and claimed.id == job_id and claimed.attempts == attempt
            # The worker dies: its heartbeat stops.
            s.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=long_ago))
            s.commit()
    with platform.session() as s:
        assert claim(s, worker="w", now=utcnow()) is None
        job = get_job(s, job_id)
        assert job.status == "failed" and "stopped responding" in (job.error or "")


def test_progress_is_written_while_the_job_runs(platform: Platform) -> None:
    kinds = Registry()
    seen: list[dict[str, object]] = []

    @kinds.register("test.count")
    def steps(_s: Session, work: Work, progress: Progress) -> Finished:
        for done in range(3):
            progress(done, 3, f"step {done}")
            with platform.session() as other:
                seen.append(status_of(get_job(other, work.id)))
        return Finished({})

    [job_id] = queue(platform, 1)
    with platform.session() as s:
        job = claim(s, worker="w", now=utcnow())
    assert job is not None
    run_job(platform.sessions, job, kinds=kinds)
    # The first step is always written; later ones at most a few times a second.
    assert seen[0]["step"] == "step 0" and seen[0]["total"] == 3
    assert all(s["status"] == "running" for s in seen)
    with platform.session() as s:
        assert status_of(get_job(s, job_id))["status"] == "done"


def test_a_job_is_its_owners_and_administrators(platform: Platform) -> None:
    from nexus_sti.accounts.service import create_user

    with platform.session() as s:
        admin = Actor.system("t")
        users = {
            name: create_user(
                s,
                actor=admin,
                hasher=platform.hasher,
                username=name,
                password="long enough password 1",
                role=role,
                display_name=name,
                email=f"{name}@example.org",
                now=utcnow(),
            )
            for name, role in (("ana", "officer"), ("ben", "officer"), ("root", "admin"))
        }
        ana, ben, root = (
            Actor(user_id=u.id, username=u.username, role=Role(u.role)) for u in users.values()
        )
        job = start(s, actor=ana, kind="k", params={}, key="x" * 64, wait_s=0)
        assert job_for(s, actor=ana, job_id=job.id).id == job.id
        assert job_for(s, actor=root, job_id=job.id).id == job.id
        with pytest.raises(NotFound):
            job_for(s, actor=ben, job_id=job.id)


def test_a_result_the_database_refuses_ends_the_job_not_the_worker(platform: Platform) -> None:
    kinds = Registry()

    @kinds.register("test.count")
    def too_long(_s: Session, _w: Work, _p: Progress) -> Finished:
        return Finished({}, url="/" + "x" * 5000)  # longer than the column holds

    ids = queue(platform, 2)
    assert work_once(platform.sessions, kinds=kinds) is not None
    assert work_once(platform.sessions, kinds=kinds) is not None  # the worker goes on
    with platform.session() as s:
        for job_id in ids:
            job = get_job(s, job_id)
            # PostgreSQL refuses the address (the job fails and says so); SQLite keeps it.
            assert job.finished and (job.status == "done" or "internal error" in (job.error or ""))


def test_the_same_question_asked_at_the_same_instant_is_queued_once(platform: Platform) -> None:
    """Eight threads submit one question together: the database's unique pending key lets one
    of them queue it, and the others join that job."""
    barrier = threading.Barrier(8)
    ids: list[int] = []
    lock = threading.Lock()

    def ask() -> None:
        with platform.session() as s:
            barrier.wait()
            job = submit(
                s, kind="k", params={"same": True}, owner_id=None, owner_label="t", now=utcnow()
            )
            with lock:
                ids.append(job.id)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(ids) == 8 and len(set(ids)) == 1, ids
    with platform.session() as s:
        assert s.query(Job).count() == 1
