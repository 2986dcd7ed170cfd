"""How long a person waits for the ``nexus`` command to answer, in new processes.

    .venv/bin/python benchmarks/bench_cli_start.py [--repeat 5]

Measures ``nexus --help``, ``nexus program --help`` and ``nexus calls --help`` as a user runs
them (a new Python process each time), against the baseline of importing every command group
at start, as the command did before its groups became lazy. Prints medians and the ratio
baseline / ours (above 1: ours is faster).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from timing import median_ms

EAGER = (
    "from nexus_sti.app.cli import CONTEXT_GROUPS, context_group, app; "
    "[context_group(n) for n in CONTEXT_GROUPS]; "
    "import sys; sys.argv = ['nexus'] + sys.argv[1:]; from nexus_sti.app.cli import main; main()"
)
LAZY = "import sys; sys.argv = ['nexus'] + sys.argv[1:]; from nexus_sti.app.cli import main; main()"


def run(code: str, args: list[str]) -> None:
    subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'command':<24}{'ours ms':>10}{'all groups at start ms':>25}{'ratio':>8}")
    for command in (["--help"], ["program", "--help"], ["calls", "--help"]):
        ours = median_ms(lambda c=command: run(LAZY, c), args.repeat)
        eager = median_ms(lambda c=command: run(EAGER, c), args.repeat)
        label = "nexus " + " ".join(command)
        print(f"{label:<24}{ours:>10.0f}{eager:>25.0f}{eager / ours:>7.1f}x")


if __name__ == "__main__":
    main()
