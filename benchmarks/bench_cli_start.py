"""How long a person waits for the ``nexus`` command to answer, in new processes.

    .venv/bin/python benchmarks/bench_cli_start.py [--repeat 3] [--top 10]
        [--baseline-src PATH]   # also time another checkout's src/ (a git worktree of an older
                                # commit), side by side
        [--match TEXT]          # only the commands whose words contain TEXT, e.g. "calls"

Times each command as a user runs it, a new Python process each time so that its imports count:
``--help`` of the root, of every command group and of every command (found by walking our
command tree, so a new group is timed as soon as it exists), and commands that read the demo
database (``calls list``, ``program show``, ``db current``, ``accounts list``, ...). Per source
tree, in subprocesses with ``PYTHONPATH`` set to that tree: a fresh data folder, ``nexus db
upgrade`` and ``nexus demo seed`` (the tree's own), then every command ``--repeat`` times, the
trees taking turns so that both see the same load. Prints the median wall time per command,
with the ratio baseline / ours (above 1: ours is faster; ``-`` where the baseline has no such
command), the median processor time (steadier than the wall time on a busy machine), then the
slowest commands and how many take over 1 s.

Both trees start from bytecode, as after ``./dev`` (which compiles the dependencies and src/):
each tree has its own cache of compiled modules (``PYTHONPYCACHEPREFIX``), filled by a first,
unmeasured run of each command, so a baseline checkout that was never compiled is not charged
for compiling (without bytecode every start compiles what it imports: SQLAlchemy alone is about
1 s of that). Not a test: the machine is shared and noisy; the figures are read, not asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NEXUS = "import sys; sys.argv[0] = 'nexus'; from nexus_sti.app.cli import main; main()"

# Commands that open the platform and read the demo database; a group's other commands change
# data or need input files, and are timed through their --help only.
READS = (
    ("calls", "list"),
    ("program", "show"),
    ("db", "current"),
    ("accounts", "list"),
    ("audit", "list"),
    ("needs", "decisions"),
    ("selection", "runs"),
)


def help_commands() -> Iterator[tuple[str, ...]]:
    """``--help`` of the root and of every group and command of our tree, in menu order."""
    import typer
    from typer._click.core import Command, Context
    from typer.core import TyperGroup

    from nexus_sti.app.cli import app

    def walk(command: Command, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        yield (*path, "--help")
        if isinstance(command, TyperGroup):
            ctx = Context(command)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None and not sub.hidden:
                    yield from walk(sub, (*path, name))

    yield from walk(typer.main.get_command(app), ())


def environment(src: Path, data: Path, cache: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(src),
        "PYTHONPYCACHEPREFIX": str(cache),
        "NEXUS_DATA_DIR": str(data),
        "NEXUS_PASSWORD_HASH_PROFILE": "fast",
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def prepare(label: str, env: dict[str, str]) -> None:
    """Migrate the tree's data folder and load its demo data set."""
    for step in (["db", "upgrade"], ["demo", "seed"]):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", NEXUS, *step], env=env, check=True, capture_output=True
        )
        print(f"  {label}: nexus {' '.join(step)} {time.perf_counter() - started:.1f} s")


def cpu_s() -> float:
    """Processor seconds used by the finished child processes so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run_once(env: dict[str, str], args: tuple[str, ...]) -> tuple[float, float] | None:
    """Milliseconds until ``nexus ARGS`` exits, and milliseconds of processor time it used (the
    steadier figure on a busy machine); None when it fails (no such command)."""
    started, cpu = time.perf_counter(), cpu_s()
    done = subprocess.run([sys.executable, "-c", NEXUS, *args], env=env, capture_output=True)
    elapsed = (time.perf_counter() - started) * 1000
    return (elapsed, (cpu_s() - cpu) * 1000) if done.returncode == 0 else None


Figures = dict[tuple[str, ...], tuple[float, float]]


def time_commands(
    commands: list[tuple[str, ...]], envs: dict[str, dict[str, str]], repeat: int
) -> dict[str, Figures]:
    """Tree -> command -> median (wall ms, processor ms), the trees taking turns; a command that
    fails on a tree is left out of its figures (our tree must run them all)."""
    runs: dict[str, dict[tuple[str, ...], list[tuple[float, float]]]] = {t: {} for t in envs}
    for command in commands:
        for env in envs.values():  # a first, unmeasured run fills the cache of compiled modules
            run_once(env, command)
        for _ in range(repeat):
            for label, env in envs.items():
                if (figures := run_once(env, command)) is not None:
                    runs[label].setdefault(command, []).append(figures)
        if command not in runs["ours"]:
            raise SystemExit(f"nexus {' '.join(command)} failed on our tree")
    return {
        label: {
            c: (statistics.median(w for w, _ in r), statistics.median(p for _, p in r))
            for c, r in by_command.items()
        }
        for label, by_command in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--baseline-src", type=Path)
    parser.add_argument("--match", default="")
    args = parser.parse_args()
    trees = {"ours": ROOT / "src"}
    if args.baseline_src:
        trees["baseline"] = args.baseline_src.resolve()
    commands = [c for c in (*help_commands(), *READS) if args.match in " ".join(c)]
    with tempfile.TemporaryDirectory(prefix="nexus-bench-cli-") as tmp:
        envs = {}
        for label, src in trees.items():
            envs[label] = environment(src, Path(tmp, label, "data"), Path(tmp, label, "pycache"))
            if any(c in READS for c in commands):
                prepare(label, envs[label])
        results = time_commands(commands, envs, args.repeat)
    ours, base = results["ours"], results.get("baseline")
    print(f"\nmedian of {args.repeat} starts per command from bytecode, ms")
    print(f"{'command':<44}{'ours':>8}{'baseline':>10}{'ratio':>8}{'ours cpu':>10}{'base cpu':>10}")
    for command in commands:
        wall, cpu = ours[command]
        b_wall, b_cpu = (base or {}).get(command, (None, None))
        print(
            f"{'nexus ' + ' '.join(command):<44}{wall:>8.0f}"
            + (f"{'-':>10}{'-':>8}" if b_wall is None else f"{b_wall:>10.0f}{b_wall / wall:>7.1f}x")
            + f"{cpu:>10.0f}"
            + (f"{'-':>10}" if b_cpu is None else f"{b_cpu:>10.0f}")
        )
    print(f"\nslowest {args.top} (ours):")
    for command in sorted(ours, key=lambda c: ours[c][0], reverse=True)[: args.top]:
        print(f"  {'nexus ' + ' '.join(command):<42}{ours[command][0]:>8.0f}")
    for label, figures in results.items():
        walls = [wall for wall, _ in figures.values()] or [0.0]
        print(
            f"{label}: {len(figures)} commands, slowest {max(walls):.0f} ms, "
            f"over 1 s: {sum(ms > 1000 for ms in walls)}"
        )


if __name__ == "__main__":
    main()
