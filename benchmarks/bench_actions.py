"""What a person waits for after a click: the officer's heavy actions, timed through the real
ASGI app on the demo data (SQLite), at demo size and at ten times demo size.

    .venv/bin/python benchmarks/bench_actions.py [--proposals 400] [--baseline-src PATH]

Per source tree, in a subprocess with ``PYTHONPATH`` set to that tree: a fresh data folder,
``nexus db upgrade`` and ``nexus demo seed``, then, as the demo officer, in this order on the
closed bilateral call: screening every proposal ("Apply to all"), saving need-based targets,
running the reviewer assignment, then opening the selection designer, comparing the rules and
saving the selection. Each
action is timed from the click to the answer the browser gets (following redirects), and, where
the answer is a background job's progress page, to the moment the job's result is ready. The
designer, comparison and save run on the first call the selection page offers. Not a
test: the figures are read, not asserted.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def worker(result: Path) -> None:
    """Runs inside the subprocess, on the tree under test."""
    sys.path.append(str(ROOT))
    from fastapi.testclient import TestClient
    from tests.e2e.conftest import api_token, csrf_of, login

    from nexus_sti.app.web import create_app
    from nexus_sti.platform.context import Platform
    from nexus_sti.platform.settings import load_settings

    platform = Platform.start(load_settings())
    # As `nexus serve` runs it: the jobs in a worker process of their own (trees with a queue).
    job_workers = getattr(importlib.import_module("nexus_sti.app.cli"), "job_workers", None)
    if job_workers is not None:
        platform = replace(
            platform, settings=platform.settings.model_copy(update={"job_threads": 0})
        )
    out: dict[str, tuple[float, float]] = {}
    with (
        job_workers(1) if job_workers is not None else nullcontext(),
        TestClient(create_app(platform), follow_redirects=False) as client,
    ):
        calls = client.get("/api/v1/calls", headers=api_token(client, "officer")).json()
        login(client, "officer")
        items = calls["items"] if isinstance(calls, dict) else calls
        ref = next(
            c["reference"] for c in items if c["status"] == "closed" and c["track"] == "bilateral"
        )
        token = csrf_of(client.get("/calls").text)

        def act(name: str, method: str, url: str, data: dict[str, str] | None = None) -> str:
            started = time.perf_counter()
            if method == "post":
                answer = client.post(url, data={**(data or {}), "csrf_token": token})
            else:
                answer = client.get(url)
            while answer.status_code in (302, 303):
                location = answer.headers["location"]
                if location.startswith("/jobs/"):
                    break  # the progress page: the person sees it now
                answer = client.get(location)
            shown = (time.perf_counter() - started) * 1000
            job = re.search(r"/jobs/(\d+)", answer.headers.get("location", "") + answer.text)
            ready = shown
            if job and answer.status_code in (200, 303):
                while True:
                    status = client.get(f"/jobs/{job.group(1)}/status").json()
                    if status["status"] in ("done", "failed"):
                        break
                    time.sleep(0.05)
                ready = (time.perf_counter() - started) * 1000
            out[name] = (shown, ready)
            return answer.text

        client.post(f"/calls/{ref}/actions", data={"action": "screen", "csrf_token": token})
        act("screen: apply to all", "post", f"/calls/{ref}/screening/apply", {"scope": "all"})
        act("targets: save", "post", "/needs/targets", {"track": "bilateral", "note": "bench"})
        assign = client.get(f"/review/calls/{ref}/assignment")
        if assign.status_code == 200:
            act(
                "review: run the assignment",
                "post",
                f"/review/calls/{ref}/assignment",
                {"backend": "static", "minimum_home": "1", "minimum_member_state": "1",
                 "outside_minimum": "0", "coauthorship_years": "3"},
            )  # fmt: skip
        # The selection of a call with calibrated scores (the first the selection page offers).
        chosen = re.search(r'href="/selection/calls/([^"?/]+)"', client.get("/selection").text)
        if chosen:
            scored = chosen.group(1)
            act("selection: open the designer", "get", f"/selection/calls/{scored}")
            act("selection: compare rules", "get", f"/selection/calls/{scored}/compare")
            act(
                "selection: save for decision",
                "post",
                f"/selection/calls/{scored}/runs",
                {"band_tolerance": "0.5", "bands": "on", "note": "bench"},
            )
    platform.close()
    result.write_text(json.dumps(out))


def run_tree(src: Path, proposals: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="nexus-bench-actions-") as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(src),
            "NEXUS_DATA_DIR": str(Path(tmp) / "data"),
            "NEXUS_DEMO_PROPOSALS": str(proposals),
            "NEXUS_PASSWORD_HASH_PROFILE": "fast",
        }
        nexus = [sys.executable, "-c", "from nexus_sti.app.cli import main; main()"]
        for step in (["db", "upgrade"], ["demo", "seed"]):
            subprocess.run([*nexus, *step], env=env, check=True, capture_output=True)
        result = Path(tmp) / "actions.json"
        code = (
            f"import sys; sys.path.append({str(ROOT / 'benchmarks')!r}); "
            f"from bench_actions import worker; from pathlib import Path; "
            f"worker(Path({str(result)!r}))"
        )
        subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)
        timings: dict[str, list[float]] = json.loads(result.read_text())
        return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--proposals", type=int, default=400)
    parser.add_argument("--baseline-src", type=Path)
    args = parser.parse_args()
    trees = {"ours": ROOT / "src"}
    if args.baseline_src:
        trees["baseline"] = args.baseline_src.resolve()
    results = {name: run_tree(src, args.proposals) for name, src in trees.items()}
    print(f"\n{args.proposals} demo proposals; ms from the click to the page / to the result")
    head = f"{'action':<34}{'ours: page':>12}{'result':>10}"
    base = results.get("baseline", {})
    print(head + (f"{'baseline':>12}{'ratio':>8}" if base else ""))
    for name, (shown, ready) in results["ours"].items():
        line = f"{name:<34}{shown:>12.0f}{ready:>10.0f}"
        if name in base:
            line += f"{base[name][1]:>12.0f}{base[name][1] / shown:>7.1f}x"
        print(line)


if __name__ == "__main__":
    main()
