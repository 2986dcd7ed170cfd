"""The ``nexus`` command end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

from nexus_sti.app.cli import app, main
from nexus_sti.platform.jobqueue import Finished, Progress, Work, job_kind, submit
from tests.conftest import Backend

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


class Cli:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
        self.monkeypatch = monkeypatch
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.monkeypatch.setattr(sys, "argv", ["nexus", *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(
    backend: Backend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    monkeypatch.setenv("NEXUS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEXUS_DATABASE_URL", backend.empty())
    monkeypatch.setenv("NEXUS_PASSWORD_HASH_PROFILE", "fast")
    monkeypatch.setenv("NEXUS_DEMO_PROPOSALS", "30")
    monkeypatch.setenv("COLUMNS", "200")
    return Cli(monkeypatch, capsys)


def all_commands() -> list[list[str]]:
    found: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        found.append(path)
        if hasattr(command, "list_commands"):
            ctx = command.make_context(command.name or "nexus", [], resilient_parsing=True)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def test_the_root_lists_the_groups_without_importing_them() -> None:
    """`nexus --help` names every group with the help its context declares, yet imports no
    context: a new process that builds the root and its help has not loaded SQLAlchemy."""
    import importlib

    from nexus_sti.app.cli import CONTEXT_GROUPS

    for name, (modules, help_) in CONTEXT_GROUPS.items():
        assert importlib.import_module(modules[0]).app.info.help == help_, name
    probe = (
        "import sys; from typer.testing import CliRunner; from nexus_sti.app.cli import app; "
        "out = CliRunner().invoke(app, ['--help']).output; "
        "assert 'review' in out and 'Portfolio selection' in out, out; "
        "heavy = [m for m in ('sqlalchemy', 'numpy') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


HELP_PROBE = """
import json, sys
from typer.testing import CliRunner
from nexus_sti.app.cli import app

for path in json.loads(sys.argv[1]):
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output, (path, result.output)
    heavy = [m for m in ("sqlalchemy", "numpy", "scipy", "pandas") if m in sys.modules]
    assert not heavy, f"`nexus {' '.join(path)} --help` imported {heavy}"
"""


def test_help_of_every_command_answers_without_the_database_or_the_solvers() -> None:
    """Each command imports its service when it runs, so the help of every group and command
    answers at once: a new process that shows all of them has not loaded SQLAlchemy or NumPy."""
    paths = json.dumps(all_commands())
    done = subprocess.run([sys.executable, "-c", HELP_PROBE, paths], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_command_has_help_and_is_documented(cli: Cli) -> None:
    doc = DOCS.read_text()
    commands = all_commands()
    assert len(commands) > 12
    for path in commands:
        code, out, _ = cli(*path, "--help")
        assert code == 0, path
        assert "Usage:" in out
        if path:
            assert f"nexus {' '.join(path)}" in doc, f"`nexus {' '.join(path)}` not in docs/cli.md"


def test_run_prepares_everything_once(cli: Cli) -> None:
    code, out, err = cli("run", "--no-serve")
    assert code == 0, err
    assert "demo data (synthetic, seed 20240422): " in out
    assert "30 proposals" in out
    for username in ("admin", "officer", "applicant", "reviewer", "partner-tha", "analyst"):
        assert username in out
    code, again, _ = cli("run", "--no-serve")
    assert code == 0
    assert "demo data (synthetic" not in again  # second run: nothing regenerated
    code, audit, _ = cli("audit", "list", "--action", "demo.")
    assert audit.count("demo.seeded") == 1


def test_accounts_tokens_and_errors(cli: Cli) -> None:
    assert cli("db", "upgrade")[0] == 0
    code, out, _ = cli("db", "current")
    assert "(up to date)" in out
    code, _, err = cli(
        "accounts", "create", "thu", "--role", "funding_partner", "--name", "Trần Thu",
        "--email", "thu@example.org", "--password", "long enough pass",
    )  # fmt: skip
    assert code == 2
    assert "country" in err and "the funder they represent" in err
    code, out, err = cli(
        "accounts", "create", "thu", "--role", "funding_partner", "--name", "Trần Thu",
        "--email", "thu@example.org", "--password", "long enough pass", "--country", "vnm",
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = cli("accounts", "list")
    assert "Trần Thu" in out and "VNM" in out
    code, out, _ = cli("accounts", "token", "thu", "--name", "report")
    assert code == 0 and "nxs_" in out
    code, out, _ = cli("audit", "list", "--action", "token.")
    assert "cli:" in out  # the operator minted it, not the account's owner
    code, _, err = cli("accounts", "token", "nobody")
    assert code == 4 and "user nobody not found" in err
    # Linking an account to a researcher: refused without one, and for an unknown one.
    code, _, err = cli("accounts", "link", "thu")
    assert code == 2 and "--researcher" in err
    code, _, err = cli("accounts", "link", "thu", "--researcher", "999999")
    assert code == 4 and "researcher 999999 not found" in err
    code, out, _ = cli("accounts", "link", "thu", "--unlink")
    assert code == 0 and "no researcher" in out


def test_program_validate_names_file_and_field(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    from nexus_sti.programs.loader import load_preset

    bad.write_text(load_preset().text.replace('currency = "USD"', 'currency = "EURO"', 1))
    code, _, err = cli("program", "validate", str(bad))
    assert code == 2
    assert "bad.toml" in err and "program.currency" in err and "allowed" in err
    good = tmp_path / "good.toml"
    good.write_text(load_preset().text)
    code, out, _ = cli("program", "validate", str(good))
    assert code == 0 and "valid" in out
    assert cli("db", "upgrade")[0] == 0
    code, out, _ = cli("program", "load", str(good))
    assert code == 0 and "version 1" in out
    code, out, _ = cli("program", "show")
    assert "bilateral" in out and "regional" in out and "mobility" in out


def test_needs_index_and_targets(cli: Cli) -> None:
    import json

    code, out, err = cli("needs", "index", "--format", "json", "--draws", "200")
    assert code == 0, err
    body = json.loads(out)
    assert len(body["countries"]) == 12
    assert body["draws"] == 200
    code, out, _ = cli("needs", "index", "--format", "csv", "--draws", "200")
    assert out.splitlines()[0].startswith("iso3,country,capacity")
    assert cli("db", "upgrade")[0] == 0
    assert cli("program", "load")[0] == 0
    code, out, err = cli("needs", "targets", "--track", "bilateral", "--slots", "22", "--save")
    assert code == 0, err
    assert "saved bilateral targets as version 1" in err
    code, out, _ = cli("needs", "targets", "--track", "bilateral", "--format", "json")
    assert sum(r["slots"] for r in json.loads(out)["countries"]) == 26  # from the budget
    code, out, _ = cli("needs", "decisions")
    assert "bilateral" in out
    code, _, err = cli("needs", "targets", "--track", "bilateral", "--a", "0.9")
    assert code == 2
    assert "a + b + c must be 1" in err


def test_calls_list_screen_export_and_import(cli: Cli, tmp_path: Path) -> None:
    assert cli("run", "--no-serve")[0] == 0
    code, out, _ = cli("calls", "list")
    closed = next(
        line.split()[1] for line in out.splitlines() if "closed" in line and "BIL" in line
    )
    code, out, _ = cli("calls", "screening", closed)
    assert code == 0
    assert "proposals" in out
    exported = tmp_path / "call.xlsx"
    code, out, err = cli("calls", "export", closed, "--output", str(exported))
    assert code == 0, err
    assert exported.stat().st_size > 1000
    # The same proposals cannot be imported again: their references exist. Nothing is created.
    code, _, err = cli("calls", "import", closed, str(exported))
    assert code == 2
    assert "already in the platform" in err
    assert "nothing was imported" in err
    code, out, _ = cli("calls", "action", closed, "screen")
    assert "is now screening" in out
    code, _, err = cli("calls", "action", closed, "open")
    assert code == 6
    assert "possible from screening: review" in err


def test_production_mode_refuses_default_secret_and_demo(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXUS_MODE", "production")
    code, _, err = cli("db", "upgrade")
    assert code == 2 and "NEXUS_SECRET_KEY" in err
    monkeypatch.setenv("NEXUS_SECRET_KEY", "s" * 48)
    monkeypatch.setenv("NEXUS_PASSWORD_HASH_PROFILE", "standard")
    assert cli("db", "upgrade")[0] == 0
    code, _, err = cli("demo", "seed")
    assert code == 5 and "not loaded in production" in err


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_selection_run_save_verify_and_solve_a_file(cli: Cli, tmp_path: Path) -> None:
    import json

    assert cli("run", "--no-serve")[0] == 0
    _, out, _ = cli("calls", "list")
    closed = next(
        line.split()[1] for line in out.splitlines() if "closed" in line and "BIL" in line
    )
    code, _, err = cli("selection", "run", "--call", closed)
    assert code == 6 and "screened" in err, "an unscreened call cannot be selected"
    assert cli("calls", "action", closed, "screen")[0] == 0
    assert cli("calls", "screening", closed, "--apply")[0] == 0
    problem = tmp_path / "problem.json"
    result = tmp_path / "result.json"
    code, out, err = cli(
        "selection", "run", "--call", closed, "--save", "--note", "cli run", "--time-limit", "5",
        "--problem-out", str(problem), "--output", str(result),
    )  # fmt: skip
    assert code == 0, err
    assert "saved as selection run 1" in out
    saved = json.loads(result.read_text())
    code, out, err = cli("selection", "verify", "1")
    assert code == 0, err
    assert "selection same" in out
    code, _, err = cli("selection", "approve", "1", "--note", "mine")
    assert code == 3 and "four eyes" in err
    # The exported problem solves offline to the same selection.
    again = tmp_path / "again.json"
    code, out, err = cli("selection", "solve", "--problem", str(problem), "--output", str(again))
    assert code == 0, err
    assert json.loads(again.read_text())["selected"] == saved["selected"]
    # A broken file names the field and the rule, and writes nothing.
    raw = json.loads(problem.read_text())
    raw["candidates"][0]["merit"] = "high"
    problem.write_text(json.dumps(raw))
    broken = tmp_path / "broken.json"
    code, _, err = cli("selection", "solve", "--problem", str(problem), "--output", str(broken))
    assert code == 2
    assert "candidates[0].merit" in err
    assert not broken.exists()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_selection_scenario_study(cli: Cli, tmp_path: Path) -> None:
    import json

    assert cli("run", "--no-serve")[0] == 0
    output = tmp_path / "study.json"
    code, out, err = cli(
        "selection", "scenario", "--scenarios", "3", "--bilateral", "40", "--regional", "20",
        "--output", str(output),
    )  # fmt: skip
    assert code == 0, err
    assert "bands + inclusiveness floor" in out
    study = json.loads(output.read_text())
    assert study["scenarios"] == 3
    assert {s["name"] for s in study["rule_sets"]} >= {"budgets only", "bands ±50 %"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_commands_on_a_database_not_set_up_say_what_to_run(cli: Cli) -> None:
    for command in (["calls", "list"], ["selection", "runs"], ["demo", "seed"]):
        code, out, err = cli(*command)
        assert code == 5, (command, out, err)
        assert "run `nexus db upgrade`" in err
        assert "Traceback" not in err + out


@job_kind("test.cli-echo")
def echo(_session: Any, work: Work, progress: Progress) -> Finished:
    progress(1, 1, "echoing")
    return Finished({"echo": work.params["word"]})


def test_jobs_work_runs_the_queue_and_list_shows_it(cli: Cli) -> None:
    from nexus_sti.platform.context import Platform
    from nexus_sti.platform.db import utcnow
    from nexus_sti.platform.settings import load_settings

    assert cli("db", "upgrade")[0] == 0
    platform = Platform.start(load_settings())
    with platform.session() as s:
        for word in ("ສະບາຍດີ", "hello"):
            submit(
                s, kind="test.cli-echo", params={"word": word}, owner_id=None,
                owner_label="test", now=utcnow(),
            )  # fmt: skip
    platform.close()
    code, _, err = cli("jobs", "work", "--once")
    assert code == 0 and "ran 2 job(s)" in err
    code, out, _ = cli("jobs", "list")
    assert code == 0 and "2 done" in out and out.count("test.cli-echo") == 2
