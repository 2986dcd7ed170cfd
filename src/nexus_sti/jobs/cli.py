"""``nexus jobs``: run background jobs in a process of their own, and see the queue.

The web process runs ``job_threads`` workers itself; a deployment that wants the solving away
from the pages sets ``NEXUS_JOB_THREADS=0`` and runs ``nexus jobs work`` (on this host or
another one using the same database).
"""

from __future__ import annotations

import signal
from typing import Annotated, Any

import typer

from nexus_sti.platform.clictx import console, err_console, migrated_platform

app = typer.Typer(help="Background jobs: workers and the queue.", no_args_is_help=True)


@app.command("work")
def work(
    threads: Annotated[int, typer.Option(min=1, max=16, help="Workers in this process.")] = 1,
    once: Annotated[
        bool, typer.Option("--once", help="Run what is queued now, then stop.")
    ] = False,
) -> None:
    """Run queued jobs until stopped (Ctrl-C or SIGTERM finishes the jobs under way)."""
    from nexus_sti.platform.jobqueue import Worker, import_all_kinds, work_once

    platform = migrated_platform()
    import_all_kinds()
    if once:
        ran = 0
        while work_once(platform.sessions) is not None:
            ran += 1
        err_console.print(f"ran {ran} job(s)")
        return
    workers = [Worker(platform.sessions) for _ in range(threads)]
    running = [w.start_thread() for w in workers]

    def stop(_signal: int, _frame: Any) -> None:
        for w in workers:
            w.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    err_console.print(f"{threads} job worker(s) running; Ctrl-C stops them")
    for thread in running:
        while thread.is_alive():
            thread.join(timeout=0.5)


@app.command("list")
def list_jobs(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 20,
) -> None:
    """The newest jobs with their state and progress, and how many are in each state."""
    from rich.table import Table

    from nexus_sti.jobs.service import queue_counts, recent_jobs, status_of

    platform = migrated_platform()
    with platform.session() as session:
        counts = queue_counts(session)
        table = Table("id", "kind", "status", "progress", "step", "by", "created (UTC)")
        for job in recent_jobs(session, limit=limit):
            status = status_of(job)
            table.add_row(
                str(job.id),
                job.kind,
                job.status,
                f"{job.done}/{job.total}" if job.total else "",
                job.error or status["step"],
                job.owner_label,
                f"{job.created_at:%Y-%m-%d %H:%M:%S}",
            )
        console.print(table)
        console.print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no jobs")
