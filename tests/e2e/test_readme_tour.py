"""The README's CLI tour runs as written on the demo data: every line of its shell block, in
order, in a fresh data folder, from a folder that looks like the repository's (its ``.venv``,
``src`` and ``docs``), so the files it writes land in a temporary folder."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a-long-tour-passphrase"


def tour_block() -> str:
    readme = (ROOT / "README.md").read_text()
    cli = readme.index("**CLI.**")
    found = re.search(r"```sh\n(.*?)```", readme[cli:], re.S)
    assert found, "the README's CLI tour has no shell block"
    return found.group(1)


def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    block = tour_block()
    assert "nexus calls list" in block and "nexus selection solve" in block
    for name in (".venv", "src", "docs"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = {
        **os.environ,
        "NEXUS_DATA_DIR": str(tmp_path / "data"),
        "NEXUS_DEMO_PROPOSALS": "60",
        "NEXUS_PASSWORD_HASH_PROFILE": "fast",
        "COLUMNS": "160",
    }
    nexus = str(ROOT / ".venv" / "bin" / "nexus")
    for step in (["db", "upgrade"], ["demo", "seed"]):  # what ./dev run does before serving
        done = subprocess.run(
            [nexus, *step], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
    script = "set -euo pipefail\n" + block
    ran = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path, env=env, input=f"{PASSWORD}\n{PASSWORD}\n", capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip
    assert ran.returncode == 0, f"the tour stopped:\n{ran.stdout}\n{ran.stderr}"
    for written in ("call.xlsx", "problem.json", "result.json", "assignment.json"):
        assert (tmp_path / written).stat().st_size > 0, written
    assert (tmp_path / "calibrated.json").stat().st_size > 0
    assert "created ana (officer)" in ran.stdout
    assert "nxs_" in ran.stdout  # the token, shown once
