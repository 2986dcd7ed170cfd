"""What a person waits for, page by page: every page each demo role can reach, timed through the
real ASGI app on the demo data (SQLite), at demo size and at ten times demo size.

    .venv/bin/python benchmarks/bench_pages.py [--proposals 400] [--repeat 2]
        [--baseline-src PATH]   # also run another checkout's src/ (a git worktree of an older
                                # commit) on its own demo of the same size, side by side
        [--top 15]

Per source tree, in a subprocess with ``PYTHONPATH`` set to that tree: a fresh data folder,
``nexus db upgrade`` and ``nexus demo seed`` with ``NEXUS_DEMO_PROPOSALS`` proposals (the
tree's own demo, so a newer tree's open review is there and an older one's is not), then, for
each demo account (with the background jobs in a ``nexus jobs work`` process beside the app, as
``nexus serve`` runs them), the link crawler of ``tests/e2e/test_links.py`` (links and GET
forms from the dashboard, one address per kind of address), each page opened ``--repeat``
times; the time is the median. A page that answers with a background job's progress bar is
timed on its first load, and the time until the job's result is ready is printed apart. Prints
the slowest kinds of page, how many take over 1 s and over 3 s, and the 95th percentile, for
ours and the baseline, with the ratio baseline / ours (above 1: ours is faster). Not a test:
the machine is shared and noisy; the figures are read, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


JOB = re.compile(r'data-job="(/jobs/\d+)"')


def until_done(client: object, job: str, started: float, limit_s: float = 600) -> float:
    """Poll a background job's status until it ends; ms from ``started`` to then."""
    while time.perf_counter() - started < limit_s:
        status = client.get(f"{job}/status").json()  # type: ignore[attr-defined]
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    return (time.perf_counter() - started) * 1000


def crawl_timed(
    client: object, repeat: int, background: dict[str, float] | None = None
) -> dict[str, tuple[str, float, int]]:
    """Kind of address -> (an address of that kind, median ms, status). A page that answers
    with a background job's progress bar is timed on its first (cold) load; the time until its
    result is ready goes to ``background``, and the page is loaded again, with the result, for
    its links."""
    from tests.e2e.test_links import NOT_FOLLOWED, kind_of, links_of

    seen = {"/"}
    queue: deque[str] = deque(["/"])
    out: dict[str, tuple[str, float, int]] = {}
    while queue:
        address = queue.popleft()
        times, response = [], None
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(address, follow_redirects=True)  # type: ignore[attr-defined]
            times.append((time.perf_counter() - start) * 1000)
            job = JOB.search(response.text)
            if job:
                if background is not None:
                    background[kind_of(address)] = until_done(client, job.group(1), start)
                times = times[:1]
                response = client.get(address, follow_redirects=True)  # type: ignore[attr-defined]
                break
        assert response is not None
        out[kind_of(address)] = (address, statistics.median(times), response.status_code)
        if response.status_code >= 400 or "text/html" not in response.headers.get(
            "content-type", ""
        ):
            continue
        for link in links_of(response.text, address):
            if link in seen or NOT_FOLLOWED.match(link) or kind_of(link) in out:
                continue
            if any(kind_of(q) == kind_of(link) for q in queue):
                continue
            seen.add(link)
            queue.append(link)
    return out


def worker(data: Path, repeat: int, result: Path) -> None:
    """Runs inside the subprocess, on the tree under test: as `nexus serve` runs it, with the
    background jobs in a `nexus jobs work` process beside the app (for trees that have them)."""
    import importlib

    sys.path.append(str(ROOT))
    from fastapi.testclient import TestClient
    from tests.e2e.conftest import login

    from nexus_sti.app.web import create_app
    from nexus_sti.demo.service import DEMO_ACCOUNTS
    from nexus_sti.platform.context import Platform
    from nexus_sti.platform.settings import load_settings

    platform = Platform.start(load_settings())
    job_workers = getattr(importlib.import_module("nexus_sti.app.cli"), "job_workers", None)
    if job_workers is not None:
        platform = replace(
            platform, settings=platform.settings.model_copy(update={"job_threads": 0})
        )
    timings: dict[str, dict[str, tuple[str, float, int]]] = {}
    background: dict[str, dict[str, float]] = {}
    with job_workers(1) if job_workers is not None else nullcontext():
        for username, *_ in DEMO_ACCOUNTS:
            with TestClient(create_app(platform), follow_redirects=False) as client:
                login(client, username)
                background[username] = {}
                timings[username] = crawl_timed(client, repeat, background[username])
    platform.close()
    result.write_text(json.dumps({"pages": timings, "background": background}))


def run_tree(src: Path, proposals: int, repeat: int) -> dict[str, dict[str, dict[str, list]]]:
    with tempfile.TemporaryDirectory(prefix="nexus-bench-pages-") as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(src),
            "NEXUS_DATA_DIR": str(Path(tmp) / "data"),
            "NEXUS_DEMO_PROPOSALS": str(proposals),
            "NEXUS_PASSWORD_HASH_PROFILE": "fast",
        }
        nexus = [sys.executable, "-c", "from nexus_sti.app.cli import main; main()"]
        for step in (["db", "upgrade"], ["demo", "seed"]):
            started = time.perf_counter()
            subprocess.run([*nexus, *step], env=env, check=True, capture_output=True)
            print(f"  {src}: nexus {' '.join(step)} {time.perf_counter() - started:.1f} s")
        result = Path(tmp) / "timings.json"
        code = (
            f"import sys; sys.path.append({str(ROOT / 'benchmarks')!r}); "
            f"from bench_pages import worker; from pathlib import Path; "
            f"worker(Path({tmp!r}), {repeat}, Path({str(result)!r}))"
        )
        subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)
        timings: dict[str, dict[str, dict[str, list]]] = json.loads(result.read_text())
        return timings


def summary(timings: dict[str, dict[str, list]]) -> tuple[list[float], dict[str, float]]:
    every = [ms for pages in timings.values() for _, ms, _ in pages.values()]
    worst: dict[str, float] = {}
    for role, pages in timings.items():
        for kind, (_, ms, status) in pages.items():
            key = f"{role:<12} {kind}"[:90] + ("" if status < 400 else f" [{status}]")
            worst[key] = ms
    return every, worst


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--proposals", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--baseline-src", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    trees = {"ours": ROOT / "src"}
    if args.baseline_src:
        trees["baseline"] = args.baseline_src.resolve()
    raw = {name: run_tree(src, args.proposals, args.repeat) for name, src in trees.items()}
    # An older tree's worker wrote the pages alone.
    raw = {name: r if "pages" in r else {"pages": r, "background": {}} for name, r in raw.items()}
    results = {name: summary(r["pages"]) for name, r in raw.items()}
    ours_all, ours = results["ours"]
    base_all, base = results.get("baseline", ([], {}))
    print(f"\n{args.proposals} demo proposals; median of {args.repeat} loads per page (ms)")
    head = f"{'role and page':<92}{'ours':>8}"
    print(head + (f"{'baseline':>10}{'ratio':>8}" if base else ""))
    for key in sorted(ours, key=ours.get, reverse=True)[: args.top]:  # type: ignore[arg-type]
        line = f"{key:<92}{ours[key]:>8.0f}"
        if key in base:
            line += f"{base[key]:>10.0f}{base[key] / ours[key]:>7.1f}x"
        print(line)
    for name, (values, _) in results.items():
        print(
            f"{name}: {len(values)} pages, p95 {p95(values):.0f} ms, "
            f"over 1 s: {sum(v > 1000 for v in values)}, over 3 s: {sum(v > 3000 for v in values)}"
        )
    if base_all:
        print(f"p95 ratio baseline / ours: {p95(base_all) / p95(ours_all):.1f}x")
    for name, r in raw.items():
        waits = {f"{role:<12} {kind}"[:90]: ms for role, kinds in r["background"].items()
                 for kind, ms in kinds.items()}  # fmt: skip
        if waits:
            print(f"\n{name}: background jobs, ms from the click until the result is ready")
            for key in sorted(waits, key=waits.__getitem__, reverse=True)[: args.top]:
                print(f"{key:<92}{waits[key]:>8.0f}")


if __name__ == "__main__":
    main()
