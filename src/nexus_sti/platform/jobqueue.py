"""Background work: a job table in the database, claimed by workers with a row lock.

Work that takes longer than a person should wait for a page (a selection at ten times demo
size, the price of every family of rules, a comparison of selection rules) is submitted here
and run by a worker: a thread of the web process (``job_threads`` in the settings) or a
separate ``nexus jobs work`` process, on this host or another one sharing the database. The
page shows the job's progress and opens the result when it is ready.

- **Claiming** is a compare-and-set on the row (``UPDATE ... WHERE id = ? AND status =
  'queued'``, after a ``SELECT ... FOR UPDATE SKIP LOCKED`` where the database has one), so two
  workers never run the same job, on SQLite and on PostgreSQL alike.
- **Progress** is written by the running job (``done`` of ``total`` and a step in words) in its
  own short transaction, at most a few times a second, and never waits long for the database.
- **A worker that dies** stops its heartbeat (beaten every ``BEAT_EVERY`` while a job runs);
  after ``STALE_AFTER`` its job is queued again (at most ``MAX_ATTEMPTS`` runs in all), then
  marked failed with the reason.
- **Reuse:** a job has a ``key``, the digest of its kind and inputs. Submitting the same key
  while a job with it is queued or running returns that job (a second click does not start a
  second solve), and callers may look up the last job with a key to show its result.

Kinds of job are registered by the contexts in their ``jobs`` modules (found by name, like
tables): the infrastructure knows no context. A handler receives a session, the job's
parameters and its owner, and a ``progress`` function; it returns the result (JSON) and the
address where a person sees it.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    and_,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from nexus_sti.core.errors import NexusError, NotFound
from nexus_sti.platform.auditlog import inputs_digest
from nexus_sti.platform.db import Base, UTCDateTime, utcnow

log = logging.getLogger(__name__)

STATUSES = ("queued", "running", "done", "failed")
STALE_AFTER = timedelta(minutes=5)
BEAT_EVERY = timedelta(seconds=20)
MAX_ATTEMPTS = 2
PROGRESS_EVERY_S = 0.25
QUICK_WRITE_MS = 200


class Job(Base):
    __tablename__ = "jobs"
    # One pending job per key, kept by the database: two submits of the same question at the
    # same instant cannot both queue it.
    __table_args__ = (
        Index(
            "uq_jobs_pending_key",
            "key",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(64), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), index=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[str] = mapped_column(String(200), default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    result_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    owner_label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    worker: Mapped[str] = mapped_column(String(100), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


Progress = Callable[[int, int, str], None]


def no_progress(_done: int, _total: int, _step: str) -> None:
    """The progress of work nobody watches."""


@dataclass(frozen=True)
class Finished:
    """What a handler returns: the result (JSON) and where a person sees it."""

    result: dict[str, Any]
    url: str | None = None


@dataclass(frozen=True)
class Work:
    """What a handler is given about its job."""

    id: int
    params: dict[str, Any]
    owner_id: int | None


# A kind's handler: (a session, the job's work, its progress function) -> how it finished.
Handler = Callable[[Session, Work, Progress], Finished]


@dataclass
class Registry:
    handlers: dict[str, Handler] = field(default_factory=dict)

    def register(self, kind: str) -> Callable[[Handler], Handler]:
        def add(handler: Handler) -> Handler:
            if kind in self.handlers and self.handlers[kind] is not handler:
                raise ValueError(f"job kind {kind!r} registered twice")
            self.handlers[kind] = handler
            return handler

        return add


KINDS = Registry()
job_kind = KINDS.register


def import_all_kinds() -> Registry:
    """Import every context's ``jobs`` module so :data:`KINDS` is complete."""
    import nexus_sti

    for module in pkgutil.walk_packages(nexus_sti.__path__, prefix="nexus_sti."):
        if module.name.endswith(".jobs"):
            importlib.import_module(module.name)
    return KINDS


def key_of(kind: str, inputs: Any) -> str:
    return inputs_digest({"kind": kind, "inputs": inputs})


def submit(
    session: Session,
    *,
    kind: str,
    params: dict[str, Any],
    owner_id: int | None,
    owner_label: str,
    now: datetime,
    key: str | None = None,
) -> Job:
    """Queue a job, or return the queued or running one with the same key (committed)."""
    key = key or key_of(kind, params)
    pending = _pending(session, key)
    if pending is not None:
        return pending
    job = Job(
        kind=kind,
        key=key,
        params=params,
        status="queued",
        done=0,
        total=0,
        step="waiting for a worker",
        owner_id=owner_id,
        owner_label=owner_label,
        created_at=now,
        worker="",
        attempts=0,
    )
    session.add(job)
    try:
        session.commit()
    except IntegrityError:  # the same question was queued a moment ago: join that job
        session.rollback()
        pending = _pending(session, key)
        if pending is None:
            raise
        return pending
    return job


def _pending(session: Session, key: str) -> Job | None:
    return session.scalar(
        select(Job).where(Job.key == key, Job.status.in_(("queued", "running"))).limit(1)
    )


def latest(session: Session, key: str) -> Job | None:
    """The most recent job with this key, whatever its status."""
    return session.scalar(select(Job).where(Job.key == key).order_by(Job.id.desc()).limit(1))


def get_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("job", job_id)
    return job


def _recover_stale(session: Session, now: datetime) -> None:
    """Queue again (or fail) the jobs whose worker stopped beating."""
    cutoff = now - STALE_AFTER
    stale = Job.status == "running", Job.heartbeat_at < cutoff
    session.execute(
        update(Job)
        .where(*stale, Job.attempts >= MAX_ATTEMPTS)
        .values(
            status="failed",
            finished_at=now,
            error=f"its worker stopped responding {MAX_ATTEMPTS} times; submit it again",
        )
    )
    session.execute(
        update(Job)
        .where(*stale, Job.attempts < MAX_ATTEMPTS)
        .values(status="queued", step="queued again: its worker stopped responding")
    )
    session.commit()


def claim(session: Session, *, worker: str, now: datetime) -> Job | None:
    """Take the oldest queued job for ``worker``; None when there is none. An idle poll only
    reads: on SQLite every write takes the database's one write lock, which the pages need."""
    stale = and_(Job.status == "running", Job.heartbeat_at < now - STALE_AFTER)
    waiting = session.scalar(select(Job.id).where(or_(Job.status == "queued", stale)).limit(1))
    if waiting is None:
        session.rollback()
        return None
    _recover_stale(session, now)
    candidates = session.scalars(
        select(Job.id)
        .where(Job.status == "queued")
        .order_by(Job.id)
        .limit(8)
        .with_for_update(skip_locked=True)
    ).all()
    for job_id in candidates:
        taken = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(
                status="running",
                worker=worker[:100],
                started_at=now,
                heartbeat_at=now,
                attempts=Job.attempts + 1,
                step="starting",
            )
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            session.commit()
            return session.get(Job, job_id)
    session.commit()
    return None


def _write_quickly(engine: Engine, job_id: int, values: dict[str, Any]) -> bool:
    """Update the running job's row, giving up after a moment if the database is busy: on
    SQLite the job's own session may hold the one write lock (the handler wrote and has not
    committed yet), and waiting the usual busy timeout for it would only stall the job."""
    try:
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                usual = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
                conn.exec_driver_sql(f"PRAGMA busy_timeout={QUICK_WRITE_MS}")
            try:
                conn.execute(
                    update(Job).where(Job.id == job_id, Job.status == "running").values(**values)
                )
                conn.commit()
            finally:
                if sqlite:
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(usual or 0)}")
        return True
    except OperationalError:
        log.info("job %s: progress not written this time (database busy)", job_id)
        return False


def _progress_writer(engine: Engine, job_id: int, clock: Callable[[], datetime]) -> Progress:
    last = [0.0]

    def progress(done: int, total: int, step: str) -> None:
        moment = time.monotonic()
        if moment - last[0] < PROGRESS_EVERY_S and done < total:
            return
        last[0] = moment
        _write_quickly(
            engine,
            job_id,
            {"done": done, "total": total, "step": step[:200], "heartbeat_at": clock()},
        )

    return progress


def _beating(engine: Engine, job_id: int, clock: Callable[[], datetime]) -> threading.Event:
    """Beat the job's heart every ``BEAT_EVERY`` until the returned event is set, so a long
    single step (one solve) does not look like a dead worker."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(BEAT_EVERY.total_seconds()):
            _write_quickly(engine, job_id, {"heartbeat_at": clock()})

    threading.Thread(target=beat, name=f"nexus-job-{job_id}-heartbeat", daemon=True).start()
    return done


def run_job(
    sessions: sessionmaker[Session],
    job: Job,
    *,
    kinds: Registry = KINDS,
    clock: Callable[[], datetime] = utcnow,
) -> Job:
    """Run a claimed job to its end and record how it ended."""
    handler = kinds.handlers.get(job.kind)
    values: dict[str, Any]
    try:
        if handler is None:
            raise NotFound("kind of job", job.kind)
        engine = sessions.kw["bind"]
        beating = _beating(engine, job.id, clock)
        try:
            with sessions() as session:
                finished = handler(
                    session,
                    Work(id=job.id, params=dict(job.params), owner_id=job.owner_id),
                    _progress_writer(engine, job.id, clock),
                )
        finally:
            beating.set()
        values = {"status": "done", "result": finished.result, "result_url": finished.url}
    except NexusError as exc:
        hint = exc.details.get("hint")
        message = f"{exc.message} — {hint}" if isinstance(hint, str) else exc.message
        values = {"status": "failed", "error": message[:1000]}
    except Exception as exc:  # a bug: the job says so and the worker goes on
        log.exception("job %s (%s) failed", job.id, job.kind)
        values = {"status": "failed", "error": f"internal error ({type(exc).__name__})"}
    try:
        return _finish(sessions, job.id, clock(), values)
    except SQLAlchemyError as exc:  # the result could not be stored: the job says so
        log.exception("job %s (%s): result not stored", job.id, job.kind)
        failed = {"status": "failed", "error": f"internal error ({type(exc).__name__})"}
        return _finish(sessions, job.id, clock(), failed)


def _finish(
    sessions: sessionmaker[Session], job_id: int, now: datetime, values: dict[str, Any]
) -> Job:
    with sessions() as session:
        session.execute(
            update(Job).where(Job.id == job_id).values(finished_at=now, step="finished", **values)
        )
        session.commit()
        return get_job(session, job_id)


def worker_name() -> str:
    return f"{socket.gethostname()}:{threading.get_native_id()}"


def work_once(
    sessions: sessionmaker[Session], *, kinds: Registry = KINDS, worker: str | None = None
) -> Job | None:
    """Claim and run one job; None when the queue was empty."""
    with sessions() as session:
        job = claim(session, worker=worker or worker_name(), now=utcnow())
    if job is None:
        return None
    return run_job(sessions, job, kinds=kinds)


class Worker:
    """A loop that runs queued jobs until stopped; one per thread or process."""

    def __init__(
        self, sessions: sessionmaker[Session], *, poll_s: float = 0.5, kinds: Registry = KINDS
    ) -> None:
        self.sessions = sessions
        self.poll_s = poll_s
        self.kinds = kinds
        self.stopping = threading.Event()

    def run(self) -> None:
        name = worker_name()
        while not self.stopping.is_set():
            try:
                ran = work_once(self.sessions, kinds=self.kinds, worker=name)
            except OperationalError:
                log.warning("job worker %s: database busy, trying again", name)
                ran = None
            except Exception:  # the worker outlives any one job's trouble
                log.exception("job worker %s: unexpected error", name)
                ran = None
            if ran is None:
                self.stopping.wait(self.poll_s)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="nexus-job-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopping.set()
